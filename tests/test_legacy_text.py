"""The legacy Vietnamese encodings ingest converts: the byte tables themselves, both directions,
and the rule that decides a text is in one of them (Unicode text is never "converted")."""

from __future__ import annotations

import csv
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from ingest.legacy import (
    DOUBLE_UTF8,
    TCVN3,
    VNI,
    decode_legacy_bytes,
    decode_tcvn3,
    decode_vni,
    encode_tcvn3,
    encode_vni,
    repair_cells,
)
from outreach.core.home import SEEDS_DIR

LOWER = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
LETTERS = LOWER + LOWER.upper()
SENTENCE = (
    "Phòng Văn hóa và Thông tin huyện Tràng Định tuyên truyền phòng, chống ma túy; "
    "Đài Phát thanh và Truyền hình tỉnh Lạng Sơn; người dân được tư vấn"
)


def _iconv(data: bytes, source: str, target: str) -> bytes:
    return subprocess.run(
        ["iconv", "-f", source, "-t", target], input=data, check=True, capture_output=True
    ).stdout


needs_iconv = pytest.mark.skipif(shutil.which("iconv") is None, reason="glibc's iconv")


@needs_iconv
def test_tcvn3_bytes_decode_as_glibc_decodes_tcvn_5712():
    high = bytes(range(0xA0, 0x100))
    expected = unicodedata.normalize("NFC", _iconv(high, "TCVN5712-1", "UTF-8").decode())
    assert decode_tcvn3(high) == expected


@needs_iconv
def test_every_vietnamese_letter_encodes_to_the_tcvn3_byte_glibc_gives():
    # the ABC fonts have each lower-case letter and the seven upper-case base letters; glibc
    # writes those (and only those) in 0xA0-0xFF
    for letter in (letter for letter in LETTERS if not letter.isascii()):
        ours = encode_tcvn3(letter)
        theirs = _iconv(letter.encode(), "UTF-8", "TCVN5712-1")
        if len(theirs) == 1 and theirs[0] >= 0xA0:
            assert ours == theirs, letter
        else:  # an upper-case toned letter the ABC fonts lack: typed in lower case
            assert ours == encode_tcvn3(letter.lower()), letter


def test_tcvn3_round_trip_of_every_letter():
    assert decode_tcvn3(encode_tcvn3(LOWER)) == LOWER
    assert decode_tcvn3(encode_tcvn3("ĂÂÊÔƠƯĐ")) == "ĂÂÊÔƠƯĐ"


@pytest.mark.parametrize(
    "text, vni",
    [
        ("Việt Nam", "Vieät Nam"),
        ("Phòng", "Phoøng"),
        ("Văn hóa", "Vaên hoùa"),
        ("Thông tin", "Thoâng tin"),
        ("Đài", "Ñaøi"),
        ("người", "ngöôøi"),
        ("Tỉnh", "Tænh"),
        ("chỵ", "chî"),
        ("ĐƯỜNG", "ÑÖÔØNG"),
    ],
)
def test_vni_windows_spellings(text, vni):
    assert encode_vni(text) == vni
    assert decode_vni(vni) == text


def test_vni_round_trip_of_every_letter():
    assert decode_vni(encode_vni(LETTERS)) == LETTERS


def as_windows_reads(data: bytes) -> str:
    """Bytes as Windows-1252 shows them (its five undefined bytes as the C1 controls)."""
    return "".join(bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in data)


@pytest.mark.parametrize(
    "reading, legacy",
    [
        (TCVN3, as_windows_reads(encode_tcvn3(SENTENCE))),
        (VNI, encode_vni(SENTENCE)),
        (DOUBLE_UTF8, as_windows_reads(SENTENCE.encode("utf-8"))),
    ],
)
def test_a_legacy_text_is_recognised_and_converted(reading, legacy):
    replaced, repair = repair_cells([legacy, "Tin, bài"])
    assert repair is not None and (repair.reading, repair.cells) == (reading, 1)
    assert replaced == {legacy: SENTENCE}


def test_whole_files_in_a_legacy_font_are_decoded():
    assert decode_legacy_bytes(encode_tcvn3(SENTENCE)) == (SENTENCE, TCVN3)
    assert decode_legacy_bytes(encode_vni(SENTENCE).encode("cp1252")) == (SENTENCE, VNI)


def _registry_texts() -> list[str]:
    texts = []
    for path in Path(SEEDS_DIR).glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                texts.extend(cell for cell in row if not cell.isascii())
    return texts


def test_unicode_text_is_never_converted():
    """Every name and label of the registry and the areas (thousands of Vietnamese texts) is left
    as it is, and so is a Windows-1258 file of them."""
    texts = _registry_texts()
    assert len(texts) > 1000
    assert repair_cells(texts) == ({}, None)
    from ingest.text import encode_cp1258

    assert decode_legacy_bytes(encode_cp1258("\n".join(texts[:2000]))) is None
