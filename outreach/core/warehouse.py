"""The warehouse file: short-lived connections, and reading while the nightly run writes.

One process writes the working file at a time (ingest, dbt, the checks, one after another);
anyone else reads it, or the copy published after the last run when the working file is held.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb

if TYPE_CHECKING:
    from outreach.core.home import Home

T = TypeVar("T")

# how much memory DuckDB may hold before it spills to disk, in every process of a deployment
# (its connections here and dbt's, through dbt_project/profiles.yml): DuckDB's default is 80%
# of the machine
MEMORY_LIMIT_ENV = "OUTREACH_DUCKDB_MEMORY_LIMIT"
_AMOUNT = re.compile(r"\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|%)", re.IGNORECASE)


def duckdb_config() -> dict[str, str | bool | int | float | list[str]]:
    """DuckDB's settings for the deployment's connections: `OUTREACH_DUCKDB_MEMORY_LIMIT`
    (`4GB`, `60%`) when set. Raises ValueError, naming the variable, for any other value."""
    value = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if not value:
        return {}
    if not _AMOUNT.fullmatch(value):
        raise ValueError(
            f"{MEMORY_LIMIT_ENV}={value!r} is not an amount of memory such as 4GB, 1500MB or 60%"
        )
    return {"memory_limit": value}


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, ddl: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection; a writer runs `ddl` first (the tables it writes, if absent)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=duckdb_config())
    try:
        if ddl and not read_only:
            con.execute(ddl)
        yield con
    finally:
        con.close()


def read_while_running(
    home: Home, read: Callable[[duckdb.DuckDBPyConnection], T], warehouse: Path | None = None
) -> T:
    """`read(con)` on the working file (or `warehouse`), else on the published copy.

    The nightly run holds the working file while it writes: then the copy published after the
    last run is read instead.
    """
    try:
        with connect(warehouse or home.warehouse, read_only=True) as con:
            return read(con)
    except duckdb.IOException:
        with connect(home.published_warehouse, read_only=True) as con:
            return read(con)


def fetch_dicts(con: duckdb.DuckDBPyConnection, query: str, parameters: list) -> list[dict]:
    """The rows of a query as dicts keyed by column name."""
    cursor = con.execute(query, parameters)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def warehouse_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The date the warehouse's tables are as of: that of the last row of `meta.builds`, which
    dbt's on-run-end hook writes when a build made every table that reads the date, and the
    nightly run on a night when nothing those tables read changed. None before any such build
    (or in a warehouse made before meta.builds existed)."""
    try:
        row = con.execute(
            "select as_of_date from meta.builds order by recorded_at desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def record_as_of(con: duckdb.DuckDBPyConnection, day: date, recorded_by: str) -> None:
    """A row of `meta.builds` for a build that needed no dbt: the tables are as of `day` too."""
    con.execute(
        "insert into meta.builds (recorded_at, as_of_date, recorded_by, nodes_run, failures) "
        "values (now(), ?, ?, 0, 0)",
        [day, recorded_by],
    )
