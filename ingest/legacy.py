"""Vietnamese text typed in the legacy font encodings, and UTF-8 that was decoded twice.

District offices still type in the TCVN3 (ABC) fonts (`.VnTime`, `.VnArial` ...) and the
VNI-Windows fonts (`VNI-Times` ...). The file then holds, instead of Vietnamese letters, the bytes
those fonts draw as letters: "Phßng V¨n hãa" (TCVN3) or "Phoøng Vaên hoùa" (VNI) for
"Phòng Văn hóa". The tables are fixed and public, so such text is converted exactly:

- TCVN3: one byte per letter; the bytes 0xA0-0xFF as TCVN 5712:1993 assigns them (the table
  glibc's iconv calls TCVN5712-1). A font of the uppercase set (`.VnTimeH`) draws the same bytes
  as capitals, so its text comes out in lower case: the letters are right, the case is the font's.
- VNI-Windows: a base letter followed by a mark drawn by a Latin-1 character ("o" + "ø" is "ò").
- UTF-8 read as Windows-1252 and saved again ("PhÃ²ng"), or as Latin-1 (ISO-8859-1), which
  reads the bytes 0x80-0x9F as the C1 control characters ("Ä\x91á»\x99i" for "đội"): no
  Vietnamese text holds those, so a text that has them is read back through Latin-1.

Which reading is right is decided by the text itself: the one whose words are Vietnamese syllables.
A reading is only taken when it is clearly better than the text as it came, so Unicode text is never
"converted".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

TCVN3 = "tcvn3"
VNI = "vni-windows"
DOUBLE_UTF8 = "double-utf8"

FONT_NAMES = {
    TCVN3: ("TCVN3 (ABC, phông .VnTime)", "TCVN3 (ABC, .VnTime fonts)"),
    VNI: ("VNI-Windows (phông VNI-Times)", "VNI-Windows (VNI-Times fonts)"),
    DOUBLE_UTF8: ("UTF-8 bị lưu hai lần", "UTF-8 decoded twice"),
}

# TCVN 5712:1993 for the bytes 0xA0-0xFF (below 0xA0 the bytes are ASCII and the ABC fonts
# draw nothing else); tests/test_legacy_text.py checks this line against glibc's iconv.
_TCVN3_HIGH = (
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ"
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"
    "éẹềểễếệìỉỄẾỒĩíịò"
    "ỔỏõóọồổỗốộờởỡớợùỖ"
    "ủũúụừửữứựỳỷỹýỵỐ"
)
assert len(_TCVN3_HIGH) == 96
_TCVN3_DECODE = {0xA0 + index: char for index, char in enumerate(_TCVN3_HIGH)}
_TCVN3_ENCODE = {
    char: bytes([byte]) for byte, char in _TCVN3_DECODE.items() if not unicodedata.combining(char)
}

# VNI-Windows: the marks after a base letter (lower case, upper case), by the letter they make.
# Tones in the order acute, grave, hook, tilde, dot below.
_VNI_TONES = (("ù", "Ù"), ("ø", "Ø"), ("û", "Û"), ("õ", "Õ"), ("ï", "Ï"))
_VNI_CIRCUMFLEX_TONES = (("á", "Á"), ("à", "À"), ("å", "Å"), ("ã", "Ã"), ("ä", "Ä"))
_VNI_BREVE_TONES = (("é", "É"), ("è", "È"), ("ú", "Ú"), ("ü", "Ü"), ("ë", "Ë"))
_TONE_MARKS = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")


def _vni_table() -> dict[str, str]:
    """Unicode letter -> its VNI-Windows spelling, for every Vietnamese letter."""
    table: dict[str, str] = {}

    def add(letter: str, lower: str, upper: str) -> None:
        table[letter] = lower
        table[letter.upper()] = upper

    for base in "aeouy":
        for (lower, upper), mark in zip(_VNI_TONES, _TONE_MARKS, strict=True):
            add(unicodedata.normalize("NFC", base + mark), base + lower, base.upper() + upper)
    for base, spelled in (("â", "a"), ("ê", "e"), ("ô", "o")):
        add(base, spelled + "â", spelled.upper() + "Â")
        for (lower, upper), mark in zip(_VNI_CIRCUMFLEX_TONES, _TONE_MARKS, strict=True):
            add(unicodedata.normalize("NFC", base + mark), spelled + lower, spelled.upper() + upper)
    add("ă", "aê", "AÊ")
    for (lower, upper), mark in zip(_VNI_BREVE_TONES, _TONE_MARKS, strict=True):
        add(unicodedata.normalize("NFC", "ă" + mark), "a" + lower, "A" + upper)
    for base, lower_base, upper_base in (("ơ", "ô", "Ô"), ("ư", "ö", "Ö")):
        add(base, lower_base, upper_base)
        for (lower, upper), mark in zip(_VNI_TONES, _TONE_MARKS, strict=True):
            add(unicodedata.normalize("NFC", base + mark), lower_base + lower, upper_base + upper)
    # i and ỵ have single characters of their own
    for mark, lower, upper in zip(_TONE_MARKS, "íìæóò", "ÍÌÆÓÒ", strict=True):
        add(unicodedata.normalize("NFC", "i" + mark), lower, upper)
    add("ỵ", "î", "Î")
    add("đ", "ñ", "Ñ")
    return table


_VNI_ENCODE = _vni_table()
_VNI_DECODE = {spelled: letter for letter, spelled in _VNI_ENCODE.items()}
_VNI_PATTERN = re.compile(
    "|".join(re.escape(spelled) for spelled in sorted(_VNI_DECODE, key=len, reverse=True))
)


def decode_tcvn3(data: bytes) -> str:
    return unicodedata.normalize(
        "NFC",
        "".join(
            _TCVN3_DECODE.get(byte) or chr(byte) if byte >= 0xA0 else chr(byte) for byte in data
        ),
    )


def encode_tcvn3(text: str) -> bytes:
    """Vietnamese text as a TCVN3 font stores it; upper-case toned letters the ABC fonts lack
    are written in lower case, as `.VnTimeH` users type them."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        if char in _TCVN3_ENCODE:
            out += _TCVN3_ENCODE[char]
        elif char.lower() in _TCVN3_ENCODE and not char.isascii():
            out += _TCVN3_ENCODE[char.lower()]
        elif ord(char) < 0x80:
            out.append(ord(char))
        else:
            raise UnicodeEncodeError("tcvn3", text, 0, 1, f"no TCVN3 byte for {char!r}")
    return bytes(out)


def decode_vni(text: str) -> str:
    """VNI-Windows text as the font's Latin-1 characters, back to Vietnamese letters."""
    return unicodedata.normalize("NFC", _VNI_PATTERN.sub(lambda m: _VNI_DECODE[m[0]], text))


def encode_vni(text: str) -> str:
    return "".join(_VNI_ENCODE.get(char, char) for char in unicodedata.normalize("NFC", text))


def _latin_bytes(text: str, codepage: str) -> bytes | None:
    """The bytes a legacy font's text was typed as, read back from its Unicode characters.

    Windows-1252 as Windows applies it: the five bytes it leaves undefined come through as the C1
    controls of the same number."""
    if codepage == "cp1252":
        try:
            return bytes(_CP1252_BYTE[char] for char in text)
        except KeyError:
            return None
    try:
        return text.encode(codepage)
    except UnicodeEncodeError:
        return None


def _from_bytes(data: bytes, reading: str) -> str | None:
    if reading == TCVN3:
        return decode_tcvn3(data)
    if reading == VNI:
        return decode_vni(_cp1252_text(data))
    if reading == DOUBLE_UTF8:
        try:
            return unicodedata.normalize("NFC", data.decode("utf-8"))
        except UnicodeDecodeError:
            return None
    raise ValueError(reading)


def _cp1252_text(data: bytes) -> str:
    return "".join(_CP1252[byte] for byte in data)


_CP1252 = [bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in range(256)]
_CP1252_BYTE = {char: byte for byte, char in enumerate(_CP1252)}


# --- how Vietnamese a text is ---------------------------------------------------------------

_ONSETS = (
    "ngh",
    "ng",
    "nh",
    "ch",
    "gh",
    "gi",
    "kh",
    "ph",
    "qu",
    "th",
    "tr",
    "b",
    "c",
    "d",
    "đ",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "q",
    "r",
    "s",
    "t",
    "v",
    "x",
    "z",
)  # z: loanwords (băng zôn)
_NUCLEI = frozenset(
    (
        "a",
        "ă",
        "â",
        "e",
        "ê",
        "i",
        "o",
        "ô",
        "ơ",
        "u",
        "ư",
        "y",
        "iê",
        "oa",
        "oă",
        "oe",
        "oo",
        "uâ",
        "uê",
        "uô",
        "uơ",
        "uy",
        "ươ",
        "yê",
        "uyê",
    )
)
# vowels ending in a semivowel (or a falling diphthong) end the syllable: no consonant after them
_OPEN_NUCLEI = frozenset(
    (
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iu",
        "oi",
        "ôi",
        "ơi",
        "ua",
        "ui",
        "ưa",
        "ưi",
        "ưu",
        "iêu",
        "oai",
        "oao",
        "oay",
        "oeo",
        "uây",
        "uôi",
        "uya",
        "uyu",
        "ươi",
        "ươu",
        "yêu",
    )
)
_CODAS = ("", "c", "ch", "k", "m", "n", "ng", "nh", "p", "t")  # k: Đắk Lắk
# words are split at ASCII spaces and punctuation only: a no-break space inside a word is one of
# the bytes UTF-8 decoded twice leaves behind ("bÃ\xa0i" for "bài")
_TOKEN_SPLIT = re.compile(r"[ \t\r\n\f\v,.;:!?()\[\]{}\"'/\\\-–—_+*=<>|&%#@0-9]+")


@functools.lru_cache(maxsize=65_536)
def _is_syllable(word: str) -> bool:
    """Whether a word is spelled as a Vietnamese syllable: onset, vowel nucleus, coda, one tone."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(char in _TONE_MARKS for char in decomposed) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    for onset in (*_ONSETS, ""):
        if not bare.startswith(onset):
            continue
        rest = bare[len(onset) :]
        for coda in _CODAS:
            if not rest.endswith(coda):
                continue
            nucleus = rest[: len(rest) - len(coda)]
            if (
                nucleus in _NUCLEI
                or (nucleus in _OPEN_NUCLEI and not coda)
                or (onset == "gi" and not nucleus)
            ):
                return True
    return False


def word_counts(text: str) -> tuple[int, int]:
    """(Vietnamese syllables, other words) among the words of a text that have non-ASCII
    letters; words in plain ASCII count for neither."""
    valid = invalid = 0
    for token in _TOKEN_SPLIT.split(text):
        if not token or token.isascii():
            continue
        if _is_syllable(token):
            valid += 1
        else:
            invalid += 1
    return valid, invalid


def vietnamese_score(text: str) -> int:
    valid, invalid = word_counts(text)
    return valid - invalid


def _readings(text: str) -> Iterable[tuple[str, str]]:
    """(reading, text) for every legacy reading that applies to a text that came as Unicode."""
    seen = set()
    codepages = ("cp1252", "cp1258", "latin-1") if has_c1_controls(text) else ("cp1252", "cp1258")
    for codepage in codepages:
        data = _latin_bytes(text, codepage)
        if data is None:
            continue
        for reading in (TCVN3, VNI, DOUBLE_UTF8):
            converted = _from_bytes(data, reading)
            if converted is not None and converted != text and (reading, converted) not in seen:
                seen.add((reading, converted))
                yield reading, converted


_C1_CONTROLS = re.compile("[\u0080-\u009f]")


def has_c1_controls(text: str) -> bool:
    """Whether a text holds a C1 control character (U+0080-U+009F): what UTF-8 read as Latin-1
    leaves; no Vietnamese text has one."""
    return _C1_CONTROLS.search(text) is not None


def first_c1_control(text: str) -> str | None:
    found = _C1_CONTROLS.search(text)
    return found[0] if found else None


@dataclass(frozen=True)
class Repair:
    """What was converted in a file: the legacy reading and how many cells."""

    reading: str
    cells: int

    @property
    def font_vi(self) -> str:
        return FONT_NAMES[self.reading][0]

    @property
    def font_en(self) -> str:
        return FONT_NAMES[self.reading][1]


def repair_cells(texts: Iterable[str]) -> tuple[dict[str, str], Repair | None]:
    """Which texts of one file to replace by their legacy reading.

    The file's reading is the one that gains most over all its texts (a file is typed in one
    font, though its template's labels may be Unicode); a text is replaced only when that reading
    makes it more Vietnamese than it came. Returns {text: converted} and what was done.
    """
    texts = list(texts)
    replaced: dict[str, str] = {}
    used: dict[str, int] = {}
    for text in set(texts):
        if text.isascii():
            continue
        valid, invalid = word_counts(text)
        if not invalid:
            continue  # Vietnamese as it is: no reading can make it more so
        best: tuple[int, str, str] | None = None
        for reading, converted in _readings(text):
            converted_valid, converted_invalid = word_counts(converted)
            gain = (converted_valid - converted_invalid) - (valid - invalid)
            # taken only when it leaves at most half the words that were not Vietnamese
            if gain > 0 and converted_invalid * 2 <= invalid and (best is None or gain > best[0]):
                best = (gain, reading, converted)
        if best is not None:
            replaced[text] = best[2]
            used[best[1]] = used.get(best[1], 0) + 1
    if not replaced:
        return {}, None
    reading = max(sorted(used), key=lambda name: used[name])
    return replaced, Repair(reading, sum(1 for text in texts if text in replaced))


def decode_legacy_bytes(data: bytes) -> tuple[str, str] | None:
    """A text file that is not UTF-8, typed in a legacy font: (text, reading) when a legacy
    reading is more Vietnamese than Windows-1258 (and Vietnamese at all), else None."""
    try:
        native = vietnamese_score(unicodedata.normalize("NFC", data.decode("cp1258")))
    except UnicodeDecodeError:
        native = None
    best: tuple[str, int, str] | None = None
    for reading in (TCVN3, VNI):
        converted = _from_bytes(data, reading)
        assert converted is not None  # only the double-UTF-8 reading can fail, not these two
        score = vietnamese_score(converted)
        if best is None or score > best[1]:
            best = (converted, score, reading)
    if best is None or best[1] <= 0 or (native is not None and best[1] <= native):
        return None
    return best[0], best[2]
