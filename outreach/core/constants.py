"""What the DAG, the Airflow glue, ingest and the demo must agree on, said once."""

from __future__ import annotations

from zoneinfo import ZoneInfo

# the DAG's schedule, the on-time rule for a file's arrival, the run's "night"
TIMEZONE_NAME = "Asia/Ho_Chi_Minh"
LOCAL_TZ = ZoneInfo(TIMEZONE_NAME)
DAG_ID = "outreach_nightly"
# the one-slot pool every task that writes the DuckDB warehouse runs in
WRITER_POOL = "duckdb_writer"
