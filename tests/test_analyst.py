"""What an analyst meets: the published copy opens in the DuckDB CLI of the package registry, its
tables and columns carry the dbt docs, and the indicators of an open period say so."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
from helpers import PERIOD

CLI = Path(sys.executable).with_name("duckdb")


def _cli(database: Path | None, sql: str) -> list[dict]:
    """Rows from the DuckDB CLI installed with the project (the registry's newest, 1.5.6)."""
    opened = ["-readonly", str(database)] if database else []
    done = subprocess.run(
        [str(CLI), "-json", *opened, "-c", sql], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout or "[]")


def test_the_cli_is_an_older_duckdb_than_the_one_that_writes():
    version = _cli(None, "select library_version as v from pragma_version()")
    assert version[0]["v"].startswith("v1.") and duckdb.__version__.startswith("2.")


def test_the_published_copy_opens_in_the_registry_cli_with_its_docs(demo):
    published = demo["home"].published_warehouse
    # the working file is in DuckDB 2.0's own format, which the CLI cannot read
    done = subprocess.run(
        [str(CLI), "-readonly", str(demo["home"].warehouse), "-c", "select 1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0 and "version" in done.stderr

    rows = _cli(
        published,
        "select period_code, indicator_code, indicator_value, is_final "
        "from marts.fct_indicator_values where area_level = 'province' "
        "order by indicator_code",
    )
    with duckdb.connect(str(demo["home"].warehouse), read_only=True) as con:
        expected = con.execute(
            "select period_code, indicator_code, indicator_value, is_final "
            "from marts.fct_indicator_values where area_level = 'province' "
            "order by indicator_code"
        ).fetchall()
    assert [tuple(row.values()) for row in rows] == [tuple(row) for row in expected]
    assert any(row["period_code"] == PERIOD.code for row in rows)

    # views resolve in the copy too (the staging and intermediate layers)
    counted = _cli(published, "select count(*) as n from staging.stg_submissions__output_rows")
    assert counted[0]["n"] > 0

    docs = _cli(
        published,
        "select column_name, comment from duckdb_columns() "
        "where schema_name = 'marts' and table_name = 'fct_indicator_values'",
    )
    comments = {row["column_name"]: row["comment"] for row in docs}
    assert "open" in comments["is_final"] and comments["indicator_value"]
    assert all(comments.values()), [name for name, text in comments.items() if not text]
    table = _cli(
        published,
        "select comment from duckdb_tables() where schema_name = 'marts' "
        "and table_name = 'fct_media_outputs'",
    )
    assert table[0]["comment"]


def test_every_mart_column_is_documented_in_the_warehouse(demo):
    with duckdb.connect(str(demo["home"].published_warehouse), read_only=True) as con:
        missing = con.execute(
            "select table_name || '.' || column_name from duckdb_columns() "
            "where schema_name = 'marts' and (comment is null or comment = '')"
        ).fetchall()
    assert missing == []


def test_an_open_period_has_values_so_far_and_nothing_met(clean):
    """Built as of 11 July 2022: 2022-H1 is closed, 2022-H2 has only begun."""
    from datetime import date

    from outreach.core.warehouse import warehouse_as_of

    with duckdb.connect(str(clean["home"].published_warehouse), read_only=True) as con:
        assert warehouse_as_of(con) == date(2022, 7, 11)
        rows = con.execute(
            "select period_code, bool_and(is_final), bool_or(is_met is not null) "
            "from marts.fct_indicator_values where period_code in ('2022-H1', '2022-H2') "
            "group by period_code order by period_code"
        ).fetchall()
    assert rows == [("2022-H1", True, True), ("2022-H2", False, False)]


def test_the_guide_analyst_command_works_as_written(demo, tmp_path):
    """The analysts' guide's command, run from a folder holding `var/` like the project's."""
    import re

    guide = (Path(__file__).parents[1] / "docs" / "analysts.md").read_text(encoding="utf-8")
    command = re.search(r"^    (\.venv/bin/duckdb -readonly \S+)$", guide, re.M).group(1)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "duckdb").symlink_to(CLI)
    (tmp_path / "var" / "warehouse" / "published").mkdir(parents=True)
    shutil.copy(
        demo["home"].published_warehouse,
        tmp_path / "var" / "warehouse" / "published" / "outreach.duckdb",
    )
    done = subprocess.run(
        command.split(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        input="select 'sources: ' || count(*) from marts.dim_sources;\n.quit\n",
    )
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(demo["home"].published_warehouse), read_only=True) as con:
        count = con.execute("select count(*) from marts.dim_sources").fetchone()[0]
    assert f"sources: {count}" in done.stdout


def test_the_guide_queries_run_and_count_the_months_with_no_item(demo):
    """Every query of the analysts' guide runs on a published copy (the demo's period for the
    guide's 2026-H1); the one for items per month has a row for every month of every provincial
    outlet, a month without a trafficking item included, where fct_media_outputs has none."""
    import re

    guide = (Path(__file__).parents[1] / "docs" / "analysts.md").read_text(encoding="utf-8")
    queries = [
        query.replace("2026-H1", PERIOD.code)
        for query in re.findall(r"```sql\n(.*?)```", guide, re.S)
        + re.findall(r"`(select [^`]+)`", guide)
    ]
    assert len(queries) >= 5
    with duckdb.connect(str(demo["home"].published_warehouse), read_only=True) as con:
        results = {query: con.execute(query).fetchall() for query in queries}
        outlets = con.execute(
            "select count(*) from marts.dim_sources where source_kind = 'outlet_provincial' "
            "and valid_from <= '2022-06-30' and coalesce(valid_to, '9999-12-31') >= '2022-01-01'"
        ).fetchone()[0]
        by_month = con.execute(
            "select count(*) from marts.fct_reporting_completeness where source_kind = "
            "'outlet_provincial' and not has_trafficking_media_item and report_month "
            "between '2022-01-01' and '2022-06-01'"
        ).fetchone()[0]
    [months] = [rows for query, rows in results.items() if "c.submission_status" in query]
    assert len(months) == 6 * outlets and outlets >= 1
    assert sum(items == 0 for _, _, items, _ in months) == by_month
