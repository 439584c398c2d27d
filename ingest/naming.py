"""Submission file names: `[VANBAN_]<SOURCE>_<YYYY-MM>[_r<N>].<csv|xlsx>`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote

from ingest.files import ERROR_REPORT_SUFFIX, NOT_READY_SUFFIXES, is_unsafe_name

# matched in full (`fullmatch`): `$` would also match before a final newline
_NAME = re.compile(
    r"(?P<directives>VANBAN_)?(?P<source>[A-Z0-9][A-Z0-9-]*)_(?P<year>\d{4})-(?P<month>\d{2})"
    r"(?:_r(?P<revision>\d+))?\.(?P<ext>[A-Za-z0-9]+)"
)
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_REVISION = 999

MONTHLY = "monthly"
DIRECTIVES = "directives"
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class SubmissionName:
    file_name: str
    kind: str
    source_code: str
    month: date
    revision: int
    extension: str

    @property
    def month_label(self) -> str:
        return f"{self.month:%Y-%m}"

    def with_revision(self, revision: int) -> str:
        prefix = "VANBAN_" if self.kind == DIRECTIVES else ""
        return f"{prefix}{self.source_code}_{self.month_label}_r{revision}.{self.extension}"


def parse_name(file_name: str) -> SubmissionName | None:
    """The parts of a submission file name, or None when it does not follow the contract.

    Revision 1 is the first version (no suffix); `_r1` is accepted as the same thing, `_r0` is not.
    """
    match = _NAME.fullmatch(file_name)
    if not match:
        return None
    month_number, year = int(match["month"]), int(match["year"])
    if match["revision"] and len(match["revision"]) > len(str(MAX_REVISION)):
        return None
    revision = int(match["revision"]) if match["revision"] else 1
    if (
        not 1 <= month_number <= 12
        or not 1 <= revision <= MAX_REVISION
        or not FIRST_YEAR <= year <= LAST_YEAR
    ):
        return None
    return SubmissionName(
        file_name=file_name,
        kind=DIRECTIVES if match["directives"] else MONTHLY,
        source_code=match["source"],
        month=date(year, month_number, 1),
        revision=revision,
        extension=match["ext"].lower(),
    )


# --- why a name does not parse, for the sender ------------------------------------------------

# letters of other scripts that look like Latin ones (Cyrillic and Greek), as keyboards type them
_LOOKALIKES = str.maketrans(
    {
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "У": "Y",
        "І": "I",
        "Ѕ": "S",
        "Ј": "J",
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "х": "x",
        "у": "y",
        "і": "i",
        "ѕ": "s",
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Ι": "I",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
        "ο": "o",
        "‐": "-",
        "‑": "-",
        "–": "-",
        "—": "-",
        "−": "-",
    }
)


@dataclass(frozen=True)
class NameDiagnosis:
    """Why a file name does not follow the contract: a problem code, its fields, and the name
    it was probably meant to be (when that one parses)."""

    code: str
    fields: dict[str, object]


def _script_of(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0].capitalize() if name else f"U+{ord(char):04X}"


def diagnose_name(file_name: str) -> NameDiagnosis:
    """The most specific reason a name fails `parse_name`, with a suggestion where one exists."""

    def suggest(candidate: str) -> str:
        return candidate if parse_name(candidate) else ""

    sent = _as_sent(file_name)
    if sent.endswith(NOT_READY_SUFFIXES):
        return _reserved(file_name, sent)
    if odd := _odd_characters(sent):
        return _characters(file_name, sent, odd)
    if sent.startswith("."):
        return NameDiagnosis(
            "name_dots", {"name": file_name, **_suggestion(suggest(sent.lstrip(".")))}
        )
    stripped = re.sub(r"\s+(?=\.[A-Za-z0-9]+\Z)", "", file_name.strip())
    if stripped != file_name:
        return NameDiagnosis("name_spaces", {"name": file_name, "suggestion": suggest(stripped)})
    joined = re.sub(r"\s+", "", re.sub(r"(?<=[A-Za-z0-9])\s+(?=[A-Za-z0-9])", "-", file_name))
    if re.search(r"\s", file_name) and suggest(joined):
        return NameDiagnosis("name_inner_spaces", {"name": file_name, "suggestion": joined})
    foreign = [
        (index, char)
        for index, char in enumerate(file_name)
        if not char.isascii() and char.translate(_LOOKALIKES) != char
    ]
    if foreign:
        letters = ", ".join(
            f"'{char}' ({_script_of(char)}, vị trí {index + 1})" for index, char in foreign[:5]
        )
        letters_en = ", ".join(
            f"'{char}' ({_script_of(char)}, position {index + 1})" for index, char in foreign[:5]
        )
        return NameDiagnosis(
            "name_not_latin",
            {
                "name": file_name,
                "letters": letters,
                "letters_en": letters_en,
                "suggestion": suggest(file_name.translate(_LOOKALIKES)),
            },
        )
    if not file_name.isascii():
        bare = unicodedata.normalize("NFD", file_name.replace("đ", "d").replace("Đ", "D"))
        bare = "".join(char for char in bare if not unicodedata.combining(char))
        if suggest(_upper_code(bare)):
            return NameDiagnosis(
                "name_diacritics", {"name": file_name, "suggestion": _upper_code(bare)}
            )
    if parse_name(_upper_code(file_name)):
        return NameDiagnosis(
            "name_lowercase", {"name": file_name, "suggestion": _upper_code(file_name)}
        )
    match = re.fullmatch(
        r"(?:VANBAN_)?[A-Za-z0-9-]+_(\d{4})-(\d{2})(?:_r(\d+))?\.[A-Za-z0-9]+", file_name
    )
    if match:
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12 or not FIRST_YEAR <= year <= LAST_YEAR:
            return NameDiagnosis(
                "name_bad_month", {"name": file_name, "month": f"{match[1]}-{match[2]}"}
            )
        if match[3] is not None:
            return NameDiagnosis("name_bad_revision", {"name": file_name, "revision": match[3]})
    return NameDiagnosis("bad_name", {"name": file_name})


def _upper_code(file_name: str) -> str:
    """The name with its source code (and `vanban_`) in upper case, `_R2` as `_r2`."""
    stem, dot, extension = file_name.rpartition(".")
    if not dot:
        return file_name
    parts = stem.split("_")
    upper = [
        part
        if re.fullmatch(r"\d{4}-\d{2}", part)
        else (part.lower() if re.fullmatch(r"[rR]\d+", part) else part.upper())
        for part in parts
    ]
    return "_".join(upper) + "." + extension.lower()


# --- characters a name cannot hold ----------------------------------------------------------------

# characters that look like a slash (a folder in the name, or a lookalike of one), as senders'
# file names and servers' listings have them
_SLASHES = {
    "/": ("dấu gạch chéo '/', tức tên có cả thư mục", "a slash '/', i.e. a folder in the name"),
    "\\": (
        "dấu gạch chéo ngược '\\', tức tên có cả thư mục",
        "a backslash '\\', i.e. a folder in the name",
    ),
}
for _char in "\u2044\u2215\u2571\u27cb\u29f8\uff0f":
    _SLASHES[_char] = ("dấu giống gạch chéo '/'", "a character that looks like a slash '/'")
for _char in "\u2216\u2572\u27cd\u29f5\u29f9\ufe68\uff3c":
    _SLASHES[_char] = ("dấu giống gạch chéo ngược '\\'", "a character that looks like '\\'")

_NAMED = {
    "\n": ("xuống dòng", "line feed"),
    "\r": ("về đầu dòng", "carriage return"),
    "\t": ("tab", "tab"),
    "\u0085": ("xuống dòng", "next line"),
    "\u2028": ("xuống dòng", "line separator"),
    "\u2029": ("xuống đoạn", "paragraph separator"),
    "\u00ad": ("gạch nối mềm không nhìn thấy", "soft hyphen, invisible"),
    "\u200b": ("khoảng trắng không nhìn thấy", "zero-width space"),
    "\u200c": ("ký tự nối không nhìn thấy", "zero-width non-joiner"),
    "\u200d": ("ký tự nối không nhìn thấy", "zero-width joiner"),
    "\u2060": ("ký tự nối không nhìn thấy", "word joiner"),
    "\ufeff": ("dấu BOM không nhìn thấy", "byte order mark, invisible"),
}


def _describe(char: str) -> tuple[str, str] | None:
    """What a character a name cannot hold is, for the sender and the engineer; None if it is one
    a name may hold (the pattern itself then says what is wrong)."""
    if char in _SLASHES:
        return _SLASHES[char]
    if char in _NAMED:
        return _NAMED[char]
    category = unicodedata.category(char)
    if category == "Cc":
        return "ký tự điều khiển", "control character"
    if category == "Cf":
        return "ký tự định dạng không nhìn thấy", "invisible format character"
    if category in ("Zl", "Zp"):
        return "xuống dòng", "line break"
    if category == "Co":
        return "ký tự riêng của một phông chữ", "private-use character"
    if category in ("Cn", "Cs"):
        return "ký tự không có trong Unicode", "character not in Unicode"
    return None


def _as_sent(file_name: str) -> str:
    """The name as it was sent: a name the pull (or ingest, for a line break) kept
    percent-encoded because it was unsafe is read back; any other name is itself."""
    if not re.search(r"%[0-9A-Fa-f]{2}", file_name):
        return file_name
    sent = unquote(file_name, errors="strict") if _is_utf8_escapes(file_name) else file_name
    return sent if sent != file_name and is_unsafe_name(sent) else file_name


def _is_utf8_escapes(file_name: str) -> bool:
    try:
        unquote(file_name, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def _odd_characters(name: str) -> list[tuple[int, str, str, str]]:
    """(position, character, what it is in Vietnamese, in English) for each character a name
    cannot hold."""
    found = []
    for index, char in enumerate(name):
        if (what := _describe(char)) is not None:
            found.append((index + 1, char, *what))
    return found


def _suggestion(candidate: str) -> dict[str, str]:
    if not candidate:
        return {"suggestion_vi": "", "suggestion_en": ""}
    return {
        "suggestion_vi": f" Hãy đổi tên thành '{candidate}' rồi gửi lại.",
        "suggestion_en": f" Rename it '{candidate}' and send it again.",
    }


def visible_name(name: str) -> str:
    """A name as a message shows it: the characters no one can see or type percent-encoded."""
    return "".join(
        "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        if _describe(char) is not None and char not in _SLASHES
        else char
        for char in name
    )


def _characters(file_name: str, sent: str, odd: list[tuple[int, str, str, str]]) -> NameDiagnosis:
    def where(position: int, char: str, what: str, at: str) -> str:
        return f"U+{ord(char):04X} ({what}) {at} {position}"

    kept = sent
    for _, char, _, _ in odd:
        kept = kept.replace(char, "\0")
    # what is left of the name: without invisible characters, or after its last slash
    candidates = [kept.replace("\0", ""), kept.rsplit("\0", 1)[-1]]
    suggestion = next((c for c in candidates if parse_name(c) is not None), "")
    return NameDiagnosis(
        "name_characters",
        {
            "name": visible_name(file_name),
            "characters_vi": ", ".join(where(p, c, vi, "ở vị trí") for p, c, vi, _ in odd[:5]),
            "characters_en": ", ".join(where(p, c, en, "at position") for p, c, _, en in odd[:5]),
            **_suggestion(suggestion),
        },
    )


def _reserved(file_name: str, sent: str) -> NameDiagnosis:
    suffix = next(suffix for suffix in NOT_READY_SUFFIXES if sent.endswith(suffix))
    if suffix == ERROR_REPORT_SUFFIX:
        what_vi = "báo cáo lỗi mà hệ thống gửi trả cho một tệp bị trả lại"
        what_en = "the error report the product writes for a refused file"
    else:
        what_vi = "tệp đang được tải hoặc ghi dở"
        what_en = "a file still being downloaded or written"
    return NameDiagnosis(
        "name_reserved",
        {"name": visible_name(file_name), "suffix": suffix, "what_vi": what_vi, "what_en": what_en},
    )
