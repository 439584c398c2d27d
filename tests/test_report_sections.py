"""The sections people write: drafted from the figures, carried from an earlier period, saved
with every version, kept by the night, and named when a figure they cite changes.

As a department would try it: the demo's 2025-H1 and 2026-H1 through Airflow (conftest's
`two_years`); then an officer saves "Đánh giá", a correction arrives, and the next night runs.
"""

from __future__ import annotations

import json
import re
import shutil
from html import unescape

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import run_period
from helpers import add_portal_account
from independent import role_key
from test_portal import csrf_of, login

from outreach.cli import main
from outreach.core.home import Home
from outreach.core.periods import parse_period
from outreach.portal.app import create_app
from outreach.portal.store import Store
from report.narrative import NarrativeStore, Version, stale_citations

pytestmark = pytest.mark.slow

PERIOD = "2026-H1"
DRAFT_NOTE_START = "(Dự thảo do hệ thống soạn từ số liệu"


def _sections(home) -> dict[str, dict]:
    path = home / "reports" / PERIOD / "sections.json"
    return {entry["key"]: entry for entry in json.loads(path.read_text(encoding="utf-8"))}


def _paragraphs(home) -> list[tuple[str, bool]]:
    """The body's paragraphs, each with whether it is highlighted (a draft)."""
    document = docx.Document(str(home / "reports" / PERIOD / f"bao-cao-{PERIOD}.docx"))
    return [
        (p.text, any(run.font.highlight_color for run in p.runs))
        for p in document.paragraphs
        if p.text.strip()
    ]


def test_no_placeholder_and_every_drafted_sentence_stands_on_figures(two_years):
    run = two_years[PERIOD]
    assert "cần bổ sung" not in run["text"]
    sections = _sections(two_years["home"])
    assert [key for key in sections] == [
        "mo_dau",
        "danh_gia",
        "uu_diem",
        "ton_tai_han_che",
        "giai_phap_khac_phuc",
        "phuong_huong_nhiem_vu",
    ]
    figures = {figure["id"]: figure for figure in run["figures"]["figures"]}
    checked = 0
    for key in ("danh_gia", "uu_diem", "ton_tai_han_che"):
        entry = sections[key]
        assert entry["state"] == "drafted" and entry["note"].startswith(DRAFT_NOTE_START)
        assert entry["draft"], key
        for sentence in entry["draft"]:
            assert sentence["figures"], sentence  # no sentence without a figure behind it
            for figure_id in sentence["figures"]:
                figure = figures[figure_id]
                assert figure["part"] == "body", figure
                # each printed as it is, a change without its sign ("giảm 77")
                assert figure["text"].lstrip("+\u2212") in sentence["text"], (figure, sentence)
                own = role_key(figure_id.split(".same_period.")[0])
                if ".same_period." not in figure_id and own in run["now"]:
                    assert figure["value"] == pytest.approx(run["now"][own]), figure
                    checked += 1
    # the comparisons among them are checked against both periods by test_comparisons
    assert checked >= 10
    # the assessment states the largest rise and fall against the same period last year
    danh_gia = " ".join(sentence["text"] for sentence in sections["danh_gia"]["draft"])
    assert "So với cùng kỳ năm 2025, tăng nhiều nhất là:" in danh_gia
    assert "So với cùng kỳ năm 2025, giảm nhiều nhất là:" in danh_gia
    assert re.search(r"Các đơn vị đã gửi \d+/\d+ báo cáo tháng đến hạn", danh_gia)


def test_drafts_are_marked_in_the_word_file_and_its_preview(two_years):
    paragraphs = _paragraphs(two_years["home"])
    notes = [text for text, marked in paragraphs if text.startswith("(Dự thảo")]
    # three drafted from the figures, three carried from the demo's bundled 2025-H2 text
    assert len(notes) == 6
    carried = "(Dự thảo chuyển từ báo cáo 6 tháng cuối năm 2025"
    assert sum(text.startswith(carried) for text in notes) == 3
    for position, (text, marked) in enumerate(paragraphs):
        if text.startswith("(Dự thảo"):
            assert marked and paragraphs[position + 1][1], text
    # and in the browser's preview
    preview = (two_years["home"] / "reports" / PERIOD / f"bao-cao-{PERIOD}.html").read_text()
    assert preview.count("<mark><i>(Dự thảo") == 6


def test_carried_forward_from_the_previous_period_of_the_same_kind(tmp_path):
    """Giải pháp and Phương hướng start from the last half-year's saved text, before a year's
    or a quarter's, and from any earlier period without one."""
    store = NarrativeStore(tmp_path, "12")
    store.save("2025", "giai_phap_khac_phuc", ["Giải pháp của năm 2025."], saved_by="a")
    store.save(
        "2025-H1", "giai_phap_khac_phuc", ["Giải pháp của 6 tháng đầu năm 2025."], saved_by="a"
    )
    store.save("2026-Q1", "phuong_huong_nhiem_vu", ["Phương hướng quý I năm 2026."], saved_by="a")
    half = parse_period("2026-H1")
    found, text = store.carried(half, "giai_phap_khac_phuc")
    assert found.code == "2025-H1" and text == ["Giải pháp của 6 tháng đầu năm 2025."]
    found, text = store.carried(half, "phuong_huong_nhiem_vu")
    assert found.code == "2026-Q1"
    assert store.carried(parse_period("2025-H1"), "phuong_huong_nhiem_vu") is None
    # the home province's bundled texts count as saved: the demo's 2025-H2, then the seed's
    home_store = NarrativeStore(tmp_path / "home")
    assert home_store.carried(half, "mo_dau")[0].code == "2025-H2"
    assert home_store.carried(parse_period("2025"), "mo_dau")[0].code == "2022-H1"


def test_every_version_is_kept_and_a_concurrent_save_is_refused(tmp_path):
    from report.narrative import SavedMeanwhile

    store = NarrativeStore(tmp_path, "20")
    first = store.save("2026-H1", "danh_gia", ["Một."], saved_by="a@so.vn")
    second = store.save("2026-H1", "danh_gia", ["Hai."], saved_by="b@so.vn", base_version=1)
    with pytest.raises(SavedMeanwhile) as refused:
        store.save("2026-H1", "danh_gia", ["Ba."], saved_by="c@so.vn", base_version=1)
    assert refused.value.latest.saved_by == "b@so.vn"
    # written by hand into the file: kept as a version of its own before the next save
    path = store.path("2026-H1")
    path.write_text(path.read_text(encoding="utf-8").replace("Hai.", "Hai, sửa tay."))
    store.save("2026-H1", "danh_gia", ["Bốn."], saved_by="a@so.vn", base_version=2)
    versions = store.history("2026-H1", "danh_gia")
    assert [(v.number, v.paragraphs, v.saved_by) for v in versions] == [
        (1, ("Một.",), "a@so.vn"),
        (2, ("Hai.",), "b@so.vn"),
        (3, ("Hai, sửa tay.",), "(tệp nội dung)"),
        (4, ("Bốn.",), "a@so.vn"),
    ]
    assert (first.number, second.number) == (1, 2)
    assert store.load("2026-H1").sections == {"danh_gia": ["Bốn."]}


def test_a_changed_figure_names_the_sentences_that_cite_it():
    figures = {
        "completeness.received": {"label_vi": "Số báo cáo đã nhận", "value": 435, "text": "435"},
        "completeness.reporting_rate": {"label_vi": "Tỷ lệ gửi", "value": 0.993, "text": "99,3%"},
    }
    saved = Version(
        "danh_gia",
        1,
        (
            "Các đơn vị đã gửi 435 báo cáo. Tỷ lệ gửi {completeness.reporting_rate} là tốt.",
            "Một câu không nêu số liệu.",
        ),
        "a",
        "2026-07-12T00:00:00+00:00",
        figures,
    )
    now = {
        "completeness.received": {"value": 436, "text": "436"},
        "completeness.reporting_rate": {"value": 0.995, "text": "99,5%"},
    }
    stale = stale_citations(saved, now)
    assert [(s.sentence, s.figure_id, s.before, s.now) for s in stale] == [
        ("Các đơn vị đã gửi 435 báo cáo.", "completeness.received", "435", "436"),
        (
            "Tỷ lệ gửi {completeness.reporting_rate} là tốt.",
            "completeness.reporting_rate",
            "99,3%",
            "99,5%",
        ),
    ]
    assert stale_citations(saved, {k: dict(v) for k, v in figures.items()}) == []


def _corrected(home, drop, source: str, month: str) -> None:
    """A corrected file of a month already accepted: three more in its first row (an outlet's
    file: a media item)."""
    original = home / "archive" / f"{source}_{month}.xlsx"
    book = openpyxl.load_workbook(original)
    sheet = book.worksheets[0]
    heading = next(row for row in sheet.iter_rows() if row[0].value == "Ngày")
    column = next(cell.column for cell in heading if cell.value == "Số lượng")
    cell = sheet.cell(row=heading[0].row + 1, column=column)
    cell.value = int(cell.value) + 3
    drop.mkdir(parents=True, exist_ok=True)
    book.save(drop / f"{source}_{month}_r2.xlsx")


def test_the_night_keeps_saved_text_and_names_what_a_correction_changed(two_years, tmp_path):
    """An officer saves "Đánh giá" in the portal; a correction arrives; the next night prints
    the saved text unmarked with the new figures, and the portal and `outreach status` name the
    saved sentence that cites a figure the correction changed."""
    home_root = tmp_path / "home"
    shutil.copytree(two_years["home"], home_root, symlinks=True)
    home = Home(home_root)
    store = Store.for_home(home)
    add_portal_account(store, "canbo@so.langson.vn", "Cán bộ Sở", "staff", province_code="20")
    portal = {"app": create_app(home, store)}
    browser = login(portal, "canbo@so.langson.vn")
    editor = browser.get(f"/so/noi-dung?period={PERIOD}").text
    draft = _sections(home_root)["danh_gia"]["draft"][0]["text"]
    assert draft in unescape(editor)  # the draft is offered in the box
    # the officer keeps the draft's first sentence and adds one of their own
    written = [draft, "Công tác tuyên truyền được duy trì thường xuyên."]
    saved = browser.post(
        "/so/noi-dung",
        data={
            "csrf": csrf_of(browser, "/so"),
            "period": PERIOD,
            "section": "danh_gia",
            "text": "\n".join(written),
            "base_version": "0",
            "action": "luu",
        },
    )
    assert saved.status_code == 303, saved.text
    figures = {f["id"]: f for f in two_years[PERIOD]["figures"]["figures"]}
    drop = tmp_path / "drop"
    _corrected(home_root, drop, "BPTTH-LS", "2026-05")
    after = run_period(home_root, PERIOD, drop)

    paragraphs = _paragraphs(home_root)
    start = next(i for i, (text, _) in enumerate(paragraphs) if text == "3. Đánh giá")
    assert paragraphs[start + 1] == (written[0], False)  # printed as saved, unmarked
    assert paragraphs[start + 2] == (written[1], False)
    total = {f["id"]: f for f in after["figures"]["figures"]}["outputs.all.media.all"]
    before = figures["outputs.all.media.all"]
    assert total["value"] == before["value"] + 3
    stale = _sections(home_root)["danh_gia"]["stale"]
    assert "outputs.all.media.all" in {entry["figure_id"] for entry in stale}
    assert all(entry["sentence"] in written[0] for entry in stale)
    # the portal names it, on the department's page and beside the section
    notice = unescape(browser.get("/so").text)
    assert "Đánh giá" in notice and "/so/noi-dung" in notice
    section = re.sub(r"<[^>]+>", "", unescape(browser.get(f"/so/noi-dung?period={PERIOD}").text))
    assert f"lúc lưu là {before['text']}, nay là {total['text']}" in section
    status = CliRunner().invoke(main, ["status", "--period", PERIOD, "--home", str(home_root)])
    assert status.exit_code == 0, status.output
    assert f"nêu {before['text']} (Tổng số tin, bài, chương trình), nay là {total['text']}" in (
        status.output
    )
