"""Submission file names: `[VANBAN_]<SOURCE>_<YYYY-MM>[_r<N>].<csv|xlsx>`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_NAME = re.compile(
    r"^(?P<directives>VANBAN_)?(?P<source>[A-Z0-9][A-Z0-9-]*)_(?P<year>\d{4})-(?P<month>\d{2})"
    r"(?:_r(?P<revision>\d+))?\.(?P<ext>[A-Za-z0-9]+)$"
)

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
    month_number = int(match["month"])
    revision = int(match["revision"]) if match["revision"] else 1
    if not 1 <= month_number <= 12 or revision < 1:
        return None
    return SubmissionName(
        file_name=file_name,
        kind=DIRECTIVES if match["directives"] else MONTHLY,
        source_code=match["source"],
        month=date(int(match["year"]), month_number, 1),
        revision=revision,
        extension=match["ext"].lower(),
    )
