"""
### outreach_nightly

Every night at 02:00 (Asia/Ho_Chi_Minh) this DAG turns the monthly submissions of the province's
press outlets and district offices into the warehouse and the half-year report:

1. **plan**: which period the run reports on, and the date the warehouse is built as of;
2. **pull**: copy new files from the drop folder (param `drop_folder`) into the inbox;
3. **ingest**: check each file against the submission contract, load or quarantine it;
4. **build**: `dbt build` of the warehouse (seeds, models, tests) as of the run's date;
5. **check**: Great Expectations suites over the period; failures become flags, not errors;
6. **publish**: the checked warehouse replaces the analysts' read-only copy, atomically; it
   returns the provinces of the registry (one for the Lạng Sơn demo, 63 for the country);
7. **report**, one mapped task per province: the period's Word report and
   `figures.json` under `reports/<period>/` (another province's under
   `reports/<period>/tinh-<code>/`);
8. **remind**, one per province: the list of sources to chase (missing, late, rejected, missing
   their monthly posting) with a message ready to send, as a CSV; its notifier e-mails it.

A task that fails after its retries e-mails the operators (`OUTREACH_ALERT_TO`); see
`outreach/notify.py` and the README for the mail configuration.

Steps 3-6 write the DuckDB warehouse and share the one-slot pool `duckdb_writer`, so two runs
never write it at once. The per-province tasks only read: they open the published copy, which
any number of processes may read at once, so under Celery they spread over the workers.
The logic lives in the `outreach`, `ingest`, `expectations` and `report` packages; this file
only wires it. State lives under `$OUTREACH_HOME`.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, task

from outreach.core.constants import DAG_ID, TIMEZONE_NAME, WRITER_POOL
from outreach.orchestration.notify import FailureNotifier, ReminderNotifier

# A deployment sets these (.env): its first night, and whether nights the machine was off are
# caught up, in order, when it comes back. Unset, nothing is caught up and the DAG starts in 2022
# (backfills of earlier nights are an operator's choice).
START_DATE = pendulum.parse(os.environ.get("OUTREACH_START_DATE", "2022-01-01"), tz=TIMEZONE_NAME)
CATCHUP = os.environ.get("OUTREACH_CATCHUP", "false").strip().lower() in ("1", "true", "yes")
WAREHOUSE_MARTS = Asset("outreach_warehouse_marts")


@dag(
    dag_id=DAG_ID,
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone=TIMEZONE_NAME),
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=1,
    default_args={
        # `outreach run` sets 0: a person at the terminal wants the error now, not in 10 minutes
        "retries": int(os.environ.get("OUTREACH_TASK_RETRIES", "2")),
        "retry_delay": pendulum.duration(
            seconds=int(os.environ.get("OUTREACH_RETRY_DELAY_SECONDS", "300"))
        ),
        "pool": WRITER_POOL,
        # a task that hangs (a stuck pull, a dbt that never ends) fails, is retried and alerts
        "execution_timeout": pendulum.duration(
            minutes=int(os.environ.get("OUTREACH_TASK_TIMEOUT_MINUTES", "120"))
        ),
        "on_failure_callback": FailureNotifier(),
    },
    params={
        "period": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}(-H[12])?$",
            description="Period to report on (YYYY-H1, YYYY-H2 or YYYY, e.g. 2026-H1); "
            "default: the half-year of the last month that has ended.",
        ),
        "as_of": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}-\d{2}$",
            description="Build as of this day (YYYY-MM-DD) instead of the run's "
            "night: `outreach run` sets the day a past period's report "
            "was final.",
        ),
        "drop_folder": Param(
            None,
            type=["null", "string"],
            description="Folder senders drop files into; default: none, "
            "files are put straight into the inbox.",
        ),
    },
    doc_md=__doc__,
    tags=["outreach"],
)
def outreach_nightly():
    @task(pool="default_pool", multiple_outputs=False)
    def plan(data_interval_end=None, dag_run=None, params=None) -> dict:
        """The period to report on and the as-of date, from the run's data interval (a run
        triggered without a logical date, from the REST API or the UI, uses when it was asked
        for)."""
        from outreach.core.periods import parse_period
        from outreach.core.settings import period_for_run

        moment = data_interval_end or dag_run.run_after
        as_of = (
            pendulum.parse(params["as_of"]).date()
            if params.get("as_of")
            else pendulum.instance(moment).in_timezone(TIMEZONE_NAME).date()
        )
        period = parse_period(params["period"]) if params.get("period") else period_for_run(as_of)
        return {
            "period": period.code,
            "as_of": as_of.isoformat(),
            "drop_folder": params.get("drop_folder"),
        }

    @task(pool="default_pool", multiple_outputs=False)
    def pull(run_plan: dict) -> dict:
        """Copy files not seen before from the drop folder into the inbox; never deletes."""
        from pathlib import Path

        from outreach.core.home import resolve_home
        from outreach.orchestration import pipeline

        drop = run_plan["drop_folder"]
        return pipeline.pull(resolve_home(), Path(drop) if drop else None)

    @task(multiple_outputs=False)
    def ingest(run_plan: dict, pulled: dict) -> dict:
        """Load each accepted file with its manifest row; quarantine rejected ones with reasons."""
        from outreach.core.home import resolve_home
        from outreach.orchestration import pipeline

        summary = pipeline.ingest(resolve_home())
        return {outcome: len(files) for outcome, files in summary.items()}

    @task(outlets=[WAREHOUSE_MARTS])
    def build(run_plan: dict, ingested: dict) -> str:
        """`dbt build` as of the run's date, in a subprocess (it must release the file): what
        the night's rows and the date reach; returns its log, or "" when nothing changed."""
        from datetime import date

        from outreach.core.home import resolve_home
        from outreach.orchestration import pipeline

        log_file = pipeline.build(resolve_home(), date.fromisoformat(run_plan["as_of"]))
        return str(log_file or "")

    @task(multiple_outputs=False)
    def check(run_plan: dict, built: str) -> dict:
        """Great Expectations suites for the period; failing rows become flags in dq.flags."""
        from outreach.core.home import resolve_home
        from outreach.core.periods import parse_period
        from outreach.orchestration import pipeline

        return pipeline.check(resolve_home(), parse_period(run_plan["period"]))

    @task
    def publish(checked: dict) -> list[str]:
        """Replace the analysts' read-only copy of the warehouse with the checked one; return
        the provinces of the registry, which the reports and reminder lists are mapped over."""
        from outreach.core.home import resolve_home
        from outreach.orchestration import pipeline

        home = resolve_home()
        pipeline.publish(home)
        return pipeline.provinces(home)

    # a mapped task does not take its docstring as doc_md: it is given
    @task(
        pool="default_pool",
        map_index_template="{{ province }}",
        doc_md="The period's Word report and figures.json for one province, read from the "
        "published warehouse.",
    )
    def report(run_plan: dict, province: str) -> str:
        from outreach.core.home import resolve_home
        from outreach.core.periods import parse_period
        from outreach.orchestration import pipeline

        files = pipeline.report(
            resolve_home(), parse_period(run_plan["period"]), province=province, published=True
        )
        return str(files.docx)

    @task(
        pool="default_pool",
        multiple_outputs=False,
        map_index_template="{{ province }}",
        on_success_callback=ReminderNotifier(task_id="remind"),
        doc_md="Who to chase in one province, with a message ready to send: "
        "reports/<period>/nhac-nho-<period>.csv; its notifier e-mails it.",
    )
    def remind(run_plan: dict, province: str) -> dict:
        from outreach.core.home import resolve_home
        from outreach.core.periods import parse_period
        from outreach.orchestration import pipeline

        return pipeline.remind(
            resolve_home(), parse_period(run_plan["period"]), province=province, published=True
        )

    run_plan = plan()
    ingested = ingest(run_plan, pull(run_plan))
    provinces = publish(check(run_plan, build(run_plan, ingested)))
    # side by side: one province's failed report must not hold back any reminder list
    report.partial(run_plan=run_plan).expand(province=provinces)
    remind.partial(run_plan=run_plan).expand(province=provinces)


outreach_nightly()
