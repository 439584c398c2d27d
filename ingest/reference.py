"""Reference data the contract is checked against, read from the dbt seeds (one source of truth)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from ingest.text import fold
from outreach.home import SEEDS_DIR


def _read_seed(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    with open(seeds_dir / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date_or_none(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Source:
    code: str
    name: str
    kind: str
    province_code: str
    district_code: str | None
    valid_from: date
    valid_to: date | None
    submits_monthly: bool

    def is_active(self, month: date) -> bool:
        """Whether the source is registered for the month starting on `month`."""
        if self.valid_to is not None and month > self.valid_to:
            return False
        # a source registered from mid-month still reports that month
        return (self.valid_from.year, self.valid_from.month) <= (month.year, month.month)


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    kind: str
    district_code: str
    province_code: str


@dataclass(frozen=True)
class CodeList:
    """Codes with their labels and aliases, matched diacritics- and case-insensitively."""

    codes: tuple[str, ...]
    _lookup: dict[str, str] = field(repr=False)

    @classmethod
    def from_seed(cls, rows: list[dict[str, str]], code_column: str, label_column: str,
                  aliases_column: str) -> CodeList:
        lookup: dict[str, str] = {}
        for row in rows:
            code = row[code_column]
            names = [code, row[label_column], *filter(None, row[aliases_column].split("|"))]
            for name in names:
                lookup.setdefault(fold(name), code)
        return cls(tuple(row[code_column] for row in rows), lookup)

    def match(self, value: str) -> str | None:
        return self._lookup.get(fold(value))


_COMMUNE_PREFIXES = ("xa_", "phuong_", "thi_tran_")


def _bare_commune_key(name: str) -> str:
    key = fold(name)
    for prefix in _COMMUNE_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


@dataclass
class Reference:
    sources: dict[str, Source]
    communes: dict[str, Commune]
    topics: CodeList
    output_types: CodeList
    output_types_requiring_commune: frozenset[str]
    output_types_requiring_people: frozenset[str]

    @classmethod
    def load(cls, seeds_dir: Path = SEEDS_DIR) -> Reference:
        sources = {
            row["source_code"]: Source(
                code=row["source_code"], name=row["source_name"], kind=row["source_kind"],
                province_code=row["province_code"], district_code=row["district_code"] or None,
                valid_from=date.fromisoformat(row["valid_from"]),
                valid_to=_date_or_none(row["valid_to"]),
                submits_monthly=row["submits_monthly"] == "true",
            )
            for row in _read_seed(seeds_dir, "ref_sources")
        }
        communes = {
            row["commune_code"]: Commune(
                code=row["commune_code"], name=row["commune_name"], kind=row["commune_type"],
                district_code=row["district_code"], province_code=row["province_code"],
            )
            for row in _read_seed(seeds_dir, "ref_admin_units")
        }
        output_rows = _read_seed(seeds_dir, "ref_output_types")
        return cls(
            sources=sources,
            communes=communes,
            topics=CodeList.from_seed(_read_seed(seeds_dir, "ref_topics"), "topic_code",
                                      "topic_label_vi", "topic_aliases"),
            output_types=CodeList.from_seed(output_rows, "output_type_code",
                                            "output_type_label_vi", "output_type_aliases"),
            output_types_requiring_commune=frozenset(
                row["output_type_code"] for row in output_rows
                if row["requires_commune"] == "true"),
            output_types_requiring_people=frozenset(
                row["output_type_code"] for row in output_rows
                if row["requires_people_count"] == "true"),
        )

    @cached_property
    def _communes_by_name(self) -> dict[tuple[str, str], list[Commune]]:
        index: dict[tuple[str, str], list[Commune]] = {}
        for commune in self.communes.values():
            for key in {fold(commune.name), _bare_commune_key(commune.name)}:
                index.setdefault((commune.province_code, key), []).append(commune)
        return index

    def find_communes(self, value: str, source: Source) -> list[Commune]:
        """Communes a code or name can mean for this source (its district, else its province).

        A code must belong to the source's area. A name, with or without "Xã"/"Phường"/"Thị trấn"
        and with or without diacritics, may match several communes: the caller decides.
        """
        text = value.strip()
        code = text.zfill(5) if text.isascii() and text.isdigit() else None
        if code is not None:
            found = [self.communes[code]] if code in self.communes else []
        else:
            key = fold(text)
            candidates = self._communes_by_name.get((source.province_code, key), [])
            if not candidates:
                candidates = self._communes_by_name.get(
                    (source.province_code, _bare_commune_key(text)), [])
            found = list(dict.fromkeys(candidates))
        return [c for c in found if c.province_code == source.province_code
                and (source.district_code is None or c.district_code == source.district_code)]
