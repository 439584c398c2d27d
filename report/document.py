"""The semi-annual report as a Word document in the administrative format of Nghị định 30/2020.

Every number is taken from the FigureBook, which records it for figures.json.
"""

from __future__ import annotations

import copy
import gc
import re
from collections import defaultdict
from datetime import datetime, time
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import nsmap, qn
from docxtpl import DocxTemplate
from lxml import etree

from outreach.core.numbers import format_date_long, format_date_short
from report.annexes import AnnexWriter
from report.docx_parts import paragraph
from report.figures import DIRECTIVES, FigureBook, Lineage, ReportData, of_months, of_rows
from report.narrative import Narrative
from report.trace import Trace

# how a group is named when the period has no row for it (the marts name each group as it was
# in the period: fct_source_group_periods)
GROUP_TITLES = {
    "outlet_central": "Các cơ quan báo chí Trung ương thường trú",
    "outlet_provincial": "Các cơ quan báo chí của tỉnh",
    "district": "Phòng Văn hóa và Thông tin các huyện, thành phố",
    "commune": "UBND các xã, phường",
}
# the rows each indicator of the programme counts, as fct_indicator_values counts them (its
# figures name these rows' files); a target, and the denominators of I1, I3 and I4 (key-area
# communes, their populations, reporters on the beat) come from the registry, not from a file
INDICATOR_ROWS: dict[str, Lineage] = {
    "I1_communes_counselled": of_rows(output_type_code="tu_van", is_key_area=True),
    "I2_monthly_posting": of_rows(
        source_kind="outlet_provincial", output_group="media", topic_code="mua_ban_nguoi"
    ),
    "I3_people_reached": of_rows(
        output_group="grassroots", is_key_area=True, topic_code="mua_ban_nguoi"
    ),
    "I4_reporters_trained": of_rows(output_type_code="tap_huan"),
}
# I2's denominator: every due month of the provincial outlets
INDICATOR_DENOMINATORS: dict[str, Lineage] = {
    "I2_monthly_posting": of_months(source_kind="outlet_provincial"),
}
# an indicator of the catalogue without its own sentence (dim_indicators.report_sentence_vi)
GENERIC_INDICATOR_SENTENCE = "- {label}: {value} ({numerator}/{denominator}; {verdict})"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


# --- the document -----------------------------------------------------------------------------

# the annex is most of the document (the country's: 150,000 table cells). docxtpl puts a
# sub-document in by writing it out as text, running its regular expressions over that and
# parsing it back (7 s and 1 GB for the country's), and lxml takes minutes to move that many
# elements from a sub-document's XML into the template's. So the annex is written into the
# template's own XML, beside its body (`ReportWriter._staged_block`), and moved in place of a
# one-paragraph placeholder once the rest is rendered, when docxtpl would have given it back
# unchanged (`passes_unchanged`); else docxtpl is given its XML, as from a sub-document.
ANNEX_PLACEHOLDER = "\u2063outreach: the annex goes here\u2063"
# what docxtpl's rendering changes in a sub-document's XML: a line break or tab in a text
# (`resolve_listing`), a line break before a paragraph, its escaped Jinja braces ("{_{")
_CHANGED_BY_RENDER = ("\n", "\t", "{_{", "}_}", "{_%", "%_}")
_TEXT_WITH = etree.XPath("boolean(.//text()[contains(., $part)])")
_ATTRIBUTE_WITH = etree.XPath("boolean(.//@*[contains(., $part)])")
_COMMENTS = etree.XPath("boolean(.//comment() | .//processing-instruction())")
_PLACEHOLDER = etree.XPath(".//w:p/w:r/w:t[. = $mark]", namespaces=nsmap)
_PICTURES = etree.XPath(".//wp:docPr", namespaces=nsmap)


def passes_unchanged(body) -> bool:
    """Whether docxtpl would put a sub-document with this body into the document as it is: no
    text it rewrites, no table it widens (`DocxTemplate.fix_tables`)."""
    if _COMMENTS(body):
        return False
    for part in _CHANGED_BY_RENDER:
        if _TEXT_WITH(body, part=part) or _ATTRIBUTE_WITH(body, part=part):
            return False
    for table in body.iter(qn("w:tbl")):
        grid = table.find(qn("w:tblGrid"))
        if grid is None:
            return False
        columns = len(grid.findall(qn("w:gridCol")))
        if any(len(row.findall(qn("w:tc"))) > columns for row in table.iter(qn("w:tr"))):
            return False
    return True


def _drop(held) -> None:
    """Take a staged sub-document out of the template's XML."""
    # emptied first, once nothing in Python holds its elements: lxml frees those at once, and
    # takes minutes to take 100,000 held ones out of a document
    gc.collect()
    held.body.clear()
    held.getparent().remove(held)


class _SubdocXml:
    """A body's XML as a docxtpl Subdoc gives it to the template (`Subdoc._get_xml`)."""

    def __init__(self, body) -> None:
        if body.sectPr is not None:
            body.remove(body.sectPr)
        self.xml = re.sub(
            r"</?w:body[^>]*>", "", etree.tostring(body, encoding="unicode", pretty_print=False)
        )

    def __html__(self) -> str:
        return self.xml

    __str__ = __html__


class ReportWriter(AnnexWriter):
    """Fills the report template: its wording stays in the .docx, the figures come from here.

    Simple values go into the template's `{{ ... }}` fields; the parts whose length depends on
    the data (the indicator sentences, the narrative sections, the annex with its tables and
    charts) are built as sub-documents and go into its `{{p ... }}` fields.
    """

    def __init__(
        self,
        data: ReportData,
        narrative: Narrative,
        config: dict,
        book: FigureBook,
        template: Path,
        trace: Trace | None = None,
    ) -> None:
        self.data, self.narrative, self.config, self.book = data, narrative, config, book
        # each group as it was named in the period, with its months where it covers only some
        # of them (the district offices until June 2025, the commune offices after)
        self.group_titles = {
            **GROUP_TITLES,
            **{
                group["source_kind"]: group["group_label_vi"] + _months_note(group)
                for group in data.groups
            },
        }
        self.trace = trace
        self.template = DocxTemplate(str(template))
        self.document = None  # the sub-document being written

    def _block(self, write) -> object:
        self.document = self.template.new_subdoc()
        write()
        return self.document

    def _narrative_block(self, key: str) -> object:
        return self._block(
            lambda: [paragraph(self.document, text) for text in self.narrative.paragraphs(key)]
        )

    def build(self) -> DocxTemplate:
        data, config = self.data, self.config
        directives = self.directives_count()
        context = {
            # the header block's lines as the department writes them (`issuing_body_lines`)
            "config": {
                **config,
                "issuing_body": "\n".join(
                    config.get("issuing_body_lines") or [config["issuing_body"]]
                ),
            },
            "document_number": config.get("document_number") or "\u00a0" * 6,
            "date_long": format_date_long(data.as_of),
            "period_label": data.period.label_vi,
            "subject_lower": _lower_first(config["subject"]),
            "draft_notice": ""
            if data.is_closed
            else (
                f"DỰ THẢO - số liệu tính đến {format_date_short(data.as_of)}; kỳ báo cáo chưa "
                "khép lại, số liệu còn thay đổi."
            ),
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
        annex = self._staged_block(self._annex).element
        if passes_unchanged(annex.body):
            context["phu_luc"] = self._placeholder()
            self.template.render(context, autoescape=True)
            self._put_in_place(annex)
        else:
            context["phu_luc"] = _SubdocXml(annex.body)
            _drop(annex)
            self.template.render(context, autoescape=True)
        properties = self.template.docx.core_properties
        properties.author = properties.last_modified_by = config["issuing_body_name"]
        properties.title = f"Báo cáo {_lower_first(config['subject'])} {data.period.label_vi}"
        properties.created = properties.modified = datetime.combine(data.as_of, time(8))
        return self.template

    def _staged_block(self, write) -> DocxDocument:
        """`write` into a sub-document held inside the template's XML, after its body: the
        paragraphs and tables of a `new_subdoc()` (python-docx's default document, with the
        template's parts), but in the template's own XML."""
        self.template.init_docx()  # loaded, not reloaded
        part = self.template.docx.part
        # python-docx numbers and names a picture ("Picture 1") after the ids in the template,
        # a sub-document's not among them
        shape_id = part.next_id
        held = copy.deepcopy(docx.Document().element)
        self.template.docx.element.append(held)
        self.document = DocxDocument(held, part)
        write()
        for picture in _PICTURES(held):
            picture.set("id", str(shape_id))
            picture.set("name", f"Picture {shape_id}")
        return self.document

    def _placeholder(self) -> object:
        """A sub-document of one paragraph, which marks where the annex goes."""
        placeholder = self.template.new_subdoc()
        placeholder.add_paragraph(ANNEX_PLACEHOLDER)
        return placeholder

    def _put_in_place(self, held) -> None:
        """The staged paragraphs and tables in place of the placeholder (as docxtpl would put
        a sub-document: none without a field for it, a copy for each further one), and the
        pictures numbered again as docxtpl numbers them (in document order)."""
        body = self.template.docx.element.body
        # docxtpl has numbered the pictures it rendered on from its first number
        first = self.template.docx_ids_index - len(_PICTURES(body)) + 1
        if held.body.sectPr is not None:  # as a Subdoc leaves its section out
            held.body.remove(held.body.sectPr)
        placeholders = [
            text.getparent().getparent() for text in _PLACEHOLDER(body, mark=ANNEX_PLACEHOLDER)
        ]
        if not placeholders:
            _drop(held)
        else:
            annex = list(held.body)
            for count, placeholder in enumerate(placeholders):  # each a w:p
                parent = placeholder.getparent()
                position = parent.index(placeholder)
                parent[position : position + 1] = (
                    annex if count == 0 else [copy.deepcopy(element) for element in annex]
                )
            held.getparent().remove(held)
        for number, picture in enumerate(_PICTURES(body), first):
            picture.set("id", str(number))  # as DocxTemplate.fix_docpr_ids numbers them

    def directives_count(self) -> str:
        return self.book.count(
            "directives.count",
            "Số văn bản chỉ đạo, định hướng đã ban hành",
            len(self.data.directives),
            source=DIRECTIVES,
        )

    def _issuer_name(self, source_code: str) -> str:
        """How the report names the department that issued a document: itself by the config's
        name; an earlier one (the Sở Thông tin và Truyền thông, for a period before March 2025)
        by its registry name."""
        if source_code == self.config.get("department_source"):
            return self.config["issuing_body_name"]
        source = self.data.sources.get(source_code)
        return source["source_name"] if source else self.config["issuing_body_name"]

    def directives_issuer(self) -> str:
        issuers = list(dict.fromkeys(document["source_code"] for document in self.data.directives))
        if not issuers:
            return self.config["issuing_body_name"]
        return " và ".join(self._issuer_name(code) for code in issuers)

    def directives_note(self) -> str:
        """The text of footnote 1: every directive document of the period, as the seed has it."""
        parts = []
        previous = None
        for position, document in enumerate(self.data.directives):
            prefix = "Công văn số " if position == 0 else "số "
            issuer = (
                ""
                if document["source_code"] == previous
                else f" của {self._issuer_name(document['source_code'])}"
            )
            previous = document["source_code"]
            parts.append(
                f"{prefix}{document['document_number']} ngày "
                f"{format_date_short(document['issued_date'])}{issuer} "
                f"{_lower_first(document['document_summary'])}"
            )
        if not parts:
            return "Trong kỳ chưa có văn bản chỉ đạo, định hướng nào được ghi nhận."
        return "; ".join(parts) + "."

    def _indicator_figures(self, indicator: dict) -> dict[str, str | None]:
        """The texts of an indicator's figures: value, numerator, denominator, target (None
        without one). Defined here once; the body prints them in several places."""
        code = indicator["indicator_code"]
        figure, short = f"indicator.{code}", code.split("_")[0]
        return {
            "value": self.book.percent(
                f"{figure}.value",
                indicator["indicator_label_vi"],
                indicator["indicator_value"],
                source=INDICATOR_ROWS.get(code),
            ),
            "numerator": self.book.count(
                f"{figure}.numerator",
                f"Tử số chỉ tiêu {short}",
                indicator["numerator"],
                source=INDICATOR_ROWS.get(code),
            ),
            "denominator": self.book.count(
                f"{figure}.denominator",
                f"Mẫu số chỉ tiêu {short}",
                indicator["denominator"],
                source=INDICATOR_DENOMINATORS.get(code),
            ),
            "target": None
            if indicator["target_value"] is None
            else self.book.percent(
                f"{figure}.target", f"Chỉ tiêu {short}", indicator["target_value"], source=None
            ),
        }

    def _indicator_sentences(self) -> None:
        for position, indicator in enumerate(self.data.indicators):
            code = indicator["indicator_code"]
            texts = self._indicator_figures(indicator)
            value, numerator, denominator = texts["value"], texts["numerator"], texts["denominator"]
            if texts["target"] is None:
                verdict = "chưa có chỉ tiêu cho kỳ này"
            else:
                target = texts["target"]
                if indicator.get("is_demo_target"):
                    target += " (chỉ tiêu mẫu, Sở cần xác nhận)"
                verdict = f"chỉ tiêu: {target}; {'đạt' if indicator['is_met'] else 'chưa đạt'}"
            last = position == len(self.data.indicators) - 1
            template = indicator.get("report_sentence_vi") or GENERIC_INDICATOR_SENTENCE
            text = template.format(
                value=value,
                numerator=numerator,
                denominator=denominator,
                verdict=verdict,
                label=_lower_first(indicator["indicator_label_vi"] or code),
            )
            paragraph(self.document, text + ("." if last else ";"))

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
        media_types = [
            code
            for code, row in self.data.output_types.items()
            if row["output_group"] == "media" and totals["by_type"].get(code)
        ]
        total = self.book.count(
            f"outputs.{kind}.media.all",
            f"{self.group_titles[kind]}: tổng số tin, bài, chương trình",
            sum(totals["by_type"][code] for code in media_types),
            source=of_rows(source_kind=kind, output_group="media"),
        )
        title = self.group_titles[kind]
        parts = []
        for code in media_types:
            output_type = self.data.output_types[code]
            quantity = self.book.count(
                f"outputs.{kind}.{code}.all",
                f"{title}: {output_type['output_type_label_vi']}",
                totals["by_type"][code],
                source=of_rows(source_kind=kind, output_type_code=code),
            )
            parts.append(f"{quantity} {output_type['unit_label_vi']}")
        topics = []
        for code, topic in self.data.topics.items():
            quantity = self.book.count(
                f"outputs.{kind}.media.{code}",
                f"{title}: tin, bài về {topic['topic_label_vi']}",
                totals["by_topic"].get(code, 0),
                source=of_rows(source_kind=kind, output_group="media", topic_code=code),
            )
            topics.append(f"{quantity} về {_lower_first(topic['topic_label_vi'])}")
        return (
            f"đã đăng tải, phát sóng {total} tin, bài, chương trình tuyên truyền "
            f"({'; '.join(parts) or 'không có'}), trong đó {'; '.join(topics)}"
        )

    def _local_offices(self) -> str:
        """The local offices of the period, as the opening sentences name them."""
        local = [
            self.group_titles[group["source_kind"]]
            for group in self.data.groups
            if group["is_local_office"]
        ]
        return ", ".join(local) or GROUP_TITLES["district"]

    def _results(self) -> dict[str, object]:
        """The sentences of "Kết quả cụ thể", one per group of sources of the period; a group
        that sent nothing says so, in place of a sentence about its work."""
        missing_postings = [
            flag for flag in self.data.flags if flag["check_name"] == "monthly_trafficking_posting"
        ]
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
                    count = self.book.count(
                        "flags.missing_monthly_posting.count",
                        "Số tháng cơ quan báo chí tỉnh không có tin về phòng, chống mua bán người",
                        len(missing_postings),
                        source=of_months(flagged_by="monthly_trafficking_posting"),
                    )
                    text += (
                        f". Có {count} tháng không có tin, bài về phòng, chống mua bán "
                        f"người (chi tiết tại {self.annex_ref('flags')})"
                    )
            groups.append({"kind": kind, "label": self.group_titles[kind], "text": text})
        return {"groups": groups, "training": self._training_count()}

    def _no_data_sentence(self, group: dict) -> str:
        kind = group["source_kind"]
        registered = self.book.count(
            f"groups.{kind}.sources",
            f"{self.group_titles[kind]}: số đơn vị phải báo cáo",
            group["sources_registered"],
            source=None,
        )
        if group["source_months_received"]:
            return (
                f"các báo cáo tháng đã nhận ({registered} đơn vị phải báo cáo) đều không "
                "phát sinh hoạt động trong kỳ"
            )
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
            quantity = self.book.count(
                f"outputs.{kind}.{code}.all",
                f"{self.group_titles[kind]}: {row['output_type_label_vi']}",
                totals[code],
                source=of_rows(source_kind=kind, output_type_code=code),
            )
            label = _lower_first(row["output_type_label_vi"])
            text = f"{quantity} {row['unit_label_vi']} ({label})"
            if code == "tu_van":
                communes = self.book.count(
                    f"counselling.{kind}.communes",
                    f"{self.group_titles[kind]}: số xã được tư vấn trực tiếp",
                    counselling["communes"],
                    source=of_rows(source_kind=kind, output_type_code="tu_van"),
                )
                people = self.book.count(
                    f"counselling.{kind}.people",
                    f"{self.group_titles[kind]}: số lượt người được tư vấn trực tiếp",
                    counselling["people"],
                    source=of_rows(source_kind=kind, output_type_code="tu_van"),
                )
                text += f" tại {communes} xã với {people} lượt người tham dự"
            parts.append(text)
        return "; ".join(parts) or "chưa có số liệu"

    def _training_count(self) -> str | None:
        sessions = sum(
            int(row["quantity"])
            for row in self.data.outputs
            if row["output_type_code"] == "tap_huan"
        )
        if not sessions:
            return None
        return self.book.count(
            "outputs.all.tap_huan.all",
            "Số lớp tập huấn",
            sessions,
            source=of_rows(output_type_code="tap_huan"),
        )

    def _strengths(self) -> None:
        met = [i for i in self.data.indicators if i["is_met"]]
        for indicator in met:
            value = self._indicator_figures(indicator)["value"]
            paragraph(self.document, f"- {indicator['indicator_label_vi']}: {value}, đạt chỉ tiêu.")
        if not met:
            paragraph(self.document, "- Chưa có chỉ tiêu nào đạt trong kỳ.")

    def _limits(self) -> None:
        for indicator in [i for i in self.data.indicators if i["is_met"] is False]:
            texts = self._indicator_figures(indicator)
            value, target = texts["value"], texts["target"]
            paragraph(
                self.document,
                f"- {indicator['indicator_label_vi']}: {value}, chưa đạt chỉ tiêu {target}.",
            )
        unreported = [
            flag for flag in self.data.flags if flag["check_name"] == "expected_submission_received"
        ]
        if unreported:
            count = self.book.count(
                "flags.missing_submission.count",
                "Số báo cáo tháng chưa nhận được",
                len(unreported),
                source=None,
            )
            paragraph(
                self.document,
                f"- Còn {count} báo cáo tháng của các đơn vị chưa gửi "
                f"hoặc gửi nhưng không hợp lệ (chi tiết tại {self.annex_ref('flags')}).",
            )
        for text in self.narrative.paragraphs("ton_tai_han_che"):
            paragraph(self.document, text)


def _months_note(group: dict) -> str:
    """ " (tháng 7-12/2025)" for a group registered for only some months of the period."""
    if not group.get("covers_part_of_period"):
        return ""
    first, last = group["first_month"], group["last_month"]
    if (first.year, first.month) == (last.year, last.month):
        return f" (tháng {first.month}/{first.year})"
    return f" (tháng {first.month}-{last.month}/{last.year})"
