"""Quality checks of the nightly run: Great Expectations suites over the marts of one period.

GX cannot validate DuckDB tables through SQLAlchemy (duckdb-engine gives N/A for every
expectation), so the marts are read into pandas DataFrames first, with a short read-only
connection. A failed expectation is a flag, not a crash: its rows go to `dq.flags` (which the
report reads) and to the Data Docs under `<home>/gx/`. An exception inside a check is a crash.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ingest.warehouse import connect
from outreach.home import Home
from outreach.periods import Period
from report.numbers import format_count

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
-- warehouses made before flags carried their province
alter table dq.flags add column if not exists province_code varchar;
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

# ceilings beyond which a monthly count is implausible and must be looked at by a person
PLAUSIBLE_MAX = {"quantity": 5000, "people_reached": 50000}


@dataclass(frozen=True)
class Check:
    """One expectation over one dataset; `flag` words each failing row for people."""

    name: str
    suite: str
    dataset: str
    severity: str
    column: str
    kind: str  # "in_set" or "between"
    arguments: dict[str, Any]


CHECKS = [
    Check("expected_submission_received", "completeness", "expected_reports", "error",
          "is_received", "in_set", {"value_set": [True]}),
    Check("submission_on_time", "completeness", "received_reports", "warning",
          "is_on_time", "in_set", {"value_set": [True]}),
    Check("monthly_trafficking_posting", "monthly_postings", "provincial_outlet_months", "error",
          "has_trafficking_media_item", "in_set", {"value_set": [True]}),
    Check("monthly_grassroots_posting", "monthly_postings", "district_months", "error",
          "has_trafficking_grassroots_activity", "in_set", {"value_set": [True]}),
    Check("validation_rule", "validation_rules", "validation_results", "warning",
          "is_satisfied", "in_set", {"value_set": [True]}),
    Check("outlier", "outliers", "output_counts", "warning",
          "is_outlier", "in_set", {"value_set": [False]}),
    Check("plausible_quantity", "plausible_counts", "media_outputs", "warning",
          "quantity", "between", {"min_value": 0, "max_value": PLAUSIBLE_MAX["quantity"]}),
    Check("plausible_people_reached", "plausible_counts", "media_outputs", "warning",
          "people_reached", "between",
          {"min_value": 0, "max_value": PLAUSIBLE_MAX["people_reached"]}),
]

KEY_COLUMNS = ["source_code", "report_month", "row_key"]

# what each check's flags are called where staff read them (the annex, the reminder list)
CHECK_LABELS_VI = {
    "expected_submission_received": "Chưa gửi hoặc bị trả lại",
    "submission_on_time": "Gửi muộn",
    "monthly_trafficking_posting": "Thiếu tin, bài về mua bán người",
    "monthly_grassroots_posting": "Thiếu hoạt động tuyên truyền cơ sở về mua bán người",
    "validation_rule": "Vi phạm quy tắc kiểm tra",
    "outlier": "Số liệu khác thường",
    "plausible_quantity": "Số liệu vượt ngưỡng",
    "plausible_people_reached": "Số liệu vượt ngưỡng",
}


def _quiet_gx() -> None:
    """GX logs thousands of INFO lines on import (and sets some of its loggers to INFO)."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("great_expectations.") and isinstance(logger, logging.Logger) \
                and 0 < logger.level < logging.WARNING:
            logger.setLevel(logging.NOTSET)


def load_datasets(home: Home, period: Period) -> dict[str, Any]:
    """The period's rows the checks look at, as DataFrames (one short read-only connection)."""
    queries = {
        "expected_reports": """
            select source_code, report_month, completeness_key as row_key, is_received,
                submission_status, due_date, rejected_file_count
            from marts.fct_reporting_completeness
            where is_expected and submission_status <> 'not_yet_due'
                and report_month between ? and ?""",
        "received_reports": """
            select source_code, report_month, completeness_key as row_key, is_on_time,
                days_late, first_received_date, due_date
            from marts.fct_reporting_completeness
            where is_received and report_month between ? and ?""",
        "provincial_outlet_months": """
            select source_code, report_month, completeness_key as row_key,
                has_trafficking_media_item, is_received
            from marts.fct_reporting_completeness
            where requires_monthly_trafficking_item and is_expected
                and submission_status <> 'not_yet_due'
                and report_month between ? and ?""",
        "district_months": """
            select source_code, report_month, completeness_key as row_key,
                has_trafficking_grassroots_activity, trafficking_grassroots_activity_count,
                is_received
            from marts.fct_reporting_completeness
            where requires_monthly_grassroots_activity and is_expected
                and submission_status <> 'not_yet_due'
                and report_month between ? and ?""",
        "validation_results": """
            select source_code, report_month, validation_result_key as row_key, rule_code,
                rule_name_vi, rule_name_en, severity, commune_code, left_operand, left_value,
                operator, right_operand, right_value, is_satisfied
            from marts.fct_validation_results
            where report_month between ? and ?""",
        "output_counts": """
            select o.source_code, o.report_month, o.output_outlier_key as row_key,
                o.output_type_code, t.output_type_label_vi, o.quantity, o.baseline_median,
                o.modified_z_score, o.is_campaign_month, o.is_outlier
            from marts.fct_output_outliers o
            join marts.dim_output_types t using (output_type_code)
            where o.is_scored and o.report_month between ? and ?""",
        "media_outputs": """
            select source_code, report_month, media_output_key as row_key, output_type_code,
                quantity, people_reached
            from marts.fct_media_outputs
            where report_month between ? and ?""",
    }
    with connect(home.warehouse, read_only=True) as con:
        return {name: con.execute(sql, [period.start, period.end]).df()
                for name, sql in queries.items()}


def _provinces_of_sources(home: Home) -> dict[str, str]:
    with connect(home.warehouse, read_only=True) as con:
        return dict(con.execute(
            "select source_code, province_code from marts.dim_sources").fetchall())


def _run_suites(home: Home, datasets: dict[str, Any]) -> dict[str, dict]:
    """Validate each dataset with its checks through a GX checkpoint; failing rows by check."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    _quiet_gx()
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig
    _quiet_gx()

    home.gx.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(home.gx))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    expectation_classes = {"in_set": gxe.ExpectColumnValuesToBeInSet,
                           "between": gxe.ExpectColumnValuesToBeBetween}
    outcomes: dict[str, dict] = {}
    for dataset_name, frame in datasets.items():
        checks = [check for check in CHECKS if check.dataset == dataset_name]
        suite_name = f"{checks[0].suite}__{dataset_name}"
        expectations = [
            expectation_classes[check.kind](column=check.column, meta={"check": check.name},
                                            **check.arguments)
            for check in checks
        ]
        source = context.data_sources.add_or_update_pandas(name=f"{dataset_name}_source")
        batch = source.add_dataframe_asset(name=dataset_name) \
            .add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=suite_name, expectations=expectations))
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"{suite_name}_validation", data=batch, suite=suite))
        checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
            name=f"{suite_name}_checkpoint", validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
            result_format={"result_format": "COMPLETE",
                           "unexpected_index_column_names": KEY_COLUMNS}))
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        for run_result in result.run_results.values():
            for expectation_result in run_result.results:
                check_name = expectation_result.expectation_config.meta["check"]
                failure = _raised(expectation_result.exception_info)
                if failure:
                    raise RuntimeError(f"check {check_name} raised: {failure}")
                details = expectation_result.result
                outcomes[check_name] = {
                    "success": bool(expectation_result.success),
                    "evaluated": len(frame),
                    "unexpected_keys": [row["row_key"] for row in
                                        details.get("unexpected_index_list") or []],
                    "expectation_type": expectation_result.expectation_config.type,
                }
    return outcomes


def _raised(exception_info: dict) -> str | None:
    """The message of an exception GX caught while evaluating, if any.

    GX gives either one `{raised_exception, exception_message}` or one such dict per metric.
    """
    infos = [exception_info] if "raised_exception" in exception_info \
        else [info for info in exception_info.values() if isinstance(info, dict)]
    messages = [info.get("exception_message") or "unknown error" for info in infos
                if info.get("raised_exception")]
    return "; ".join(dict.fromkeys(messages)) or None


def _number(value: float) -> str:
    """A whole number without its `.0`, Vietnamese grouping (1.234; 12,5)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return format_count(int(value))
    whole, decimal = f"{value:.1f}".split(".")
    return f"{format_count(int(whole))},{decimal}"


def _month(value: date) -> str:
    return f"{value:%m/%Y}"


def _day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


# the monthly posting checks: what a failing month observed, and what was missing
POSTINGS = {
    "monthly_trafficking_posting": ("0 items", "tin, bài", "media item"),
    "monthly_grassroots_posting": ("0 activities", "hoạt động tuyên truyền cơ sở",
                                   "grassroots activity"),
}


def describe(check: Check, row: dict) -> tuple[str, str, str]:
    """(observed value, Vietnamese detail, English detail) for one failing row."""
    month = row["report_month"]
    if check.name == "expected_submission_received":
        if row["submission_status"] == "rejected":
            return ("rejected",
                    f"Tệp báo cáo tháng {_month(month)} bị trả lại vì không hợp lệ; cần gửi lại "
                    "bản sửa (hậu tố _r2).",
                    f"The file for {month:%Y-%m} was rejected; a corrected _r2 is needed.")
        return ("missing",
                f"Chưa gửi báo cáo tháng {_month(month)} (hạn {_day(row['due_date'])}).",
                f"No report for {month:%Y-%m} (due {row['due_date']:%Y-%m-%d}).")
    if check.name == "submission_on_time":
        return (f"{row['days_late']} days late",
                f"Gửi báo cáo tháng {_month(month)} muộn {row['days_late']} ngày (nhận ngày "
                f"{_day(row['first_received_date'])}, hạn {_day(row['due_date'])}).",
                f"Report for {month:%Y-%m} arrived {row['days_late']} days late "
                f"({row['first_received_date']:%Y-%m-%d}, due {row['due_date']:%Y-%m-%d}).")
    if check.name == "validation_rule":
        commune = row["commune_code"] if isinstance(row["commune_code"], str) else ""
        where_vi = f", xã {commune}" if commune else ""
        where_en = f", commune {commune}" if commune else ""
        left, right = _number(row["left_value"]), _number(row["right_value"])
        return (f"{left} {row['operator']} {right}",
                f"Vi phạm quy tắc kiểm tra: {row['rule_name_vi']} (tháng {_month(month)}"
                f"{where_vi}: {left} so với {right}).",
                f"Validation rule broken: {row['rule_name_en']} ({month:%Y-%m}{where_en}: "
                f"{row['left_operand']} {left} {row['operator']} {row['right_operand']} {right} "
                "is false).")
    if check.name == "outlier":
        median, count = _number(row["baseline_median"]), _number(row["quantity"])
        campaign_vi = " (đã tính đến đợt cao điểm tháng 7)" if row["is_campaign_month"] else ""
        campaign_en = " (July campaign allowed for)" if row["is_campaign_month"] else ""
        return (f"{count} (median {median}, z {row['modified_z_score']:.1f})",
                f"Số liệu khác thường: {row['output_type_label_vi']} tháng {_month(month)} là "
                f"{count}, "
                f"trong khi mức thường của đơn vị là {median}{campaign_vi}; cần kiểm tra lại với "
                "đơn vị.",
                f"Outlier: {row['output_type_code']} in {month:%Y-%m} is {count} against a usual "
                f"{median} (modified z-score {row['modified_z_score']:.1f}){campaign_en}; check "
                "with the source.")
    if check.name in POSTINGS:
        observed, what_vi, what_en = POSTINGS[check.name]
        reason_vi = "" if row["is_received"] else " (chưa có báo cáo tháng)"
        reason_en = "" if row["is_received"] else " (no report for the month)"
        return (observed,
                f"Tháng {_month(month)} không có {what_vi} nào về phòng, chống mua bán người"
                f"{reason_vi}; yêu cầu ít nhất một lần/tháng.",
                f"No {what_en} on human trafficking in {month:%Y-%m}{reason_en}; at least one "
                "a month is required.")
    value = row[check.column]
    return (str(value),
            f"Số liệu bất thường: {check.column} = {value} ({row['output_type_code']}), "
            f"vượt ngưỡng {check.arguments['max_value']}; cần kiểm tra lại với đơn vị.",
            f"Implausible {check.column} = {value} ({row['output_type_code']}), above "
            f"{check.arguments['max_value']}; check with the source.")


def run_checks(home: Home, period: Period) -> dict:
    """Run every check for the period, replace the period's flags, return a summary."""
    from expectations.datadocs import make_offline

    datasets = load_datasets(home, period)
    province_of = _provinces_of_sources(home)
    started = time.time()
    outcomes = _run_suites(home, datasets)
    # the pages this run wrote load their CSS and JavaScript from the site, not from CDNs
    make_offline(data_docs_index(home).parent, since=started - 1)
    flags, results = [], []
    checked_at = datetime.now(UTC)
    for check in CHECKS:
        outcome = outcomes[check.name]
        frame = datasets[check.dataset]
        failing = set(outcome["unexpected_keys"])
        rows = frame[frame["row_key"].isin(failing)].to_dict("records")
        for row in sorted(rows, key=lambda r: (r["source_code"], r["report_month"])):
            observed, detail_vi, detail_en = describe(check, row)
            severity = row.get("severity") or check.severity  # a rule carries its own
            flags.append((period.code, check.name, check.suite, severity,
                          row["source_code"], row["report_month"], observed, detail_vi,
                          detail_en, province_of.get(row["source_code"])))
        results.append((period.code, check.suite, check.name, outcome["expectation_type"],
                        outcome["success"], outcome["evaluated"], len(rows), checked_at))
    with connect(home.warehouse) as con:
        con.execute(DQ_DDL)
        con.execute("begin transaction")
        con.execute("delete from dq.flags where period_code = ?", [period.code])
        con.execute("delete from dq.check_results where period_code = ?", [period.code])
        if flags:
            con.executemany(
                "insert into dq.flags (period_code, check_name, suite_name, severity, "
                "source_code, report_month, observed_value, detail_vi, detail_en, province_code) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", flags)
        con.executemany("insert into dq.check_results values (?, ?, ?, ?, ?, ?, ?, ?)", results)
        con.execute("commit")
    summary = {check: sum(1 for flag in flags if flag[1] == check) for check in outcomes}
    log.info("quality checks for %s: %d flags %s", period.code, len(flags), summary)
    return {"period": period.code, "flags": len(flags), "by_check": summary,
            "data_docs": str(data_docs_index(home))}


def data_docs_index(home: Home):
    return home.gx / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
