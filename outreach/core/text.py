"""Vietnamese text everywhere: NFC normalisation and the diacritics-insensitive matching key."""

from __future__ import annotations

import functools
import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


@functools.lru_cache(maxsize=65_536)  # headers, codes and names repeat across files
def fold(value: str) -> str:
    """A matching key: lower case, no diacritics, đ as d, words joined by `_`.

    "Số lượng", "so luong" and "SO_LUONG" all fold to "so_luong".
    """
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub("_", bare.lower()).strip("_")


def lower_first(value: str) -> str:
    """The text with its first letter in lower case, as it reads inside a sentence."""
    return value[:1].lower() + value[1:] if value else value
