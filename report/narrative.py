"""The parts of the report people write, kept with every version of each.

A province's text of a period is a Markdown file, one `## <section>` heading per section: the
home province's in `$OUTREACH_HOME/narratives/<period>.md` (else the bundled
`report/narratives/<period>.md`, Lạng Sơn's), another province's or the country's in
`$OUTREACH_HOME/narratives/<province code or toan-quoc>/<period>.md`. The portal's editor writes
that file and appends each version it saves, with who saved it, when, and the figures of its
section as they were then, to `.lich-su/<period>.jsonl` beside it: nothing is ever overwritten
without its earlier version kept.

A section nobody has saved is drafted by the report (`report.drafting`). A saved text may name a
figure of the report by its id in braces (`{completeness.reporting_rate}`): the report prints the
figure's value there.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from outreach.core.periods import Period, parse_period
from outreach.core.text import fold, nfc

BUNDLED_DIR = Path(__file__).resolve().parent / "narratives"
HISTORY_DIR = ".lich-su"

# the sections of the report people may write, in report order, with their headings
SECTIONS = {
    "mo_dau": "Mở đầu",
    "danh_gia": "Đánh giá",
    "uu_diem": "Ưu điểm",
    "ton_tai_han_che": "Tồn tại, hạn chế",
    "giai_phap_khac_phuc": "Giải pháp khắc phục",
    "phuong_huong_nhiem_vu": "Phương hướng, nhiệm vụ",
}
# those a report drafts from its figures; the others start from an earlier period's saved text
DRAFTED_FROM_FIGURES = ("danh_gia", "uu_diem", "ton_tai_han_che")
PLACEHOLDER = (
    "[DỰ THẢO - cần bổ sung mục “{title}”: viết trên Cổng thông tin, trang Nội dung báo cáo]"
)
FILE_HEADER = (
    "# Nội dung do cán bộ viết cho báo cáo {period}\n\n"
    'Mỗi mục bắt đầu bằng một dòng "## Tên mục". Mỗi đoạn cách nhau một dòng trống; dòng bắt đầu\n'
    'bằng "- " là một gạch đầu dòng. Tệp này do Cổng thông tin ghi; các phiên bản trước ở thư mục\n'
    f"{HISTORY_DIR}/.\n"
)
# who a version was saved by when it was found in the file, not saved through the portal
FROM_FILE = "(tệp nội dung)"
MAX_SECTION_CHARS = 20_000  # a section longer than this is refused (about six pages)

# a figure named in a text: "{completeness.reporting_rate}"
REFERENCE = re.compile(r"\{([A-Za-z0-9_.:|-]+)\}")
# a number as the report prints one: "1.234", "99,3%", "+5", "−2"
NUMBER = re.compile(r"(?<![\w.,])[+\u2212-]?\d+(?:\.\d{3})*(?:,\d+)?%?(?![\w])")
SENTENCE_END = re.compile(r"(?<=[.;!?])\s+")


@dataclass
class Narrative:
    """The saved text of each section of one period (a section nobody saved is absent)."""

    path: Path | None
    sections: dict[str, list[str]]

    def is_written(self, key: str) -> bool:
        return bool(self.sections.get(key))


@dataclass(frozen=True)
class Version:
    """One saved text of a section: its number (1, 2, …), who saved it and when, and the
    figures of its section (id → label_vi, value, text) as the report had them then."""

    section: str
    number: int
    paragraphs: tuple[str, ...]
    saved_by: str
    saved_at: str  # ISO 8601, UTC
    figures: dict[str, dict] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "paragraphs": list(self.paragraphs)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Version:
        entry = json.loads(line)
        return cls(
            entry["section"],
            int(entry["number"]),
            tuple(entry["paragraphs"]),
            entry["saved_by"],
            entry["saved_at"],
            entry.get("figures") or {},
        )


class SavedMeanwhile(Exception):
    """Someone saved the section after the editor opened it: nothing was saved."""

    def __init__(self, latest: Version) -> None:
        super().__init__(f"section {latest.section} was saved as version {latest.number} meanwhile")
        self.latest = latest


class UnknownVersion(ValueError):
    """The editor started from a version nobody saved: nothing was saved."""


def parse_narrative(text: str) -> dict[str, list[str]]:
    """The sections of a narrative file: each a list of paragraphs (a "- " line is one)."""
    sections: dict[str, list[str]] = {}
    keys = {fold(title): key for key, title in SECTIONS.items()} | {key: key for key in SECTIONS}
    current: list[str] | None = None
    block: list[str] = []

    def flush() -> None:
        if current is not None and block:
            current.append(" ".join(block))
        block.clear()

    for raw_line in nfc(text).splitlines():
        line = raw_line.strip()
        if line.startswith("## "):
            flush()
            key = keys.get(fold(line[3:]))
            current = sections.setdefault(key, []) if key else None
        elif line.startswith("#"):
            flush()
            current = None
        elif not line:
            flush()
        elif line.startswith("- "):
            flush()
            block.append(line)
            flush()
        else:
            block.append(line)
    flush()
    return {key: paragraphs for key, paragraphs in sections.items() if paragraphs}


def render_narrative(period_code: str, sections: Mapping[str, list[str]]) -> str:
    """The file of a period's sections, in report order (parsed back by `parse_narrative`)."""
    parts = [FILE_HEADER.format(period=period_code)]
    for key, title in SECTIONS.items():
        if sections.get(key):
            parts.append(f"## {title}\n\n" + "\n\n".join(sections[key]) + "\n")
    return "\n".join(parts)


def paragraphs_of(text: str) -> list[str]:
    """A text box's content as paragraphs: each non-empty line one, in NFC, spaces collapsed."""
    return [" ".join(line.split()) for line in nfc(text).splitlines() if line.strip()]


class NarrativeStore:
    """The saved sections of one report scope: the home province's (`scope_folder` None),
    another province's or the country's."""

    def __init__(self, home_root: Path, scope_folder: str | None = None) -> None:
        self.scope_folder = scope_folder
        self.folder = (
            home_root / "narratives" / scope_folder if scope_folder else (home_root / "narratives")
        )
        # the bundled texts are the home province's only
        self.folders = [self.folder] if scope_folder else [self.folder, BUNDLED_DIR]

    def path(self, period_code: str) -> Path:
        """Where the period's text is saved (and read first)."""
        return self.folder / f"{period_code}.md"

    def load(self, period_code: str) -> Narrative:
        for folder in self.folders:
            path = folder / f"{period_code}.md"
            if path.is_file():
                return Narrative(path, parse_narrative(path.read_text(encoding="utf-8")))
        return Narrative(None, {})

    def _history_path(self, period_code: str) -> Path:
        return self.folder / HISTORY_DIR / f"{period_code}.jsonl"

    def history(self, period_code: str, section: str | None = None) -> list[Version]:
        """Every version saved, oldest first (of one section, if given)."""
        path = self._history_path(period_code)
        if not path.is_file():
            return []
        versions = [
            Version.from_json(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        return [v for v in versions if section is None or v.section == section]

    def latest(self, period_code: str, section: str) -> Version | None:
        versions = self.history(period_code, section)
        return versions[-1] if versions else None

    @contextmanager
    def _locked(self, period_code: str) -> Iterator[None]:
        lock_path = self._history_path(period_code).with_suffix(".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save(
        self,
        period_code: str,
        section: str,
        paragraphs: list[str],
        *,
        saved_by: str,
        figures: Mapping[str, dict] | None = None,
        base_version: int = 0,
        now: datetime | None = None,
    ) -> Version:
        """Save a section's text as its next version and write the period's file.

        `base_version` is the version the editor started from (0: none): if another was saved
        since, nothing is written and `SavedMeanwhile` says which. A text found in the file that
        no version holds (written by hand, or bundled) is first kept as a version of its own.
        """
        if section not in SECTIONS:
            raise ValueError(f"unknown section {section!r}")
        with self._locked(period_code):
            latest = self.latest(period_code, section)
            current = latest.number if latest else 0
            if latest is None or base_version > current:
                if base_version != current:
                    raise UnknownVersion(
                        f"section {section}: version {base_version} was never saved"
                    )
            elif base_version != current:
                raise SavedMeanwhile(latest)
            narrative = self.load(period_code)
            in_file = narrative.sections.get(section, [])
            number = latest.number if latest else 0
            stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
            entries = []
            if in_file and (latest is None or list(latest.paragraphs) != in_file):
                number += 1
                entries.append(Version(section, number, tuple(in_file), FROM_FILE, stamp))
            version = Version(
                section, number + 1, tuple(paragraphs), saved_by, stamp, dict(figures or {})
            )
            entries.append(version)
            history = self._history_path(period_code)
            with open(history, "a", encoding="utf-8") as handle:
                for entry in entries:
                    handle.write(entry.to_json() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            sections = {**narrative.sections, section: list(paragraphs)}
            _write_atomically(self.path(period_code), render_narrative(period_code, sections))
        return version

    def saved_periods(self) -> list[Period]:
        """The periods with a saved text, in any of this scope's folders."""
        found: dict[str, Period] = {}
        for folder in self.folders:
            for path in folder.glob("*.md") if folder.is_dir() else []:
                try:
                    found.setdefault(path.stem, parse_period(path.stem))
                except ValueError:
                    continue
        return list(found.values())

    def carried(self, period: Period, section: str) -> tuple[Period, list[str]] | None:
        """The text an earlier period's report saved for the section, to start this period's
        from: the latest period of the same kind that saved it, else the latest of any kind
        (None when no earlier period did)."""
        earlier = [
            other
            for other in self.saved_periods()
            if other.code != period.code and other.end < period.end
        ]
        earlier.sort(key=lambda other: (other.kind == period.kind, other.end), reverse=True)
        for other in earlier:
            paragraphs = self.load(other.code).sections.get(section)
            if paragraphs:
                return other, paragraphs
        return None


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def named_figures(text: str) -> list[str]:
    """The figure ids a text names in braces, in order, each once."""
    return list(dict.fromkeys(REFERENCE.findall(text)))


def fill_figures(text: str, texts: Mapping[str, str]) -> tuple[str, list[str]]:
    """The text with each `{figure id}` replaced by the figure's printed text, and the ids it
    names that the report has no figure for (left as written)."""
    unknown: list[str] = []

    def replace(match: re.Match) -> str:
        if match.group(1) in texts:
            return texts[match.group(1)]
        unknown.append(match.group(1))
        return match.group(0)

    return REFERENCE.sub(replace, text), unknown


@dataclass(frozen=True)
class StaleCitation:
    """A saved sentence that cites a figure whose value changed since it was saved."""

    sentence: str
    figure_id: str
    label: str
    before: str
    now: str


def stale_citations(
    version: Version, figures_now: Mapping[str, Mapping[str, object]]
) -> list[StaleCitation]:
    """The saved sentences citing a figure that changed since the version was saved: a figure
    named by its id, or a number equal to the old text of a figure of its section.

    `figures_now` and the version's figures: id → {"label_vi", "value", "text"}, as
    figures.json has them (a figure no longer in the report counts as changed, to "-")."""
    changed = {}
    for figure_id, before in version.figures.items():
        now = figures_now.get(figure_id)
        if now is None or not _same(before.get("value"), now.get("value")):
            changed[figure_id] = (before, str(now.get("text")) if now else "-")
    found = []
    for paragraph in version.paragraphs:
        for sentence in SENTENCE_END.split(paragraph):
            numbers = set(NUMBER.findall(sentence))
            names = set(named_figures(sentence))
            for figure_id, (before, now_text) in changed.items():
                if figure_id in names or figure_id in sentence or before.get("text") in numbers:
                    found.append(
                        StaleCitation(
                            sentence,
                            figure_id,
                            str(before.get("label_vi", figure_id)),
                            str(before.get("text")),
                            now_text,
                        )
                    )
    return found


def _same(before: object, now: object) -> bool:
    if before is None or now is None:
        return before is None and now is None
    try:
        return abs(float(before) - float(now)) <= 1e-9 * max(1.0, abs(float(before)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return before == now
