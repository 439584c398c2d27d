"""The parts of the report people write: an editable Markdown file per period.

Looked for in `$OUTREACH_HOME/narratives/<period>.md`, then in `report/narratives/<period>.md`
(the bundled ones are Lạng Sơn's). Another province's report, or the national one, reads only
`$OUTREACH_HOME/narratives/<province code or toan-quoc>/<period>.md`.
A section that is missing or empty is replaced by a clearly marked draft placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from outreach.core.text import fold, nfc

BUNDLED_DIR = Path(__file__).resolve().parent / "narratives"

SECTIONS = {
    "mo_dau": "Mở đầu",
    "danh_gia": "Đánh giá",
    "ton_tai_han_che": "Tồn tại hạn chế",
    "giai_phap_khac_phuc": "Giải pháp khắc phục",
    "phuong_huong_nhiem_vu": "Phương hướng nhiệm vụ",
}
DRAFT_MARK = "[DỰ THẢO - cần bổ sung mục “{title}” vào tệp {file}]"


@dataclass
class Narrative:
    path: Path | None
    sections: dict[str, list[str]]

    def paragraphs(self, key: str) -> list[str]:
        """The section's paragraphs, or a one-line draft mark when nobody wrote it."""
        written = self.sections.get(key)
        if written:
            return written
        where = self.path.name if self.path else "narratives/<kỳ báo cáo>.md"
        return [DRAFT_MARK.format(title=SECTIONS[key], file=where)]

    def is_written(self, key: str) -> bool:
        return bool(self.sections.get(key))


def parse_narrative(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
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
            key = fold(line[3:])
            current = sections.setdefault(key, []) if key in SECTIONS else None
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
    return sections


def load_narrative(period_code: str, home_root: Path, scope_folder: str | None = None) -> Narrative:
    folders = (
        [home_root / "narratives" / scope_folder]
        if scope_folder
        else [home_root / "narratives", BUNDLED_DIR]
    )
    for folder in folders:
        path = folder / f"{period_code}.md"
        if path.is_file():
            return Narrative(path, parse_narrative(path.read_text(encoding="utf-8")))
    return Narrative(None, {})
