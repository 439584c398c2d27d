"""The semi-annual report as a Word document in the administrative format of Nghị định 30/2020.

Every number is taken from the FigureBook, which records it for figures.json.
"""

from __future__ import annotations

import copy
import gc
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, time
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import nsmap, qn
from docxtpl import DocxTemplate
from lxml import etree

from outreach.core.numbers import format_date_long, format_date_short
from outreach.core.periods import PHASE
from report.annexes import GROUP_TITLES, AnnexWriter
from report.comparisons import SAME_PERIOD, Change, documents_compared, levels_vi, measure_key
from report.docx_parts import paragraph
from report.drafting import Drafting
from report.figures import (
    DIRECTIVES,
    INDICATOR_DENOMINATORS,
    INDICATOR_ROWS,
    FigureBook,
    Lineage,
    ReportData,
    of_months,
    of_rows,
)
from report.narrative import NarrativeStore
from report.trace import Trace

# how a list says a type or topic there was none of, where the year before had some
NONE = "không có "
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
# each a single pass over the country's annex (one XPath a part took seconds)
_PARTS = {f"part{number}": part for number, part in enumerate(_CHANGED_BY_RENDER)}
_ANY_PART = " or ".join(f"contains(., ${name})" for name in _PARTS)
_TEXT_WITH = etree.XPath(f"boolean(.//text()[{_ANY_PART}])")
_ATTRIBUTE_WITH = etree.XPath(f"boolean(.//@*[{_ANY_PART}])")
_COMMENTS = etree.XPath("boolean(.//comment() | .//processing-instruction())")
_PLACEHOLDER = etree.XPath(".//w:p/w:r/w:t[. = $mark]", namespaces=nsmap)
_PICTURES = etree.XPath(".//wp:docPr", namespaces=nsmap)


def passes_unchanged(body) -> bool:
    """Whether docxtpl would put a sub-document with this body into the document as it is: no
    text it rewrites, no table it widens (`DocxTemplate.fix_tables`)."""
    if _COMMENTS(body):
        return False
    if _TEXT_WITH(body, **_PARTS) or _ATTRIBUTE_WITH(body, **_PARTS):
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


class ReportWriter(Drafting, AnnexWriter):
    """Fills the report template: its wording stays in the .docx, the figures come from here.

    Simple values go into the template's `{{ ... }}` fields; the parts whose length depends on
    the data (the indicator sentences, the sections people write or a draft of them, the annex
    with its tables and charts) are built as sub-documents and go into its `{{p ... }}` fields.
    """

    def __init__(
        self,
        data: ReportData,
        narratives: NarrativeStore,
        config: dict,
        book: FigureBook,
        template: Path,
        trace: Trace | None = None,
    ) -> None:
        self.data, self.narratives, self.config, self.book = data, narratives, config, book
        self.sections = {}  # what each section people write prints (`prepare_sections`)
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
        self.compared = {}

    def _block(self, write) -> object:
        self.document = self.template.new_subdoc()
        write()
        return self.document

    def _section(self, key: str) -> object:
        return self._block(lambda: self.section_block(key))

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
            "draft_notice": "" if data.is_closed else self._draft_notice(),
            "directives_count": directives,
            "has_directives": bool(self.data.directives),
            "directives_comparison": self._directives_comparison(),
            "directives_issuer": self.directives_issuer(),
            "directives_note": self.directives_note(),
            "chi_tieu": self._block(self._indicator_sentences),
            "local_offices": self._local_offices(),
            "ket_qua": self._results(),
        }
        # the sections people write, after the body's figures (a draft cites them)
        self.prepare_sections()
        context.update({key: self._section(key) for key in self.sections})
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

    def _draft_notice(self) -> str:
        """What a report of a period still open says of its figures: the date they are as of,
        and the months that have ended (a phase under way is reported up to the as-of date)."""
        calendar = self.data.calendar
        months = [
            m for m in self.data.period.months if m <= calendar.last_ended_month(self.data.as_of)
        ]
        span = ""
        if months:
            first, last = months[0], months[-1]
            span = (
                f" (các tháng {first:%m/%Y}-{last:%m/%Y})"
                if first != last
                else f" (tháng {first:%m/%Y})"
            )
        under_way = (
            f"{self.data.period.label_vi} chưa kết thúc"
            if self.data.period.kind == PHASE
            else "kỳ báo cáo chưa khép lại"
        )
        return (
            f"DỰ THẢO - số liệu tính đến {format_date_short(self.data.as_of)}{span}; "
            f"{under_way}, số liệu còn thay đổi."
        )

    def _directives_comparison(self) -> str:
        """After the directive documents, the number against the same period (what it issued,
        when either period issued none); where the warehouse has no report of that period, the
        one sentence that says so."""
        if not self.data.has_compared_data(SAME_PERIOD):
            return f" Hệ thống chưa có số liệu {self._against()} để so sánh."
        change = self._change("directives.count", measure_key("directive_documents"))
        assert change is not None
        return f" {documents_compared(change)}"

    def directives_count(self) -> str:
        """The number of directive documents of the period, as printed; the template words a
        period without any ("0") as a sentence of its own ("không ban hành văn bản ... mới")."""
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
            change = self._change(f"indicator.{code}.value", measure_key(code), is_rate=True)
            if change is not None:
                verdict += f"; {change.phrase()}"
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
        note = self._completeness_note("all")
        if note and self.data.indicators:
            paragraph(self.document, f"Lưu ý: {note}.")

    def _totals(self, kinds: set[str]) -> dict:
        """The period's quantities of the groups of these kinds, by output type and (media
        items) by topic."""
        by_type: dict[str, int] = defaultdict(int)
        by_topic: dict[str, int] = defaultdict(int)
        for row in self.data.outputs:
            if row["source_kind"] not in kinds:
                continue
            by_type[row["output_type_code"]] += int(row["quantity"])
            if row["output_group"] == "media":
                by_topic[row["topic_code"]] += int(row["quantity"])
        return {"by_type": by_type, "by_topic": by_topic}

    def _listed(
        self,
        figure_id: str,
        label: str,
        value: int,
        source: Lineage,
        role: str | None,
        key: str,
        compared_rows: Lineage | None,
        unit: str,
        what: str = "",
        none: str = "",
    ) -> str | None:
        """A count as a list of the body says it: with its unit, with what the unit does not
        already say (`what`, the output type's label), and, when the group is compared (by
        its `role`), its change: "44 tin, bài (+5; +12,8%)". A count of none is left out
        (None: no figure is recorded), or, when the period compared with had some, said
        plainly: "không có ảnh (cùng kỳ năm 2025: 16)" (`none`: what there was none of, when
        not the unit)."""
        if value:
            text = self.book.count(figure_id, label, value, source=source)
            change = self._change(figure_id, key, lineage=compared_rows) if role else None
            return _unit_after(text if change is None else f"{text} ({change.note()})", unit, what)
        change = self._had_some(figure_id, label, source, key, compared_rows) if role else None
        if change is None:
            return None
        return f"{NONE}{none or unit} ({change.against}: {change.base_text()})"

    def _had_some(
        self, figure_id: str, label: str, source: Lineage, key: str, compared_rows: Lineage | None
    ) -> Change | None:
        """For a figure that is none this period: its comparison when the period compared
        with had some (the figure, 0, and its value then recorded), else None (nothing
        recorded: a zero the body leaves out)."""
        if not (self.data.has_compared_data(SAME_PERIOD) and self._compared_value(key)):
            return None
        self.book.count(figure_id, label, 0, source=source)
        return self._change(figure_id, key, lineage=compared_rows)

    def _media_sentence(self, kind: str, role: str | None = None) -> str:
        """A group's media items: the total, then by type and by topic, each against the same
        period a year earlier when the group is compared, by its `role`; a type or topic with
        none is left out, or said plainly when the year before had some."""
        totals = self._totals({kind})
        role_rows = {"source_role": role} if role else None

        def compared_rows(**columns) -> Lineage | None:
            return of_rows(**role_rows, **columns) if role_rows else None

        media_types = [
            code for code, row in self.data.output_types.items() if row["output_group"] == "media"
        ]
        title = self.group_titles[kind]
        items = "tin, bài, chương trình tuyên truyền"
        value = sum(totals["by_type"].get(code, 0) for code in media_types)
        if not value:
            said = self._listed(
                f"outputs.{kind}.media.all",
                f"{title}: tổng số tin, bài, chương trình",
                0,
                of_rows(source_kind=kind, output_group="media"),
                role,
                measure_key("items", role or "", "media"),
                compared_rows(output_group="media"),
                items,
            )
            return said or f"không có {items} trong kỳ"
        total = self.book.count(
            f"outputs.{kind}.media.all",
            f"{title}: tổng số tin, bài, chương trình",
            value,
            source=of_rows(source_kind=kind, output_group="media"),
        )
        total_change = (
            self._change(
                f"outputs.{kind}.media.all",
                measure_key("items", role, "media"),
                lineage=compared_rows(output_group="media"),
            )
            if role
            else None
        )
        parts = []
        for code in media_types:
            output_type = self.data.output_types[code]
            parts.append(
                self._listed(
                    f"outputs.{kind}.{code}.all",
                    f"{title}: {output_type['output_type_label_vi']}",
                    totals["by_type"].get(code, 0),
                    of_rows(source_kind=kind, output_type_code=code),
                    role,
                    measure_key("items", role or "", "media", code),
                    compared_rows(output_type_code=code),
                    output_type["unit_label_vi"],
                )
            )
        topics = []
        for code, topic in self.data.topics.items():
            about = f"về {_lower_first(topic['topic_label_vi'])}"
            topics.append(
                self._listed(
                    f"outputs.{kind}.media.{code}",
                    f"{title}: tin, bài về {topic['topic_label_vi']}",
                    totals["by_topic"].get(code, 0),
                    of_rows(source_kind=kind, output_group="media", topic_code=code),
                    role,
                    measure_key("items", role or "", "media", "all", code),
                    compared_rows(output_group="media", topic_code=code),
                    about,
                    none=f"tin, bài {about}",
                )
            )
        compared = f", {total_change.phrase('tin, bài, chương trình')}" if total_change else ""
        return (
            f"đã đăng tải, phát sóng {total} {items}{compared}, gồm "
            f"{_joined(parts)}. Trong đó, {_joined(topics)}"
            f"{_noted(self._completeness_note(role)) if role else ''}"
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
        """The sentences of "Kết quả cụ thể", one per group of sources of the period, each
        figure against the same period a year earlier; a group that sent nothing says so, in
        place of a sentence about its work. Groups that share a role (the district and the
        commune offices of 2025) are compared together, in a line of their own."""
        missing_postings = [
            flag for flag in self.data.flags if flag["check_name"] == "monthly_trafficking_posting"
        ]
        groups = []
        for group in self.data.groups:
            kind = group["source_kind"]
            role = self._role(kind)
            if not group["has_data"]:
                text = self._no_data_sentence(group)
            elif group["is_local_office"]:
                lead = group["result_lead_vi"] or "kết quả:"
                text = f"{lead} {self._local_sentence(kind, role)}"
            else:
                text = self._media_sentence(kind, role) + self._predecessor_note(kind, role)
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
        summary = self._role_summary()
        if summary:
            groups.append(summary)
        training = self._training_count()
        return {
            "groups": groups,
            "training": training,
            "training_comparison": self._training_comparison() if training else "",
            "no_training": None if training else self._no_training(),
            "reporting": self._reporting_sentence(),
        }

    def _predecessor_note(self, kind: str, role: str | None) -> str:
        """After a merged outlet's comparison: whose figures it is compared with (BAO-LS and
        PTTH-LS before 1 July 2025, for BPTTH-LS)."""
        if role is None or not self.data.has_compared_data(SAME_PERIOD):
            return ""
        base = self.data.period.base
        names = []
        for source in self.data.sources.values():
            if source["source_kind"] != kind or not self._registered_in_period(source):
                continue
            for code in source["predecessor_codes"] or []:
                before = self.data.sources.get(code)
                if (
                    before
                    and before["valid_from"] <= base.end
                    and (before["valid_to"] is None or before["valid_to"] >= base.start)
                ):
                    names.append(before["source_name"])
        if not names:
            return ""
        return f"; số liệu {self._against()} là của {', '.join(dict.fromkeys(names))}"

    def _role_summary(self) -> dict | None:
        """The local offices of a period with both kinds (2025: the district offices until
        June, the commune offices from July), together, against the same period a year earlier:
        the groups' own lines are not compared, their sum is."""
        kinds = self._kinds_of("local_office")
        if len(kinds) < 2 or not self.data.has_compared_data(SAME_PERIOD):
            return None
        titles = " và ".join(
            f"{levels_vi(group['source_kind'])}{_months_note(group)}"
            for group in self.data.groups
            if group["source_kind"] in kinds
        )
        text = self._local_sentence(None, "local_office", figure_kind="local_office")
        return {"kind": "local_office", "label": f"Cộng chung {titles}", "text": text}

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
            return f"chưa nhận được báo cáo tháng nào của {registered} đơn vị phải báo cáo"
        return f"chưa đến hạn gửi báo cáo tháng ({registered} đơn vị phải báo cáo)"

    def _local_sentence(
        self, kind: str | None, role: str | None = None, figure_kind: str = ""
    ) -> str:
        """A local group's activities by type, with the communes counselled and the people
        who attended; compared by role when given (the levels of local government named when
        they differ between the two periods). A type with none is left out, or said plainly
        when the year before had some ("không có chương trình phát thanh (cùng kỳ năm 2025:
        233)")."""
        figure_kind = figure_kind or str(kind)
        kinds = {kind} if kind else self._kinds_of(role)
        totals = self._totals(kinds)["by_type"]
        where: dict[str, object] = {"source_kind": kind} if kind else {"source_role": role}
        role_rows = {"source_role": role} if role else None

        def compared_rows(**columns) -> Lineage | None:
            return of_rows(**role_rows, **columns) if role_rows else None

        title = self.group_titles.get(figure_kind, "Cấp huyện và cấp xã")
        parts = []
        for code, row in self.data.output_types.items():
            if row["output_group"] == "capacity":
                continue
            text = self._listed(
                f"outputs.{figure_kind}.{code}.all",
                f"{title}: {row['output_type_label_vi']}",
                totals.get(code, 0),
                of_rows(**where, output_type_code=code),
                role,
                measure_key("items", role or "", row["output_group"], code),
                compared_rows(output_type_code=code),
                row["unit_label_vi"],
                # where the sessions were held is said after them ("tại 34 xã")
                "" if code == "tu_van" else _lower_first(row["output_type_label_vi"]),
            )
            if text is None:
                continue
            if code == "tu_van" and totals.get(code):
                text += self._counselled(kinds, figure_kind, title, where, role)
            parts.append(text)
        sentence = _joined(parts) or "không phát sinh hoạt động tuyên truyền ở cơ sở trong kỳ"
        if role and self.data.has_compared_data(SAME_PERIOD):
            sentence += self._levels_note(role) + _noted(self._completeness_note(role))
        return sentence

    def _counselled(
        self, kinds: set[str], figure_kind: str, title: str, where: dict, role: str | None
    ) -> str:
        """After the counselling sessions, where they were held and who attended: " tại 34 xã
        với 18.557 lượt người tham dự" (each compared by role when given); either left out
        where it is none (files that gave no one attending)."""
        counselling = [
            self.data.counselling.get(each, {"communes": 0, "people": 0}) for each in kinds
        ]
        text = ""
        for measure, preposition, unit, label in [
            ("communes", "tại", "xã", "số xã được tư vấn trực tiếp"),
            ("people", "với", "lượt người tham dự", "số lượt người được tư vấn trực tiếp"),
        ]:
            value = sum(int(each[measure]) for each in counselling)
            if not value:  # not "với 0 lượt người", nor "với không có ..."
                continue
            counted = self._listed(
                f"counselling.{figure_kind}.{measure}",
                f"{title}: {label}",
                value,
                of_rows(**where, output_type_code="tu_van"),
                role,
                measure_key(f"counselled_{measure}", role or "", "grassroots", "tu_van"),
                of_rows(source_role=role, output_type_code="tu_van") if role else None,
                unit,
            )
            text += f" {preposition} {counted}"
        return text

    def _levels_note(self, role: str) -> str:
        """Which level of local government the figures compared with came from, when it is not
        this period's: "số liệu cùng kỳ năm 2025 là của cấp huyện"."""
        row = self.data.comparisons[SAME_PERIOD].get(measure_key("reporting_rate", role))
        if not row or row["compared_source_kinds"] == row["current_source_kinds"]:
            return ""
        compared = levels_vi(row["compared_source_kinds"])
        return f"; số liệu {self._against()} là của {compared}" if compared else ""

    def _training_count(self) -> str | None:
        """The training sessions of the period; None when there were none (`_no_training`)."""
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

    def _no_training(self) -> str | None:
        """For a period without training sessions, how many the period compared with had
        ("cùng kỳ năm 2025: 9 lớp"); None when it had none either (nothing is said)."""
        change = self._had_some(
            "outputs.all.tap_huan.all",
            "Số lớp tập huấn",
            of_rows(output_type_code="tap_huan"),
            measure_key("items", "all", "capacity", "tap_huan"),
            None,
        )
        return f"{change.against}: {change.base_text()} lớp" if change else None

    def _training_comparison(self) -> str:
        change = self._change(
            "outputs.all.tap_huan.all", measure_key("items", "all", "capacity", "tap_huan")
        )
        return f", {change.phrase('lớp')}" if change else ""

    def _reporting_sentence(self) -> str | None:
        """How many of the monthly reports due were received, and on time, against the same
        period a year earlier."""
        texts = self.completeness_figures()
        if texts is None:
            return None
        received = self._change(
            "completeness.reporting_rate", measure_key("reporting_rate"), is_rate=True
        )
        on_time = self._change(
            "completeness.on_time_rate", measure_key("on_time_rate"), is_rate=True
        )
        return (
            f"đã nhận {texts['received']}/{texts['expected']} báo cáo tháng đến hạn (tỷ lệ "
            f"{texts['reporting_rate']}{', ' + received.phrase() if received else ''}); đúng "
            f"hạn {texts['on_time']} báo cáo (tỷ lệ {texts['on_time_rate']}"
            f"{', ' + on_time.phrase() if on_time else ''})"
        )


def _noted(note: str) -> str:
    return f" (lưu ý: {note})" if note else ""


def _joined(items: Sequence[str | None]) -> str:
    """The items of a list that are said (a zero left out is None), as a sentence lists them:
    what was done first, then what there was none of ("không có ảnh (cùng kỳ ...)")."""
    said = [item for item in items if item]
    return "; ".join(sorted(said, key=lambda item: item.startswith(NONE)))


def _unit_after(quantity: str, unit: str, label: str = "") -> str:
    """ "44 (+5; +12,8%)" and "tin, bài" as "44 tin, bài (+5; +12,8%)"; with a label that
    says more than the unit, "34.482 lượt phát (phát trên hệ thống truyền thanh cơ sở,
    +1.200; +3,6%)". A label whose every word the unit already says ("chương trình phát
    thanh", "phát trên hệ thống truyền thanh cơ sở" after "lượt phát trên hệ thống truyền
    thanh cơ sở") is not said again."""
    number, _, note = quantity.partition(" (")
    said = _words(label) <= _words(unit)
    inside = [part for part in ("" if said else label, note[:-1]) if part]
    return f"{number} {unit}" + (f" ({', '.join(inside)})" if inside else "")


def _words(text: str) -> set[str]:
    """The words of a text, in lower case (with their diacritics: "xã" is not "xa")."""
    return set(re.findall(r"\w+", text.lower()))


def _months_note(group: dict) -> str:
    """ " (tháng 7-12/2025)" for a group registered for only some months of the period
    (" (tháng 1/2022-6/2025)" across years), as rpt_source_groups words it."""
    return f" ({group['months_span_vi']})" if group.get("months_span_vi") else ""
