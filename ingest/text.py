"""Text as people send it: the encodings of their files (NFC and matching: outreach.core.text)."""

from __future__ import annotations

import codecs
import unicodedata

from ingest.legacy import decode_legacy_bytes
from outreach.core.text import nfc


class UndecodableText(ValueError):
    """The bytes are not text in any encoding the contract accepts."""


def _utf16_without_mark(data: bytes) -> str | None:
    """UTF-16 without a byte order mark: mostly ASCII text, so every other byte is zero."""
    sample = data[:4096]
    if len(sample) < 8 or len(data) % 2:
        return None
    even_zeros = sample[0::2].count(0) / (len(sample) / 2)
    odd_zeros = sample[1::2].count(0) / (len(sample) / 2)
    if odd_zeros > 0.3 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.3 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Decode a text file as UTF-8 (with or without BOM), UTF-16 (with or without BOM),
    Windows-1258, or Vietnamese typed in the TCVN3 or VNI-Windows fonts.

    Returns the NFC text and the name of the encoding that was used.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return nfc(data[len(codecs.BOM_UTF8) :].decode("utf-8")), "utf-8-sig"
        except UnicodeDecodeError as exc:  # a UTF-8 mark, then bytes that are not UTF-8
            raise UndecodableText(str(exc)) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return nfc(data.decode("utf-16")), "utf-16"
        except UnicodeDecodeError as exc:
            raise UndecodableText(str(exc)) from exc
    if (utf16 := _utf16_without_mark(data)) is not None:
        try:
            return nfc(data.decode(utf16)), utf16
        except UnicodeDecodeError:
            pass
    try:
        return nfc(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    if (legacy := decode_legacy_bytes(data)) is not None:
        return legacy
    try:
        return nfc(data.decode("cp1258")), "cp1258"
    except UnicodeDecodeError as exc:
        raise UndecodableText(str(exc)) from exc


def encode_cp1258(text: str) -> bytes:
    """Encode Vietnamese text in Windows-1258, as old Vietnamese Windows machines save it.

    Windows-1258 has the base letters (â, ê, ô, ơ, ư, ă, đ) precomposed but most tone marks only
    as combining characters, so NFC text is decomposed and then recomposed as far as the code
    page allows.
    """
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = list(unicodedata.normalize("NFD", ch))
        for mark in list(marks):
            candidate = unicodedata.normalize("NFC", base + mark)
            if len(candidate) == 1:
                try:
                    candidate.encode("cp1258")
                except UnicodeEncodeError:
                    continue
                base = candidate
                marks.remove(mark)
        out += (base + "".join(marks)).encode("cp1258")
    return bytes(out)
