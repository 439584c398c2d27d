"""The portal in a real browser (Debian's chromium, driven by Playwright): a sender logs in,
drops a bad file and reads every error, drops the corrected one, confirms it as a correction and
sees it waiting for the night; the department reads the completeness matrix. On a phone-sized
screen the pages fit. Screenshots of the sender's page and the matrix go to docs/."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from helpers import PORTAL_PASSWORD, add_portal_account, portal_home, write_csv

from outreach.portal.app import create_app
from outreach.portal.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)"
)
PASSWORD = PORTAL_PASSWORD
ROW = ["Phòng, chống mua bán người", "Tin, bài", "2", "", "", "Tiêu đề", "", ""]


@pytest.fixture
def served(demo, tmp_path):
    home = portal_home(tmp_path / "home", demo["home"].published_warehouse)
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
    """Where the screenshots go: $OUTREACH_SCREENSHOTS (the README's come from
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
            # the page fits a phone: nothing wider than the screen but the scrolled tables
            width = page.evaluate("() => document.querySelector('form').scrollWidth")
            assert width <= 390
            page.screenshot(path=str(_shots(served) / "portal-don-vi.png"), full_page=True)
        finally:
            browser.close()


def test_the_department_reads_the_completeness_matrix(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _log_in(page, served["url"], "so@example.vn")
            assert page.url.endswith("/so")
            table = page.inner_text("table")
            assert "Báo Lạng Sơn" in table and "Thiếu" in table and "Trả lại" in table
            page.click("text=Các cơ quan báo chí của tỉnh")
            assert "kind=outlet_provincial" in page.url
            assert "Đình Lập" not in page.inner_text("table")
            page.goto(f"{served['url']}/so")
            page.screenshot(path=str(_shots(served) / "portal-so.png"), full_page=True)
            page.click("text=Đăng xuất")
            assert page.url.endswith("/dang-nhap")
            page.goto(f"{served['url']}/so")
            assert page.url.endswith("/dang-nhap")
        finally:
            browser.close()
