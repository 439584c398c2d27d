"""The sections people write, as the report prints them: the text a person saved, else a draft.

"Đánh giá", "Ưu điểm" and "Tồn tại, hạn chế" are drafted from the period's figures: each
sentence is built from figures the report records (figures.json carries them, with the ids each
sentence cites), never a sentence without one. "Mở đầu", "Giải pháp khắc phục" and "Phương hướng,
nhiệm vụ" start from the text saved for an earlier period (the previous one of the same kind
first). A draft is printed highlighted under a note saying it is one, until someone saves the
section's text in the portal; then the saved text is printed as it is, and figures.json says
which of its sentences cite a figure that has changed since.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from outreach.core.text import lower_first
from report.comparing import Comparing
from report.comparisons import SAME_PERIOD, Change
from report.docx_parts import paragraph
from report.figures import DRAFT_ONLY, of_rows
from report.narrative import (
    DRAFTED_FROM_FIGURES,
    PLACEHOLDER,
    SECTIONS,
    NarrativeStore,
    StaleCitation,
    fill_figures,
    named_figures,
    stale_citations,
)

# the programme's own topic: the assessment states its items apart
PROGRAMME_TOPIC = "mua_ban_nguoi"
# a change is among the largest when its base was at least this many (3 → 9 is not news) or
# it is new with at least this many now; at most this many rises and falls are named
NOTABLE_BASE = 10
NAMED_CHANGES = 3
NAMED_SOURCES = 10  # the sources that sent nothing, named one by one up to this many

DRAFT_NOTE = (
    "(Dự thảo do hệ thống soạn từ số liệu của báo cáo; cán bộ đọc lại, sửa và lưu trên Cổng "
    "thông tin, trang Nội dung báo cáo)"
)
CARRIED_NOTE = (
    "(Dự thảo chuyển từ báo cáo {label}; cán bộ đọc lại, sửa và lưu trên Cổng thông tin, "
    "trang Nội dung báo cáo)"
)
OPENING_DRAFT = (
    "Thực hiện Công văn số …/… ngày …/…/… của Ban Chỉ đạo 138 tỉnh về việc báo cáo {subject} "
    "{period}, {issuer} báo cáo kết quả như sau:"
)


@dataclass(frozen=True)
class Sentence:
    """A drafted paragraph and the ids of the figures it is built from."""

    text: str
    figures: tuple[str, ...]


@dataclass
class Section:
    """A section as printed, and what the portal shows beside it (figures.json `sections`)."""

    key: str
    title: str
    state: str  # saved, drafted (from figures), carried (from an earlier period), placeholder
    printed: list[str]
    note: str = ""  # the draft's note ("" once saved)
    draft: list[Sentence] = field(default_factory=list)
    carried_from: str | None = None  # the period a carried draft comes from
    figures: list[str] = field(default_factory=list)  # the figures the section may cite
    saved_version: int | None = None
    saved_by: str | None = None
    saved_at: str | None = None
    stale: list[StaleCitation] = field(default_factory=list)
    unknown_figures: list[str] = field(default_factory=list)

    @property
    def is_draft(self) -> bool:
        return self.state != "saved"

    def as_dict(self) -> dict:
        entry = asdict(self)
        entry["draft"] = [
            {"text": sentence.text, "figures": list(sentence.figures)} for sentence in self.draft
        ]
        return entry


class Drafting(Comparing):
    """The part of the report writer that prints the sections people write."""

    config: dict
    group_titles: dict[str, str]
    narratives: NarrativeStore
    sections: dict[str, Section]

    if TYPE_CHECKING:  # the writer's other parts, which a draft reads
        document: Any

        def _indicator_figures(self, indicator: dict) -> dict[str, str | None]: ...
        def completeness_figures(self) -> dict[str, str] | None: ...
        def rate_line_figures(self, rate: dict) -> dict[str, str]: ...
        def annex_ref(self, key: str) -> str: ...

    # --- the figures a draft is built from ---------------------------------------------------

    def _said(self, text: str, *figure_ids: str) -> Sentence:
        missing = [figure_id for figure_id in figure_ids if figure_id not in self.book.figures]
        if not figure_ids or missing:
            raise ValueError(f"a drafted sentence without its figures {missing}: {text!r}")
        return Sentence(text, tuple(figure_ids))

    def _total_media(self, topic: str = "all") -> tuple[str, Change | None]:
        """All groups' media items of the period (of one topic), with the comparison."""
        rows = [r for r in self.data.outputs if r["output_group"] == "media"]
        if topic != "all":
            rows = [r for r in rows if r["topic_code"] == topic]
        label = "Tổng số tin, bài, chương trình" + (
            f" về {self.data.topics[topic]['topic_label_vi'].lower()}" if topic != "all" else ""
        )
        where = {"output_group": "media", **({"topic_code": topic} if topic != "all" else {})}
        figure_id = f"outputs.all.media.{topic}"
        self.book.count(
            figure_id, label, sum(int(r["quantity"]) for r in rows), source=of_rows(**where)
        )
        change = self._change(figure_id, f"items:all:media:all:{topic}")
        return figure_id, change

    def _changes(self) -> list[tuple[str, Change]]:
        """The compared counts by group and output type (as the body printed them), each with
        its comparison with the same period a year earlier."""
        found = []
        for figure_id, (key, is_rate, _) in self.compared.items():
            measure, role, _, output_type, topic = key.split(":")
            if is_rate or measure != "items" or role == "all" or output_type == "all":
                continue
            if topic != "all" or not figure_id.startswith("outputs."):
                continue
            row = self.data.comparisons[SAME_PERIOD].get(key)
            change = Change.of(row, self._against(), is_rate=False)
            if change.is_comparable and change.change:
                found.append((figure_id, change))
        return found

    def _notable(self, rising: bool) -> list[tuple[str, Change]]:
        """The largest rises (or falls), by their share of the base, of the counts that were
        at least `NOTABLE_BASE` then (or, new, now)."""
        chosen = []
        for figure_id, change in self._changes():
            if ((change.change or 0) > 0) != rising:
                continue
            if change.is_new and (change.current or 0) >= NOTABLE_BASE:
                chosen.append((float("inf"), figure_id, change))
            elif (change.compared or 0) >= NOTABLE_BASE and change.ratio is not None:
                chosen.append((abs(change.ratio), figure_id, change))
        chosen.sort(key=lambda item: (-item[0], item[1]))
        return [(figure_id, change) for _, figure_id, change in chosen[:NAMED_CHANGES]]

    def _change_item(self, figure_id: str, change: Change) -> str:
        """ "số lượt tuyên truyền bằng xe lưu động (UBND các xã, phường) tăng 201 (tăng
        135,8%), lên 349"; "không còn ảnh nào (Báo …), cùng kỳ năm 2025 có 16"."""
        _, kind, code, _ = figure_id.split(".")
        unit = self.data.output_types[code]["unit_label_vi"]  # "phóng sự", "lượt phát trên …"
        title = in_sentence(self.group_titles.get(kind) or "cấp huyện và cấp xã")
        figures = self.book.figures
        now = figures[figure_id].text
        if change.is_new:
            return f"số {unit} ({title}) tăng từ 0 lên {now} (mới phát sinh)"
        if not change.current:
            base = figures[f"{figure_id}.same_period.base"].text
            return f"không còn {unit} nào ({title}), {self._against()} có {base}"
        amount = figures[f"{figure_id}.same_period.change"].text.lstrip("+\u2212")
        share = figures[f"{figure_id}.same_period.change_percent"].text.lstrip("+\u2212")
        if (change.change or 0) > 0:
            return f"số {unit} ({title}) tăng {amount} (tăng {share}), lên {now}"
        return f"số {unit} ({title}) giảm {amount} (giảm {share}), còn {now}"

    def _changes_sentence(self, rising: bool) -> Sentence | None:
        notable = self._notable(rising)
        if not notable:
            return None
        ids = [
            figure
            for figure_id, change in notable
            for figure in self._with_comparison(figure_id, change)
        ]
        lead = "tăng nhiều nhất" if rising else "giảm nhiều nhất"
        items = "; ".join(self._change_item(figure_id, change) for figure_id, change in notable)
        return self._said(f"So với {self._against()}, {lead} là: {items}.", *ids)

    # --- the drafted sections ----------------------------------------------------------------

    def _draft_assessment(self) -> list[Sentence]:
        """ "3. Đánh giá": the period's items against a year earlier, the largest rises and
        falls by group and output type, the indicators met, and how completely and on time the
        monthly reports came in, with the groups and the sources that sent nothing."""
        sentences = []
        total, total_change = self._total_media()
        topic, topic_change = self._total_media(PROGRAMME_TOPIC)
        topic_label = self.data.topics[PROGRAMME_TOPIC]["topic_label_vi"].lower()
        period = self.data.period.label_vi
        if self.book.figures[total].value:
            compared = f", {total_change.phrase('tin, bài, chương trình')}" if total_change else ""
            about = f", {topic_change.phrase()}" if topic_change else ""
            sentences.append(
                self._said(
                    f"Trong {period}, các cơ quan báo chí và các đơn vị đã đăng tải, phát sóng "
                    f"{self.book.figures[total].text} tin, bài, chương trình tuyên truyền"
                    f"{compared}; trong đó {self.book.figures[topic].text} tin, bài, chương "
                    f"trình về {topic_label}{about}.",
                    *self._with_comparison(total, total_change),
                    *self._with_comparison(topic, topic_change),
                )
            )
        else:
            sentences.append(
                self._said(
                    f"Trong {period}, các đơn vị chưa báo cáo tin, bài, chương trình tuyên "
                    "truyền nào.",
                    total,
                )
            )
        for rising in (True, False):
            said = self._changes_sentence(rising)
            if said:
                sentences.append(said)
        judged = [i for i in self.data.indicators if i["is_met"] is not None]
        if judged:
            met = [i for i in judged if i["is_met"]]
            count_met = self.book.count(
                "indicators.met.count", "Số chỉ tiêu đạt", len(met), source=None
            )
            count_judged = self.book.count(
                "indicators.judged.count",
                "Số chỉ tiêu có chỉ tiêu của kỳ",
                len(judged),
                source=None,
            )
            missed = [i for i in judged if not i["is_met"]]
            detail = ""
            ids = ["indicators.met.count", "indicators.judged.count"]
            if missed:
                parts = []
                for indicator in missed:
                    texts = self._indicator_figures(indicator)
                    code = indicator["indicator_code"]
                    ids += [f"indicator.{code}.value", f"indicator.{code}.target"]
                    parts.append(
                        f"{lower_first(indicator['indicator_label_vi'])} mới đạt "
                        f"{texts['value']} (chỉ tiêu {texts['target']})"
                    )
                detail = "; chưa đạt: " + "; ".join(parts)
            sentences.append(
                self._said(f"Đạt {count_met}/{count_judged} chỉ tiêu của kỳ{detail}.", *ids)
            )
        reporting = self._reporting_assessment()
        if reporting:
            sentences.append(reporting)
        return sentences

    def _with_comparison(self, figure_id: str, change: Change | None) -> list[str]:
        """A figure and those of its comparison that its sentence prints: a rate's change and
        the rate then; a count's change and its share (none from a base of zero); a count down
        to nothing, its value then."""
        if change is None or not change.is_comparable:
            return [figure_id]
        compared = f"{figure_id}.same_period"
        if change.is_same:  # "bằng cùng kỳ"; a rate "bằng mức 45,8% của cùng kỳ"
            return [figure_id, f"{compared}.base"] if change.is_rate else [figure_id]
        if change.is_rate:
            return [figure_id, f"{compared}.change", f"{compared}.base"]
        if change.is_new:
            return [figure_id, f"{compared}.change"]
        if not change.current:
            return [f"{compared}.base"]
        return [figure_id, f"{compared}.change", f"{compared}.change_percent"]

    def _group_rates(self) -> list[tuple[dict, dict[str, str]]]:
        """The period's reporting rate lines by kind of source, with their figures."""
        return [
            (rate, self.rate_line_figures(rate))
            for rate in self.data.reporting_rates
            if rate["aggregation_level"] == "source_kind" and rate["expected_reports"]
        ]

    def _silent_sources(self) -> list[str]:
        """The sources of which no monthly report due in the period came in (by name)."""
        due: Counter[str] = Counter()
        received: Counter[str] = Counter()
        for row in self.data.completeness:
            if row["is_expected"]:
                due[row["source_code"]] += 1
                received[row["source_code"]] += bool(row["is_received"])
        codes = sorted(code for code in due if not received[code])
        sources = self.data.sources
        return [sources[code]["source_name"] for code in codes if code in sources]

    def _reporting_assessment(self) -> Sentence | None:
        texts = self.completeness_figures()
        if texts is None:
            return None
        ids = [f"completeness.{name}" for name in ("received", "expected", "reporting_rate")]
        ids += ["completeness.on_time_rate"]
        text = (
            f"Các đơn vị đã gửi {texts['received']}/{texts['expected']} báo cáo tháng đến hạn "
            f"(tỷ lệ {texts['reporting_rate']}), tỷ lệ gửi đúng hạn {texts['on_time_rate']}"
        )
        lowest = [
            (rate, figures)
            for rate, figures in self._group_rates()
            if rate["reporting_rate"] is not None and rate["reporting_rate"] < 1
        ]
        lowest.sort(key=lambda item: item[0]["reporting_rate"])
        if lowest:
            rate, figures = lowest[0]
            key = f"rates.source_kind.{rate['aggregation_code']}.reporting_rate"
            ids.append(key)
            title = self.group_titles.get(rate["aggregation_code"], rate["aggregation_label_vi"])
            text += f"; tỷ lệ gửi thấp nhất là {in_sentence(title)} ({figures['reporting_rate']})"
        silent = self._silent_sources()
        if silent:
            count = self.book.count(
                "completeness.silent_sources.count",
                "Số đơn vị chưa gửi báo cáo tháng nào trong kỳ",
                len(silent),
                source=None,
            )
            ids.append("completeness.silent_sources.count")
            text += f"; {count} đơn vị chưa gửi báo cáo tháng nào trong kỳ ({_names(silent)})"
        return self._said(text + ".", *ids)

    def _draft_strengths(self) -> list[Sentence]:
        """ "4.1. Ưu điểm": the indicators met."""
        sentences = []
        for indicator in [i for i in self.data.indicators if i["is_met"]]:
            value = self._indicator_figures(indicator)["value"]
            sentences.append(
                self._said(
                    f"- {indicator['indicator_label_vi']}: {value}, đạt chỉ tiêu.",
                    f"indicator.{indicator['indicator_code']}.value",
                )
            )
        if not sentences and "indicators.met.count" in self.book.figures:
            sentences.append(
                self._said("- Chưa có chỉ tiêu nào đạt trong kỳ.", "indicators.met.count")
            )
        return sentences

    def _draft_limits(self) -> list[Sentence]:
        """ "4.2. Tồn tại, hạn chế", its part the figures say: the indicators missed, the
        monthly reports not received (by group) and the sources that sent none."""
        sentences = []
        for indicator in [i for i in self.data.indicators if i["is_met"] is False]:
            texts = self._indicator_figures(indicator)
            code = indicator["indicator_code"]
            sentences.append(
                self._said(
                    f"- {indicator['indicator_label_vi']}: {texts['value']}, chưa đạt chỉ tiêu "
                    f"{texts['target']}.",
                    f"indicator.{code}.value",
                    f"indicator.{code}.target",
                )
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
            ids = ["flags.missing_submission.count"]
            by_kind = Counter(
                self.data.sources[flag["source_code"]]["source_kind"]
                for flag in unreported
                if flag["source_code"] in self.data.sources
            )
            parts = []
            for group in self.data.groups:
                kind = group["source_kind"]
                if by_kind.get(kind) and len(by_kind) > 1:
                    figure_id = f"flags.missing_submission.{kind}.count"
                    number = self.book.count(
                        figure_id,
                        f"{self.group_titles[kind]}: số báo cáo tháng chưa nhận được",
                        by_kind[kind],
                        source=None,
                    )
                    ids.append(figure_id)
                    parts.append(f"{in_sentence(self.group_titles[kind])}: {number}")
            detail = f", trong đó {'; '.join(parts)}" if parts else ""
            sentences.append(
                self._said(
                    f"- Còn {count} báo cáo tháng của các đơn vị chưa gửi hoặc gửi nhưng không "
                    f"hợp lệ{detail} (chi tiết tại {self.annex_ref('flags')}).",
                    *ids,
                )
            )
        silent = self._silent_sources()
        if silent and "completeness.silent_sources.count" in self.book.figures:
            count = self.book.figures["completeness.silent_sources.count"].text
            sentences.append(
                self._said(
                    f"- {count} đơn vị chưa gửi báo cáo tháng nào trong kỳ: {_names(silent)}.",
                    "completeness.silent_sources.count",
                )
            )
        return sentences

    def _draft_opening(self) -> list[Sentence]:
        """ "Mở đầu" when no earlier period's is saved: the sentence with the requesting
        document's number and date to fill in."""
        return [
            Sentence(
                OPENING_DRAFT.format(
                    subject=lower_first(self.config["subject"]),
                    period=self.data.period.label_vi,
                    issuer=self.config["issuing_body_name"],
                ),
                (),
            )
        ]

    # --- the sections as printed -------------------------------------------------------------

    def _drafts(self) -> dict[str, list[Sentence]]:
        return {
            "danh_gia": self._draft_assessment(),
            "uu_diem": self._draft_strengths(),
            "ton_tai_han_che": self._draft_limits(),
        }

    def prepare_sections(self) -> None:
        """Decide what each section prints (before the annex: a draft's figures are the
        body's) and record it for figures.json."""
        narrative = self.narratives.load(self.data.period.code)
        self.book.part = DRAFT_ONLY  # until a draft is printed, its own figures are the draft's
        drafts = self._drafts()
        self.book.part = "body"
        texts = {figure_id: figure.text for figure_id, figure in self.book.figures.items()}
        for key, title in SECTIONS.items():
            section = Section(key, title, "drafted", [], draft=drafts.get(key, []))
            if key in DRAFTED_FROM_FIGURES:
                section.printed = [sentence.text for sentence in section.draft]
                section.note = DRAFT_NOTE
                if not section.draft:  # nothing the figures say: a person must write it
                    section.state = "placeholder"
                    section.printed = [PLACEHOLDER.format(title=title)]
            else:
                self._print_carried(section)
            saved = narrative.sections.get(key)
            if saved:  # the draft stays beside it, for the portal
                self._print_saved(section, saved, texts)
            cited = [figure for sentence in section.draft for figure in sentence.figures]
            section.figures = list(dict.fromkeys(cited + section.figures))
            self.sections[key] = section
        self.book.printed_in_body(
            {
                figure
                for section in self.sections.values()
                if section.state == "drafted"
                for sentence in section.draft
                for figure in sentence.figures
            }
        )

    def _print_saved(self, section: Section, saved: list[str], texts: dict[str, str]) -> None:
        section.state, section.note = "saved", ""
        printed = []
        for text in saved:
            filled, unknown = fill_figures(text, texts)
            printed.append(filled)
            section.unknown_figures += unknown
            section.figures += [f for f in named_figures(text) if f in texts]
        section.printed = printed
        latest = self.narratives.latest(self.data.period.code, section.key)
        if latest is not None and list(latest.paragraphs) == saved:
            section.saved_version = latest.number
            section.saved_by, section.saved_at = latest.saved_by, latest.saved_at
            now = {
                figure_id: {"value": figure.value, "text": figure.text}
                for figure_id, figure in self.book.figures.items()
            }
            section.stale = stale_citations(latest, now)

    def _print_carried(self, section: Section) -> None:
        carried = self.narratives.carried(self.data.period, section.key)
        if carried is not None:
            other, paragraphs = carried
            label = self.data.period.label_vi
            section.state, section.carried_from = "carried", other.code
            section.printed = [text.replace(other.label_vi, label) for text in paragraphs]
            section.draft = [Sentence(text, ()) for text in section.printed]
            section.note = CARRIED_NOTE.format(label=other.label_vi)
        elif section.key == "mo_dau":
            section.draft = self._draft_opening()
            section.printed = [sentence.text for sentence in section.draft]
            section.note = DRAFT_NOTE
        else:
            section.state = "placeholder"
            section.printed = [PLACEHOLDER.format(title=section.title)]

    def section_block(self, key: str) -> None:
        """Write a section into the current sub-document: a draft highlighted under its note."""
        section = self.sections[key]
        marked = section.is_draft and section.state != "placeholder"
        if marked:
            paragraph(self.document, section.note, italic=True, highlight=True)
        for text in section.printed:
            paragraph(self.document, text, highlight=marked)


def in_sentence(title: str) -> str:
    """A group's title inside a sentence: "các cơ quan báo chí …" (a name keeps its capitals)."""
    return lower_first(title) if title.startswith("Các ") else title


def _names(names: list[str]) -> str:
    """Up to `NAMED_SOURCES` names, then how many more."""
    shown = ", ".join(names[:NAMED_SOURCES])
    more = len(names) - NAMED_SOURCES
    return f"{shown} và {more} đơn vị khác" if more > 0 else shown


def format_sections(sections: list[dict]) -> str:
    """What an officer must do before signing, from a report's sections: those still drafts,
    and each saved sentence citing a figure that changed since it was saved ("" for none)."""
    lines = []
    drafts = [entry["title"] for entry in sections if entry["state"] != "saved"]
    if drafts:
        listed = ", ".join(f"“{title}”" for title in drafts)
        lines.append(f"Mục còn là dự thảo (chưa ai lưu nội dung): {listed}.")
    for entry in sections:
        for stale in entry.get("stale") or []:
            lines.append(
                f"- {entry['title']}: câu “{stale['sentence']}” nêu {stale['before']} "
                f"({stale['label']}), nay là {stale['now']}: cần đọc lại."
            )
    return "\n".join(lines)
