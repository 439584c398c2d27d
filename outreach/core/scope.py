"""What a report or a reminder list covers: one province of the registry, or the whole country.

The registry (`ref_sources`) may hold several provinces; the warehouse holds them all, and each
province gets its own report and reminder list. The province of `dbt_project.yml`'s
`province_code` is the home's own: its files stay where they always were (`reports/<period>/`);
another province's go to `reports/<period>/tinh-<code>/`, the national aggregate's to
`reports/<period>/toan-quoc/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from outreach.core.home import Home
from outreach.core.registry import read_seed

NATIONAL = "toan-quoc"


class UnknownProvince(ValueError):
    pass


@dataclass(frozen=True)
class Scope:
    province_code: str | None  # None: every province of the warehouse, summed
    province_name: str  # as the catalogue writes it: "Tỉnh Lạng Sơn", "Thành phố Hà Nội"
    is_home_province: bool = False

    @property
    def is_national(self) -> bool:
        return self.province_code is None

    @property
    def key(self) -> str:
        return NATIONAL if self.province_code is None else self.province_code

    @property
    def short_name(self) -> str:
        """The name without its kind: "Lạng Sơn", "Hà Nội"; "toàn quốc" for the country."""
        if self.is_national:
            return "toàn quốc"
        for kind in ("Thành phố ", "Tỉnh "):
            if self.province_name.startswith(kind):
                return self.province_name[len(kind) :]
        return self.province_name

    def sources_where(
        self, column: str = "source_code", period_code: str | None = None
    ) -> tuple[str, list]:
        """A SQL condition keeping the rows of this scope's sources, and its parameters.

        For a period (`period_code`), the sources whose province counts for this one in the
        period (`marts.dim_report_areas`: a province merged in 2025 counts for the one it went
        to, in a period ending after the merger); else the sources registered in the province.
        """
        if self.is_national:
            return "true", []
        if period_code is None:
            return (
                f"{column} in (select source_code from marts.dim_sources where province_code = ?)",
                [self.province_code],
            )
        return (
            f"{column} in (select sources.source_code from marts.dim_sources as sources "
            "inner join marts.dim_report_areas as areas "
            "on sources.province_code = areas.province_code "
            "where areas.period_code = ? and areas.report_area_code = ?)",
            [period_code, self.province_code],
        )

    def report_dir(self, home: Home, period_code: str) -> Path:
        folder = home.report_dir(period_code)
        if self.is_home_province:
            return folder
        return folder / (NATIONAL if self.is_national else f"tinh-{self.province_code}")


def registry_provinces(home: Home) -> list[str]:
    """The provinces the registry has sources in: the home's own first, then by code."""
    from outreach.core.settings import settings

    codes = {
        row["province_code"].strip()
        for row in read_seed(home.seeds_dir(), "ref_sources")
        if row["province_code"].strip()
    }
    own = settings().province_code
    return sorted(codes, key=lambda code: (code != own, code))


def resolve_scope(home: Home, key: str | None = None) -> Scope:
    """The scope named by `key` (a province code, or `toan-quoc`); None is the home's own."""
    from outreach.core.settings import settings

    own = settings().province_code
    code = key or own
    if code == NATIONAL:
        return Scope(None, "Toàn quốc", is_home_province=False)
    names = {
        row["province_code"]: row["province_name"]
        for row in read_seed(home.seeds_dir(), "ref_admin_units")
    }
    if code not in names or code not in registry_provinces(home):
        raise UnknownProvince(
            f"province {code!r} has no sources in the registry {home.seeds_dir()}; "
            f"it has {', '.join(registry_provinces(home)) or 'none'}"
        )
    return Scope(code, names[code], is_home_province=code == own)
