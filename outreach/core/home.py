"""The home folder: every file the product reads or writes at run time lives under it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
# the reporting calendar's seed (every period, `outreach.core.periods`): the project's, not a
# registry's, so it is read from here whichever registry the home has
CALENDAR_SEEDS_DIR = DBT_PROJECT_DIR / "calendar"
DAGS_DIR = PROJECT_ROOT / "dags"
# the seeds a registry folder must hold (dbt seeds them all; ingest reads most of them)
SEED_NAMES = (
    "ref_admin_units",
    "ref_commune_succession",
    "ref_indicators",
    "ref_key_area_communes",
    "ref_outlet_feeds",
    "ref_output_types",
    "ref_province_succession",
    "ref_source_kinds",
    "ref_sources",
    "ref_topic_examples",
    "ref_topic_terms",
    "ref_topics",
    "ref_validation_rules",
)


class RegistryError(RuntimeError):
    pass


@dataclass(frozen=True)
class Home:
    """Paths of one home folder (`OUTREACH_HOME`, default `./var` in the project)."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "outreach.duckdb"

    @property
    def waiting_list(self) -> Path:
        """The files the last ingest had to leave in the inbox, and why (JSON)."""
        return self.root / "ingest" / "waiting.json"

    @property
    def published_warehouse(self) -> Path:
        """The read-only copy analysts open; replaced whole, never written in place."""
        return self.root / "warehouse" / "published" / "outreach.duckdb"

    @property
    def registry(self) -> Path:
        """A registry of the home's own (`registry/ref_sources.csv` and the other seeds): a
        deployment for several provinces, or the whole country, keeps its sources here."""
        return self.root / "registry"

    def seeds_dir(self) -> Path:
        """Where the registry is read from: the home's own if it has one, else the bundled
        seeds of `dbt_project/seeds` (the Lạng Sơn demo)."""
        if not (self.registry / "ref_sources.csv").is_file():
            return SEEDS_DIR
        missing = [name for name in SEED_NAMES if not (self.registry / f"{name}.csv").is_file()]
        if missing:
            raise RegistryError(
                f"the registry {self.registry} has ref_sources.csv but lacks "
                f"{', '.join(f'{name}.csv' for name in missing)}: copy them from {SEEDS_DIR}"
            )
        return self.registry

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def airflow(self) -> Path:
        return self.root / "airflow"

    @property
    def gx(self) -> Path:
        return self.root / "gx"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def report_dir(self, period: str) -> Path:
        return self.reports / period

    def ensure(self) -> Home:
        for folder in (
            self.inbox,
            self.archive,
            self.quarantine,
            self.warehouse.parent,
            self.reports,
            self.logs,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resolve_home(home: str | os.PathLike[str] | None = None) -> Home:
    """The home given, else `$OUTREACH_HOME`, else `var/` in the project folder."""
    chosen = home or os.environ.get("OUTREACH_HOME") or PROJECT_ROOT / "var"
    return Home(Path(chosen).expanduser().resolve())


def waiting_files(home: Home) -> list[dict[str, str]]:
    """The files the last ingest left in the inbox, with their reasons (English)."""
    if not home.waiting_list.is_file():
        return []
    try:
        return json.loads(home.waiting_list.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError):
        return []
