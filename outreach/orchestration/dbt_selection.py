"""What a nightly `dbt build` must run: the part of the project that the night's changes reach.

A build starts from the state of the last one (`<home>/dbt/built-state.json`: the project's
fingerprint and a signature of each raw table dbt reads) and from the date the tables that read
the as-of date were last built as of (the last row of `meta.builds`, which every build of them
writes, the data engineers' `dbt build` by hand included). Against these:

- the registry or the project changed (or there is no state): everything, with
  `--full-refresh`, seeds and unit tests included;
- otherwise the models downstream of each raw table whose rows changed, and of the models that
  read the as-of date when its key moved (the `as_of_date` tag), with every data test of what they
  reach. Views are not re-created (their SQL is the same, and they read through to the new
  rows), except those that carry the as-of date in their SQL. Seeds are not reloaded (the
  fingerprint covers them). Unit tests do not run: they test the SQL on fixtures, not the data,
  and ran in the build that first saw this SQL;
- nothing changed at all: no dbt run. The as-of date alone changes nothing in the tables while
  its key (`ReportingCalendar.as_of_key`: its month, the last month ended, the last month due)
  is that of the date they were built as of, as it is on all but two or three days a month;
  the date the warehouse is as of is then recorded without dbt (`record_as_of`).

The models incremental by period (tag `by_period`) recompute only the periods of the months a
night reaches (`reached_months`, passed to dbt as `OUTREACH_REACHED_MONTHS`): those of the files
ingested since the last build (the state keeps when the last one was), of their directive
documents, and those the as-of date moved over; every period when it cannot tell.

The selection is computed from the last build's manifest (`target/manifest.json`), so it costs
no dbt process of its own.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from outreach.core.home import Home
from outreach.core.periods import add_months
from outreach.core.warehouse import connect, warehouse_as_of

log = logging.getLogger(__name__)

AS_OF_TAG = "as_of_date"
BY_PERIOD_TAG = "by_period"
BUILT_MATERIALIZATIONS = {"table", "incremental"}
REACHED_MONTHS_ENV = "OUTREACH_REACHED_MONTHS"
# the raw tables whose new rows a night can place in months: each row belongs to a file, and
# the file names its month
FILE_TABLES = (
    "submission_manifest",
    "submission_rows",
    "directive_documents",
    "submission_problems",
)
MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass
class Selection:
    """`full`: build everything; else `names` (models and tests) or, if empty, nothing.
    `changed`: the raw tables whose rows changed; `unplaced`: those of them whose rows reach a
    model incremental by period but cannot be placed in months (then it recomputes every
    period); `by_period`: whether the selection has such a model."""

    full: bool
    reason: str
    names: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    by_period: bool = False

    @property
    def nothing(self) -> bool:
        return not self.full and not self.names


def state_file(home: Home) -> Path:
    return home.root / "dbt" / "built-state.json"


def source_signatures(home: Home, manifest: dict | None) -> dict[str, str]:
    """A signature per raw table the project reads as a source: its row count and a hash of
    its rows (so a table loaded whole, like the approvals, changes when its content does)."""
    tables = sorted(
        (node["schema"], node["name"])
        for node in (manifest or {}).get("sources", {}).values()
        if node.get("package_name") == "outreach"
    )
    if not tables or not home.warehouse.is_file():
        return {}
    signatures: dict[str, str] = {}
    with connect(home.warehouse, read_only=True) as con:
        present = {
            (schema, name)
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
        for schema, name in tables:
            if (schema, name) not in present:
                signatures[f"{schema}.{name}"] = "absent"
                continue
            row = con.execute(
                f'select count(*), coalesce(sum(hash(t)), 0) from "{schema}"."{name}" as t'
            ).fetchone()
            signatures[f"{schema}.{name}"] = f"{row[0]}:{row[1]}" if row else "absent"
    return signatures


def _read_json(path: Path) -> dict | None:
    """The file's JSON, or None when it is missing or damaged (then the build is full)."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def built_as_of(home: Home) -> date | None:
    """The date the tables that read the as-of date were last built as of (`meta.builds`);
    None when no build recorded one (then they are built again)."""
    if not home.warehouse.is_file():
        return None
    with connect(home.warehouse, read_only=True) as con:
        return warehouse_as_of(con)


def read_manifest(home: Home) -> dict | None:
    return _read_json(home.root / "dbt" / "target" / "manifest.json")


def read_state(home: Home) -> dict | None:
    return _read_json(state_file(home))


def ingested_until(home: Home) -> str | None:
    """When the last file in the warehouse was ingested (`raw.submission_manifest`): the
    state keeps it, and the next night's files are those ingested after it."""
    if not home.warehouse.is_file():
        return None
    with connect(home.warehouse, read_only=True) as con:
        try:
            row = con.execute(
                "select cast(max(ingested_at) as varchar) from raw.submission_manifest"
            ).fetchone()
        except duckdb.CatalogException:  # no file ingested yet
            return None
    return row[0] if row else None


def write_state(
    home: Home, fingerprint: str, signatures: dict[str, str], until: str | None = None
) -> None:
    path = state_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(
        json.dumps(
            {"fingerprint": fingerprint, "sources": signatures, "ingested_until": until},
            indent=1,
            sort_keys=True,
        ),
        encoding="utf-8",
    )
    partial.replace(path)


def select(
    manifest: dict | None,
    state: dict | None,
    fingerprint: str,
    signatures: dict[str, str],
    as_of_key: str,
    built_as_of_key: str | None,
) -> Selection:
    """The part of the project a build must run, from the last build's state: `as_of_key` is
    the key of this build's as-of date, `built_as_of_key` that of the date the tables were last
    built as of (None: unknown, so they are built again)."""
    if manifest is None or state is None:
        return Selection(True, "no earlier build")
    if state.get("fingerprint") != fingerprint:
        return Selection(True, "the registry or the dbt project changed")
    known = set(manifest["sources"]) | set(manifest["nodes"])
    starts: set[str] = set()
    changed_sources = [
        unique_id
        for unique_id, node in manifest["sources"].items()
        if node.get("package_name") == "outreach"
        and signatures.get(f"{node['schema']}.{node['name']}")
        != state.get("sources", {}).get(f"{node['schema']}.{node['name']}")
    ]
    starts.update(changed_sources)
    as_of_moved = built_as_of_key != as_of_key
    if as_of_moved:
        starts.update(
            unique_id
            for unique_id, node in manifest["nodes"].items()
            if AS_OF_TAG in node.get("tags", [])
        )
    if not starts:
        return Selection(False, "no raw table changed and the as-of date reaches no table")
    reached = _descendants(manifest["child_map"], starts) & known
    names = []
    for unique_id in sorted(reached):
        node = manifest["nodes"].get(unique_id)
        if node is None:
            continue
        kind = node["resource_type"]
        if (
            kind == "test"
            or kind == "model"
            and (
                node["config"].get("materialized") in BUILT_MATERIALIZATIONS
                or AS_OF_TAG in node.get("tags", [])
            )
        ):
            names.append(node["name"])
    by_period = {
        unique_id
        for unique_id in reached
        if BY_PERIOD_TAG in manifest["nodes"].get(unique_id, {}).get("tags", [])
    }
    changed = sorted(manifest["sources"][unique_id]["name"] for unique_id in changed_sources)
    unplaced = sorted(
        manifest["sources"][unique_id]["name"]
        for unique_id in changed_sources
        if manifest["sources"][unique_id]["name"] not in FILE_TABLES
        and _descendants(manifest["child_map"], {unique_id}) & by_period
    )
    reason = (
        f"new rows in {', '.join(changed) or 'no raw table'}"
        f"{'; the as-of date moved past a month end or a due date' if as_of_moved else ''}"
    )
    return Selection(False, reason, names, changed, unplaced, bool(by_period))


def reached_months(
    home: Home,
    state: dict,
    selection: Selection,
    signatures: dict[str, str],
    as_of_key: str,
    built_as_of_key: str | None,
) -> list[str] | None:
    """The months (YYYY-MM) a night's changes reach, for the models incremental by period:
    those of the files ingested since the last build (`ingested_until` in its state), the
    months their directive documents were issued in and the month after (a reporting month
    under Nghị định 09 begins on the 15th of the month before), and, when the as-of date moved,
    every month from the earliest to the latest of the two dates' keys. None when the night
    cannot tell (then they recompute every period): a changed raw table it cannot place in
    months (the approvals), no earlier mark, or a file table whose row count moved by other
    than the new files' rows."""
    if selection.unplaced:
        return None
    months: set[str] = set()
    if built_as_of_key != as_of_key:
        if built_as_of_key is None:
            return None
        ends = sorted(MONTH.findall(as_of_key) + MONTH.findall(built_as_of_key))
        month, last = (date.fromisoformat(f"{end}-01") for end in (ends[0], ends[-1]))
        while month <= last:
            months.add(f"{month:%Y-%m}")
            month = add_months(month, 1)
    placed = [name for name in selection.changed if name in FILE_TABLES]
    if not placed:
        return sorted(months)
    until = state.get("ingested_until")
    if not until:
        return None
    new_files = (
        "select submission_id from raw.submission_manifest "
        "where ingested_at > cast(? as timestamptz)"
    )
    with connect(home.warehouse, read_only=True) as con:
        for name in placed:
            row = con.execute(
                f'select count(*) from raw."{name}" where submission_id in ({new_files})', [until]
            ).fetchone()
            new_rows = row[0] if row else 0
            if (
                _row_count(signatures, name) - _row_count(state.get("sources", {}), name)
                != new_rows
            ):
                return None
        months.update(
            month
            for (month,) in con.execute(
                "select distinct strftime(report_month, '%Y-%m') from raw.submission_manifest "
                f"where submission_id in ({new_files}) and report_month is not null",
                [until],
            ).fetchall()
        )
        for (issued,) in con.execute(
            "select distinct issued_date from raw.directive_documents "
            f"where submission_id in ({new_files})",
            [until],
        ).fetchall():
            months.add(f"{issued:%Y-%m}")
            months.add(f"{add_months(issued.replace(day=1), 1):%Y-%m}")
    return sorted(months)


def _row_count(signatures: dict[str, str], name: str) -> int:
    """The row count in a table's signature (`count:hash`; 0 when it was absent)."""
    value = signatures.get(f"raw.{name}", "absent")
    return 0 if value == "absent" else int(value.split(":")[0])


def _descendants(child_map: dict[str, list[str]], starts: set[str]) -> set[str]:
    seen = set(starts)
    stack = list(starts)
    while stack:
        for child in child_map.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
