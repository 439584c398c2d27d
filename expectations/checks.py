"""Quality checks of the nightly run: Great Expectations suites over the marts of one period.

GX cannot validate DuckDB tables through SQLAlchemy (duckdb-engine gives N/A for every
expectation), so every row of each dataset (the columns its expectations read, and the row's
key) is read into a pandas DataFrame first, with a short read-only connection, and GX validates
it, one suite per dataset. GX's result decides: the rows it finds unexpected (its
`unexpected_index_list`, by row key) are the flags, nothing else judges a row. A failed
expectation is a flag, not a crash: its rows go to `dq.flags` (which the report reads) with the
words of their other columns, and to the Data Docs under `<home>/gx/`. An exception inside a
check is a crash.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from expectations.catalogue import CHECKS, DATASETS, KINDS, Check
from outreach.core.home import Home
from outreach.core.periods import Period
from outreach.core.warehouse import connect

log = logging.getLogger(__name__)

DQ_DDL = """
create schema if not exists dq;
create table if not exists dq.flags (
    period_code varchar not null,
    check_name varchar not null,
    suite_name varchar not null,
    severity varchar not null,
    source_code varchar,
    report_month date,
    observed_value varchar,
    detail_vi varchar not null,
    detail_en varchar not null,
    province_code varchar
);
-- warehouses made before flags carried their province, their label and their reminder
alter table dq.flags add column if not exists province_code varchar;
alter table dq.flags add column if not exists check_label_vi varchar;
alter table dq.flags add column if not exists is_chased boolean;
alter table dq.flags add column if not exists covers_month boolean;
alter table dq.flags add column if not exists reminder_problem_vi varchar;
alter table dq.flags add column if not exists reminder_ask_vi varchar;
create table if not exists dq.check_results (
    period_code varchar not null,
    suite_name varchar not null,
    check_name varchar not null,
    expectation_type varchar not null,
    success boolean not null,
    evaluated_count bigint not null,
    unexpected_count bigint not null,
    checked_at timestamptz not null
);
"""

KEY_COLUMNS = ["source_code", "report_month", "row_key"]


def _quiet_gx() -> None:
    """GX logs thousands of INFO lines on import (and sets some of its loggers to INFO)."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if (
            name.startswith("great_expectations.")
            and isinstance(logger, logging.Logger)
            and 0 < logger.level < logging.WARNING
        ):
            logger.setLevel(logging.NOTSET)


def load_datasets(
    home: Home, periods: Sequence[Period]
) -> tuple[dict[str, Any], dict[str, dict[str, int]]]:
    """Every row each dataset holds over the months of the periods, as a DataFrame of the
    columns its expectations read (and the row's key), and how many rows each dataset has in
    each period (one short read-only connection).

    Whether a row fails is GX's to say: every row is read, none is left out beforehand. The
    other columns (what a flag's words say) are read later for the rows GX found unexpected.
    """
    frames: dict[str, Any] = {}
    counts: dict[str, dict[str, int]] = {}
    with connect(home.warehouse, read_only=True) as con:
        for name, sql in DATASETS.items():
            # the dataset's query runs once, into a temporary table of this connection
            # (temporary objects live in memory: a read-only warehouse allows them)
            table = f"dataset_{name}"
            con.execute(
                f"create temporary table {table} as select * from ({sql}) as dataset",
                _window(periods),
            )
            present = {column for column, *_ in con.execute(f"describe {table}").fetchall()}
            # a column no dataset has is left to GX, whose result says the check cannot run
            read = [
                column
                for column in dict.fromkeys(
                    [*KEY_COLUMNS, *(check.column for check in CHECKS if check.dataset == name)]
                )
                if column in present
            ]
            by_month = dict(
                con.execute(
                    f"select report_month, count(*) from {table} group by report_month"
                ).fetchall()
            )
            counts[name] = {
                period.code: sum(
                    count for month, count in by_month.items() if period.contains(month)
                )
                for period in periods
            }
            columns = ", ".join(f'"{column}"' for column in read)
            frames[name] = con.execute(f"select {columns} from {table}").df()
    return frames, counts


def _window(periods: Sequence[Period]) -> list:
    return [min(period.start for period in periods), max(period.end for period in periods)]


def _unexpected_rows(
    home: Home, periods: Sequence[Period], keys: dict[str, set[str]]
) -> dict[str, dict[str, dict]]:
    """Every column of the rows GX found unexpected, by dataset and row key (what the flags'
    words say), in one short read-only connection."""
    rows: dict[str, dict[str, dict]] = {}
    with connect(home.warehouse, read_only=True) as con:
        for name, wanted in keys.items():
            if not wanted:
                rows[name] = {}
                continue
            frame = con.execute(
                f"select * from ({DATASETS[name]}) as dataset where row_key in (select unnest(?))",
                [*_window(periods), sorted(wanted)],
            ).df()
            rows[name] = {row["row_key"]: row for row in frame.to_dict("records")}
    return rows


def _provinces_of_sources(home: Home) -> dict[str, str]:
    with connect(home.warehouse, read_only=True) as con:
        return dict(
            con.execute("select source_code, province_code from marts.dim_sources").fetchall()
        )


def run_suites(home: Home, datasets: dict[str, Any]) -> dict[str, dict]:
    """Validate every row of each dataset with its checks (one suite, one GX checkpoint per
    dataset) and render the Data Docs; by check, the keys of the rows GX found unexpected."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    _quiet_gx()
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    _quiet_gx()

    home.gx.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(home.gx))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    outcomes: dict[str, dict] = {}
    # what this run adds to the Data Docs: each validation result and its suite, rendered
    # once with one index at the end (a checkpoint's own action would render the whole
    # index again after every suite)
    rendered: list[Any] = []
    for dataset_name, frame in datasets.items():
        checks = [check for check in CHECKS if check.dataset == dataset_name]
        suite_name = f"{checks[0].suite}__{dataset_name}"
        expectations = [
            _expectation_class(gxe, check)(
                column=check.column,
                meta={
                    "check": check.name,
                    "label_vi": check.label_vi,
                    "about_vi": check.about_vi,
                    "about_en": check.about_en,
                },
                **check.arguments,
            )
            for check in checks
        ]
        source = context.data_sources.add_or_update_pandas(name=f"{dataset_name}_source")
        batch = source.add_dataframe_asset(name=dataset_name).add_batch_definition_whole_dataframe(
            "whole"
        )
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=suite_name, expectations=expectations)
        )
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"{suite_name}_validation", data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"{suite_name}_checkpoint",
                validation_definitions=[validation],
                # no action: the Data Docs are built once below for every suite of the run
                actions=[],
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": KEY_COLUMNS,
                },
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        rendered.extend(result.run_results)
        rendered.append(ExpectationSuiteIdentifier(name=suite_name))
        for run_result in result.run_results.values():
            for expectation_result in run_result.results:
                config = expectation_result.expectation_config
                assert config is not None  # a checkpoint's results carry their expectation
                check_name = config.meta["check"]
                failure = _raised(expectation_result.exception_info)
                if failure:
                    raise RuntimeError(f"check {check_name} raised: {failure}")
                # the rows GX found unexpected, named by their key: these are the flags
                keys = [
                    row["row_key"]
                    for row in expectation_result.result.get("unexpected_index_list") or []
                ]
                if not expectation_result.success and not keys:
                    # an expectation over the whole column (a mean, a count) names no row: a
                    # check must be a kind that judges rows, or its failure would go unflagged
                    raise RuntimeError(
                        f"check {check_name} raised: GX found {config.type} unmet but named "
                        "no unexpected row"
                    )
                outcomes[check_name] = {"unexpected_keys": keys, "expectation_type": config.type}
    context.build_data_docs(resource_identifiers=rendered, build_index=True)
    return outcomes


def _expectation_class(gxe: Any, check: Check) -> Any:
    """The GX expectation class of a check's kind (`catalogue.KINDS`)."""
    if check.kind not in KINDS:
        raise RuntimeError(f"check {check.name} raised: no expectation kind {check.kind!r}")
    return getattr(gxe, KINDS[check.kind])


def _raised(exception_info: dict) -> str | None:
    """The message of an exception GX caught while evaluating, if any.

    GX gives either one `{raised_exception, exception_message}` or one such dict per metric.
    """
    infos = (
        [exception_info]
        if "raised_exception" in exception_info
        else [info for info in exception_info.values() if isinstance(info, dict)]
    )
    messages = [
        info.get("exception_message") or "unknown error"
        for info in infos
        if info.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(messages)) or None


def run_checks(home: Home, periods: Period | Sequence[Period]) -> dict:
    """Run every check over the months of the periods (once, whatever their number), replace
    each period's flags with the failing rows of its months, return a summary."""
    from expectations.datadocs import make_offline

    chosen = [periods] if isinstance(periods, Period) else list(periods)
    datasets, counts = load_datasets(home, chosen)
    province_of = _provinces_of_sources(home)
    started = time.time()
    outcomes = run_suites(home, datasets)
    # the pages this run wrote load their CSS and JavaScript from the site, not from CDNs
    make_offline(data_docs_index(home).parent, since=started - 1)
    # the rows GX's results name, by their key; what the flags say is read for those alone
    keys: dict[str, set[str]] = {name: set() for name in datasets}
    for check in CHECKS:
        keys[check.dataset].update(outcomes[check.name]["unexpected_keys"])
    details = _unexpected_rows(home, chosen, keys)
    failing_rows: dict[str, list[dict]] = {}
    for check in CHECKS:
        rows = [details[check.dataset][key] for key in outcomes[check.name]["unexpected_keys"]]
        failing_rows[check.name] = sorted(rows, key=lambda r: (r["source_code"], r["report_month"]))
    flags, results = [], []
    checked_at = datetime.now(UTC)
    for period in chosen:
        for check in CHECKS:
            rows = [row for row in failing_rows[check.name] if period.contains(row["report_month"])]
            for row in rows:
                words = check.wording(row)
                severity = row.get("severity") or check.severity  # a rule carries its own
                flags.append(
                    (
                        period.code,
                        check.name,
                        check.suite,
                        severity,
                        row["source_code"],
                        row["report_month"],
                        words.observed,
                        words.detail_vi,
                        words.detail_en,
                        province_of.get(row["source_code"]),
                        check.label_vi or check.name,
                        check.is_chased,
                        check.covers_month,
                        words.problem_vi,
                        words.ask_vi,
                    )
                )
            results.append(
                (
                    period.code,
                    check.suite,
                    check.name,
                    outcomes[check.name]["expectation_type"],
                    not rows,
                    counts[check.dataset][period.code],
                    len(rows),
                    checked_at,
                )
            )
    codes = [period.code for period in chosen]
    with connect(home.warehouse) as con:
        con.execute(DQ_DDL)
        con.execute("begin transaction")
        con.execute("delete from dq.flags where period_code in (select unnest(?))", [codes])
        con.execute("delete from dq.check_results where period_code in (select unnest(?))", [codes])
        if flags:
            con.executemany(
                "insert into dq.flags (period_code, check_name, suite_name, severity, "
                "source_code, report_month, observed_value, detail_vi, detail_en, province_code, "
                "check_label_vi, is_chased, covers_month, reminder_problem_vi, reminder_ask_vi) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                flags,
            )
        con.executemany("insert into dq.check_results values (?, ?, ?, ?, ?, ?, ?, ?)", results)
        con.execute("commit")
    summary = {check: len(rows) for check, rows in failing_rows.items()}
    flagged = sum(summary.values())
    log.info("quality checks for %s: %d flags %s", ", ".join(codes), flagged, summary)
    return {
        "period": ", ".join(codes),
        "flags": flagged,
        "by_check": summary,
        "by_period": {code: sum(1 for flag in flags if flag[0] == code) for code in codes},
        "data_docs": str(data_docs_index(home)),
    }


def data_docs_index(home: Home):
    return home.gx / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
