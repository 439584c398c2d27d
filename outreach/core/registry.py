"""Reference data the contract is checked against, read from the dbt seeds (one source of truth)."""

from __future__ import annotations

import bisect
import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

from outreach.core.home import SEEDS_DIR
from outreach.core.text import fold


def read_seed(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    """The rows of one registry file (`<seeds_dir>/<name>.csv`) as text: the one reader of the
    registry's CSVs (dbt seeds them; ingest, the pull, the scope and the generators read them)."""
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
    commune_code: str | None = None  # a commune office's own commune (after the reform)
    predecessor_codes: tuple[str, ...] = ()  # the sources it succeeds (BPTTH-LS: BAO-LS, …)

    def is_active(self, month: date) -> bool:
        """Whether the source is registered for the month starting on `month`."""
        if self.valid_to is not None and month > self.valid_to:
            return False
        # a source registered from mid-month still reports that month
        return (self.valid_from.year, self.valid_from.month) <= (month.year, month.month)

    def has_ended(self, day: date) -> bool:
        """Whether the source stopped reporting before `day` (its last day has passed)."""
        return self.valid_to is not None and self.valid_to < day

    @property
    def span_vi(self) -> str:
        """The days it reports between, as a sender reads them: "từ ngày 01/01/2022 đến ngày
        30/06/2025"."""
        since = f"từ ngày {self.valid_from:%d/%m/%Y}"
        return since if self.valid_to is None else f"{since} đến ngày {self.valid_to:%d/%m/%Y}"

    @property
    def span_en(self) -> str:
        since = f"from {self.valid_from:%Y-%m-%d}"
        return since if self.valid_to is None else f"{since} to {self.valid_to:%Y-%m-%d}"


@dataclass(frozen=True)
class Commune:
    """A commune (or ward) as it was between two dates: codes were reused by the 2025 reform,
    so a code names a unit only together with a day."""

    code: str
    name: str
    kind: str
    district_code: str | None
    province_code: str
    valid_from: date = date(2000, 1, 1)
    valid_to: date | None = None

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class CodeList:
    """Codes with their labels and aliases, matched diacritics- and case-insensitively."""

    codes: tuple[str, ...]
    _lookup: dict[str, str] = field(repr=False)
    # each code's Vietnamese label: what a sender reads (the template's lists), never the code
    labels: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_seed(
        cls, rows: list[dict[str, str]], code_column: str, label_column: str, aliases_column: str
    ) -> CodeList:
        lookup: dict[str, str] = {}
        for row in rows:
            code = row[code_column]
            names = [code, row[label_column], *filter(None, row[aliases_column].split("|"))]
            for name in names:
                lookup.setdefault(fold(name), code)
        labels = {row[code_column]: row[label_column] for row in rows}
        return cls(tuple(row[code_column] for row in rows), lookup, labels)

    def match(self, value: str) -> str | None:
        return self._lookup.get(fold(value))

    def label(self, code: str) -> str:
        """The code's Vietnamese label (the code itself if the seed gives none)."""
        return self.labels.get(code) or code


_COMMUNE_PREFIXES = ("xa_", "phuong_", "thi_tran_", "dac_khu_")


def _bare_commune_key(name: str) -> str:
    key = fold(name)
    for prefix in _COMMUNE_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


@dataclass
class Reference:
    sources: dict[str, Source]
    units: tuple[Commune, ...]
    topics: CodeList
    output_types: CodeList
    output_types_requiring_commune: frozenset[str]
    output_types_requiring_people: frozenset[str]
    # a commune before the 2025 reform -> the new communes it went to (code, name), the default
    # successor first (`ref_commune_succession`)
    commune_successors: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, seeds_dir: Path = SEEDS_DIR) -> Reference:
        sources = {
            row["source_code"]: Source(
                code=row["source_code"],
                name=row["source_name"],
                kind=row["source_kind"],
                province_code=row["province_code"],
                district_code=row["district_code"] or None,
                valid_from=date.fromisoformat(row["valid_from"]),
                valid_to=_date_or_none(row["valid_to"]),
                submits_monthly=row["submits_monthly"] == "true",
                commune_code=row.get("commune_code") or None,
                predecessor_codes=tuple(
                    filter(None, (row.get("predecessor_codes") or "").split("|"))
                ),
            )
            for row in read_seed(seeds_dir, "ref_sources")
        }
        units = tuple(
            Commune(
                code=row["commune_code"],
                name=row["commune_name"],
                kind=row["commune_type"],
                district_code=row["district_code"] or None,
                province_code=row["province_code"],
                valid_from=date.fromisoformat(row["valid_from"]),
                valid_to=_date_or_none(row["valid_to"]),
            )
            for row in read_seed(seeds_dir, "ref_admin_units")
        )
        output_rows = read_seed(seeds_dir, "ref_output_types")
        successors: dict[str, list[tuple[str, str]]] = {}
        if (seeds_dir / "ref_commune_succession.csv").is_file():
            rows = read_seed(seeds_dir, "ref_commune_succession")
            for row in sorted(rows, key=lambda row: row["is_default_successor"] != "true"):
                successors.setdefault(row["old_commune_code"], []).append(
                    (row["new_commune_code"], row["new_commune_name"])
                )
        return cls(
            sources=sources,
            units=units,
            topics=CodeList.from_seed(
                read_seed(seeds_dir, "ref_topics"), "topic_code", "topic_label_vi", "topic_aliases"
            ),
            output_types=CodeList.from_seed(
                output_rows, "output_type_code", "output_type_label_vi", "output_type_aliases"
            ),
            output_types_requiring_commune=frozenset(
                row["output_type_code"] for row in output_rows if row["requires_commune"] == "true"
            ),
            output_types_requiring_people=frozenset(
                row["output_type_code"]
                for row in output_rows
                if row["requires_people_count"] == "true"
            ),
            commune_successors={code: tuple(new) for code, new in successors.items()},
        )

    def successors_of(self, source: Source, month: date | None = None) -> list[str]:
        """The codes of the sources that report in the place of `source` (in `month`, if given)."""
        return [
            other.code
            for other in self.sources.values()
            if source.code in other.predecessor_codes and (month is None or other.is_active(month))
        ]

    def communes_on(self, day: date) -> dict[str, Commune]:
        """The communes valid on a day, by code."""
        epoch = self._epoch_of(day)
        if epoch not in self._by_epoch:
            self._by_epoch[epoch] = {
                unit.code: unit for unit in self.units if unit.is_valid_on(day)
            }
        return self._by_epoch[epoch]

    @cached_property
    def _boundaries(self) -> tuple[date, ...]:
        days = {unit.valid_from for unit in self.units}
        days |= {unit.valid_to + timedelta(days=1) for unit in self.units if unit.valid_to}
        return tuple(sorted(days))

    def _epoch_of(self, day: date) -> int:
        """Which stretch of time between two changes of the units a day falls in."""
        return bisect.bisect_right(self._boundaries, day)

    @cached_property
    def _by_epoch(self) -> dict[int, dict[str, Commune]]:
        return {}

    @cached_property
    def _names_by_epoch(self) -> dict[int, dict[tuple[str, str], list[Commune]]]:
        return {}

    def _communes_by_name(self, day: date) -> dict[tuple[str, str], list[Commune]]:
        epoch = self._epoch_of(day)
        if epoch not in self._names_by_epoch:
            index: dict[tuple[str, str], list[Commune]] = {}
            for commune in self.communes_on(day).values():
                for key in {fold(commune.name), _bare_commune_key(commune.name)}:
                    index.setdefault((commune.province_code, key), []).append(commune)
            self._names_by_epoch[epoch] = index
        return self._names_by_epoch[epoch]

    def find_communes(self, value: str, source: Source, month: date) -> list[Commune]:
        """Communes a code or name can mean for this source in a month (the units valid then):
        its district's before the 2025 reform, else its province's.

        A code must belong to the source's area. A name, with or without "Xã"/"Phường"/"Thị trấn"
        and with or without diacritics, may match several communes: the caller decides.
        """
        text = value.strip()
        code = text.zfill(5) if text.isascii() and text.isdigit() else None
        communes = self.communes_on(month)
        if code is not None:
            found = [communes[code]] if code in communes else []
        else:
            by_name = self._communes_by_name(month)
            candidates = by_name.get((source.province_code, fold(text)), [])
            if not candidates:
                candidates = by_name.get((source.province_code, _bare_commune_key(text)), [])
            found = list(dict.fromkeys(candidates))
        return [
            c
            for c in found
            if c.province_code == source.province_code
            and (source.district_code is None or c.district_code == source.district_code)
        ]
