"""The semi-annual report as a Word document in the administrative format of Nghị định 30/2020.

Every number is taken from the FigureBook, which records it for figures.json.
"""

from __future__ import annotations

import copy
import io
from collections import defaultdict
from datetime import date, datetime, time
from pathlib import Path

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.run import Run
from docxtpl import DocxTemplate

from outreach.core.calendar import ReportingCalendar
from outreach.core.numbers import format_date_long, format_date_short
from outreach.core.settings import settings
from report.figures import FigureBook, ReportData
from report.narrative import Narrative
from report.trace import Trace

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 11

# how a group is named when the period has no row for it (the marts name each group as it was
# in the period: fct_source_group_periods)
GROUP_TITLES = {
    "outlet_central": "Các cơ quan báo chí Trung ương thường trú",
    "outlet_provincial": "Các cơ quan báo chí của tỉnh",
    "district": "Phòng Văn hóa và Thông tin các huyện, thành phố",
    "commune": "UBND các xã, phường",
}
LOCAL_ANNEX_TITLES = {"district": ("các huyện, thành phố", "Huyện, thành phố"),
                      "commune": ("các xã, phường", "Xã, phường")}
STATUS_MARKS = {
    "on_time": "x",
    "late": "Muộn",
    "rejected": "Trả lại",
    "missing": "Thiếu",
    "not_yet_due": "Chưa đến hạn",
}


# --- low-level helpers ------------------------------------------------------------------------

def _set_font(run, size: float = BODY_PT, *, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _paragraph(container, text: str = "", *, size: float = BODY_PT, bold: bool = False,
               italic: bool = False, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True,
               space_after: float = 6):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    paragraph.paragraph_format.space_before = Pt(0)
    if indent and align == WD_ALIGN_PARAGRAPH.JUSTIFY:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    if text:
        _set_font(paragraph.add_run(text), size, bold=bold, italic=italic)
    return paragraph


def _grid_table(document, header: list[str], rows: list[list[str]], widths_mm: list[float]):
    """A bordered table: a bold centred header, then the rows (first column left-aligned).

    The first data row is formatted once through python-docx and the others are copies of its
    XML with their own text: formatting thousands of cells one by one took most of the time of
    the national report.
    """
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # the header row is repeated at the top of every page the table runs onto, and stays with
    # the first row; no row is split across two pages
    _row_properties(table.rows[0], header=True)
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cell.paragraphs[0].paragraph_format.keep_with_next = True
        _set_font(cell.paragraphs[0].add_run(text), TABLE_PT, bold=True)
    if rows:
        _row_properties(table.add_row())
        for position, cell in enumerate(table.rows[1].cells):
            cell.paragraphs[0].alignment = (WD_ALIGN_PARAGRAPH.LEFT if position == 0
                                            else WD_ALIGN_PARAGRAPH.CENTER)
            _set_font(cell.paragraphs[0].add_run(), TABLE_PT)
    _set_widths(table, widths_mm)
    if rows:
        prototype = table.rows[1]._tr
        for _ in rows[1:]:
            table._tbl.append(copy.deepcopy(prototype))
        for row, values in zip(table.rows[1:], rows, strict=True):
            runs = row._tr.iter(qn("w:r"))
            for run, text in zip(runs, values, strict=True):
                if text:  # None or "": an empty cell, as add_run() left it
                    Run(run, None).text = str(text)
            if values[0] and not any(values[1:]):
                # a group heading: one cell across the row, in bold, one line high (a merge
                # keeps every cell's paragraph: the empty ones go), kept with the row below
                merged = row.cells[0].merge(row.cells[-1])
                for extra in merged.paragraphs[1:]:
                    extra._p.getparent().remove(extra._p)
                merged.paragraphs[0].paragraph_format.keep_with_next = True
                for merged_run in merged.paragraphs[0].runs:
                    merged_run.font.bold = True
    return table


def _row_properties(row, *, header: bool = False) -> None:
    """A row never split across pages; a header row repeated on each page."""
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        properties.append(OxmlElement("w:tblHeader"))


def _set_widths(table, widths_mm: list[float]) -> None:
    """Column widths that Word and LibreOffice both honour (grid and cells, no autofit)."""
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


# --- the document -----------------------------------------------------------------------------

class ReportWriter:
    """Fills the report template: its wording stays in the .docx, the figures come from here.

    Simple values go into the template's `{{ ... }}` fields; the parts whose length depends on
    the data (the indicator sentences, the narrative sections, the annex with its tables and
    charts) are built as sub-documents and go into its `{{p ... }}` fields.
    """

    def __init__(self, data: ReportData, narrative: Narrative, config: dict,
                 book: FigureBook, template: Path, trace: Trace | None = None) -> None:
        self.data, self.narrative, self.config, self.book = data, narrative, config, book
        # each group as it was named in the period, with its months where it covers only some
        # of them (the district offices until June 2025, the commune offices after)
        self.group_titles = {**GROUP_TITLES, **{
            group["source_kind"]: group["group_label_vi"] + _months_note(group)
            for group in data.groups}}
        self.trace = trace
        self.template = DocxTemplate(str(template))
        self.document = None  # the sub-document being written

    def _block(self, write) -> object:
        self.document = self.template.new_subdoc()
        write()
        return self.document

    def _narrative_block(self, key: str) -> object:
        return self._block(lambda: [_paragraph(self.document, text)
                                    for text in self.narrative.paragraphs(key)])

    def build(self) -> DocxTemplate:
        data, config = self.data, self.config
        directives = self.directives_count()
        context = {
            # the header block's lines as the department writes them (`issuing_body_lines`)
            "config": {**config, "issuing_body": "\n".join(
                config.get("issuing_body_lines") or [config["issuing_body"]])},
            "document_number": config.get("document_number") or "\u00a0" * 6,
            "date_long": format_date_long(data.as_of),
            "period_label": data.period.label_vi,
            "subject_lower": _lower_first(config["subject"]),
            "draft_notice": "" if data.is_closed else (
                f"DỰ THẢO - số liệu tính đến {format_date_short(data.as_of)}; kỳ báo cáo chưa "
                "khép lại, số liệu còn thay đổi."),
            "mo_dau": self._narrative_block("mo_dau"),
            "directives_count": directives,
            "directives_issuer": self.directives_issuer(),
            "directives_note": self.directives_note(),
            "chi_tieu": self._block(self._indicator_sentences),
            "local_offices": self._local_offices(),
            "ket_qua": self._results(),
            "danh_gia": self._narrative_block("danh_gia"),
            "uu_diem": self._block(self._strengths),
            "ton_tai_han_che": self._block(self._limits),
            "giai_phap_khac_phuc": self._narrative_block("giai_phap_khac_phuc"),
            "phuong_huong_nhiem_vu": self._narrative_block("phuong_huong_nhiem_vu"),
        }
        self.book.part = "annex"  # figures first printed from here on are the annex's
        context["phu_luc"] = self._block(self._annex)
        self.template.render(context, autoescape=True)
        properties = self.template.docx.core_properties
        properties.author = properties.last_modified_by = config["issuing_body_name"]
        properties.title = f"Báo cáo {_lower_first(config['subject'])} {data.period.label_vi}"
        properties.created = properties.modified = datetime.combine(data.as_of, time(8))
        return self.template

    def directives_count(self) -> str:
        return self.book.count("directives.count", "Số văn bản chỉ đạo, định hướng đã ban hành",
                               len(self.data.directives))

    def _issuer_name(self, source_code: str) -> str:
        """How the report names the department that issued a document: itself by the config's
        name; an earlier one (the Sở Thông tin và Truyền thông, for a period before March 2025)
        by its registry name."""
        if source_code == self.config.get("department_source"):
            return self.config["issuing_body_name"]
        source = self.data.sources.get(source_code)
        return source["source_name"] if source else self.config["issuing_body_name"]

    def directives_issuer(self) -> str:
        issuers = list(dict.fromkeys(document["source_code"]
                                     for document in self.data.directives))
        if not issuers:
            return self.config["issuing_body_name"]
        return " và ".join(self._issuer_name(code) for code in issuers)

    def directives_note(self) -> str:
        """The text of footnote 1: every directive document of the period, as the seed has it."""
        parts = []
        previous = None
        for position, document in enumerate(self.data.directives):
            prefix = "Công văn số " if position == 0 else "số "
            issuer = "" if document["source_code"] == previous else \
                f" của {self._issuer_name(document['source_code'])}"
            previous = document["source_code"]
            parts.append(f"{prefix}{document['document_number']} ngày "
                         f"{format_date_short(document['issued_date'])}{issuer} "
                         f"{_lower_first(document['document_summary'])}")
        if not parts:
            return "Trong kỳ chưa có văn bản chỉ đạo, định hướng nào được ghi nhận."
        return "; ".join(parts) + "."

    def _indicator_sentences(self) -> None:
        for indicator in self.data.indicators:
            code = indicator["indicator_code"]
            figure = f"indicator.{code}"
            value = self.book.percent(f"{figure}.value", indicator["indicator_label_vi"],
                                      indicator["indicator_value"])
            short = code.split("_")[0]
            numerator = self.book.count(f"{figure}.numerator", f"Tử số chỉ tiêu {short}",
                                        indicator["numerator"])
            denominator = self.book.count(f"{figure}.denominator", f"Mẫu số chỉ tiêu {short}",
                                          indicator["denominator"])
            if indicator["target_value"] is None:
                verdict = "chưa có chỉ tiêu cho kỳ này"
            else:
                target = self.book.percent(f"{figure}.target", f"Chỉ tiêu {short}",
                                           indicator["target_value"])
                if indicator.get("is_demo_target"):
                    target += " (chỉ tiêu mẫu, Sở cần xác nhận)"
                verdict = f"chỉ tiêu: {target}; {'đạt' if indicator['is_met'] else 'chưa đạt'}"
            text = {
                "I1_communes_counselled":
                    f"- {value} số xã thuộc địa bàn trọng điểm về mua bán người "
                    f"({numerator}/{denominator} xã) được tư vấn về phòng, chống tội phạm, "
                    f"phòng, chống ma túy và phòng, chống mua bán người ({verdict});",
                "I2_monthly_posting":
                    f"- thông tin về phòng, chống mua bán người được đăng tải định kỳ trên các "
                    f"phương tiện thông tin đại chúng của tỉnh trong {numerator}/{denominator} "
                    f"tháng của các cơ quan báo chí tỉnh, đạt {value} (ít nhất một lần/tháng; "
                    f"{verdict});",
                "I3_people_reached":
                    f"- {value} số người dân tại các địa bàn trọng điểm, tập trung vào nhóm tuổi "
                    f"có nguy cơ ({numerator}/{denominator} người) được tiếp cận các thông tin "
                    f"về pháp luật phòng, chống mua bán người ({verdict});",
                "I4_reporters_trained":
                    f"- {value} phóng viên các cơ quan thông tin đại chúng thực hiện tuyên "
                    f"truyền về pháp luật và xã hội ({numerator}/{denominator} phóng viên) được "
                    f"tập huấn kiến thức, kỹ năng viết, đưa tin tuyên truyền, giáo dục về "
                    f"phòng, chống tội phạm; phòng, chống mua bán người ({verdict}).",
            }[code]
            _paragraph(self.document, text)

    def _group_totals(self, kind: str) -> dict:
        by_type: dict[str, int] = defaultdict(int)
        by_topic: dict[str, int] = defaultdict(int)
        for row in self.data.outputs:
            if row["source_kind"] != kind:
                continue
            by_type[row["output_type_code"]] += int(row["quantity"])
            if row["output_group"] == "media":
                by_topic[row["topic_code"]] += int(row["quantity"])
        return {"by_type": by_type, "by_topic": by_topic}

    def _media_sentence(self, kind: str) -> str:
        totals = self._group_totals(kind)
        media_types = [code for code, row in self.data.output_types.items()
                       if row["output_group"] == "media" and totals["by_type"].get(code)]
        total = self.book.count(f"outputs.{kind}.media.all",
                                f"{self.group_titles[kind]}: tổng số tin, bài, chương trình",
                                sum(totals["by_type"][code] for code in media_types))
        title = self.group_titles[kind]
        parts = []
        for code in media_types:
            output_type = self.data.output_types[code]
            quantity = self.book.count(f"outputs.{kind}.{code}.all",
                                       f"{title}: {output_type['output_type_label_vi']}",
                                       totals["by_type"][code])
            parts.append(f"{quantity} {output_type['unit_label_vi']}")
        topics = []
        for code, topic in self.data.topics.items():
            quantity = self.book.count(f"outputs.{kind}.media.{code}",
                                       f"{title}: tin, bài về {topic['topic_label_vi']}",
                                       totals["by_topic"].get(code, 0))
            topics.append(f"{quantity} về {_lower_first(topic['topic_label_vi'])}")
        return (f"đã đăng tải, phát sóng {total} tin, bài, chương trình tuyên truyền "
                f"({'; '.join(parts) or 'không có'}), trong đó {'; '.join(topics)}")

    def _local_offices(self) -> str:
        """The local offices of the period, as the opening sentences name them."""
        local = [self.group_titles[group["source_kind"]] for group in self.data.groups
                 if group["is_local_office"]]
        return ", ".join(local) or GROUP_TITLES["district"]

    def _results(self) -> dict[str, object]:
        """The sentences of "Kết quả cụ thể", one per group of sources of the period; a group
        that sent nothing says so, in place of a sentence about its work."""
        missing_postings = [flag for flag in self.data.flags
                            if flag["check_name"] == "monthly_trafficking_posting"]
        groups = []
        for group in self.data.groups:
            kind = group["source_kind"]
            if not group["has_data"]:
                text = self._no_data_sentence(group)
            elif group["is_local_office"]:
                lead = group["result_lead_vi"] or "kết quả:"
                text = f"{lead} {self._local_sentence(kind)}"
            else:
                text = self._media_sentence(kind)
                if kind == "outlet_provincial" and missing_postings:
                    count = self.book.count("flags.missing_monthly_posting.count",
                                            "Số tháng cơ quan báo chí tỉnh không có tin về "
                                            "phòng, chống mua bán người", len(missing_postings))
                    text += (f". Có {count} tháng không có tin, bài về phòng, chống mua bán "
                             "người (chi tiết tại Phụ lục 5)")
            groups.append({"kind": kind, "label": self.group_titles[kind], "text": text})
        return {"groups": groups, "training": self._training_count()}

    def _no_data_sentence(self, group: dict) -> str:
        kind = group["source_kind"]
        registered = self.book.count(f"groups.{kind}.sources",
                                     f"{self.group_titles[kind]}: số đơn vị phải báo cáo",
                                     group["sources_registered"])
        if group["source_months_received"]:
            return (f"các báo cáo tháng đã nhận ({registered} đơn vị phải báo cáo) đều không "
                    "phát sinh hoạt động trong kỳ")
        if group["source_months_expected"]:
            return f"chưa có số liệu: chưa nhận được báo cáo tháng của {registered} đơn vị"
        return f"chưa đến hạn gửi báo cáo tháng ({registered} đơn vị phải báo cáo)"

    def _local_sentence(self, kind: str) -> str:
        totals = self._group_totals(kind)["by_type"]
        counselling = self.data.counselling.get(kind, {"communes": 0, "people": 0})
        parts = []
        for code, row in self.data.output_types.items():
            if row["output_group"] == "capacity" or not totals.get(code):
                continue
            quantity = self.book.count(f"outputs.{kind}.{code}.all",
                                       f"{self.group_titles[kind]}: "
                                       f"{row['output_type_label_vi']}",
                                       totals[code])
            label = _lower_first(row["output_type_label_vi"])
            text = f"{quantity} {row['unit_label_vi']} ({label})"
            if code == "tu_van":
                communes = self.book.count(f"counselling.{kind}.communes",
                                           f"{self.group_titles[kind]}: số xã được tư vấn "
                                           "trực tiếp", counselling["communes"])
                people = self.book.count(f"counselling.{kind}.people",
                                         f"{self.group_titles[kind]}: số lượt người được tư vấn "
                                         "trực tiếp", counselling["people"])
                text += f" tại {communes} xã với {people} lượt người tham dự"
            parts.append(text)
        return "; ".join(parts) or "chưa có số liệu"

    def _training_count(self) -> str | None:
        sessions = sum(int(row["quantity"]) for row in self.data.outputs
                       if row["output_type_code"] == "tap_huan")
        if not sessions:
            return None
        return self.book.count("outputs.all.tap_huan.all", "Số lớp tập huấn", sessions)

    def _strengths(self) -> None:
        met = [i for i in self.data.indicators if i["is_met"]]
        for indicator in met:
            value = self.book.figures[f"indicator.{indicator['indicator_code']}.value"].text
            _paragraph(self.document,
                       f"- {indicator['indicator_label_vi']}: {value}, đạt chỉ tiêu.")
        if not met:
            _paragraph(self.document, "- Chưa có chỉ tiêu nào đạt trong kỳ.")

    def _limits(self) -> None:
        for indicator in [i for i in self.data.indicators if i["is_met"] is False]:
            value = self.book.figures[f"indicator.{indicator['indicator_code']}.value"].text
            target = self.book.figures[f"indicator.{indicator['indicator_code']}.target"].text
            _paragraph(self.document, f"- {indicator['indicator_label_vi']}: {value}, chưa đạt "
                       f"chỉ tiêu {target}.")
        unreported = [flag for flag in self.data.flags
                      if flag["check_name"] == "expected_submission_received"]
        if unreported:
            count = self.book.count("flags.missing_submission.count",
                                    "Số báo cáo tháng chưa nhận được", len(unreported))
            _paragraph(self.document, f"- Còn {count} báo cáo tháng của các đơn vị chưa gửi "
                       "hoặc gửi nhưng không hợp lệ (chi tiết tại Phụ lục 5).")
        for text in self.narrative.paragraphs("ton_tai_han_che"):
            _paragraph(self.document, text)

    # --- annex ---------------------------------------------------------------------------

    def _annex_title(self, text: str) -> None:
        title = _paragraph(self.document, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
                           space_after=6)
        title.paragraph_format.space_before = Pt(12)
        # never alone at the foot of a page: it goes with the table or chart it heads
        title.paragraph_format.keep_with_next = True

    def _annex(self) -> None:
        page_break = self.document.add_paragraph().add_run()
        page_break.add_break(WD_BREAK.PAGE)
        _paragraph(self.document, "PHỤ LỤC", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
                   space_after=0)
        _paragraph(self.document, f"(Kèm theo Báo cáo {self.data.period.label_vi} của "
                   f"{self.config['issuing_body_name']})", italic=True,
                   align=WD_ALIGN_PARAGRAPH.CENTER)
        self._annex_by_group()
        self._annex_outlet_months()
        self._annex_local_offices()
        self._annex_completeness()
        self._annex_flags()
        self._annex_charts()
        if self.trace is not None:
            self._annex_traceability()

    def _annex_by_group(self) -> None:
        self._annex_title("Phụ lục 1. Kết quả theo nhóm đơn vị, hình thức và chủ đề")
        topics = list(self.data.topics)
        header = ["Nhóm / hình thức", *[self.data.topics[t]["topic_label_vi"] for t in topics],
                  "Tổng"]
        cells: dict[tuple[str, str, str], int] = defaultdict(int)
        for row in self.data.outputs:
            cells[(row["source_kind"], row["output_type_code"], row["topic_code"])] += \
                int(row["quantity"])
        rows = []
        for kind in [group["source_kind"] for group in self.data.groups]:
            types = [code for code in self.data.output_types
                     if any(cells.get((kind, code, topic)) for topic in topics)]
            if not types:
                continue
            rows.append([self.group_titles[kind], *[""] * (len(topics) + 1)])
            for code in types:
                label = self.data.output_types[code]["output_type_label_vi"]
                values = [self.book.count(f"outputs.{kind}.{code}.{topic}",
                                          f"{self.group_titles[kind]}: {label}, "
                                          f"{self.data.topics[topic]['topic_label_vi']}",
                                          cells.get((kind, code, topic), 0))
                          for topic in topics]
                total = self.book.count(f"outputs.{kind}.{code}.all",
                                        f"{self.group_titles[kind]}: {label}",
                                        sum(cells.get((kind, code, t), 0) for t in topics))
                rows.append([f"  {label}", *values, total])
        _grid_table(self.document, header, rows, [52, 24, 22, 24, 22, 17])

    def _month_labels(self) -> list[tuple[date, str]]:
        return [(month, f"T{month.month}") for month in self.data.period.months]

    def _annex_outlet_months(self) -> None:
        self._annex_title("Phụ lục 2. Tin, bài, chương trình của các cơ quan báo chí theo tháng")
        months = self._month_labels()
        quantities = {(row["source_code"], row["report_month"]): int(row["quantity"])
                      for row in self.data.outlet_months}
        rows = []
        for code, source in sorted(self.data.sources.items(),
                                   key=lambda item: (item[1]["source_kind"] != "outlet_provincial",
                                                     item[0])):
            if source["source_kind"] not in ("outlet_central", "outlet_provincial") \
                    or not self._registered_in_period(source):
                continue
            values = [self.book.count(f"outlet_month.{code}.{month:%Y-%m}",
                                      f"{source['source_name']}: tin, bài tháng {month:%m/%Y}",
                                      quantities.get((code, month), 0)) for month, _ in months]
            total = self.book.count(f"outlet_month.{code}.all",
                                    f"{source['source_name']}: tin, bài cả kỳ",
                                    sum(quantities.get((code, month), 0) for month, _ in months))
            rows.append([source["source_name"], *values, total])
        width = 91 / (len(months) + 1)
        _grid_table(self.document, ["Cơ quan", *[label for _, label in months], "Tổng"], rows,
                    [70, *[width] * (len(months) + 1)])

    def _annex_local_offices(self) -> None:
        """Phụ lục 3: each local office's activities, a table for each kind the period has (the
        districts' until June 2025, the communes' after)."""
        kinds = [group["source_kind"] for group in self.data.groups if group["is_local_office"]]
        titles = " và ".join(LOCAL_ANNEX_TITLES[kind][0] for kind in kinds) or \
            LOCAL_ANNEX_TITLES["district"][0]
        self._annex_title(f"Phụ lục 3. Hoạt động tuyên truyền của {titles}")
        for kind in kinds:
            if len(kinds) > 1:
                _paragraph(self.document, self.group_titles[kind], bold=True, indent=False,
                           space_after=3)
            rows_of_kind = [row for row in self.data.local_outputs if row["source_kind"] == kind]
            types = [code for code in self.data.output_types
                     if any(r["output_type_code"] == code for r in rows_of_kind)]
            quantities = {(row["source_code"], row["output_type_code"]): int(row["quantity"])
                          for row in rows_of_kind}
            prefix = "district_output" if kind == "district" else "local_output"
            rows = []
            for code, source in sorted(self.data.sources.items()):
                if source["source_kind"] != kind or not self._registered_in_period(source):
                    continue
                name = source["district_name"] if kind == "district" else \
                    source["commune_name"]
                name = name or source["source_name"]
                values = [self.book.count(f"{prefix}.{code}.{output_type}",
                                          f"{name}: "
                                          f"{self.data.output_types[output_type]['output_type_label_vi']}",
                                          quantities.get((code, output_type), 0))
                          for output_type in types]
                rows.append([name, *values])
            header = [LOCAL_ANNEX_TITLES[kind][1],
                      *[self.data.output_types[t]["output_type_label_vi"] for t in types]]
            width = 126 / max(1, len(types))
            _grid_table(self.document, header, rows, [35, *[width] * len(types)])

    def _registered_in_period(self, source: dict) -> bool:
        start, end = self.data.period.start, self.data.period.end
        return source["valid_from"] <= end and (source["valid_to"] is None
                                                 or source["valid_to"] >= start)

    def _annex_completeness(self) -> None:
        self._annex_title("Phụ lục 4. Tình hình gửi báo cáo tháng")
        calendar = ReportingCalendar(self.data.reporting_calendar, settings().on_time_days)
        _paragraph(self.document, calendar.rule_vi(self.data.period), size=12, indent=False)
        rows_by_source: dict[str, dict[date, dict]] = defaultdict(dict)
        for row in self.data.completeness:
            rows_by_source[row["source_code"]][row["report_month"]] = row
        months = self._month_labels()
        table_rows = []
        for code in sorted(rows_by_source, key=lambda c: (self.data.sources[c]["source_kind"], c)):
            marks = []
            for month, _ in months:
                row = rows_by_source[code].get(month)
                if row is None or not (row["is_expected"] or row["is_received"]):
                    marks.append("")
                    continue
                mark = STATUS_MARKS[row["submission_status"]]
                if row["submission_status"] == "late":
                    days = self.book.count(f"completeness.days_late.{code}.{month:%Y-%m}",
                                           f"Số ngày gửi muộn: {code} tháng {month:%m/%Y}",
                                           row["days_late"])
                    mark = f"Muộn {days} ngày"
                if row["is_empty_report"]:
                    mark += " (không phát sinh)"
                if row["requires_monthly_trafficking_item"] and row["is_received"] \
                        and not row["has_trafficking_media_item"]:
                    mark += " *"
                marks.append(mark)
            table_rows.append([self.data.sources[code]["source_name"], *marks])
        width = 91 / len(months)
        _grid_table(self.document, ["Đơn vị", *[label for _, label in months]], table_rows,
                    [70, *[width] * len(months)])
        _paragraph(self.document, "Ghi chú: x - đúng hạn; Muộn - gửi sau hạn; Thiếu - chưa gửi; "
                   "Trả lại - tệp gửi không hợp lệ; (không phát sinh) - báo cáo không có hoạt "
                   "động; * - không có tin, bài về phòng, chống mua bán người trong tháng.",
                   size=11, indent=False)
        self._reporting_rates()

    def _reporting_rates(self) -> None:
        """DHIS2's reporting-rate summary of the period, from `fct_reporting_rates`."""
        rates = self.data.reporting_rates
        # the total comes first: the province's, or the country's
        province = rates[0] if rates and rates[0]["aggregation_level"] in (
            "province", "country") else None
        if province is None:
            _paragraph(self.document, "Chưa có tháng nào đến hạn gửi báo cáo.", indent=False)
            return
        book = self.book
        expected = book.count("completeness.expected", "Số báo cáo tháng phải gửi",
                              province["expected_reports"])
        received = book.count("completeness.received", "Số báo cáo đã nhận",
                              province["actual_reports"])
        rate = book.percent("completeness.reporting_rate", "Tỷ lệ gửi", province["reporting_rate"])
        on_time = book.count("completeness.on_time", "Số báo cáo đúng hạn",
                             province["reports_on_time"])
        on_time_rate = book.percent("completeness.on_time_rate", "Tỷ lệ báo cáo đúng hạn",
                                    province["on_time_rate"])
        summary = (f"Số báo cáo phải gửi: {expected}; đã nhận: {received} (tỷ lệ {rate}); "
                   f"đúng hạn: {on_time} (tỷ lệ {on_time_rate}).")
        _paragraph(self.document, summary, size=12, indent=False)
        header = ["Đơn vị", "Phải gửi", "Đã gửi", "Tỷ lệ gửi", "Đúng hạn", "Tỷ lệ đúng hạn",
                  "Không phát sinh", "Chưa gửi"]
        table_rows = []
        for rate in rates:
            if self.data.scope.is_national and rate["aggregation_level"] == "province":
                rate = {**rate, "aggregation_label_vi": rate["aggregation_label_vi"]
                        or rate["aggregation_code"]}
            key = f"rates.{rate['aggregation_level']}.{rate['aggregation_code']}"
            label = rate["aggregation_label_vi"]
            if rate["aggregation_level"] == "source_kind":  # the province's own outlets by name
                label = self.group_titles.get(rate["aggregation_code"], label)
            if rate["aggregation_level"] == "district":
                label = f"Phòng VH-TT {label}"
            table_rows.append([
                label,
                book.count(f"{key}.expected", f"Báo cáo phải gửi: {label}",
                           rate["expected_reports"]),
                book.count(f"{key}.actual", f"Báo cáo đã gửi: {label}", rate["actual_reports"]),
                book.percent(f"{key}.reporting_rate", f"Tỷ lệ gửi: {label}",
                             rate["reporting_rate"]),
                book.count(f"{key}.on_time", f"Báo cáo đúng hạn: {label}",
                           rate["reports_on_time"]),
                book.percent(f"{key}.on_time_rate", f"Tỷ lệ đúng hạn: {label}",
                             rate["on_time_rate"]),
                book.count(f"{key}.empty", f"Báo cáo không phát sinh: {label}",
                           rate["empty_reports"]),
                book.count(f"{key}.not_reported", f"Báo cáo chưa gửi: {label}",
                           rate["not_reported"]),
            ])
        if self.data.scope.is_national:
            heading = "Tỷ lệ gửi báo cáo theo nhóm đơn vị và theo tỉnh, thành phố:"
        elif any(rate["aggregation_level"] == "district" for rate in rates):
            heading = "Tỷ lệ gửi báo cáo theo nhóm đơn vị và theo huyện, thành phố:"
        else:   # no districts after the 2025 reform: each commune office is a row of Phụ lục 4
            heading = "Tỷ lệ gửi báo cáo theo nhóm đơn vị:"
        _paragraph(self.document, heading, size=12, indent=False)
        _grid_table(self.document, header, table_rows, [49, 16, 16, 16, 16, 16, 16, 16])
        _paragraph(self.document, "Ghi chú: báo cáo \"không phát sinh\" (tệp không có hoạt động) "
                   "được tính là đã gửi; tệp bị trả lại được tính là chưa gửi; tháng chưa đến "
                   "hạn không được tính.", size=11, indent=False)

    def _annex_flags(self) -> None:
        self._annex_title("Phụ lục 5. Các trường hợp cần đôn đốc, kiểm tra lại")
        if not self.data.flags:
            _paragraph(self.document, "Không có trường hợp nào.", indent=False)
            return
        rows = []
        for flag in self.data.flags:
            source = self.data.sources.get(flag["source_code"], {})
            month = flag["report_month"]
            rows.append([source.get("source_name", flag["source_code"]),
                         f"{month:%m/%Y}" if month else "",
                         flag["check_label_vi"] or flag["check_name"],
                         flag["detail_vi"]])
        _grid_table(self.document, ["Đơn vị", "Tháng", "Loại", "Nội dung"], rows,
                    [42, 19, 30, 70])

    def _picture(self, png: bytes, caption: str) -> None:
        self.document.add_picture(io.BytesIO(png), width=Mm(160))
        self.document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _paragraph(self.document, caption, size=11, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    def _annex_charts(self) -> None:
        from report import charts

        self._annex_title("Phụ lục 6. Biểu đồ")
        months = self.data.period.months
        quantities = {(row["report_month"], row["topic_code"]): int(row["quantity"])
                      for row in self.data.monthly_topics}
        topics = {code: row["topic_label_vi"] for code, row in self.data.topics.items()}
        self._picture(charts.monthly_items_by_topic(months, topics, quantities),
                      "Biểu đồ 1. Tin, bài, chương trình theo tháng và chủ đề")
        status = {}
        for row in self.data.completeness:
            if not (row["is_expected"] or row["is_received"]):
                continue
            kind = "empty" if row["is_empty_report"] else row["submission_status"]
            status[(row["source_code"], row["report_month"])] = kind
        sources = sorted({code for code, _ in status},
                         key=lambda c: (self.data.sources[c]["source_kind"], c))
        self._picture(charts.completeness_matrix(
            [_chart_name(self.data.sources[code]["source_name"]) for code in sources],
            sources, months, status),
                      "Biểu đồ 2. Tình hình gửi báo cáo tháng của các đơn vị")
        indicators = self.data.indicators
        self._picture(charts.indicators_against_targets(
            [row["indicator_code"].split("_")[0] for row in indicators],
            [row["indicator_value"] for row in indicators],
            [row["target_value"] for row in indicators]),
            "Biểu đồ 3. Kết quả các chỉ tiêu so với chỉ tiêu của Chương trình (I1-I4: xem mục 2)")

    def _annex_traceability(self) -> None:
        """For each figure in the body, the submissions it came from."""
        self._annex_title("Phụ lục 7. Nguồn của các số liệu trong báo cáo")
        figures = [(figure, self.trace.sources_of(figure.id))
                   for figure in self.book.body_figures()]
        files = sorted({source for _, sources in figures for source in sources},
                       key=lambda s: (s.source_code, s.report_month, s.revision_number))
        number = {source.submission_id: position for position, source in enumerate(files, 1)}
        rows = [[figure.label_vi, figure.text,
                 _ranges(sorted(number[s.submission_id] for s in sources)) or "-"]
                for figure, sources in figures]
        _paragraph(self.document, "Mỗi số liệu được tính từ các tệp báo cáo đã tiếp nhận dưới "
                   "đây (số thứ tự theo Danh mục tệp bên dưới).", size=12, indent=False)
        _grid_table(self.document, ["Số liệu", "Giá trị", "Tệp nguồn"], rows, [95, 22, 44])
        _paragraph(self.document, "Danh mục tệp:", size=12, bold=True, indent=False)
        _grid_table(self.document, ["STT", "Đơn vị", "Tháng", "Tệp", "Lần gửi"],
                    [[str(position), source.source_code,
                      f"{source.report_month[5:]}/{source.report_month[:4]}",
                      source.file_name, str(source.revision_number)]
                     for position, source in enumerate(files, 1)],
                    [12, 28, 20, 81, 20])


# what every name of a kind begins with, left out where the chart has little room
_NAME_PREFIXES = ("Phòng Văn hóa và Thông tin ", "Cơ quan thường trú ", "UBND ")


def _chart_name(name: str, width: int = 40) -> str:
    """A source's name short enough for a chart's row label: "huyện Văn Quan"."""
    for prefix in _NAME_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return name if len(name) <= width else name[:width - 1].rstrip() + "…"


def _months_note(group: dict) -> str:
    """" (tháng 7-12/2025)" for a group registered for only some months of the period."""
    if not group.get("covers_part_of_period"):
        return ""
    first, last = group["first_month"], group["last_month"]
    if (first.year, first.month) == (last.year, last.month):
        return f" (tháng {first.month}/{first.year})"
    return f" (tháng {first.month}-{last.month}/{last.year})"


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
