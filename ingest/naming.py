"""Submission file names: `[VANBAN_]<SOURCE>_<YYYY-MM>[_r<N>].<csv|xlsx>`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

_NAME = re.compile(
    r"^(?P<directives>VANBAN_)?(?P<source>[A-Z0-9][A-Z0-9-]*)_(?P<year>\d{4})-(?P<month>\d{2})"
    r"(?:_r(?P<revision>\d+))?\.(?P<ext>[A-Za-z0-9]+)$"
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
    match = _NAME.match(file_name)
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

    stripped = re.sub(r"\s+(?=\.[A-Za-z0-9]+$)", "", file_name.strip())
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
    match = re.match(
        r"^(?:VANBAN_)?[A-Za-z0-9-]+_(\d{4})-(\d{2})(?:_r(\d+))?\.[A-Za-z0-9]+$", file_name
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
