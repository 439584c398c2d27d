"""The quality checks, each one object: what it reads, what it expects, and how people are told.

A check names its dataset (the SQL over the marts it validates), the expectation (a kind of GX
expectation, `KINDS`, and its arguments), its severity, its label where staff read flags (the
report's annex, the reminder list), what it checks in both languages, how a failing row is
worded, and whether (and how) the source is chased for it. `checks.run_checks` has GX validate
every row of each dataset and writes every row GX finds unexpected to `dq.flags` with these
words, so the report and the reminder list read the flags and know no check by heart.

A new check is one `Check(...)` in `CHECKS` (and a dataset in `DATASETS` if it reads new rows);
a new kind of expectation is one line of `KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from outreach.core.numbers import format_count

# ceilings beyond which a monthly count is implausible and must be looked at by a person
PLAUSIBLE_MAX = {"quantity": 5000, "people_reached": 50000}

# the kinds of expectation a check can be: the name of its GX expectation class (in
# `great_expectations.expectations`), which takes the check's column and arguments. GX validates
# every row of the dataset and its result names the rows that fail; a new kind is one line here.
KINDS = {
    "in_set": "ExpectColumnValuesToBeInSet",
    "between": "ExpectColumnValuesToBeBetween",
}

# the rows each check looks at, for one period (parameters: its first and last month)
DATASETS = {
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
        select o.source_code, o.report_month, o.media_output_key as row_key, o.output_type_code,
            coalesce(t.output_type_label_vi, o.output_type_code) as output_type_label_vi,
            o.quantity, o.people_reached
        from marts.fct_media_outputs o
        left join marts.dim_output_types t using (output_type_code)
        where o.report_month between ? and ?""",
    # the cross-check against what outlets published: only months the reads vouch for (a month
    # not covered says nothing, and with the cross-check off no month is)
    "published_crosscheck": """
        select c.source_code, c.report_month, c.published_crosscheck_key as row_key,
            c.topic_code, t.topic_label_vi, c.claimed_count, c.found_count,
            c.claimed_ratio_threshold, c.is_claimed_above_found
        from marts.fct_published_crosscheck c
        join marts.dim_topics t using (topic_code)
        where c.is_covered and c.claimed_count > 0 and c.report_month between ? and ?""",
    "claimed_items": """
        select c.source_code, c.report_month, c.claimed_item_key as row_key, c.verdict,
            c.claimed_url, c.claimed_title, c.file_name, c.file_row_number, c.topic_code,
            t.topic_label_vi, c.published_date, c.published_title
        from marts.fct_claimed_item_checks c
        join marts.dim_topics t using (topic_code)
        where c.verdict <> 'not_covered' and c.report_month between ? and ?""",
}


@dataclass(frozen=True)
class Wording:
    """How one failing row is told: what was observed, the detail in Vietnamese and English,
    and, for a chased check, the problem's name in the reminder list and what the source is
    asked to do."""

    observed: str
    detail_vi: str
    detail_en: str
    problem_vi: str | None = None
    ask_vi: str | None = None


@dataclass(frozen=True)
class Check:
    """One expectation over one dataset, and every word people read about its failures.

    `kind` is one of `KINDS` (a GX expectation over `column`, with `arguments`).
    `word(check, row)` words a failing row; None gives a generic wording. A check with `ask_vi`
    is chased: its flags are in the reminder list, asking the source to do that.
    `covers_month`: a flag of this check stands for every other flag of its source and month in
    the reminder list (a month not received is chased once, not again for its missing posting).
    """

    name: str
    suite: str
    dataset: str
    severity: str
    column: str
    kind: str
    arguments: dict[str, Any]
    label_vi: str = ""
    about_vi: str = ""
    about_en: str = ""
    word: Callable[[Check, dict], Wording] | None = field(default=None, compare=False)
    ask_vi: str | None = None
    covers_month: bool = False

    @property
    def is_chased(self) -> bool:
        return self.ask_vi is not None

    def wording(self, row: dict) -> Wording:
        wording = (self.word or _word_generic)(self, row)
        if not self.is_chased:
            return wording
        return Wording(
            wording.observed,
            wording.detail_vi,
            wording.detail_en,
            wording.problem_vi or self.label_vi,
            wording.ask_vi or self.ask_vi,
        )


def _number(value: float | None) -> str:
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


def _word_not_received(check: Check, row: dict) -> Wording:
    month = row["report_month"]
    if row["submission_status"] == "rejected":
        return Wording(
            "rejected",
            f"Tệp báo cáo tháng {_month(month)} bị trả lại vì không hợp lệ; cần gửi lại "
            "bản sửa (hậu tố _r2).",
            f"The file for {month:%Y-%m} was rejected; a corrected _r2 is needed.",
            problem_vi="Bị trả lại, chưa gửi bản sửa",
            ask_vi="đề nghị đơn vị sửa các lỗi đã được thông báo và gửi lại bản sửa",
        )
    return Wording(
        "missing",
        f"Chưa gửi báo cáo tháng {_month(month)} (hạn {_day(row['due_date'])}).",
        f"No report for {month:%Y-%m} (due {row['due_date']:%Y-%m-%d}).",
        problem_vi="Chưa gửi báo cáo",
    )


def _word_late(check: Check, row: dict) -> Wording:
    month = row["report_month"]
    return Wording(
        f"{row['days_late']} days late",
        f"Gửi báo cáo tháng {_month(month)} muộn {row['days_late']} ngày (nhận ngày "
        f"{_day(row['first_received_date'])}, hạn {_day(row['due_date'])}).",
        f"Report for {month:%Y-%m} arrived {row['days_late']} days late "
        f"({row['first_received_date']:%Y-%m-%d}, due {row['due_date']:%Y-%m-%d}).",
    )


def _word_rule(check: Check, row: dict) -> Wording:
    month = row["report_month"]
    commune = row["commune_code"] if isinstance(row["commune_code"], str) else ""
    where_vi = f", xã {commune}" if commune else ""
    where_en = f", commune {commune}" if commune else ""
    left, right = _number(row["left_value"]), _number(row["right_value"])
    return Wording(
        f"{left} {row['operator']} {right}",
        f"Vi phạm quy tắc kiểm tra: {row['rule_name_vi']} (tháng {_month(month)}"
        f"{where_vi}: {left} so với {right}).",
        f"Validation rule broken: {row['rule_name_en']} ({month:%Y-%m}{where_en}: "
        f"{row['left_operand']} {left} {row['operator']} {row['right_operand']} {right} "
        "is false).",
    )


def _word_outlier(check: Check, row: dict) -> Wording:
    month = row["report_month"]
    median, count = _number(row["baseline_median"]), _number(row["quantity"])
    campaign_vi = " (đã tính đến đợt cao điểm tháng 7)" if row["is_campaign_month"] else ""
    campaign_en = " (July campaign allowed for)" if row["is_campaign_month"] else ""
    return Wording(
        f"{count} (median {median}, z {row['modified_z_score']:.1f})",
        f"Số liệu khác thường: {row['output_type_label_vi']} tháng {_month(month)} là {count}, "
        f"trong khi mức thường của đơn vị là {median}{campaign_vi}; cần kiểm tra lại với "
        "đơn vị.",
        f"Outlier: {row['output_type_code']} in {month:%Y-%m} is {count} against a usual "
        f"{median} (modified z-score {row['modified_z_score']:.1f}){campaign_en}; check "
        "with the source.",
    )


def _word_posting(observed: str, what_vi: str, what_en: str) -> Callable[[Check, dict], Wording]:
    """A month without the monthly posting: what was observed, and what was missing."""

    def word(check: Check, row: dict) -> Wording:
        month = row["report_month"]
        reason_vi = "" if row["is_received"] else " (chưa có báo cáo tháng)"
        reason_en = "" if row["is_received"] else " (no report for the month)"
        return Wording(
            observed,
            f"Tháng {_month(month)} không có {what_vi} nào về phòng, chống mua bán người"
            f"{reason_vi}; yêu cầu ít nhất một lần/tháng.",
            f"No {what_en} on human trafficking in {month:%Y-%m}{reason_en}; at least one "
            "a month is required.",
        )

    return word


# a measure as the template's column heads it: the Vietnamese wording names no column code
MEASURE_LABELS_VI = {"quantity": "Số lượng", "people_reached": "Số người tiếp cận"}


def _word_generic(check: Check, row: dict) -> Wording:
    """A check without wording of its own: its label, the month and the value it found."""
    month, value = row["report_month"], row[check.column]
    label = check.label_vi or check.name
    measure = MEASURE_LABELS_VI.get(check.column, check.column)
    return Wording(
        str(value),
        f"{label}: tháng {_month(month)}, {measure} là {value}; cần kiểm tra lại với đơn vị.",
        f"{check.name}: {month:%Y-%m}, {check.column} = {value}; check with the source.",
    )


def _word_implausible(check: Check, row: dict) -> Wording:
    value = row[check.column]
    return Wording(
        str(value),
        f"Số liệu bất thường: {MEASURE_LABELS_VI.get(check.column, check.column)} là {value} "
        f"({row['output_type_label_vi']}, tháng {_month(row['report_month'])}), vượt ngưỡng "
        f"{check.arguments['max_value']}; cần kiểm tra lại với đơn vị.",
        f"Implausible {check.column} = {value} ({row['output_type_code']}), above "
        f"{check.arguments['max_value']}; check with the source.",
    )


def _word_claimed_above_found(check: Check, row: dict) -> Wording:
    month = row["report_month"]
    claimed, found = _number(row["claimed_count"]), _number(row["found_count"])
    return Wording(
        f"{claimed} claimed, {found} found",
        f"Tháng {_month(month)} kê khai {claimed} tin, bài về {row['topic_label_vi'].lower()}, "
        f"nhưng trên trang của đơn vị chỉ tìm thấy {found} tin, bài về chủ đề này (ngưỡng: "
        f"gấp {_number(row['claimed_ratio_threshold'])} lần); đề nghị đơn vị đối chiếu lại.",
        f"{month:%Y-%m}: {claimed} items claimed on {row['topic_code']}, {found} found on the "
        f"outlet's site (threshold {row['claimed_ratio_threshold']}x).",
    )


def _word_claimed_item(check: Check, row: dict) -> Wording:
    month, url, verdict = row["report_month"], row["claimed_url"], row["verdict"]
    where_vi = f"dòng {row['file_row_number']} tệp {row['file_name']}"
    where_en = f"row {row['file_row_number']} of {row['file_name']}"
    if verdict == "other_month":
        published = row["published_date"]
        return Wording(
            f"published {published:%Y-%m-%d}",
            f"Tin, bài {url} ({where_vi}) kê khai vào tháng {_month(month)} nhưng được đăng "
            f"ngày {_day(published)}, thuộc tháng khác.",
            f"{url} ({where_en}) is claimed in {month:%Y-%m} but was published on "
            f"{published:%Y-%m-%d}.",
            problem_vi="Tin, bài kê khai không thuộc tháng báo cáo",
        )
    if verdict == "other_topic":
        title = row["published_title"] or url
        return Wording(
            "another topic",
            f"Tin, bài «{title}» ({where_vi}) kê khai về {row['topic_label_vi'].lower()}, "
            "nhưng tiêu đề và tóm tắt trên trang không có nội dung về chủ đề này.",
            f"{url} ({where_en}) is claimed on {row['topic_code']} but its title and "
            "summary on the site are not about it (by the topic rules).",
            problem_vi="Tin, bài kê khai khác chủ đề",
        )
    return Wording(
        "not found",
        f"Không tìm thấy tin, bài {url} ({where_vi}, tháng {_month(month)}) trên trang của đơn vị.",
        f"{url} ({where_en}, {month:%Y-%m}) was not found among the outlet's published items.",
        problem_vi="Đường dẫn kê khai không tìm thấy trên trang",
    )


CHECKS = [
    Check(
        "expected_submission_received",
        "completeness",
        "expected_reports",
        "error",
        "is_received",
        "in_set",
        {"value_set": [True]},
        label_vi="Chưa gửi hoặc bị trả lại",
        about_vi="Mỗi đơn vị gửi báo cáo mỗi tháng đến hạn, và tệp được chấp nhận.",
        about_en="Every source's report of every month due was received and accepted.",
        word=_word_not_received,
        ask_vi="đề nghị đơn vị gửi báo cáo",
        covers_month=True,
    ),
    Check(
        "submission_on_time",
        "completeness",
        "received_reports",
        "warning",
        "is_on_time",
        "in_set",
        {"value_set": [True]},
        label_vi="Gửi muộn",
        about_vi="Báo cáo đến trước hạn nộp của tháng.",
        about_en="A received report arrived by its month's deadline.",
        word=_word_late,
        ask_vi="đề nghị đơn vị gửi báo cáo đúng hạn từ tháng sau",
    ),
    Check(
        "monthly_trafficking_posting",
        "monthly_postings",
        "provincial_outlet_months",
        "error",
        "has_trafficking_media_item",
        "in_set",
        {"value_set": [True]},
        label_vi="Thiếu tin, bài về mua bán người",
        about_vi="Cơ quan báo chí của tỉnh đăng ít nhất một tin, bài về phòng, chống mua bán "
        "người mỗi tháng.",
        about_en="A provincial outlet posts at least one item on human trafficking a month.",
        word=_word_posting("0 items", "tin, bài", "media item"),
        ask_vi="đề nghị đơn vị bảo đảm đăng ít nhất một tin, bài về phòng, chống mua bán "
        "người mỗi tháng",
    ),
    Check(
        "monthly_grassroots_posting",
        "monthly_postings",
        "district_months",
        "error",
        "has_trafficking_grassroots_activity",
        "in_set",
        {"value_set": [True]},
        label_vi="Thiếu hoạt động tuyên truyền cơ sở về mua bán người",
        about_vi="Mỗi địa phương có ít nhất một hoạt động tuyên truyền cơ sở về phòng, chống "
        "mua bán người mỗi tháng.",
        about_en="A local office holds at least one grassroots activity on human trafficking "
        "a month.",
        word=_word_posting("0 activities", "hoạt động tuyên truyền cơ sở", "grassroots activity"),
        ask_vi="đề nghị đơn vị bảo đảm có ít nhất một hoạt động tuyên truyền cơ sở về phòng, "
        "chống mua bán người mỗi tháng",
    ),
    Check(
        "validation_rule",
        "validation_rules",
        "validation_results",
        "warning",
        "is_satisfied",
        "in_set",
        {"value_set": [True]},
        label_vi="Vi phạm quy tắc kiểm tra",
        about_vi="Số liệu của một tháng thỏa mãn các quy tắc kiểm tra của danh mục.",
        about_en="A month's figures satisfy the catalogue's validation rules.",
        word=_word_rule,
    ),
    Check(
        "outlier",
        "outliers",
        "output_counts",
        "warning",
        "is_outlier",
        "in_set",
        {"value_set": [False]},
        label_vi="Số liệu khác thường",
        about_vi="Số lượng của một tháng không khác thường so với các tháng khác của đơn vị.",
        about_en="A month's count is not an outlier against the source's other months.",
        word=_word_outlier,
    ),
    Check(
        "plausible_quantity",
        "plausible_counts",
        "media_outputs",
        "warning",
        "quantity",
        "between",
        {"min_value": 0, "max_value": PLAUSIBLE_MAX["quantity"]},
        label_vi="Số liệu vượt ngưỡng",
        word=_word_implausible,
        about_vi="Số lượng của một dòng không vượt ngưỡng hợp lý.",
        about_en="A row's quantity is below the plausible ceiling.",
    ),
    Check(
        "plausible_people_reached",
        "plausible_counts",
        "media_outputs",
        "warning",
        "people_reached",
        "between",
        {"min_value": 0, "max_value": PLAUSIBLE_MAX["people_reached"]},
        label_vi="Số liệu vượt ngưỡng",
        word=_word_implausible,
        about_vi="Số người được tuyên truyền của một dòng không vượt ngưỡng hợp lý.",
        about_en="A row's people reached is below the plausible ceiling.",
    ),
    Check(
        "published_claimed_above_found",
        "published_crosscheck",
        "published_crosscheck",
        "warning",
        "is_claimed_above_found",
        "in_set",
        {"value_set": [False]},
        label_vi="Kê khai nhiều hơn tin, bài tìm thấy trên trang",
        about_vi="Số tin, bài kê khai về một chủ đề không nhiều hơn hẳn số tin, bài về chủ đề "
        "đó tìm thấy trên trang của đơn vị trong tháng.",
        about_en="The items claimed on a topic are not well above the items on that topic found "
        "on the outlet's site that month.",
        word=_word_claimed_above_found,
        ask_vi="đề nghị đơn vị đối chiếu số liệu kê khai với các tin, bài đã đăng, sửa lại "
        "(gửi bản _r2) hoặc giải trình",
    ),
    Check(
        "published_claimed_address",
        "published_crosscheck",
        "claimed_items",
        "warning",
        "verdict",
        "in_set",
        {"value_set": ["found"]},
        label_vi="Tin, bài kê khai không khớp với trang của đơn vị",
        about_vi="Mỗi đường dẫn kê khai là một tin, bài đã đăng trên trang của đơn vị, trong "
        "tháng báo cáo, về chủ đề kê khai.",
        about_en="Each claimed address is an item published on the outlet's site, in the "
        "reported month, on the claimed topic.",
        word=_word_claimed_item,
        ask_vi="đề nghị đơn vị kiểm tra lại đường dẫn, tháng và chủ đề của tin, bài, sửa lại "
        "(gửi bản _r2) hoặc giải trình",
    ),
]
