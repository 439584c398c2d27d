"""The sections of the report the department writes (`/so/noi-dung`): what each section's box
starts from, the figures it may cite, how it will print, every version saved and what each
changed.

The texts are the report's own: `report.narrative.NarrativeStore` on the home, the file the
nightly report reads and its history of versions (who saved each, when, and the figures of its
section then). The drafts, the figures and the stale citations are those the period's last
report wrote into its figures.json. Saving writes the home's narrative file and its history,
nothing else: never the warehouse.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from pathlib import Path

from outreach.core.home import Home
from outreach.core.numbers import format_count
from outreach.core.periods import Period, latest_first, parse_period
from outreach.core.scope import Scope
from outreach.core.text import nfc
from outreach.portal.store import Store, current_approvals
from report.narrative import (
    FROM_FILE,
    MAX_SECTION_CHARS,
    SECTIONS,
    NarrativeStore,
    Version,
    fill_figures,
    named_figures,
    paragraphs_of,
    stale_citations,
)

REPORT_FILE = "figures.json"  # beside the period's .docx: `report.build.report_paths`
SAVE, PREVIEW = "luu", "xem-truoc"
ACTIONS = (SAVE, PREVIEW)
# a form of one section: its text (a character is at most 9 bytes URL-encoded) with room for a
# text twice too long, which is answered with its message and kept in its box
MAX_FORM_BYTES = 2 * 9 * MAX_SECTION_CHARS + 8 * 1024
CACHED_REPORTS = 16  # the figures.json files kept parsed (a province's is about 2 MB)


class NotSaved(ValueError):
    """The text cannot be saved as it is; the message (Vietnamese) says why and what to do."""


@dataclass(frozen=True)
class ReportFigures:
    """What a period's last report wrote for the editor: each section as it printed it (key →
    `report.drafting.Section.as_dict()`) and every figure (id → label_vi, value, text, part)."""

    sections: dict[str, dict]
    figures: dict[str, dict]

    def texts(self) -> dict[str, str]:
        return {figure_id: figure["text"] for figure_id, figure in self.figures.items()}

    def body(self) -> list[dict]:
        return [figure for figure in self.figures.values() if figure.get("part") == "body"]

    def rows(self, ids: Sequence[str]) -> list[dict]:
        """The figures of `ids` the report has, each once, in that order."""
        return [self.figures[i] for i in dict.fromkeys(ids) if i in self.figures]

    def draft(self, key: str) -> list[str]:
        """The section's draft as the report wrote it (empty once saved, unless drafted from
        the figures)."""
        return [sentence["text"] for sentence in self.sections.get(key, {}).get("draft") or []]


_parsed: dict[Path, tuple[tuple[int, int], ReportFigures]] = {}
_parsed_lock = threading.Lock()


def report_figures(home: Home, scope: Scope, period_code: str) -> ReportFigures | None:
    """The period's figures.json, parsed once for each version of the file (None: no report)."""
    path = scope.report_dir(home, period_code) / REPORT_FILE
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _parsed_lock:
        cached = _parsed.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with open(path, encoding="utf-8") as handle:
        payload = json.load(handle)
    found = ReportFigures(
        {entry["key"]: entry for entry in payload.get("sections") or []},
        {
            figure["id"]: {
                key: figure.get(key) for key in ("id", "label_vi", "value", "text", "part")
            }
            for figure in payload.get("figures") or []
        },
    )
    with _parsed_lock:
        if len(_parsed) >= CACHED_REPORTS:
            _parsed.pop(next(iter(_parsed)))
        _parsed[path] = (stamp, found)
    return found


def report_periods(home: Home, scope: Scope) -> list[Period]:
    """The periods the province has a report of (its figures.json), the latest first."""
    found = []
    for folder in home.reports.iterdir() if home.reports.is_dir() else []:
        try:
            period = parse_period(folder.name)
        except ValueError:
            continue
        if (scope.report_dir(home, period.code) / REPORT_FILE).is_file():
            found.append(period)
    return latest_first(found)


def narrative_store(home: Home, scope: Scope) -> NarrativeStore:
    """The saved texts of the province: the same ones its report reads (`report.build`)."""
    return NarrativeStore(home.root, None if scope.is_home_province else scope.key)


def is_approved(store: Store, scope: Scope, period_code: str) -> bool:
    """Whether the province's period is approved (its report signed) and not re-opened."""
    return any(
        entry["province_code"] == scope.province_code and entry["period_code"] == period_code
        for entry in current_approvals(store)
    )


def saved_moment(version: Version) -> datetime:
    return datetime.fromisoformat(version.saved_at)


@dataclass
class SectionView:
    """A section on the editor: its state (saved, drafted, carried, placeholder) and how the
    page names it, the text its box starts from, the version an edit starts from, the figures it
    may cite, and the saved sentences citing a figure that changed since."""

    key: str
    title: str
    state: str
    label: str
    text: str
    base_version: int
    note: str = ""
    figures: list[dict] = field(default_factory=list)
    stale: list[dict] = field(default_factory=list)
    versions: int = 0

    @property
    def is_draft(self) -> bool:
        return self.state != "saved"


def _state_label(state: str, printed: dict) -> str:
    if state == "carried" and printed.get("carried_from"):
        try:
            return f"Dự thảo chuyển từ báo cáo {parse_period(printed['carried_from']).label_vi}"
        except ValueError:
            return f"Dự thảo chuyển từ báo cáo {printed['carried_from']}"
    if state == "drafted":
        cites = any(sentence.get("figures") for sentence in printed.get("draft") or [])
        return "Dự thảo từ số liệu" if cites else "Dự thảo"
    return "Chưa có nội dung"


def _saved_label(latest: Version | None, current: bool, clock: Callable[[datetime], str]) -> str:
    if latest is None:
        return "Đã lưu — nội dung có sẵn trong tệp, chưa lưu lần nào trên Cổng thông tin"
    if not current:
        return f"Đã lưu — nội dung trong tệp đã được sửa ngoài Cổng sau phiên bản {latest.number}"
    return f"Đã lưu — phiên bản {latest.number}, {latest.saved_by}, {clock(saved_moment(latest))}"


def _stale(report: ReportFigures, key: str, latest: Version | None, current: bool) -> list[dict]:
    """The citations of the saved text to figures that changed since it was saved: the report's
    (figures.json) when it printed the version saved last, else computed here the same way."""
    printed = report.sections.get(key, {})
    if printed.get("state") == "saved" and printed.get("saved_version") == (
        latest.number if latest and current else None
    ):
        return list(printed.get("stale") or [])
    if latest is None or not current:
        return []
    return [asdict(found) for found in stale_citations(latest, report.figures)]


def sections(
    home: Home,
    scope: Scope,
    period_code: str,
    report: ReportFigures,
    clock: Callable[[datetime], str] = datetime.isoformat,
) -> list[SectionView]:
    """Every section of the period, in report order: the text saved (the store's, which the
    next report prints), else the draft the last report printed; `clock` writes a moment as the
    page shows it."""
    store = narrative_store(home, scope)
    saved = store.load(period_code).sections
    history = store.history(period_code)
    views = []
    for key, title in SECTIONS.items():
        printed = report.sections.get(key, {})
        versions = [version for version in history if version.section == key]
        latest = versions[-1] if versions else None
        text = saved.get(key)
        if text:
            current = latest is not None and list(latest.paragraphs) == text
            label = _saved_label(latest, current, clock)
            view = SectionView(key, title, "saved", label, "\n".join(text), 0)
            view.stale = _stale(report, key, latest, current)
        else:
            draft = report.draft(key)
            state = printed.get("state", "placeholder")
            if state == "saved" or not draft:  # a saved text since removed: its draft, if any
                state = "drafted" if draft else "placeholder"
            view = SectionView(key, title, state, _state_label(state, printed), "\n".join(draft), 0)
            view.note = printed.get("note") or ""
        view.base_version = latest.number if latest else 0
        view.versions = len(versions)
        view.figures = report.rows([*(printed.get("figures") or []), *named_figures(view.text)])
        views.append(view)
    return views


def stale_notices(home: Home, scope: Scope, store: Store) -> list[dict]:
    """For the department's home page: each period not yet approved whose saved sections cite a
    figure that changed since they were saved (period, and each section's key, title, count)."""
    notices = []
    for period in report_periods(home, scope):
        if is_approved(store, scope, period.code):
            continue
        report = report_figures(home, scope, period.code)
        if report is None:
            continue
        found = [
            {"key": view.key, "title": view.title, "count": len(view.stale)}
            for view in sections(home, scope, period.code, report)
            if view.stale
        ]
        if found:
            notices.append({"period": period, "sections": found})
    return notices


def preview(text: str, report: ReportFigures) -> tuple[list[str], list[str]]:
    """The text as the report will print it once saved: its paragraphs with each `{figure id}`
    replaced by the figure's text, and the ids the report has no figure for."""
    texts = report.texts()
    printed, unknown = [], []
    for paragraph in paragraphs_of(text):
        filled, missing = fill_figures(paragraph, texts)
        printed.append(filled)
        unknown += missing
    return printed, list(dict.fromkeys(unknown))


def snapshot(key: str, text: str, report: ReportFigures) -> dict[str, dict]:
    """The figures a saved text goes with (those of its section and those it names), as the
    report has them now: what a later report compares with to find a stale citation."""
    ids = [*(report.sections.get(key, {}).get("figures") or []), *named_figures(text)]
    return {
        figure["id"]: {name: figure[name] for name in ("label_vi", "value", "text")}
        for figure in report.rows(ids)
    }


def checked_text(text: str, report: ReportFigures) -> str:
    """The text of a box, NFC, line ends as typed; NotSaved if it is too long, empty, or names a
    figure the report has not."""
    text = nfc(text).replace("\r\n", "\n")
    if len(text) > MAX_SECTION_CHARS:
        raise NotSaved(
            f"Nội dung dài {format_count(len(text))} ký tự, quá giới hạn "
            f"{format_count(MAX_SECTION_CHARS)} ký tự của một mục (khoảng sáu trang). Hãy rút "
            "gọn rồi lưu lại; nội dung vẫn ở trong ô."
        )
    if not paragraphs_of(text):
        raise NotSaved(
            "Ô nội dung đang trống. Hãy viết nội dung của mục (hoặc chép lại bản dự thảo) rồi lưu."
        )
    _, unknown = preview(text, report)
    if unknown:
        names = ", ".join(f"{{{figure_id}}}" for figure_id in unknown)
        raise NotSaved(
            f"Báo cáo kỳ này không có số liệu {names}. Hãy chọn mã trong danh sách số liệu bên "
            "cạnh, hoặc xóa phần trong ngoặc nhọn; nội dung vẫn ở trong ô."
        )
    return text


def save(
    home: Home,
    scope: Scope,
    period_code: str,
    key: str,
    text: str,
    *,
    login: str,
    base_version: int,
    report: ReportFigures,
) -> Version:
    """Save the section's text as its next version (`SavedMeanwhile` when another was saved
    since `base_version`; NotSaved when the text cannot be)."""
    text = checked_text(text, report)
    store = narrative_store(home, scope)
    latest = store.latest(period_code, key)
    if base_version > (latest.number if latest else 0):  # versions only ever grow
        raise NotSaved("Trang này đã cũ (không có phiên bản đó). Hãy tải lại trang rồi lưu lại.")
    return store.save(
        period_code,
        key,
        paragraphs_of(text),
        saved_by=login,
        figures=snapshot(key, text, report),
        base_version=base_version,
    )


@dataclass(frozen=True)
class Piece:
    """A run of words of a difference: kept, removed or added; or a paragraph break."""

    kind: str  # same, removed, added
    text: str
    is_break: bool = False


BREAK = "\n"


def _words(paragraphs: Sequence[str]) -> list[str]:
    words: list[str] = []
    for number, paragraph in enumerate(paragraphs):
        if number:
            words.append(BREAK)
        words += paragraph.split()
    return words


def word_diff(before: Sequence[str], after: Sequence[str]) -> list[Piece]:
    """What changed, word by word, from the paragraphs `before` to `after`."""
    old, new = _words(before), _words(after)
    pieces: list[Piece] = []

    def runs(kind: str, words: list[str]) -> None:
        run: list[str] = []
        for word in [*words, None]:
            if word is None or word == BREAK:
                if run:
                    pieces.append(Piece(kind, " ".join(run)))
                    run = []
                if word == BREAK:
                    pieces.append(Piece(kind, "", is_break=True))
            else:
                run.append(word)

    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, start, end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            runs("same", old[start:end])
        if tag in ("delete", "replace"):
            runs("removed", old[start:end])
        if tag in ("insert", "replace"):
            runs("added", new[new_start:new_end])
    return pieces


@dataclass
class VersionView:
    """A saved version, and what it changed from the one before (the first: from the draft, when
    the report has it)."""

    number: int
    saved_by: str
    saved_at: datetime
    paragraphs: tuple[str, ...]
    diff: list[Piece]
    against: str  # what the diff is against: "phiên bản 2", "bản dự thảo", "" (nothing)

    @property
    def from_file(self) -> bool:
        return self.saved_by == FROM_FILE


def versions(
    home: Home, scope: Scope, period_code: str, key: str, report: ReportFigures
) -> list[VersionView]:
    """Every version of the section, the newest first, each with its difference (a text found
    in the file first: against nothing)."""
    found: list[VersionView] = []
    before: Sequence[str] = report.draft(key)
    against = "bản dự thảo" if before else ""
    for version in narrative_store(home, scope).history(period_code, key):
        if version.saved_by == FROM_FILE and not found:
            before, against = (), ""
        found.append(
            VersionView(
                version.number,
                version.saved_by,
                saved_moment(version),
                version.paragraphs,
                word_diff(before, version.paragraphs),
                against,
            )
        )
        before, against = version.paragraphs, f"phiên bản {version.number}"
    return found[::-1]
