"""The portal in a real browser (Debian's chromium, driven by Playwright): a sender logs in,
drops a bad file and reads every error, drops the corrected one, confirms it as a correction and
sees it waiting for the night; sends a file under the wrong month and sends it for the month its
dates say with one tap; the department reads the completeness matrix of a period, its flags and
reports (the browser view opens in the browser), approves a period through its confirmation page
and writes a section of the report. On a phone-sized screen the pages fit. Screenshots of the
sender's page, the department's pages and the report's sections go to $OUTREACH_SCREENSHOTS."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import uvicorn
from helpers import PORTAL_PASSWORD, add_portal_account, figure_changed, portal_home, write_csv

from outreach.portal.app import create_app
from outreach.portal.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)"),
]
PASSWORD = PORTAL_PASSWORD
ROW = ["Phòng, chống mua bán người", "Tin, bài", "2", "", "", "Tiêu đề", "", ""]


@pytest.fixture
def served(demo, tmp_path):
    home = portal_home(tmp_path / "home", demo["home"].published_warehouse)
    shutil.copy(demo["home"].warehouse, home.warehouse)  # for a night run by the test
    # with the state of the demo's build: that night builds what its files reach, not everything
    shutil.copytree(demo["home"].root / "dbt", home.root / "dbt", symlinks=True)
    shutil.copytree(demo["home"].reports, home.reports, dirs_exist_ok=True)  # their figures.json
    store = Store.for_home(home)
    add_portal_account(store, "bao@example.vn", "Báo Lạng Sơn", "source", source_code="BAO-LS")
    add_portal_account(
        store, "so@example.vn", "Sở Văn hóa, Thể thao và Du lịch", "staff", province_code="20"
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(home, store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield {"url": f"http://localhost:{port}", "home": home, "tmp": tmp_path}
    server.should_exit = True
    thread.join(10)


def _shots(served) -> Path:
    """Where the screenshots go: $OUTREACH_SCREENSHOTS (the pictures of docs/ come from
    `OUTREACH_SCREENSHOTS=docs pytest tests/test_portal_browser.py`), else the test's folder."""
    folder = Path(os.environ.get("OUTREACH_SCREENSHOTS") or served["tmp"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _log_in(page, url: str, who: str) -> None:
    page.goto(f"{url}/")
    assert page.url.endswith("/dang-nhap")
    page.fill("#login", who)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_a_sender_goes_from_a_refused_file_to_an_accepted_correction(served):
    from playwright.sync_api import sync_playwright

    bad = write_csv(served["tmp"] / "files", "thang 3.csv", [["31/02/2022", *ROW[:2], "hai"]])
    good = write_csv(served["tmp"] / "files2", "thang 3 da sua.csv", [["05/03/2022", *ROW]])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            _log_in(page, served["url"], "bao@example.vn")
            assert page.url.endswith("/don-vi")
            assert "Các tháng đã báo cáo" in page.inner_text("main")
            page.select_option("#month", "2022-03-01")  # a month it reported: offered
            page.set_input_files("#files", str(bad))
            page.click("form[action='/don-vi/gui'] button[type=submit]")
            errors = page.inner_text("main")
            assert "Tệp chưa được nhận" in errors and "hai" in errors
            assert not list(served["home"].inbox.glob("*.csv"))
            page.goto(f"{served['url']}/don-vi")
            page.select_option("#month", "2022-03-01")
            page.set_input_files("#files", str(good))
            page.click("form[action='/don-vi/gui'] button[type=submit]")
            assert "bản sửa lần 2" in page.inner_text("main")
            page.click("text=Xác nhận gửi bản sửa")
            assert "Đã nhận bản sửa BAO-LS_2022-03_r2.csv" in page.inner_text("main")
            assert (served["home"].inbox / "BAO-LS_2022-03_r2.csv").is_file()
            page.goto(f"{served['url']}/don-vi")
            assert "chờ xử lý đêm nay" in page.inner_text("main")
            _fits(page, 390)
            page.screenshot(path=str(_shots(served) / "portal-don-vi.png"), full_page=True)
        finally:
            browser.close()


def _fits(page, width: int) -> None:
    """Nothing on the page is wider than the screen, and every cell of its tables is within it
    (a table is stacked into cards, not scrolled or cut off)."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    cells = page.locator("main td:visible")
    for index in range(cells.count()):
        box = cells.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
            index,
            cells.nth(index).inner_text(),
        )


def test_a_sender_on_a_phone_sends_the_month_the_dates_say(served):
    """On a phone: the template first, then the upload form, both on the month to send; every
    column of the months' table read in its card ("Cần làm" included); July's file sent as June
    answered "Có phải bạn chọn nhầm tháng?" and sent as July's with one tap; the same file again
    answered as received. On a desktop the months are a table. Screenshots of each."""
    from playwright.sync_api import sync_playwright

    july = write_csv(served["tmp"] / "files", "thang 7.csv", [["05/07/2022", *ROW]])
    bad = write_csv(
        served["tmp"] / "bad", "sai.csv", [["31/02/2022", "Ma túy", "Tư vấn", "hai", "", "", ""]]
    )
    shots = _shots(served)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            _log_in(page, served["url"], "bao@example.vn")
            template = page.locator("#template-month").bounding_box()
            assert template["y"] < page.locator("#month").bounding_box()["y"]
            assert page.input_value("#month") == page.input_value("#template-month") == "2025-06-01"
            todo = page.locator("td[data-label='Cần làm']:visible")
            assert todo.count() > 0 and "Cần làm" in todo.first.evaluate(
                "cell => getComputedStyle(cell, '::before').content"
            )
            _fits(page, 390)
            page.screenshot(path=str(shots / "portal-don-vi-phone.png"), full_page=True)

            page.select_option("#month", "2022-03-01")
            page.set_input_files("#files", str(bad))
            page.click("form[action='/don-vi/gui'] button[type=submit]")
            assert "Tệp chưa được nhận" in page.inner_text("main")
            _fits(page, 390)
            page.screenshot(path=str(shots / "portal-don-vi-loi-phone.png"), full_page=True)

            page.goto(f"{served['url']}/don-vi")
            page.select_option("#month", "2022-06-01")
            page.set_input_files("#files", str(july))
            page.click("form[action='/don-vi/gui'] button[type=submit]")
            answer = page.inner_text("main")
            assert "Có phải bạn chọn nhầm tháng?" in answer and "tháng 07/2022" in answer
            assert not list(served["home"].inbox.glob("*.csv"))
            _fits(page, 390)
            page.screenshot(path=str(shots / "portal-don-vi-nham-thang-phone.png"), full_page=True)
            page.click("button:has-text('Gửi cho tháng 07/2022')")
            assert "Đã nhận tệp BAO-LS_2022-07.csv (tháng 07/2022)" in page.inner_text("main")
            assert (served["home"].inbox / "BAO-LS_2022-07.csv").read_bytes() == july.read_bytes()

            page.goto(f"{served['url']}/don-vi")
            page.select_option("#month", "2022-07-01")
            page.set_input_files("#files", str(july))
            page.click("form[action='/don-vi/gui'] button[type=submit]")
            assert "Tệp này đã được nhận ngày" in page.inner_text("main")
            page.screenshot(path=str(shots / "portal-don-vi-da-nhan-phone.png"), full_page=True)

            desktop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _log_in(desktop, served["url"], "bao@example.vn")
            assert desktop.locator("main th", has_text="Cần làm").first.is_visible()
            _fits(desktop, 1280)
            desktop.screenshot(path=str(shots / "portal-don-vi-desktop.png"), full_page=True)
        finally:
            browser.close()


def test_the_department_reads_the_completeness_matrix(served):
    """The matrix opens on the period being reported, named as people say it; the officer
    chooses a quarter and a group, then a district; the flags and reports pages; on a phone
    and on a desktop."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for width, suffix in ((1280, ""), (390, "-phone")):
                page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
                _log_in(page, served["url"], "so@example.vn")
                assert page.url.endswith("/so")
                assert "6 tháng đầu năm 2022" in page.inner_text("h1")
                table = page.inner_text("table")
                assert "Báo Lạng Sơn" in table and "Thiếu" in table and "Trả lại" in table
                assert "T6/2022" in table and "T7/2022" not in table
                # the page fits the screen: only the table scrolls
                assert page.evaluate("() => document.documentElement.scrollWidth") <= width
                page.screenshot(path=str(_shots(served) / f"portal-so{suffix}.png"), full_page=True)
                page.select_option("#period", "2022-Q1")
                page.select_option("#kind", "outlet_provincial")
                page.click("form.filters-form button[type=submit]")
                assert "period=2022-Q1" in page.url and "kind=outlet_provincial" in page.url
                assert "quý I năm 2022" in page.inner_text("h1")
                table = page.inner_text("table")
                assert "Đình Lập" not in table and "T3/2022" in table and "T4/2022" not in table
                page.goto(f"{served['url']}/so")
                page.select_option("#area", "189")
                page.click("form.filters-form button[type=submit]")
                assert "Đình Lập" in page.inner_text("table")
                assert "Báo Lạng Sơn" not in page.inner_text("table")

                page.click("nav >> text=Cảnh báo")
                assert "6 tháng đầu năm 2022" in page.inner_text("h1")
                assert page.evaluate("() => document.documentElement.scrollWidth") <= width
                page.screenshot(
                    path=str(_shots(served) / f"portal-canh-bao{suffix}.png"), full_page=True
                )
                page.click("nav >> text=Báo cáo các kỳ")
                assert "Nguồn của từng số liệu" in page.inner_text("main")
                assert page.evaluate("() => document.documentElement.scrollWidth") <= width
                page.screenshot(
                    path=str(_shots(served) / f"portal-bao-cao{suffix}.png"), full_page=True
                )
                # the browser view opens in a tab of its own, not as a download
                with page.context.expect_page() as opened:
                    page.click("text=Báo cáo (xem trên trình duyệt)")
                view = opened.value
                view.wait_for_load_state()
                text = view.inner_text("body")
                assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
                assert "THÔNG TIN VÀ\nTRUYỀN THÔNG" in text
                assert view.evaluate("() => document.images.length") == 3
                view.screenshot(path=str(_shots(served) / f"portal-bao-cao-html{suffix}.png"))
                view.close()
            page.click("text=Đăng xuất")
            assert page.url.endswith("/dang-nhap")
            page.goto(f"{served['url']}/so")
            assert page.url.endswith("/dang-nhap")
        finally:
            browser.close()


def test_approve_then_a_correction_made_from_the_template_is_held(served):
    """The officer approves 2022-H1; the sender downloads March's Excel template, fills it in,
    sends it and confirms it as a correction; after the night its page says it came after the
    approval, and the period's figures stayed as they were."""
    import duckdb
    from helpers import AS_OF, PERIOD
    from openpyxl import load_workbook

    from outreach.orchestration import pipeline

    def march_total() -> int:
        with duckdb.connect(str(served["home"].warehouse), read_only=True) as con:
            return con.execute(
                "select sum(quantity) from marts.fct_media_outputs "
                "where source_code = 'BAO-LS' and report_month = date '2022-03-01'"
            ).fetchone()[0]

    before = march_total()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for width, suffix in ((390, "-phone"), (1280, "")):
                asking = browser.new_context(viewport={"width": width, "height": 900}).new_page()
                _log_in(asking, served["url"], "so@example.vn")
                asking.click("text=Phê duyệt kỳ")
                asking.click("form:has(input[value='2022-H1']) button")
                # the request asks first: what it freezes, and the button that does it
                said = asking.inner_text("main")
                assert "Phê duyệt kỳ báo cáo 6 tháng đầu năm 2022?" in said
                assert "sẽ được giữ lại" in said and "Xác nhận phê duyệt" in said
                assert asking.evaluate("() => document.documentElement.scrollWidth") <= width
                asking.screenshot(
                    path=str(_shots(served) / f"portal-phe-duyet-xac-nhan{suffix}.png"),
                    full_page=True,
                )
                asking.context.close()
            officer = browser.new_context().new_page()
            _log_in(officer, served["url"], "so@example.vn")
            officer.click("text=Phê duyệt kỳ")
            officer.click("form:has(input[value='2022-H1']) button")
            assert "Chưa phê duyệt" not in officer.inner_text("main")
            officer.click("text=Xác nhận phê duyệt")
            assert "Đã phê duyệt" in officer.inner_text("main")
            assert "giờ Việt Nam" in officer.inner_text("table")
            officer.screenshot(path=str(_shots(served) / "portal-phe-duyet.png"), full_page=True)

            sender = browser.new_context(accept_downloads=True).new_page()
            _log_in(sender, served["url"], "bao@example.vn")
            sender.select_option("#template-month", "2022-03-01")
            with sender.expect_download() as download:
                sender.click("text=Tải mẫu Excel")
            template = served["tmp"] / download.value.suggested_filename
            download.value.save_as(template)
            assert template.name == "BAO-LS_2022-03.xlsx"
            workbook = load_workbook(template)
            topics = [c.value for c in workbook["DanhMuc"]["A"][1:] if c.value]
            types = [c.value for c in workbook["DanhMuc"]["B"][1:] if c.value]
            workbook["BaoCao"].append(
                [datetime(2022, 3, 9), topics[0], types[0], 41, None, None, "Bản sửa", None, None]
            )
            workbook.save(template)
            sender.select_option("#month", "2022-03-01")
            sender.set_input_files("#files", str(template))
            sender.click("form[action='/don-vi/gui'] button[type=submit]")
            sender.click("text=Xác nhận gửi bản sửa")
            assert "Đã nhận bản sửa BAO-LS_2022-03_r2.xlsx" in sender.inner_text("main")

            home = served["home"]
            pipeline.ingest(home)
            pipeline.build(home, AS_OF)
            pipeline.check(home, PERIOD)
            pipeline.publish(home)
            sender.goto(f"{served['url']}/don-vi")
            page = sender.inner_text("main")
            assert "BAO-LS_2022-03_r2.xlsx nhận sau khi phê duyệt kỳ 2022-H1" in page
            assert march_total() == before
        finally:
            browser.close()


CITED = "indicator.I1_communes_counselled.value"  # a figure "Ưu điểm" may cite


def test_the_department_writes_a_section_of_the_report(served):
    """On a phone: the officer opens the report's sections, previews an edited draft, saves it
    and sees what changed; on a desktop the sections stand beside their figures, and the
    section's history lists the version."""
    from playwright.sync_api import sync_playwright

    text = "- Tỷ lệ xã trọng điểm được tư vấn đạt {" + CITED + "}."
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            desktop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _log_in(desktop, served["url"], "so@example.vn")
            desktop.goto(f"{served['url']}/so/noi-dung")
            box = desktop.locator("#text-uu_diem").bounding_box()
            figures = desktop.locator("#uu_diem aside").bounding_box()
            assert figures["x"] > box["x"] + box["width"]  # the figures beside the text
            desktop.screenshot(path=str(_shots(served) / "portal-noi-dung.png"), full_page=True)

            phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            _log_in(phone, served["url"], "so@example.vn")
            phone.click("text=Nội dung báo cáo")
            assert phone.url.endswith("/so/noi-dung")
            strengths = phone.locator("#uu_diem")
            assert "Dự thảo từ số liệu" in strengths.inner_text()
            phone.screenshot(path=str(_shots(served) / "portal-noi-dung-phone.png"), full_page=True)
            # the page fits a phone: nothing wider than the screen
            assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
            phone.fill("#text-uu_diem", text)
            strengths.locator("button[value=xem-truoc]").click()
            preview = phone.locator("#uu_diem .preview").inner_text()
            assert "đạt 45,8%." in preview
            assert phone.input_value("#text-uu_diem") == text  # kept, not saved
            phone.locator("#uu_diem").screenshot(
                path=str(_shots(served) / "portal-noi-dung-xem-truoc-phone.png")
            )
            phone.locator("#uu_diem button[value=luu]").click()
            assert "saved=uu_diem" in phone.url
            saved = phone.locator("#uu_diem").inner_text()
            assert "Đã lưu phiên bản 1 của mục “Ưu điểm”" in saved
            assert "Đã lưu — phiên bản 1, so@example.vn" in saved
            assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
            phone.locator("#uu_diem").screenshot(
                path=str(_shots(served) / "portal-noi-dung-da-luu-phone.png")
            )
            narrative = served["home"].root / "narratives" / "2022-H1.md"
            assert text in narrative.read_text(encoding="utf-8")

            # the next report finds the figure changed: the home page and the section say so
            figure_changed(served["home"], "uu_diem", CITED, 0.5, "50%")
            phone.goto(f"{served['url']}/so")
            notice = phone.inner_text("#stale-citations")
            assert "mục “Ưu điểm” (1 câu)" in notice
            phone.screenshot(path=str(_shots(served) / "portal-so-doc-lai-phone.png"))
            phone.click("#stale-citations a")
            assert phone.url.endswith("/so/noi-dung?period=2022-H1#uu_diem")
            assert "nay là 50%" in phone.inner_text("#uu_diem")
            phone.locator("#uu_diem").screenshot(
                path=str(_shots(served) / "portal-noi-dung-doc-lai-phone.png")
            )

            desktop.goto(f"{served['url']}/so/noi-dung")
            desktop.click("#uu_diem >> text=Lịch sử các phiên bản (1)")
            assert "Phiên bản 1" in desktop.inner_text("main")
            desktop.screenshot(
                path=str(_shots(served) / "portal-noi-dung-lich-su.png"), full_page=True
            )
        finally:
            browser.close()
