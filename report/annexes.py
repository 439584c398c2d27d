"""The report's annexes: an ordered list, numbered by their place in it.

`ANNEXES` is the list; each entry names the method of `AnnexWriter` that writes the annex.
The body refers to an annex by its key: `self.annex_ref("flags")` is "Phụ lục 5". Adding,
removing or moving one renumbers every title and cross-reference. A new annex is one entry in
`ANNEXES` and its method here.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm, Pt

from outreach.core.calendar import ReportingCalendar
from outreach.core.settings import settings
from report.docx_parts import grid_table, paragraph
from report.figures import of_months, of_rows

if TYPE_CHECKING:
    from report.figures import FigureBook, ReportData
    from report.trace import Trace

LOCAL_ANNEX_TITLES = {
    "district": ("các huyện, thành phố", "Huyện, thành phố"),
    "commune": ("các xã, phường", "Xã, phường"),
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
    method: str  # the AnnexWriter method that writes it (its title first)
    needs_trace: bool = False  # written only when the report traces its figures


ANNEXES = (
    Annex("by_group", "_annex_by_group"),
    Annex("outlet_months", "_annex_outlet_months"),
    Annex("local_offices", "_annex_local_offices"),
    Annex("completeness", "_annex_completeness"),
    Annex("flags", "_annex_flags"),
    Annex("charts", "_annex_charts"),
    Annex("traceability", "_annex_traceability", needs_trace=True),
)


class AnnexWriter:
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
        return [annex for annex in ANNEXES if not annex.needs_trace or self.trace is not None]

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
            getattr(self, annex.method)()

    def _annex_by_group(self) -> None:
        self._annex_title("by_group", "Kết quả theo nhóm đơn vị, hình thức và chủ đề")
        topics = list(self.data.topics)
        header = [
            "Nhóm / hình thức",
            *[self.data.topics[t]["topic_label_vi"] for t in topics],
            "Tổng",
        ]
        cells: dict[tuple[str, str, str], int] = defaultdict(int)
        for row in self.data.outputs:
            cells[(row["source_kind"], row["output_type_code"], row["topic_code"])] += int(
                row["quantity"]
            )
        rows = []
        for kind in [group["source_kind"] for group in self.data.groups]:
            types = [
                code
                for code in self.data.output_types
                if any(cells.get((kind, code, topic)) for topic in topics)
            ]
            if not types:
                continue
            rows.append([self.group_titles[kind], *[""] * (len(topics) + 1)])
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
                rows.append([f"  {label}", *values, total])
        grid_table(self.document, header, rows, [52, 24, 22, 24, 22, 17])

    def _month_labels(self) -> list[tuple[date, str]]:
        return [(month, f"T{month.month}") for month in self.data.period.months]

    def _annex_outlet_months(self) -> None:
        self._annex_title(
            "outlet_months", "Tin, bài, chương trình của các cơ quan báo chí theo tháng"
        )
        months = self._month_labels()
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
            values = [
                self.book.count(
                    f"outlet_month.{code}.{month:%Y-%m}",
                    f"{source['source_name']}: tin, bài tháng {month:%m/%Y}",
                    quantities.get((code, month), 0),
                    source=of_rows(
                        source_code=code, output_group="media", report_month=f"{month:%Y-%m}"
                    ),
                )
                for month, _ in months
            ]
            total = self.book.count(
                f"outlet_month.{code}.all",
                f"{source['source_name']}: tin, bài cả kỳ",
                sum(quantities.get((code, month), 0) for month, _ in months),
                source=of_rows(source_code=code, output_group="media"),
            )
            rows.append([source["source_name"], *values, total])
        width = 91 / (len(months) + 1)
        grid_table(
            self.document,
            ["Cơ quan", *[label for _, label in months], "Tổng"],
            rows,
            [70, *[width] * (len(months) + 1)],
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
        calendar = ReportingCalendar(self.data.reporting_calendar, settings().on_time_days)
        paragraph(self.document, calendar.rule_vi(self.data.period), size=12, indent=False)
        rows_by_source: dict[str, dict[date, dict]] = defaultdict(dict)
        for row in self.data.completeness:
            rows_by_source[row["source_code"]][row["report_month"]] = row
        months = self._month_labels()
        table_rows = []
        for code in sorted(rows_by_source, key=lambda c: (self.data.sources[c]["source_kind"], c)):
            marks = []
            for month, _ in months:
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
        width = 91 / len(months)
        grid_table(
            self.document,
            ["Đơn vị", *[label for _, label in months]],
            table_rows,
            [70, *[width] * len(months)],
        )
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

    def _reporting_rates(self) -> None:
        """DHIS2's reporting-rate summary of the period, from `fct_reporting_rates`."""
        rates = self.data.reporting_rates
        # the total comes first: the province's, or the country's
        province = (
            rates[0] if rates and rates[0]["aggregation_level"] in ("province", "country") else None
        )
        if province is None:
            paragraph(self.document, "Chưa có tháng nào đến hạn gửi báo cáo.", indent=False)
            return
        book = self.book
        expected = book.count(
            "completeness.expected",
            "Số báo cáo tháng phải gửi",
            province["expected_reports"],
            source=of_months(),
        )
        received = book.count(
            "completeness.received",
            "Số báo cáo đã nhận",
            province["actual_reports"],
            source=of_months(),
        )
        reporting_rate = book.percent(
            "completeness.reporting_rate",
            "Tỷ lệ gửi",
            province["reporting_rate"],
            source=of_months(),
        )
        on_time = book.count(
            "completeness.on_time",
            "Số báo cáo đúng hạn",
            province["reports_on_time"],
            source=of_months(),
        )
        on_time_rate = book.percent(
            "completeness.on_time_rate",
            "Tỷ lệ báo cáo đúng hạn",
            province["on_time_rate"],
            source=of_months(),
        )
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
            if self.data.scope.is_national and rate["aggregation_level"] == "province":
                rate = {
                    **rate,
                    "aggregation_label_vi": rate["aggregation_label_vi"]
                    or rate["aggregation_code"],
                }
            key = f"rates.{rate['aggregation_level']}.{rate['aggregation_code']}"
            # the source-months the line counts: all of the report's, or a province's, a
            # kind's or a district's
            column = RATE_COLUMNS[rate["aggregation_level"]]
            of_rate = of_months(**({column: rate["aggregation_code"]} if column else {}))
            label = rate["aggregation_label_vi"]
            if rate["aggregation_level"] == "source_kind":  # the province's own outlets by name
                label = self.group_titles.get(rate["aggregation_code"], label)
            if rate["aggregation_level"] == "district":
                label = f"Phòng VH-TT {label}"
            table_rows.append(
                [
                    label,
                    book.count(
                        f"{key}.expected",
                        f"Báo cáo phải gửi: {label}",
                        rate["expected_reports"],
                        source=of_rate,
                    ),
                    book.count(
                        f"{key}.actual",
                        f"Báo cáo đã gửi: {label}",
                        rate["actual_reports"],
                        source=of_rate,
                    ),
                    book.percent(
                        f"{key}.reporting_rate",
                        f"Tỷ lệ gửi: {label}",
                        rate["reporting_rate"],
                        source=of_rate,
                    ),
                    book.count(
                        f"{key}.on_time",
                        f"Báo cáo đúng hạn: {label}",
                        rate["reports_on_time"],
                        source=of_rate,
                    ),
                    book.percent(
                        f"{key}.on_time_rate",
                        f"Tỷ lệ đúng hạn: {label}",
                        rate["on_time_rate"],
                        source=of_rate,
                    ),
                    book.count(
                        f"{key}.empty",
                        f"Báo cáo không phát sinh: {label}",
                        rate["empty_reports"],
                        source=of_rate,
                    ),
                    book.count(
                        f"{key}.not_reported",
                        f"Báo cáo chưa gửi: {label}",
                        rate["not_reported"],
                        source=of_rate,
                    ),
                ]
            )
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

    def _picture(self, png: bytes, caption: str) -> None:
        self.document.add_picture(io.BytesIO(png), width=Mm(160))
        self.document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph(self.document, caption, size=11, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    def _annex_charts(self) -> None:
        self._annex_title("charts", "Biểu đồ")
        drawn, self.drawn_charts = self.drawn_charts or self._charts(), None
        for png, caption in drawn:
            self._picture(png, caption)

    def _charts(self) -> list[tuple[bytes, str]]:
        """The annex's charts as PNG images, each with its caption."""
        from report import charts

        months = self.data.period.months
        quantities = {
            (row["report_month"], row["topic_code"]): int(row["quantity"])
            for row in self.data.monthly_topics
        }
        topics = {code: row["topic_label_vi"] for code, row in self.data.topics.items()}
        drawn = [
            (
                charts.monthly_items_by_topic(months, topics, quantities),
                "Biểu đồ 1. Tin, bài, chương trình theo tháng và chủ đề",
            )
        ]
        status = {}
        for row in self.data.completeness:
            if not (row["is_expected"] or row["is_received"]):
                continue
            kind = "empty" if row["is_empty_report"] else row["submission_status"]
            status[(row["source_code"], row["report_month"])] = kind
        sources = sorted(
            {code for code, _ in status}, key=lambda c: (self.data.sources[c]["source_kind"], c)
        )
        drawn.append(
            (
                charts.completeness_matrix(
                    [_chart_name(self.data.sources[code]["source_name"]) for code in sources],
                    sources,
                    months,
                    status,
                ),
                "Biểu đồ 2. Tình hình gửi báo cáo tháng của các đơn vị",
            )
        )
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
        return drawn

    def _annex_traceability(self) -> None:
        """For each figure in the body, the submissions it came from."""
        assert self.trace is not None  # listed only for a traced report (Annex.needs_trace)
        self._annex_title("traceability", "Nguồn của các số liệu trong báo cáo")
        figures = [
            (figure, self.trace.sources_of(figure.lineage)) for figure in self.book.body_figures()
        ]
        files = sorted(
            {source for _, sources in figures for source in sources},
            key=lambda s: (s.source_code, s.report_month, s.revision_number),
        )
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


# what every name of a kind begins with, left out where the chart has little room
_NAME_PREFIXES = ("Phòng Văn hóa và Thông tin ", "Cơ quan thường trú ", "UBND ")


def _chart_name(name: str, width: int = 40) -> str:
    """A source's name short enough for a chart's row label: "huyện Văn Quan"."""
    for prefix in _NAME_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"


def _codes_note(codes: list[str]) -> str:
    """ " (I1-I4: xem mục 2)": which indicators the chart shows, where the body states them."""
    if not codes:
        return ""
    shown = codes[0] if len(codes) == 1 else f"{codes[0]}-{codes[-1]}"
    return f" ({shown}: xem mục 2)"


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
