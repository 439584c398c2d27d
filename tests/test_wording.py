"""How the report's sentences word a figure: a unit said once, a period without directive
documents, against the period compared with (the wording alone, without a warehouse; the reports
built from the demo's files are read in tests/test_report.py and tests/test_comparisons.py)."""

from __future__ import annotations

import pytest

from report.comparisons import Change, documents_compared
from report.document import _unit_after


@pytest.mark.parametrize(
    ("quantity", "unit", "label", "printed"),
    [
        (
            "222",
            "chương trình phát thanh",
            "chương trình phát thanh",
            "222 chương trình phát thanh",
        ),
        (
            "222 (−216; −49,3%)",
            "chương trình phát thanh",
            "Chương trình phát thanh",
            "222 chương trình phát thanh (−216; −49,3%)",
        ),
        (
            "34.482",
            "lượt phát trên hệ thống truyền thanh cơ sở",
            "phát trên hệ thống truyền thanh cơ sở",
            "34.482 lượt phát trên hệ thống truyền thanh cơ sở",
        ),
        ("290", "băng zôn, khẩu hiệu", "băng zôn, khẩu hiệu", "290 băng zôn, khẩu hiệu"),
        # a registry whose units are bare words still names the activity
        (
            "34.482 (+1.200; +3,6%)",
            "lượt phát",
            "phát trên hệ thống truyền thanh cơ sở",
            "34.482 lượt phát (phát trên hệ thống truyền thanh cơ sở, +1.200; +3,6%)",
        ),
        # diacritics tell words apart: "xa" is not "xã"
        ("3", "buổi tư vấn tại xa", "tư vấn tại xã", "3 buổi tư vấn tại xa (tư vấn tại xã)"),
    ],
)
def test_a_unit_is_said_once(quantity, unit, label, printed):
    assert _unit_after(quantity, unit, label) == printed


def _documents(current: int, compared: int) -> Change:
    change = current - compared
    ratio = change / compared if compared else None
    return Change("cùng kỳ năm 2025", False, current, compared, change, ratio)


@pytest.mark.parametrize(
    ("current", "compared", "sentence"),
    [
        (0, 2, "Cùng kỳ năm 2025 đã ban hành 2 văn bản."),
        (0, 0, "Cùng kỳ năm 2025 cũng không ban hành văn bản nào."),
        (3, 0, "Cùng kỳ năm 2025 không ban hành văn bản nào."),
        (3, 3, "Số văn bản ban hành bằng cùng kỳ năm 2025."),
        (1, 3, "Số văn bản ban hành giảm 2 văn bản (giảm 66,7%) so với cùng kỳ năm 2025."),
    ],
)
def test_directive_documents_against_the_year_before(current, compared, sentence):
    """Where either period issued none, the sentence says what the other did, never "0"."""
    assert documents_compared(_documents(current, compared)) == sentence
