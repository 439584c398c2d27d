"""The department writes the report's sections in the portal (`/so/noi-dung`): on the demo's
real report (its figures.json), each section's draft and figures; saving into the home's
narrative file with every version kept; the next report printing the saved text unmarked; the
preview, a save made meanwhile, an approved period, who may do what, and citations of figures
that changed since they were saved."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import UTC, datetime
from html import unescape

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX
from helpers import PERIOD, add_portal_account, figure_changed, portal_home
from test_portal import client, csrf_of, login

from outreach.portal.app import create_app
from outreach.portal.narratives import Piece, word_diff
from outreach.portal.store import Store, approve
from report.build import write_report
from report.drafting import DRAFT_NOTE
from report.narrative import MAX_SECTION_CHARS, NarrativeStore

EDITOR = "/so/noi-dung"
CITED = "indicator.I1_communes_counselled.value"  # a figure the drafted "Ưu điểm" cites


@pytest.fixture
def portal(demo, tmp_path):
    """A portal on a home with the demo's warehouses and its report of 2022-H1 (figures.json):
    two officers of its province, an officer of another, a sender."""
    home = portal_home(tmp_path / "home", demo["home"].published_warehouse)
    shutil.copy(demo["home"].warehouse, home.warehouse)
    shutil.copytree(demo["home"].reports, home.reports, dirs_exist_ok=True)
    store = Store.for_home(home)
    add_portal_account(store, "so@example.vn", "Sở", "staff", province_code="20")
    add_portal_account(store, "so2@example.vn", "Sở (người thứ hai)", "staff", province_code="20")
    add_portal_account(store, "khac@example.vn", "Sở khác", "staff", province_code="02")
    add_portal_account(store, "bao@example.vn", "Báo Lạng Sơn", "source", source_code="BAO-LS")
    return {"home": home, "store": store, "app": create_app(home, store), "tmp": tmp_path}


def section_html(page: str, key: str) -> str:
    """The HTML of one section's card on the editor."""
    start = page.rindex("<section", 0, page.index(f'id="{key}"'))
    return page[start : page.index("</section>", start)]


def box(page: str, key: str) -> str:
    """The text in a section's box."""
    found = re.search(rf'id="text-{key}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, key
    return unescape(found.group(1))


def base_version(page: str, key: str) -> str:
    return re.search(r'name="base_version" value="(\d+)"', section_html(page, key)).group(1)


def post(browser, key: str, text: str, action: str = "luu", base: str | None = None, **extra):
    page = browser.get(EDITOR).text
    return browser.post(
        EDITOR,
        data={
            "csrf": csrf_of(browser, "/so"),
            "period": "2022-H1",
            "section": key,
            "text": text,
            "base_version": base if base is not None else base_version(page, key),
            "action": action,
            **extra,
        },
    )


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_editor_shows_each_section_with_its_draft_and_figures(portal):
    page = login(portal, "so@example.vn").get(EDITOR)
    assert page.status_code == 200
    text = page.text
    for title in ("Mở đầu", "Đánh giá", "Ưu điểm", "Tồn tại, hạn chế", "Giải pháp khắc phục"):
        assert title in text, title
    strengths = section_html(text, "uu_diem")
    assert "is-draft" in strengths and "Dự thảo từ số liệu" in strengths
    assert box(text, "uu_diem").startswith("- Tỷ lệ xã thuộc địa bàn trọng điểm")
    assert "45,8%" in strengths and f"{{{CITED}}}" in strengths  # the figure it may cite
    assert "<details>" in strengths and "{completeness.reporting_rate}" in strengths
    # the bundled Lạng Sơn text of 2022-H1 is saved, not a draft
    assessment = section_html(text, "danh_gia")
    assert "is-draft" not in assessment and "Đã lưu" in assessment
    assert 'href="/so/noi-dung"' in text  # in the department's navigation


def test_saving_keeps_every_version_and_the_next_report_prints_the_text(portal):
    home = portal["home"]
    warehouses = {path: digest(path) for path in (home.warehouse, home.published_warehouse)}
    browser = login(portal, "so@example.vn")
    texts = [
        "- Tỷ lệ xã được tư vấn đạt {" + CITED + "}, vượt chỉ tiêu.",
        "- Tỷ lệ xã trọng điểm được tư vấn đạt {" + CITED + "}, vượt chỉ tiêu đề ra.",
        "- Tỷ lệ xã trọng điểm được tư vấn đạt {" + CITED + "}, vượt chỉ tiêu đề ra.\n"
        "- Các cơ quan báo chí đăng tin đều đặn.",
    ]
    for number, text in enumerate(texts, start=1):
        answer = post(browser, "uu_diem", text)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"{EDITOR}?period=2022-H1&saved=uu_diem#uu_diem"
        shown = browser.get(answer.headers["location"]).text
        assert f"Đã lưu phiên bản {number} của mục “Ưu điểm”" in shown
        assert "<ins>" in shown  # what was saved, against the version before (or the draft)
    saved = (home.root / "narratives" / "2022-H1.md").read_text(encoding="utf-8")
    assert "## Ưu điểm" in saved and "Các cơ quan báo chí đăng tin đều đặn." in saved
    assert "## Đánh giá" in saved  # the bundled sections are kept in the home's file
    versions = NarrativeStore(home.root).history("2022-H1", "uu_diem")
    assert [v.number for v in versions] == [1, 2, 3]
    assert {v.saved_by for v in versions} == {"so@example.vn"}
    assert versions[0].figures[CITED]["text"] == "45,8%"  # the snapshot of what it cites
    page = browser.get(EDITOR).text
    assert "Đã lưu — phiên bản 3, so@example.vn" in section_html(page, "uu_diem")
    assert "is-draft" not in section_html(page, "uu_diem")
    history = browser.get(f"{EDITOR}/lich-su?period=2022-H1&section=uu_diem")
    assert history.status_code == 200
    for number in (1, 2, 3):
        assert f"Phiên bản {number}" in history.text
    assert history.text.count("Lưu bởi <strong>so@example.vn</strong>") == 3
    assert "Thay đổi so với phiên bản 2" in history.text
    assert "Thay đổi so với bản dự thảo" in history.text
    assert "<del>" in history.text and "<ins>" in history.text
    assert re.search(r"lúc \d\d:\d\d \d\d/\d\d/\d{4}", history.text)  # Vietnam's time
    audit = [e for e in portal["store"].audit_events() if e["action"] == "narrative_saved"]
    assert [e["detail"] for e in audit][::-1] == [f"20 2022-H1 uu_diem v{n}" for n in (1, 2, 3)]
    # saving wrote the home's texts only, never a warehouse
    assert {path: digest(path) for path in warehouses} == warehouses

    files = write_report(home, PERIOD)
    document = docx.Document(str(files.docx))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    [printed] = [p for p in paragraphs if p.text.startswith("- Tỷ lệ xã trọng điểm được tư vấn")]
    assert printed.text == "- Tỷ lệ xã trọng điểm được tư vấn đạt 45,8%, vượt chỉ tiêu đề ra."
    assert all(run.font.highlight_color != WD_COLOR_INDEX.YELLOW for run in printed.runs)
    before = paragraphs[paragraphs.index(printed) - 1]
    assert before.text != DRAFT_NOTE and "Dự thảo" not in before.text
    sections = json.loads(files.figures.read_text(encoding="utf-8"))["sections"]
    [strengths] = [s for s in sections if s["key"] == "uu_diem"]
    assert strengths["state"] == "saved" and strengths["saved_version"] == 3
    assert strengths["saved_by"] == "so@example.vn" and strengths["stale"] == []


def test_a_preview_shows_the_printed_text_and_saves_nothing(portal):
    browser = login(portal, "so@example.vn")
    text = "Đạt {" + CITED + "} số xã; {khong.co.so.lieu} nữa."
    answer = post(browser, "uu_diem", text, action="xem-truoc")
    assert answer.status_code == 200
    assert "Xem trước (chưa lưu)" in answer.text
    assert "<p>Đạt 45,8% số xã; {khong.co.so.lieu} nữa.</p>" in answer.text
    assert "không có số liệu <code>{khong.co.so.lieu}</code>" in answer.text
    assert box(answer.text, "uu_diem") == text  # the unsaved text stays in its box
    store = NarrativeStore(portal["home"].root)
    assert store.history("2022-H1") == []
    assert not (portal["home"].root / "narratives" / "2022-H1.md").exists()
    # saving a text naming a figure the report has not is refused, the text kept
    refused = post(browser, "uu_diem", text)
    assert refused.status_code == 400 and "không có số liệu {khong.co.so.lieu}" in refused.text
    assert box(refused.text, "uu_diem") == text and store.history("2022-H1") == []


def test_a_save_made_meanwhile_keeps_the_officers_text_and_says_who(portal):
    first, second = login(portal, "so@example.vn"), login(portal, "so2@example.vn")
    opened = base_version(second.get(EDITOR).text, "uu_diem")  # both open version 0
    assert post(first, "uu_diem", "Bản của người thứ nhất.").status_code == 303
    mine = "Bản của người thứ hai, viết cùng lúc."
    answer = post(second, "uu_diem", mine, base=opened)
    assert answer.status_code == 409
    assert "Chưa lưu: so@example.vn đã lưu mục này (phiên bản 1" in answer.text
    assert box(answer.text, "uu_diem") == mine
    assert "<del>" in answer.text and "<ins>" in answer.text  # theirs against mine
    history = NarrativeStore(portal["home"].root).history("2022-H1", "uu_diem")
    assert [(v.number, v.saved_by) for v in history] == [(1, "so@example.vn")]
    # having read theirs, the officer saves over it from the version shown
    again = post(second, "uu_diem", mine, base=base_version(answer.text, "uu_diem"))
    assert again.status_code == 303
    history = NarrativeStore(portal["home"].root).history("2022-H1", "uu_diem")
    assert [(v.number, v.saved_by) for v in history][-1] == (2, "so2@example.vn")


def test_an_approved_period_is_read_only(portal):
    approve(portal["store"], "20", "2022-H1", "so@example.vn", datetime.now(UTC))
    browser = login(portal, "so@example.vn")
    page = browser.get(EDITOR).text
    assert "đã được phê duyệt" in page
    assert page.count("<textarea") == 6 and page.count(" readonly") == 6
    assert 'value="luu"' not in page and 'value="xem-truoc"' not in page
    answer = post(browser, "uu_diem", "Sửa sau khi phê duyệt.")
    assert answer.status_code == 403 and "Kỳ này đã được phê duyệt" in answer.text
    assert box(answer.text, "uu_diem") == "Sửa sau khi phê duyệt."
    assert NarrativeStore(portal["home"].root).history("2022-H1") == []


def test_only_the_provinces_officers_read_or_write_its_sections(portal):
    store_path = portal["home"].root / "narratives"
    # an officer of another province: nothing of this one, nothing written
    other = login(portal, "khac@example.vn")
    page = other.get(EDITOR)
    assert page.status_code == 200
    assert "45,8%" not in page.text and "Ưu điểm" not in page.text
    assert other.get(f"{EDITOR}/lich-su?period=2022-H1&section=uu_diem").status_code == 404
    answer = other.post(
        EDITOR,
        data={
            "csrf": csrf_of(other, "/so"),
            "period": "2022-H1",
            "section": "uu_diem",
            "text": "Của tỉnh khác.",
            "base_version": "0",
            "action": "luu",
            "province": "20",  # the province is the account's, never the form's
        },
    )
    assert answer.status_code == 403
    # a sender and a stranger
    sender = login(portal, "bao@example.vn")
    assert sender.get(EDITOR).status_code == 403
    assert sender.post(EDITOR, data={"csrf": csrf_of(sender)}).status_code == 403
    stranger = client(portal)
    for answer in (stranger.get(EDITOR), stranger.post(EDITOR, data={"text": "x"})):
        assert answer.status_code == 303 and answer.headers["location"] == "/dang-nhap"
    # the province's officer without the form's CSRF token
    ours = login(portal, "so@example.vn")
    refused = ours.post(
        EDITOR,
        data={"period": "2022-H1", "section": "uu_diem", "text": "x", "base_version": "0"},
    )
    assert refused.status_code == 403
    # a period, a section or a version that is not one of the province's
    for field, value in (("period", "2021-H1"), ("section", "khac"), ("base_version", "-1")):
        wrong = post(ours, "uu_diem", "x", **{field: value})
        assert wrong.status_code == 403, field
    ahead = post(ours, "uu_diem", "x", base="7")  # a version nobody saved
    assert ahead.status_code == 400 and "tải lại trang" in ahead.text
    assert not store_path.exists()


def test_a_text_too_long_is_refused_and_kept(portal):
    browser = login(portal, "so@example.vn")
    longest = "ử" * MAX_SECTION_CHARS  # the longest section, 9 bytes a letter in the form
    assert post(browser, "mo_dau", longest).status_code == 303
    answer = post(browser, "mo_dau", longest + "ữ")
    assert answer.status_code == 400 and "quá giới hạn 20.000 ký tự" in answer.text
    assert box(answer.text, "mo_dau") == longest + "ữ"
    assert len(NarrativeStore(portal["home"].root).history("2022-H1", "mo_dau")) == 2


def test_a_citation_of_a_changed_figure_is_shown_on_the_page_and_on_the_home_page(portal):
    """The officer saves a sentence citing a figure; the next report finds the figure changed
    (figures.json written as the report writes it): the page and /so say which sentence."""
    home = portal["home"]
    browser = login(portal, "so@example.vn")
    text = "- Tỷ lệ xã được tư vấn đạt 45,8%, vượt chỉ tiêu."
    assert post(browser, "uu_diem", text).status_code == 303
    figure_changed(home, "uu_diem", CITED, 0.5, "50%")
    page = browser.get(EDITOR).text
    strengths = section_html(page, "uu_diem")
    assert "1 câu trích số liệu đã thay đổi từ khi lưu" in strengths
    assert "lúc lưu là <strong>45,8%</strong>, nay là <strong>50%</strong>" in strengths
    assert 'id="stale"' in page and 'href="#uu_diem"' in page
    home_page = browser.get("/so").text
    assert "Cần đọc lại nội dung báo cáo trước khi ký" in home_page
    assert 'href="/so/noi-dung?period=2022-H1#uu_diem"' in home_page
    assert "mục “Ưu điểm” (1 câu)" in home_page
    # signed: the notice goes from the home page
    approve(portal["store"], "20", "2022-H1", "so@example.vn", datetime.now(UTC))
    assert "Cần đọc lại nội dung" not in browser.get("/so").text


def test_a_word_level_difference():
    pieces = word_diff(["Một hai ba.", "Bốn năm."], ["Một hai bốn ba.", "Năm."])
    assert pieces == [
        Piece("same", "Một hai"),
        Piece("added", "bốn"),
        Piece("same", "ba."),
        Piece("same", "", is_break=True),
        Piece("removed", "Bốn năm."),
        Piece("added", "Năm."),
    ]
    assert word_diff([], ["Mới."]) == [Piece("added", "Mới.")]
