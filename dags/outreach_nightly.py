"""
### outreach_nightly

**Unpausing starts the nights.** Airflow's Trigger form ticks "Unpause outreach_nightly on
trigger" whenever the DAG is paused, and no setting changes that. Where the scheduler runs the
schedule (the deployment; `outreach airflow --nightly`), unpausing makes it run at once the last
night whose interval has ended, if it has not run (with `OUTREACH_CATCHUP` on, every night missed
since: keep it off), ahead of the run you asked for, then every night. That night replaces the
analysts' copy and writes the drafts of the periods under way. Untick the box to run only what
you asked for: the run then waits until the DAG is unpaused (Airflow starts no run of a paused
DAG). In `outreach airflow` without `--nightly` the scheduler creates no run of its own:
unpausing only lets triggered runs start.

Every night at 02:00 (Asia/Ho_Chi_Minh) the DAG turns the month's files of the province's
sources into the warehouse and the reports of the periods under way. Since the 2025 reform the
sources are the merged provincial outlet (Lạng Sơn: `BPTTH-LS`, succeeding `BAO-LS` and
`PTTH-LS`), the commune offices (`XA-<commune code>`, from 1 July 2025, in place of the district
offices) and the central press; the country has 34 provinces. A file for a month its source
did not report in is quarantined; a period is reported with the units and sources valid in it.

1. **plan** the night's reports: the draft of each period under way of the configured kinds
   (`OUTREACH_REPORT_PERIOD_KINDS`: quarters, half-years and years by default), and the final
   report of each that closed (all its files due) since the last successful night;
2. **pull** new files from the sources' deliveries and the param `drop_folder` into the inbox;
   **collect**, when the deployment turns the cross-check on (`OUTREACH_CROSSCHECK`), what the
   outlets published in the night's months, from their feeds and sitemaps (read politely,
   bounded; a site that fails never stops the night);
3. **ingest** each file against the submission contract, or quarantine it with its reasons,
   and load what was collected;
4. **build** the warehouse (`dbt build`) as of the night;
5. **check** it (Great Expectations suites: failures become flags, not errors);
6. **publish** it over the analysts' read-only copy, atomically;
7. **report**, per province of the registry: `reports/<period>/bao-cao-<period>.docx` and
   `figures.json` of each period (another province's under `tinh-<code>/`);
8. **remind**, per province: who to chase over the longest period, `nhac-nho-<period>.csv`,
   e-mailed to `OUTREACH_REMINDER_TO` (not for a night caught up more than 36 hours late).

**Params.** `period` (`2026-Q1`, `2026-H1`, `2026`, `2021-2025`): that one period's report
instead of the night's; `as_of` (YYYY-MM-DD): build as of that day, for a past period the day
its report was final; `drop_folder`: a folder to pull senders' files from.

**Run now** (Trigger, or the portal's "Chạy ngay"): one run for today's night, or for `period`.
**Backfill**: one run per night of the range, each as of its night, each republishing the
analysts' copy; its runs do not count in `max_active_runs=1`, so keep its "max active runs" at 1
and let it end before 02:00. Runs never overlap otherwise: one runs, the others queue.

**Retries and alerts.** Each task is retried twice, 5 minutes apart (`OUTREACH_TASK_RETRIES`,
`OUTREACH_RETRY_DELAY_SECONDS`; none under `outreach run` and `outreach airflow`) and fails
after 2 hours (`OUTREACH_TASK_TIMEOUT_MINUTES`); a task that fails for good e-mails
`OUTREACH_ALERT_TO` (docs/operators.md, "E-mail"). The warehouse's writers (ingest to publish)
share the one-slot pool `duckdb_writer`. State lives under `$OUTREACH_HOME`; the logic in the
`outreach`, `ingest`, `expectations` and `report` packages, which this file only wires.
"""

from __future__ import annotations

import os
from datetime import date

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, task

from outreach.core.constants import DAG_ID, TIMEZONE_NAME, WRITER_POOL
from outreach.core.periods import PERIOD_PATTERN
from outreach.orchestration.notify import FailureNotifier, ReminderNotifier

# A deployment sets these (.env): its first night, and whether nights the machine was off are
# caught up, in order, when it comes back (and nights the DAG was paused, when it is unpaused).
# Unset, nothing is caught up and the DAG starts in 2022 (backfills of earlier nights are an
# operator's choice).
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
            pattern=f"^{PERIOD_PATTERN}$",
            description="Period to report on: a quarter (2026-Q1), a half-year (2026-H1), a "
            "year (2026) or a programme phase (2021-2025); default: each period of the "
            "configured kinds under way, and each that closed since the last night.",
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
    def plan(
        data_interval_end=None, prev_data_interval_end_success=None, dag_run=None, params=None
    ) -> dict:
        """The reports the run writes and the as-of date, from the run's data interval (a run
        triggered without a logical date, from the REST API or the UI, uses when it was asked
        for): the period of the param `period`, else the drafts of the periods under way and
        the final reports of those that closed since the last successful night."""
        from outreach.core.periods import parse_period
        from outreach.core.settings import reports_for_night, settings

        def night(moment) -> date:
            return pendulum.instance(moment).in_timezone(TIMEZONE_NAME).date()

        as_of = (
            pendulum.parse(params["as_of"]).date()
            if params.get("as_of")
            else night(data_interval_end or dag_run.run_after)
        )
        if params.get("period"):
            period = parse_period(params["period"])
            reports = [(period, settings().calendar.closing_date(period) <= as_of)]
        else:
            previous = (
                night(prev_data_interval_end_success) if prev_data_interval_end_success else None
            )
            reports = reports_for_night(as_of, previous)
        # the reminders go over the longest period reported (the others' months are in it)
        chased = max(reports, key=lambda item: len(item[0].months), default=None)
        return {
            "periods": [period.code for period, _ in reports],
            "finals": [period.code for period, is_final in reports if is_final],
            "chase_period": chased[0].code if chased else None,
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

    @task(pool="default_pool", multiple_outputs=False)
    def collect(run_plan: dict, pulled: dict) -> dict:
        """What the outlets published in the night's months, read from their feeds and
        sitemaps into a file the ingest loads; nothing is read unless the deployment turns the
        cross-check on. Never fails the night: a failure is logged and reported."""
        import logging
        from datetime import date

        from outreach.core.home import resolve_home
        from outreach.core.periods import parse_period
        from outreach.orchestration import pipeline

        periods = [parse_period(code) for code in run_plan["periods"]]
        try:
            return pipeline.collect(resolve_home(), periods, date.fromisoformat(run_plan["as_of"]))
        except Exception as error:  # the cross-check is a signal: the night goes on without it
            logging.getLogger(__name__).exception("collecting published items failed")
            return {"enabled": None, "error": f"{type(error).__name__}: {error}"}

    @task(multiple_outputs=False)
    def ingest(run_plan: dict, collected: dict) -> dict:
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
        """Great Expectations suites over the months of the night's periods (run once); failing
        rows become flags in dq.flags, for each period."""
        from outreach.core.home import resolve_home
        from outreach.core.periods import parse_period
        from outreach.orchestration import pipeline

        periods = [parse_period(code) for code in run_plan["periods"]]
        if not periods:
            return {"flags": 0, "period": ""}
        return pipeline.check(resolve_home(), periods)

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
        doc_md="The Word report and figures.json of each period of the night, for one "
        "province, read from the published warehouse; a period that fails does not stop the "
        "others (the task fails after writing them).",
    )
    def report(run_plan: dict, province: str) -> list[str]:
        import logging

        from outreach.core.home import resolve_home
        from outreach.core.periods import parse_period
        from outreach.orchestration import pipeline

        written, failed = [], []
        for code in run_plan["periods"]:
            try:
                files = pipeline.report(
                    resolve_home(), parse_period(code), province=province, published=True
                )
            except Exception:
                logging.getLogger(__name__).exception("report %s of %s failed", code, province)
                failed.append(code)
            else:
                written.append(str(files.docx))
        if failed:
            raise RuntimeError(f"reports of {', '.join(failed)} failed for {province}")
        return written

    @task(
        pool="default_pool",
        multiple_outputs=False,
        map_index_template="{{ province }}",
        on_success_callback=ReminderNotifier(task_id="remind"),
        doc_md="Who to chase in one province, with a message ready to send: "
        "reports/<period>/nhac-nho-<period>.csv; its notifier e-mails it.",
    )
    def remind(run_plan: dict, province: str) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from outreach.core.home import resolve_home
        from outreach.core.periods import parse_period
        from outreach.orchestration import pipeline

        if not run_plan["chase_period"]:
            raise AirflowSkipException("no period to report on tonight")
        return pipeline.remind(
            resolve_home(),
            parse_period(run_plan["chase_period"]),
            province=province,
            published=True,
        )

    run_plan = plan()
    ingested = ingest(run_plan, collect(run_plan, pull(run_plan)))
    provinces = publish(check(run_plan, build(run_plan, ingested)))
    # side by side: one province's failed report must not hold back any reminder list
    report.partial(run_plan=run_plan).expand(province=provinces)
    remind.partial(run_plan=run_plan).expand(province=provinces)


outreach_nightly()
