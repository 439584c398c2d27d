"""The report's annexes: an ordered list, numbered by their place in it.

`ANNEXES` is the list; each entry holds the function that writes the annex (a method of
`AnnexWriter`) and, for an annex not every report has, the one that says whether this report
has it. The body refers to an annex by its key: `self.annex_ref("flags")` is "Phụ lục 5".
Adding, removing or moving one renumbers every title and cross-reference. A new annex is its
method here and one entry in `ANNEXES`.
"""

from __future__ import annotations

import io
import struct
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm, Pt

from outreach.core.numbers import format_count
from outreach.core.periods import PHASE
from report.comparing import ROLE_LABELS, Comparing
from report.comparisons import PREVIOUS_PERIOD, SAME_PERIOD, levels_vi, measure_key
from report.docx_parts import grid_table, paragraph
from report.figures import DRAFT_ONLY, INDICATOR_ROWS, of_months, of_rows

if TYPE_CHECKING:
    from report.figures import FigureBook, ReportData
    from report.trace import Trace

LOCAL_ANNEX_TITLES = {
    "district": ("các huyện, thành phố", "Huyện, thành phố"),
    "commune": ("các xã, phường", "Xã, phường"),
}
# how a report lists the files behind its figures (`traceability` in report.toml): each figure
# and every file (`full`), a few lines counting the files by period and group (`summary`), or
# nothing (`none`); figures.json lists every figure's files whichever is chosen
TRACEABILITY = ("full", "summary", "none")
DEFAULT_TRACEABILITY = "summary"
# how a group is named when the period has no row for it (the marts name each group as it was
# in the period: fct_source_group_periods), and in the summary of the files
GROUP_TITLES = {
    "outlet_central": "Các cơ quan báo chí Trung ương thường trú",
    "outlet_provincial": "Các cơ quan báo chí của tỉnh",
    "district": "Phòng Văn hóa và Thông tin các huyện, thành phố",
    "commune": "UBND các xã, phường",
    "department": "Văn bản chỉ đạo của Sở",
}
STATUS_MARKS = {
    "on_time": "x",
    "late": "Muộn",
    "rejected": "Trả lại",
    "missing": "Thiếu",
    "not_yet_due": "Chưa đến hạn",
}

# the column of the source-months a line of the reporting-rate table counts
RATE_COLUMNS = {
    "country": None,
    "province": "province_code",
    "source_kind": "source_kind",
    "district": "district_code",
}


@dataclass(frozen=True)
class Annex:
    key: str  # how the body refers to it
    write: Callable[[AnnexWriter], None]  # writes it into the report (its title first)
    # whether the report has it; None: every report does
    when: Callable[[AnnexWriter], bool] | None = None


@dataclass(frozen=True)
class RateMeasure:
    """A measure of `rpt_reporting_rates` the report prints: its column, and its figure in the
    total (the body and the annex's summary; None: not there) and in a line of the annex's
    table, each as (the last part of the figure's id, its label)."""

    column: str
    is_rate: bool
    total: tuple[str, str] | None
    line: tuple[str, str]


RATE_MEASURES = (
    RateMeasure(
        "expected_reports",
        False,
        ("expected", "Số báo cáo tháng phải gửi"),
        ("expected", "Báo cáo phải gửi"),
    ),
    RateMeasure(
        "actual_reports", False, ("received", "Số báo cáo đã nhận"), ("actual", "Báo cáo đã gửi")
    ),
    RateMeasure(
        "reporting_rate", True, ("reporting_rate", "Tỷ lệ gửi"), ("reporting_rate", "Tỷ lệ gửi")
    ),
    RateMeasure(
        "reports_on_time",
        False,
        ("on_time", "Số báo cáo đúng hạn"),
        ("on_time", "Báo cáo đúng hạn"),
    ),
    RateMeasure(
        "on_time_rate",
        True,
        ("on_time_rate", "Tỷ lệ báo cáo đúng hạn"),
        ("on_time_rate", "Tỷ lệ đúng hạn"),
    ),
    RateMeasure("empty_reports", False, None, ("empty", "Báo cáo không phát sinh")),
    RateMeasure("not_reported", False, None, ("not_reported", "Báo cáo chưa gửi")),
)


class AnnexWriter(Comparing):
    """The annex part of the report writer (`report.document.ReportWriter`)."""

    data: ReportData
    config: dict
    book: FigureBook
    trace: Trace | None
    group_titles: dict[str, str]
    document: Any  # the sub-document being written (a docxtpl Subdoc)
    drawn_charts: list[tuple[bytes, str]] | None = None  # drawn before the annex is written

    def annexes(self) -> list[Annex]:
        """The annexes this report has, in order."""
        return [annex for annex in ANNEXES if annex.when is None or annex.when(self)]

    def annex_number(self, key: str) -> int:
        return next(n for n, annex in enumerate(self.annexes(), 1) if annex.key == key)

    def annex_ref(self, key: str) -> str:
        return f"Phụ lục {self.annex_number(key)}"

    def _annex_title(self, key: str, text: str) -> None:
        title = paragraph(
            self.document,
            f"{self.annex_ref(key)}. {text}",
            bold=True,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            space_after=6,
        )
        title.paragraph_format.space_before = Pt(12)
        # never alone at the foot of a page: it goes with the table or chart it heads
        title.paragraph_format.keep_with_next = True

    def _annex(self) -> None:
        # the charts are drawn first, while the document is small: the country's completeness
        # chart (a row for each of 3,000 sources) takes 1 GB to draw
        if any(annex.key == "charts" for annex in self.annexes()):
            self.drawn_charts = self._charts()
        page_break = self.document.add_paragraph().add_run()
        page_break.add_break(WD_BREAK.PAGE)
        paragraph(
            self.document, "PHỤ LỤC", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0
        )
        paragraph(
            self.document,
            f"(Kèm theo Báo cáo {self.data.period.label_vi} của "
            f"{self.config['issuing_body_name']})",
            italic=True,
            align=WD_ALIGN_PARAGRAPH.CENTER,
        )
        for annex in self.annexes():
            annex.write(self)

    def _annex_by_group(self) -> None:
        self._annex_title("by_group", "Kết quả theo nhóm đơn vị, hình thức và chủ đề")
        topics = list(self.data.topics)
        compare = self.data.has_compared_data(SAME_PERIOD)
        header = [
            "Nhóm / hình thức",
            *[self.data.topics[t]["topic_label_vi"] for t in topics],
            "Tổng",
            *([_capitalized(self._against()), "Tăng/giảm"] if compare else []),
        ]
        cells: dict[tuple[str, str, str], int] = defaultdict(int)
        for row in self.data.outputs:
            cells[(row["source_kind"], row["output_type_code"], row["topic_code"])] += int(
                row["quantity"]
            )
        rows = []
        for kind in [group["source_kind"] for group in self.data.groups]:
            role = self._role(kind) if compare else None
            types = [
                code
                for code, output_type in self.data.output_types.items()
                if any(cells.get((kind, code, topic)) for topic in topics)
                or role
                and self._compared_value(
                    measure_key("items", role, output_type["output_group"], code)
                )
            ]
            if not types:
                continue
            rows.append([self.group_titles[kind], *[""] * (len(header) - 1)])
            for code in types:
                label = self.data.output_types[code]["output_type_label_vi"]
                values = [
                    self.book.count(
                        f"outputs.{kind}.{code}.{topic}",
                        f"{self.group_titles[kind]}: {label}, "
                        f"{self.data.topics[topic]['topic_label_vi']}",
                        cells.get((kind, code, topic), 0),
                        source=of_rows(source_kind=kind, output_type_code=code, topic_code=topic),
                    )
                    for topic in topics
                ]
                total = self.book.count(
                    f"outputs.{kind}.{code}.all",
                    f"{self.group_titles[kind]}: {label}",
                    sum(cells.get((kind, code, t), 0) for t in topics),
                    source=of_rows(source_kind=kind, output_type_code=code),
                )
                compared = []
                if compare:
                    change = (
                        self._change(
                            f"outputs.{kind}.{code}.all",
                            measure_key(
                                "items", role, self.data.output_types[code]["output_group"], code
                            ),
                            lineage=of_rows(source_role=role, output_type_code=code),
                        )
                        if role
                        else None
                    )
                    # a group sharing its role with another (2025's district and commune
                    # offices) is compared with it, in the role's line below
                    compared = (
                        [change.base_text(), change.note(in_table=True)] if change else ["", ""]
                    )
                rows.append([f"  {label}", *values, total, *compared])
        rows += self._role_rows(len(topics)) if compare else []
        widths = [40, 16, 15, 16, 15, 14, 18, 27] if compare else [52, 24, 22, 24, 22, 17]
        grid_table(self.document, header, rows, widths)

    def _role_rows(self, topic_count: int) -> list[list[str]]:
        """The lines of the local offices of a period with both kinds (2025), together, each
        output type against the same period a year earlier (the body's figures)."""
        kinds = self._kinds_of("local_office")
        if len(kinds) < 2:
            return []
        rows = [[f"Cộng chung {levels_vi('|'.join(sorted(kinds)))}", *[""] * (topic_count + 3)]]
        for code, output_type in self.data.output_types.items():
            figure_id = f"outputs.local_office.{code}.all"
            if figure_id not in self.book.figures:
                continue  # the body compares each type the offices reported, either period
            change = self._change(
                figure_id,
                measure_key("items", "local_office", output_type["output_group"], code),
                lineage=of_rows(source_role="local_office", output_type_code=code),
            )
            if change is None:
                continue
            rows.append(
                [
                    f"  {output_type['output_type_label_vi']}",
                    *[""] * topic_count,
                    self.book.figures[figure_id].text,
                    change.base_text(),
                    change.note(in_table=True),
                ]
            )
        return rows

    def _has_comparisons(self) -> bool:
        return bool(self.compared)

    def _is_traced(self) -> bool:
        return self.trace is not None and self._traceability() != "none"

    def _is_phase(self) -> bool:
        return self.data.period.kind == PHASE

    def _comparison_kinds(self) -> list[str]:
        """The same period a year earlier, and the previous period when it is another one (a
        year's and a phase's are the same)."""
        period = self.data.period
        return [SAME_PERIOD] + ([PREVIOUS_PERIOD] if period.previous != period.base else [])

    def _annex_comparisons(self) -> None:
        """Every figure the body compares, against the same period a year earlier and against
        the previous period of its kind."""
        kinds = self._comparison_kinds()
        title = " và với ".join(self._against(kind) for kind in kinds)
        self._annex_title("comparisons", f"So sánh với {title}")
        header = ["Số liệu", "Kỳ này"]
        for kind in kinds:
            header += [_capitalized(self._against(kind)), "Tăng/giảm"]
        rows = []
        for figure_id, (key, is_rate, lineage) in list(self.compared.items()):
            figure = self.book.figures[figure_id]
            if figure.part == DRAFT_ONLY:  # only a draft a person's text replaced cites it
                continue
            line = [figure.label_vi, figure.text]
            for kind in kinds:
                change = self._change(figure_id, key, kind=kind, is_rate=is_rate, lineage=lineage)
                line += [change.base_text(), change.note(in_table=True)] if change else ["-", "-"]
            rows.append(line)
        widths = [59, 18, 18, 24, 18, 24] if len(kinds) == 2 else [85, 22, 22, 32]
        grid_table(self.document, header, rows, widths)
        paragraph(
            self.document,
            "Ghi chú: Tăng/giảm - số chênh lệch và tỷ lệ so với kỳ so sánh (kỳ so sánh bằng 0: "
            "mới phát sinh); tỷ lệ phần trăm tăng, giảm theo điểm phần trăm. Số liệu kỳ so "
            "sánh được tính theo đơn vị hành chính và nhóm đơn vị báo cáo hiện nay: cấp huyện "
            "trước ngày 01/7/2025 so với cấp xã sau đó, các cơ quan báo chí trước khi hợp nhất "
            "so với cơ quan sau hợp nhất.",
            size=11,
            indent=False,
        )
        if not self.data.has_compared_data(PREVIOUS_PERIOD) and len(kinds) == 2:
            paragraph(
                self.document,
                f"Hệ thống chưa có số liệu {self._against(PREVIOUS_PERIOD)} để so sánh.",
                size=11,
                indent=False,
            )

    def _annex_by_year(self) -> None:
        """A phase's years side by side: each role's items, the rates and the indicators, each
        year and the whole phase, the indicators against the phase's targets."""
        period = self.data.period
        years = period.trend
        self._annex_title("by_year", f"Kết quả từng năm {period.label_vi}")
        by_year = {
            (row["compared_period_code"], row["measure_key"]): row for row in self.data.trend
        }
        reported = {
            row["compared_period_code"]: row["has_compared_data"] for row in self.data.trend
        }
        whole = self.data.comparisons.get(SAME_PERIOD, {})
        targets = {row["indicator_code"]: row for row in self.data.indicators}
        lines: list[tuple[str, str, bool, Any]] = []
        for role in ("outlet_central", "outlet_provincial", "local_office"):
            group = "grassroots" if role == "local_office" else "media"
            key = measure_key("items", role, group)
            if any((year.code, key) in by_year for year in years) or key in whole:
                unit = "hoạt động tuyên truyền cơ sở" if group == "grassroots" else "tin, bài"
                lines.append(
                    (
                        f"{_capitalized(ROLE_LABELS[role])}: {unit}",
                        key,
                        False,
                        of_rows(source_role=role, output_group=group),
                    )
                )
        lines.append(
            ("Tỷ lệ báo cáo tháng đã nhận", measure_key("reporting_rate"), True, of_months())
        )
        for code, indicator in targets.items():
            lines.append(
                (
                    f"{code.split('_')[0]}. {indicator['indicator_label_vi']}",
                    measure_key(code),
                    True,
                    INDICATOR_ROWS.get(code),
                )
            )
        header = ["Nội dung", *[str(year.year) for year in years], "Cả giai đoạn", "Chỉ tiêu"]
        rows = []
        for label, key, is_rate, lineage in lines:
            line = [label]
            for year in years:
                row = by_year.get((year.code, key))
                if not reported.get(year.code):
                    line.append("-")  # no report of that year in the warehouse
                    continue
                value = row["compared_value"] if row else (None if is_rate else 0)
                line.append(
                    self._year_figure(
                        f"by_year.{year.code}.{key}",
                        f"{label} ({year.label_vi})",
                        value,
                        is_rate,
                        lineage.over(year.code) if lineage else None,
                    )
                )
            row = whole.get(key)
            value = row["current_value"] if row else (None if is_rate else 0)
            line.append(
                self._year_figure(
                    f"by_year.{period.code}.{key}",
                    f"{label} ({period.label_vi})",
                    value,
                    is_rate,
                    lineage,
                )
            )
            target = targets.get(key.split(":")[0], {}).get("target_value")
            line.append(
                self.book.percent(
                    f"indicator.{key.split(':')[0]}.target",
                    f"Chỉ tiêu {key.split('_')[0]}",
                    target,
                    source=None,
                )
                if target is not None
                else ""
            )
            rows.append(line)
        widths = [40, *[80 / len(years)] * len(years), 22, 19]
        grid_table(self.document, header, rows, widths)
        date = self._reform_date()
        if date and years[0].first_month < date <= years[-1].last_month:
            paragraph(
                self.document,
                f"Ghi chú: từ ngày {date:%d/%m/%Y} tuyên truyền cơ sở do cấp xã thực hiện "
                "(trước đó do cấp huyện); năm có cả hai cấp được cộng chung.",
                size=11,
                indent=False,
            )

    def _year_figure(
        self, figure_id: str, label: str, value: float | None, is_rate: bool, lineage: Any
    ) -> str:
        return _figure(
            self.book, is_rate, figure_id, label, value if is_rate else int(value or 0), lineage
        )

    def _reform_date(self) -> date | None:
        """The day the commune offices started reporting (the two-level local government of
        1 July 2025), from the registry; None where the registry has none."""
        starts = [
            source["valid_from"]
            for source in self.data.sources.values()
            if source["source_kind"] == "commune"
        ]
        return min(starts) if starts else None

    def _month_labels(self) -> list[tuple[date, str]]:
        return [(month, f"T{month.month}") for month in self.data.period.months]

    def _columns(self) -> list[tuple[str, list[date], str, Any]]:
        """The columns of the tables by month: each month; a phase's sixty months by year.
        Each as (header, its months, the id part of its figures, the periods of their rows)."""
        period = self.data.period
        if period.kind == PHASE:
            return [(str(year.year), year.months, year.code, (year.code,)) for year in period.trend]
        return [(label, [month], f"{month:%Y-%m}", ()) for month, label in self._month_labels()]

    def _annex_outlet_months(self) -> None:
        by_year = self.data.period.kind == PHASE
        self._annex_title(
            "outlet_months",
            "Tin, bài, chương trình của các cơ quan báo chí theo "
            + ("năm" if by_year else "tháng"),
        )
        columns = self._columns()
        quantities = {
            (row["source_code"], row["report_month"]): int(row["quantity"])
            for row in self.data.outlet_months
        }
        rows = []
        for code, source in sorted(
            self.data.sources.items(),
            key=lambda item: (item[1]["source_kind"] != "outlet_provincial", item[0]),
        ):
            if source["source_kind"] not in (
                "outlet_central",
                "outlet_provincial",
            ) or not self._registered_in_period(source):
                continue
            values = []
            for header, months, part, periods in columns:
                where = {} if by_year else {"report_month": part}
                lineage = of_rows(source_code=code, output_group="media", **where)
                values.append(
                    self.book.count(
                        f"outlet_month.{code}.{part}",
                        f"{source['source_name']}: tin, bài "
                        + (f"năm {header}" if by_year else f"tháng {months[0]:%m/%Y}"),
                        sum(quantities.get((code, month), 0) for month in months),
                        source=lineage.over(*periods) if periods else lineage,
                    )
                )
            total = self.book.count(
                f"outlet_month.{code}.all",
                f"{source['source_name']}: tin, bài cả kỳ",
                sum(quantities.get((code, month), 0) for month in self.data.period.months),
                source=of_rows(source_code=code, output_group="media"),
            )
            rows.append([source["source_name"], *values, total])
        width = 91 / (len(columns) + 1)
        grid_table(
            self.document,
            ["Cơ quan", *[header for header, *_ in columns], "Tổng"],
            rows,
            [70, *[width] * (len(columns) + 1)],
        )

    def _annex_local_offices(self) -> None:
        """Each local office's activities, a table for each kind the period has (the
        districts' until June 2025, the communes' after)."""
        kinds = [group["source_kind"] for group in self.data.groups if group["is_local_office"]]
        titles = (
            " và ".join(LOCAL_ANNEX_TITLES[kind][0] for kind in kinds)
            or LOCAL_ANNEX_TITLES["district"][0]
        )
        self._annex_title("local_offices", f"Hoạt động tuyên truyền của {titles}")
        for kind in kinds:
            if len(kinds) > 1:
                paragraph(
                    self.document, self.group_titles[kind], bold=True, indent=False, space_after=3
                )
            rows_of_kind = [row for row in self.data.local_outputs if row["source_kind"] == kind]
            types = [
                code
                for code in self.data.output_types
                if any(r["output_type_code"] == code for r in rows_of_kind)
            ]
            quantities = {
                (row["source_code"], row["output_type_code"]): int(row["quantity"])
                for row in rows_of_kind
            }
            prefix = "district_output" if kind == "district" else "local_output"
            rows = []
            for code, source in sorted(self.data.sources.items()):
                if source["source_kind"] != kind or not self._registered_in_period(source):
                    continue
                name = source["district_name"] if kind == "district" else source["commune_name"]
                name = name or source["source_name"]
                values = [
                    self.book.count(
                        f"{prefix}.{code}.{output_type}",
                        f"{name}: {self.data.output_types[output_type]['output_type_label_vi']}",
                        quantities.get((code, output_type), 0),
                        source=of_rows(source_code=code, output_type_code=output_type),
                    )
                    for output_type in types
                ]
                rows.append([name, *values])
            header = [
                LOCAL_ANNEX_TITLES[kind][1],
                *[self.data.output_types[t]["output_type_label_vi"] for t in types],
            ]
            width = 126 / max(1, len(types))
            grid_table(self.document, header, rows, [35, *[width] * len(types)])

    def _registered_in_period(self, source: dict) -> bool:
        start, end = self.data.period.start, self.data.period.end
        return source["valid_from"] <= end and (
            source["valid_to"] is None or source["valid_to"] >= start
        )

    def _annex_completeness(self) -> None:
        self._annex_title("completeness", "Tình hình gửi báo cáo tháng")
        calendar = self.data.calendar
        paragraph(self.document, calendar.rule_vi(self.data.period), size=12, indent=False)
        rows_by_source: dict[str, dict[date, dict]] = defaultdict(dict)
        for row in self.data.completeness:
            rows_by_source[row["source_code"]][row["report_month"]] = row
        columns = self._columns()
        by_year = self.data.period.kind == PHASE
        table_rows = []
        for code in sorted(rows_by_source, key=lambda c: (self.data.sources[c]["source_kind"], c)):
            marks = []
            for _, months, _, _ in columns:
                if by_year:
                    marks.append(_year_mark([rows_by_source[code].get(m) for m in months]))
                    continue
                month = months[0]
                cell = rows_by_source[code].get(month)
                if cell is None or not (cell["is_expected"] or cell["is_received"]):
                    marks.append("")
                    continue
                mark = STATUS_MARKS[cell["submission_status"]]
                if cell["submission_status"] == "late":
                    days = self.book.count(
                        f"completeness.days_late.{code}.{month:%Y-%m}",
                        f"Số ngày gửi muộn: {code} tháng {month:%m/%Y}",
                        cell["days_late"],
                        source=of_months(source_code=code, report_month=f"{month:%Y-%m}"),
                    )
                    mark = f"Muộn {days} ngày"
                if cell["is_empty_report"]:
                    mark += " (không phát sinh)"
                if (
                    cell["requires_monthly_trafficking_item"]
                    and cell["is_received"]
                    and not cell["has_trafficking_media_item"]
                ):
                    mark += " *"
                marks.append(mark)
            table_rows.append([self.data.sources[code]["source_name"], *marks])
        width = 91 / len(columns)
        grid_table(
            self.document,
            ["Đơn vị", *[header for header, *_ in columns]],
            table_rows,
            [70, *[width] * len(columns)],
        )
        if by_year:
            paragraph(
                self.document,
                "Ghi chú: số tháng đã gửi / số tháng phải gửi trong năm (muộn: số tháng gửi "
                "sau hạn).",
                size=11,
                indent=False,
            )
        else:
            paragraph(
                self.document,
                "Ghi chú: x - đúng hạn; Muộn - gửi sau hạn; Thiếu - chưa gửi; "
                "Trả lại - tệp gửi không hợp lệ; (không phát sinh) - báo cáo không có hoạt "
                "động; * - không có tin, bài về phòng, chống mua bán người trong tháng.",
                size=11,
                indent=False,
            )
        if self.data.held:
            # approved: what came after is listed, not counted, until the period is re-opened
            listed = "; ".join(
                f"{row['source_name']} tháng {row['report_month']:%m/%Y} ({row['held_file_name']})"
                for row in self.data.held
            )
            paragraph(
                self.document,
                f"Bản sửa nhận sau khi phê duyệt kỳ (chưa tính vào số liệu): {listed}.",
                size=11,
                indent=False,
            )
        self._reporting_rates()

    def completeness_figures(self) -> dict[str, str] | None:
        """The period's monthly reports due, received and on time, and their rates, from the
        total line of `rpt_reporting_rates` (the province's, or the country's); None when no
        month was due yet. Defined once: the body and the annex print them."""
        rates = self.data.reporting_rates
        province = (
            rates[0] if rates and rates[0]["aggregation_level"] in ("province", "country") else None
        )
        if province is None:
            return None
        figures = {}
        for measure in RATE_MEASURES:
            if measure.total is not None:
                name, label = measure.total
                figures[name] = _figure(
                    self.book,
                    measure.is_rate,
                    f"completeness.{name}",
                    label,
                    province[measure.column],
                    of_months(),
                )
        return figures

    def _reporting_rates(self) -> None:
        """DHIS2's reporting-rate summary of the period, from `fct_reporting_rates`."""
        rates = self.data.reporting_rates
        texts = self.completeness_figures()
        if texts is None:
            paragraph(self.document, "Chưa có tháng nào đến hạn gửi báo cáo.", indent=False)
            return
        expected, received, reporting_rate = (
            texts["expected"],
            texts["received"],
            texts["reporting_rate"],
        )
        on_time, on_time_rate = texts["on_time"], texts["on_time_rate"]
        summary = (
            f"Số báo cáo phải gửi: {expected}; đã nhận: {received} (tỷ lệ {reporting_rate}); "
            f"đúng hạn: {on_time} (tỷ lệ {on_time_rate})."
        )
        paragraph(self.document, summary, size=12, indent=False)
        header = [
            "Đơn vị",
            "Phải gửi",
            "Đã gửi",
            "Tỷ lệ gửi",
            "Đúng hạn",
            "Tỷ lệ đúng hạn",
            "Không phát sinh",
            "Chưa gửi",
        ]
        table_rows = []
        for rate in rates:
            table_rows.append([self._rate_label(rate), *self.rate_line_figures(rate).values()])
        if self.data.scope.is_national:
            heading = "Tỷ lệ gửi báo cáo theo nhóm đơn vị và theo tỉnh, thành phố:"
        elif any(rate["aggregation_level"] == "district" for rate in rates):
            heading = "Tỷ lệ gửi báo cáo theo nhóm đơn vị và theo huyện, thành phố:"
        else:  # no districts after the 2025 reform: each commune office is a row of this annex
            heading = "Tỷ lệ gửi báo cáo theo nhóm đơn vị:"
        paragraph(self.document, heading, size=12, indent=False)
        grid_table(self.document, header, table_rows, [49, 16, 16, 16, 16, 16, 16, 16])
        paragraph(
            self.document,
            'Ghi chú: báo cáo "không phát sinh" (tệp không có hoạt động) '
            "được tính là đã gửi; tệp bị trả lại được tính là chưa gửi; tháng chưa đến "
            "hạn không được tính.",
            size=11,
            indent=False,
        )

    def _rate_label(self, rate: dict) -> str:
        """How a line of the reporting-rate table is named."""
        label = rate["aggregation_label_vi"] or rate["aggregation_code"]
        if rate["aggregation_level"] == "source_kind":  # the province's own outlets by name
            label = self.group_titles.get(rate["aggregation_code"], label)
        if rate["aggregation_level"] == "district":
            label = f"Phòng VH-TT {label}"
        return label

    def rate_line_figures(self, rate: dict) -> dict[str, str]:
        """The figures of a line of `rpt_reporting_rates` (expected, actual, reporting_rate,
        …), as the annex's table prints them; defined once (the drafted assessment cites
        them too)."""
        key = f"rates.{rate['aggregation_level']}.{rate['aggregation_code']}"
        # the source-months the line counts: all of the report's, or a province's, a kind's
        # or a district's
        column = RATE_COLUMNS[rate["aggregation_level"]]
        of_rate = of_months(**({column: rate["aggregation_code"]} if column else {}))
        label = self._rate_label(rate)
        return {
            measure.line[0]: _figure(
                self.book,
                measure.is_rate,
                f"{key}.{measure.line[0]}",
                f"{measure.line[1]}: {label}",
                rate[measure.column],
                of_rate,
            )
            for measure in RATE_MEASURES
        }

    def _annex_flags(self) -> None:
        self._annex_title("flags", "Các trường hợp cần đôn đốc, kiểm tra lại")
        if not self.data.flags:
            paragraph(self.document, "Không có trường hợp nào.", indent=False)
            return
        rows = []
        for flag in self.data.flags:
            source = self.data.sources.get(flag["source_code"], {})
            month = flag["report_month"]
            rows.append(
                [
                    source.get("source_name", flag["source_code"]),
                    f"{month:%m/%Y}" if month else "",
                    flag["check_label_vi"] or flag["check_name"],
                    flag["detail_vi"],
                ]
            )
        grid_table(self.document, ["Đơn vị", "Tháng", "Loại", "Nội dung"], rows, [42, 19, 30, 70])

    def _has_crosscheck(self) -> bool:
        return self.data.crosscheck is not None

    def _annex_crosscheck(self) -> None:
        """A line per outlet with a site to compare with: what it claimed and what was found
        there, in the months the reads cover. A signal for the department to ask the outlet;
        the figures of the report stay those reported."""
        self._annex_title("crosscheck", "Đối chiếu tin, bài kê khai với tin, bài đã đăng")
        checks = self.data.crosscheck or {}
        paragraph(
            self.document,
            "Số tin, bài kê khai về các chủ đề (tin, bài; phóng sự; chương trình phát thanh, "
            "truyền hình) so với số tin, bài về các chủ đề đó đọc được trên trang tin của đơn "
            "vị, chỉ ở các tháng đã đọc đủ trang; chủ đề của tin, bài đã đăng xác định theo danh "
            "mục từ ngữ của Sở. Việc đối chiếu không thay đổi số liệu đơn vị báo cáo; các "
            f"trường hợp không khớp được liệt kê tại {self.annex_ref('flags')}.",
            size=12,
        )
        rows = []
        for code, source in sorted(
            self.data.sources.items(),
            key=lambda item: (item[1]["source_kind"] != "outlet_provincial", item[0]),
        ):
            check = checks.get(code)
            if check is None:
                continue
            if not check.is_covered:
                rows.append(
                    [source["source_name"], f"0/{check.months}", "", "", "", "Chưa đủ dữ liệu"]
                )
                continue
            addresses = (
                f"{format_count(check.addresses_found)}/{format_count(check.addresses)}"
                if check.addresses
                else ""
            )
            notes = []
            if check.not_found:
                notes.append(f"{check.not_found} không tìm thấy")
            if check.other_month:
                notes.append(f"{check.other_month} khác tháng")
            if check.other_topic:
                notes.append(f"{check.other_topic} khác chủ đề")
            if check.above_months:
                notes.append(f"{check.above_months} lần kê khai nhiều hơn số tìm thấy")
            rows.append(
                [
                    source["source_name"],
                    f"{check.covered_months}/{check.months}",
                    format_count(check.claimed),
                    format_count(check.found),
                    addresses,
                    "; ".join(notes) or "Khớp",
                ]
            )
        if not rows:
            paragraph(
                self.document,
                "Chưa có cơ quan báo chí nào có trang tin để đối chiếu.",
                indent=False,
            )
            return
        grid_table(
            self.document,
            ["Cơ quan", "Tháng đủ dữ liệu", "Kê khai", "Tìm thấy", "Đường dẫn khớp", "Ghi chú"],
            rows,
            [44, 18, 16, 16, 20, 47],
        )

    def _picture(self, png: bytes, caption: str) -> None:
        """The chart at the text's width, or less where it would be taller than a page leaves
        room for (with its caption): Word cuts off what a page cannot hold."""
        width, height = struct.unpack(">II", png[16:24])  # the PNG's own size (its IHDR)
        if height * PICTURE_WIDTH_MM > width * PICTURE_HEIGHT_MM:
            self.document.add_picture(io.BytesIO(png), height=Mm(PICTURE_HEIGHT_MM))
        else:
            self.document.add_picture(io.BytesIO(png), width=Mm(PICTURE_WIDTH_MM))
        picture = self.document.paragraphs[-1]
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.keep_with_next = True  # never parted from its caption
        paragraph(self.document, caption, size=11, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    def _annex_charts(self) -> None:
        self._annex_title("charts", "Biểu đồ")
        drawn, self.drawn_charts = self.drawn_charts or self._charts(), None
        for png, caption in drawn:
            self._picture(png, caption)

    def _charts(self) -> list[tuple[bytes, str]]:
        """The annex's charts as PNG images, each with its caption (a phase's by year)."""
        from report import charts

        columns = self._columns()
        keys = [months[0] for _, months, _, _ in columns]  # each column by its first month
        column_of = {month: months[0] for _, months, _, _ in columns for month in months}
        labels = [header for header, *_ in columns] if self.data.period.kind == PHASE else None
        quantities: dict[tuple[date, str], int] = defaultdict(int)
        for row in self.data.monthly_topics:
            if row["report_month"] in column_of:
                quantities[(column_of[row["report_month"]], row["topic_code"])] += int(
                    row["quantity"]
                )
        topics = {code: row["topic_label_vi"] for code, row in self.data.topics.items()}
        by = "năm" if labels else "tháng"
        drawn = [
            (
                charts.monthly_items_by_topic(keys, topics, quantities, labels),
                f"Biểu đồ 1. Tin, bài, chương trình theo {by} và chủ đề",
            )
        ]
        matrix = self._area_matrix if self.data.scope.is_national else self._source_matrix
        pieces, caption = matrix(column_of, keys, labels)
        drawn += [
            (png, caption + (f" ({number}/{len(pieces)})" if len(pieces) > 1 else ""))
            for number, png in enumerate(pieces, 1)
        ]
        indicators = self.data.indicators
        drawn.append(
            (
                charts.indicators_against_targets(
                    [row["indicator_code"].split("_")[0] for row in indicators],
                    [row["indicator_value"] for row in indicators],
                    [row["target_value"] for row in indicators],
                ),
                "Biểu đồ 3. Kết quả các chỉ tiêu so với chỉ tiêu của Chương trình"
                f"{_codes_note([row['indicator_code'].split('_')[0] for row in indicators])}",
            )
        )
        trend = self._trend_chart()
        if trend is not None:
            drawn.append(trend)
        return drawn

    def _source_matrix(
        self, column_of: dict[date, date], keys: list[date], labels: list[str] | None
    ) -> tuple[list[bytes], str]:
        """Each source × month (a phase: year), coloured by how its report came in (a year:
        its worst month)."""
        from report import charts

        status: dict[tuple[str, date], str] = {}
        for row in self.data.completeness:
            if not (row["is_expected"] or row["is_received"]):
                continue
            kind = "empty" if row["is_empty_report"] else row["submission_status"]
            cell = (row["source_code"], column_of.get(row["report_month"], row["report_month"]))
            # a year's cell: its worst month
            if _WORST.index(kind) < _WORST.index(status.get(cell, "none")):
                status[cell] = kind
        sources = sorted(
            {code for code, _ in status}, key=lambda c: (self.data.sources[c]["source_kind"], c)
        )
        names = [_chart_name(self.data.sources[code]["source_name"]) for code in sources]
        return (
            charts.completeness_matrix(names, sources, keys, status, labels),
            "Biểu đồ 2. Tình hình gửi báo cáo tháng của các đơn vị"
            + (" (mỗi năm theo tháng gửi kém nhất)" if labels else ""),
        )

    def _area_matrix(
        self, column_of: dict[date, date], keys: list[date], labels: list[str] | None
    ) -> tuple[list[bytes], str]:
        """The country's: each province (its report area: a province merged in 2025 counts in
        the one it merged into from the first period ending after it) × month (a phase: year),
        coloured by the share of the monthly reports due that came in. A row for each of
        thousands of sources would be metres high and unreadable."""
        from report import charts

        counted: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in self.data.completeness:
            if not row["is_expected"]:
                continue
            kind = "empty" if row["is_empty_report"] else row["submission_status"]
            province = str(self.data.sources[row["source_code"]]["province_code"])
            area = self.data.report_areas.get(province, province)
            cell = counted[(area, column_of.get(row["report_month"], row["report_month"]))]
            if kind == "not_yet_due":
                cell[2] += 1
            else:
                cell[0] += kind in ("on_time", "late", "empty")
                cell[1] += 1
        status = {cell: charts.share_mark(*counts) for cell, counts in counted.items()}
        named = {
            str(rate["aggregation_code"]): rate["aggregation_label_vi"]
            for rate in self.data.reporting_rates
            if rate["aggregation_level"] == "province"
        }
        # the provinces in the order of the completeness table, then any it has no line for
        areas = [code for code in named if any((code, key) in status for key in keys)]
        areas += sorted({area for area, _ in status} - set(areas))
        return (
            charts.completeness_matrix(
                [_chart_name(named.get(area, area)) for area in areas],
                areas,
                keys,
                status,
                labels,
                charts.SHARE_COLOURS,
            ),
            "Biểu đồ 2. Tỷ lệ báo cáo tháng đã nhận của các tỉnh, thành phố"
            + (" (theo năm)" if labels else ""),
        )

    def _trend_chart(self) -> tuple[bytes, str] | None:
        """Each role's items and each indicator over the report's trend (eight quarters, four
        half-years, four years, a phase's years), with the 2025 reform marked; None when the
        warehouse has no other period of it to show (a deployment's first months)."""
        from report import charts

        periods = self.data.period.trend
        values = {(row["compared_period_code"], row["measure_key"]): row for row in self.data.trend}
        reported = {
            row["compared_period_code"] for row in self.data.trend if row["has_compared_data"]
        }
        if len(reported) < 2:
            return None

        def series(key: str) -> list[float | None]:
            """The measure in each period; none where the warehouse has no report of it."""
            found = [values.get((period.code, key)) for period in periods]
            return [
                row["compared_value"] if row and row["has_compared_data"] else None for row in found
            ]

        media = {
            _capitalized(ROLE_LABELS[role]): series(measure_key("items", role, "media"))
            for role in ("outlet_central", "outlet_provincial")
        }
        grassroots = {
            "Cấp huyện, cấp xã": series(measure_key("items", "local_office", "grassroots"))
        }
        indicators = {
            row["indicator_code"].split("_")[0]: series(measure_key(row["indicator_code"]))
            for row in self.data.indicators
        }
        panels = [
            (title, lines, is_share)
            for title, lines, is_share in (
                ("Tin, bài, chương trình của các cơ quan báo chí", media, False),
                ("Hoạt động tuyên truyền cơ sở", grassroots, False),
                ("Các chỉ tiêu (%)", indicators, True),
            )
            if any(value is not None for line in lines.values() for value in line)
        ]
        kinds = [
            (values.get((period.code, measure_key("reporting_rate", "local_office"))) or {}).get(
                "compared_source_kinds"
            )
            or ""
            for period in periods
        ]
        marker = None
        reform = self._reform_date()
        for position, period in enumerate(periods):
            if reform and period.contains(reform):
                # the reform within a period (2025): on it; at its start: between two
                at = position if reform > period.first_month else position - 0.5
                marker = (at, f"{reform:%d/%m/%Y}: cấp xã thay cấp huyện")
                break
        if marker is None and "district" in kinds[0] and "commune" in kinds[-1]:
            marker = (len(periods) / 2, "sắp xếp đơn vị hành chính")
        chart = charts.trend([period.short_label_vi for period in periods], panels, marker)
        first, last = periods[0], periods[-1]
        return (
            chart,
            f"Biểu đồ 4. Tin, bài, hoạt động tuyên truyền cơ sở và các chỉ tiêu từ "
            f"{first.label_vi} đến {last.label_vi}",
        )

    def _traceability(self) -> str:
        """How the report lists where its figures came from (`traceability` in report.toml)."""
        return self.config.get("traceability", DEFAULT_TRACEABILITY)

    def _traced_files(self) -> tuple[list[tuple[Any, list]], list]:
        """Each figure of the body with the submissions it came from, and those submissions
        once each, by source, month and revision."""
        assert self.trace is not None  # listed only for a traced report (_is_traced)
        # a change is computed from the figure and its value in the other period, both listed
        # with their files (figures.json lists the change's too)
        figures = [
            (figure, self.trace.sources_of(figure.lineage))
            for figure in self.book.body_figures()
            if not figure.id.endswith((".change", ".change_percent"))
        ]
        files = sorted(
            {source for _, sources in figures for source in sources},
            key=lambda s: (s.source_code, s.report_month, s.revision_number),
        )
        return figures, files

    def _annex_traceability(self) -> None:
        """For each figure in the body, the submissions it came from: every file (`full`), or
        how many files of which group and months (`summary`); figures.json lists them all."""
        self._annex_title("traceability", "Nguồn của các số liệu trong báo cáo")
        if self._traceability() == "summary":
            self._traceability_summary()
            return
        figures, files = self._traced_files()
        number = {source.submission_id: position for position, source in enumerate(files, 1)}
        rows = [
            [
                figure.label_vi,
                figure.text,
                _ranges(sorted(number[s.submission_id] for s in sources)) or "-",
            ]
            for figure, sources in figures
        ]
        paragraph(
            self.document,
            "Mỗi số liệu được tính từ các tệp báo cáo đã tiếp nhận dưới "
            "đây (số thứ tự theo Danh mục tệp bên dưới).",
            size=12,
            indent=False,
        )
        grid_table(self.document, ["Số liệu", "Giá trị", "Tệp nguồn"], rows, [95, 22, 44])
        paragraph(self.document, "Danh mục tệp:", size=12, bold=True, indent=False)
        grid_table(
            self.document,
            ["STT", "Đơn vị", "Tháng", "Tệp", "Lần gửi"],
            [
                [
                    str(position),
                    source.source_code,
                    f"{source.report_month[5:]}/{source.report_month[:4]}",
                    source.file_name,
                    str(source.revision_number),
                ]
                for position, source in enumerate(files, 1)
            ],
            [12, 28, 20, 81, 20],
        )

    def _traceability_summary(self) -> None:
        """The files the body's figures came from, counted by group of sources and months (the
        report's period first, then those it is compared with): a table of a few lines where
        the full list runs over pages (the country's, hundreds)."""
        assert self.trace is not None
        _, files = self._traced_files()
        periods = list(self.trace.periods.values())  # the report's own first
        counted: dict[tuple[int, int, str], dict[str, set]] = defaultdict(
            lambda: {"sources": set(), "files": set(), "months": set()}
        )
        for source in files:
            month = date.fromisoformat(f"{source.report_month}-01")
            place = next((n for n, p in enumerate(periods) if p.contains(month)), len(periods))
            row = self.data.sources.get(source.source_code, {})
            kind = row.get("source_kind") or ""
            entry = counted[(place, int(row.get("source_kind_sort_order") or 99), kind)]
            entry["sources"].add(source.source_code)
            entry["files"].add(source.submission_id)
            entry["months"].add(month)
        rows = [
            [
                GROUP_TITLES.get(kind) or self._group_label(entry["sources"]) or kind,
                str(len(entry["sources"])),
                str(len(entry["files"])),
                _month_runs(sorted(entry["months"])),
            ]
            for (_, _, kind), entry in sorted(counted.items())
        ]
        compared = [
            period.label_vi
            for place, period in enumerate(periods)
            if place and any(key[0] == place for key in counted)
        ]
        also = f" (kể cả số liệu {' và '.join(compared)} để so sánh)" if compared else ""
        units = len({source.source_code for source in files})
        paragraph(
            self.document,
            f"Các số liệu trong báo cáo được tính từ {len(files)} tệp báo cáo đã tiếp nhận "
            f"của {units} đơn vị{also}, theo nhóm đơn vị dưới đây. Danh sách từng số liệu với "
            "các tệp nguồn của nó được lưu kèm báo cáo và tải được trên Cổng báo cáo (trang "
            "Báo cáo các kỳ, mục “Nguồn của từng số liệu”).",
            size=12,
            indent=False,
        )
        grid_table(
            self.document, ["Nhóm đơn vị", "Số đơn vị", "Số tệp", "Tháng"], rows, [75, 22, 20, 44]
        )

    def _group_label(self, codes: set[str]) -> str:
        """The registry's name of the group of these sources (a kind without a title here)."""
        return next(
            (
                label
                for code in sorted(codes)
                if (label := self.data.sources.get(code, {}).get("source_group_label_vi"))
            ),
            "",
        )


# a chart's size on the page: the text's width (A4 less its margins), and the text's height
# (253 mm) less the caption's lines
PICTURE_WIDTH_MM, PICTURE_HEIGHT_MM = 160, 230

ANNEXES = (
    Annex("by_group", AnnexWriter._annex_by_group),
    Annex("comparisons", AnnexWriter._annex_comparisons, when=AnnexWriter._has_comparisons),
    Annex("by_year", AnnexWriter._annex_by_year, when=AnnexWriter._is_phase),
    Annex("outlet_months", AnnexWriter._annex_outlet_months),
    Annex("local_offices", AnnexWriter._annex_local_offices),
    Annex("completeness", AnnexWriter._annex_completeness),
    Annex("flags", AnnexWriter._annex_flags),
    Annex("crosscheck", AnnexWriter._annex_crosscheck, when=AnnexWriter._has_crosscheck),
    Annex("charts", AnnexWriter._annex_charts),
    Annex("traceability", AnnexWriter._annex_traceability, when=AnnexWriter._is_traced),
)

# a year's cell of the completeness chart shows its worst month: from worst to best
_WORST = ["missing", "rejected", "late", "empty", "on_time", "not_yet_due", "none"]

# what every name of a kind begins with, left out where the chart has little room
_NAME_PREFIXES = ("Phòng Văn hóa và Thông tin ", "Cơ quan thường trú ", "UBND ")


def _chart_name(name: str, width: int = 40) -> str:
    """A source's name short enough for a chart's row label: "huyện Văn Quan"."""
    for prefix in _NAME_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"


def _year_mark(cells: list[dict | None]) -> str:
    """A source's year in a phase's completeness table: "10/12", "12/12 (muộn 2)"."""
    due = [cell for cell in cells if cell and cell["is_expected"]]
    if not due:
        return ""
    received = sum(1 for cell in due if cell["is_received"])
    late = sum(1 for cell in due if cell["submission_status"] == "late")
    return f"{received}/{len(due)}" + (f" (muộn {late})" if late else "")


def _figure(
    book: FigureBook, is_rate: bool, figure_id: str, label: str, value: Any, lineage: Any
) -> str:
    """A rate or a count, recorded in the book; its text as printed."""
    if is_rate:
        return book.percent(figure_id, label, value, source=lineage)
    return book.count(figure_id, label, value, source=lineage)


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _codes_note(codes: list[str]) -> str:
    """ " (I1-I4: xem mục 2)": which indicators the chart shows, where the body states them."""
    if not codes:
        return ""
    shown = codes[0] if len(codes) == 1 else f"{codes[0]}-{codes[-1]}"
    return f" ({shown}: xem mục 2)"


def _month_runs(months: list[date]) -> str:
    """[Jan, Feb, Mar, May 2022] as "01-03/2022, 05/2022": each run of months once."""
    runs: list[list[date]] = []
    for month in months:
        if (
            runs
            and (month.year * 12 + month.month) - (runs[-1][-1].year * 12 + runs[-1][-1].month) == 1
        ):
            runs[-1].append(month)
        else:
            runs.append([month])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            parts.append(f"{first:%m/%Y}")
        elif first.year == last.year:
            parts.append(f"{first:%m}-{last:%m/%Y}")
        else:
            parts.append(f"{first:%m/%Y}-{last:%m/%Y}")
    return ", ".join(parts)


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] as "1-3, 5"."""
    parts, start = [], None
    for index, value in enumerate(numbers):
        if start is None:
            start = value
        if index + 1 == len(numbers) or numbers[index + 1] != value + 1:
            parts.append(str(start) if start == value else f"{start}-{value}")
            start = None
    return ", ".join(parts)
