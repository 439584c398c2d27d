"""The department's pages follow the period: the completeness matrix and the flags show the
period chosen (by default the one being reported), its months and only the sources and areas
valid in it (the district offices before the 2025 reform, the commune offices after); periods
are named as people say them, times are Vietnam's; approving or re-opening a period asks for a
confirmation that says what it does; the report's browser view opens in the browser, sandboxed;
each figure's files download as a CSV."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from helpers import PORTAL_PASSWORD, add_portal_account, portal_home

from ingest.approvals import approvals_file
from outreach.portal.accounts import local_time
from outreach.portal.app import create_app
from outreach.portal.store import Store, approve, current_approvals

pytestmark = pytest.mark.warehouse

# every time a department page writes: Vietnam's, `HH:MM dd/mm/yyyy`
LOCAL_TIME = r"\d\d:\d\d \d\d/\d\d/\d{4}"


def _portal(tmp_path, home_root):
    """A portal on a copy of `home_root`'s published warehouse and reports, with an officer of
    Lạng Sơn and one of a province without sources."""
    home = portal_home(tmp_path / "home", home_root / "warehouse" / "published" / "outreach.duckdb")
    shutil.copytree(home_root / "reports", home.reports, dirs_exist_ok=True)
    store = Store.for_home(home)
    add_portal_account(store, "so@example.vn", "Sở", "staff", province_code="20")
    add_portal_account(store, "khac@example.vn", "Sở khác", "staff", province_code="02")
    return {"home": home, "store": store, "app": create_app(home, store)}


@pytest.fixture
def before_reform(demo, tmp_path):
    return _portal(tmp_path, demo["home"].root)


@pytest.fixture
def after_reform(two_years, tmp_path):
    return _portal(tmp_path, two_years["home"])


def _login(portal, who: str = "so@example.vn") -> TestClient:
    browser = TestClient(portal["app"], base_url="https://testserver", follow_redirects=False)
    form = browser.get("/dang-nhap")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = browser.post(
        "/dang-nhap", data={"csrf": csrf, "login": who, "password": PORTAL_PASSWORD}
    )
    assert answer.status_code == 303, answer.text
    return browser


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _options(page: str, name: str) -> dict[str, str]:
    """The options of a select: value -> label."""
    select = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', page, re.S).group(1)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


def _selected(page: str, name: str) -> str:
    """The value of the option chosen ("" : the first, "Tất cả")."""
    select = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', page, re.S).group(1)
    chosen = re.search(r'<option value="([^"]*)" selected>', select)
    return chosen.group(1) if chosen else ""


def _months(page: str) -> list[str]:
    return re.findall(r"<th>(T\d+/\d{4})</th>", page)


def _rows(page: str) -> list[str]:
    """The codes of the sources the matrix lists."""
    table = page[page.index('<table class="matrix">') :]
    return re.findall(r'<div class="muted">([A-Z0-9-]+)</div></td>', table)


def test_a_period_before_the_reform_shows_its_months_and_its_districts(before_reform):
    browser = _login(before_reform)
    page = browser.get("/so").text
    # the period being reported, named as people say it
    assert _selected(page, "period") == "2022-H1"
    assert "<title>Tình hình gửi báo cáo 6 tháng đầu năm 2022" in page
    assert "<h1>Tình hình gửi báo cáo 6 tháng đầu năm 2022</h1>" in page
    assert _options(page, "period")["2022-Q1"] == "Quý I năm 2022"
    assert "2022-H1<" not in page  # the code is no label
    assert _months(page) == [f"T{month}/2022" for month in range(1, 7)]
    rows = _rows(page)
    assert len([code for code in rows if code.startswith("PVHTT-")]) == 11
    assert not [code for code in rows if code.startswith("XA-")]
    assert {"BAO-LS", "PTTH-LS"} <= set(rows) and "BPTTH-LS" not in rows
    assert "commune" not in _options(page, "kind")
    areas = _options(page, "area")
    assert areas["189"] == "Huyện Đình Lập" and len(areas) == 12  # "Tất cả" and 11 districts
    assert '<optgroup label="Xã, phường' not in page
    # a quarter: its three months
    quarter = browser.get("/so?period=2022-Q1").text
    assert _months(quarter) == ["T1/2022", "T2/2022", "T3/2022"]
    assert "<h1>Tình hình gửi báo cáo quý I năm 2022</h1>" in quarter
    # a district: its office only
    one = browser.get("/so?period=2022-H1&area=189").text
    assert _rows(one) == ["PVHTT-189"] and _selected(one, "area") == "189"
    # a period the warehouse does not know is not shown: the one being reported is
    assert _selected(browser.get("/so?period=2031-H1").text, "period") == "2022-H1"


def test_a_period_after_the_reform_shows_its_communes_and_no_abolished_district(after_reform):
    browser = _login(after_reform)
    page = browser.get("/so").text
    assert _selected(page, "period") == "2026-H1"  # the latest period reported
    assert _months(page) == [f"T{month}/2026" for month in range(1, 7)]
    rows = _rows(page)
    assert len([code for code in rows if code.startswith("XA-")]) == 65
    assert not [code for code in rows if code.startswith("PVHTT-")]
    assert "BPTTH-LS" in rows and not {"BAO-LS", "PTTH-LS"} & set(rows)
    assert "district" not in _options(page, "kind")
    areas = _options(page, "area")
    assert areas["06040"] == "Xã Thất Khê" and len(areas) == 66
    assert not set(areas) & {"178", "180", "189"}
    # a group the period does not have is not kept: every source is shown
    assert _selected(browser.get("/so?kind=district").text, "kind") == ""
    # the year of the reform: the districts until June, the communes from July
    year = browser.get("/so?period=2025").text
    assert _months(year) == [f"T{month}/2025" for month in range(1, 13)]
    assert '<optgroup label="Huyện, thành phố (đến 30/06/2025)">' in year
    assert '<optgroup label="Xã, phường (từ 01/07/2025)">' in year
    district = browser.get("/so?period=2025&area=189").text
    assert _rows(district) == ["PVHTT-189"]
    cells = re.findall(r'<td class="cell ([^"]+)"', district)
    assert len(cells) == 12 and all(cell == "s-none" for cell in cells[6:])
    assert all(cell != "s-none" for cell in cells[:6])
    # the flags of a quarter, named as people say it
    flags = browser.get("/so/canh-bao?period=2026-Q1").text
    assert "<h1>Các trường hợp cần đôn đốc, kiểm tra lại quý I năm 2026</h1>" in flags
    assert _selected(flags, "period") == "2026-Q1"
    assert _options(flags, "period") == {
        "2026-H1": "6 tháng đầu năm 2026",
        "2026-Q1": "Quý I năm 2026",
    }
    assert "PVHTT-" not in flags and "Phòng Văn hóa và Thông tin huyện" not in flags
    default = browser.get("/so/canh-bao").text
    assert _selected(default, "period") == "2026-H1"


def test_staff_of_another_province_get_no_matrix(before_reform):
    page = _login(before_reform, "khac@example.vn").get("/so?period=2022-H1&area=189").text
    assert "PVHTT-" not in page and "Đình Lập" not in page and "BAO-LS" not in page


def test_approving_asks_first_and_says_what_it_freezes(before_reform):
    portal = before_reform
    browser = _login(portal)
    csrf = _csrf(browser.get("/so/phe-duyet").text)
    asked = browser.post(
        "/so/phe-duyet", data={"csrf": csrf, "period": "2022-H1", "action": "approve"}
    )
    # a single POST approves nothing: it asks
    assert asked.status_code == 200
    assert current_approvals(portal["store"]) == [] and not approvals_file(portal["home"]).exists()
    page = asked.text
    assert "<h1>Phê duyệt kỳ báo cáo 6 tháng đầu năm 2022?</h1>" in page
    assert "01/2022, 02/2022, 03/2022, 04/2022, 05/2022, 06/2022" in page
    published = datetime.fromtimestamp(portal["home"].published_warehouse.stat().st_mtime, tz=UTC)
    assert f"số liệu của lần xử lý lúc <strong>{local_time(published)}</strong>" in page
    assert "121 tệp báo cáo đã tiếp nhận được tính" in page  # as the report's annex counts
    assert "đã nhận 117/120 báo cáo tháng đến hạn" in page
    assert "sẽ được giữ lại" in page and "Xác nhận phê duyệt" in page
    stamp = re.search(r'name="published" value="([^"]+)"', page).group(1)
    form = {"csrf": _csrf(page), "period": "2022-H1", "action": "approve"}
    # a confirmation without its token, or of figures a later publish replaced, approves nothing
    assert (
        browser.post(
            "/so/phe-duyet/xac-nhan", data={**form, "csrf": "x", "published": stamp}
        ).status_code
        == 403
    )
    moved = browser.post(
        "/so/phe-duyet/xac-nhan", data={**form, "published": "2022-07-11T00:00:00+00:00"}
    )
    assert moved.status_code == 409 and "Số liệu vừa được cập nhật" in moved.text
    assert current_approvals(portal["store"]) == []
    done = browser.post("/so/phe-duyet/xac-nhan", data={**form, "published": stamp})
    assert done.status_code == 303 and done.headers["location"] == "/so/phe-duyet?done=approve"
    [approval] = current_approvals(portal["store"])
    assert approval["period_code"] == "2022-H1"
    assert datetime.fromisoformat(approval["counts_files_until"]) == published
    listing = browser.get("/so/phe-duyet?done=approve").text
    approved_at = local_time(datetime.fromisoformat(approval["approved_at"]))
    assert f"Đã phê duyệt (so@example.vn, {approved_at}, giờ Việt Nam)" in listing
    assert "Mở lại kỳ…" in listing

    # re-opening says what it lets in, and asks too
    reopen = browser.post(
        "/so/phe-duyet", data={"csrf": csrf, "period": "2022-H1", "action": "reopen"}
    )
    assert reopen.status_code == 200 and "Xác nhận mở lại kỳ" in reopen.text
    assert "Nội dung báo cáo (các mục cán bộ viết) sửa được trở lại" in reopen.text
    assert len(current_approvals(portal["store"])) == 1
    stamp = re.search(r'name="published" value="([^"]+)"', reopen.text).group(1)
    confirmed = browser.post(
        "/so/phe-duyet/xac-nhan",
        data={"csrf": csrf, "period": "2022-H1", "action": "reopen", "published": stamp},
    )
    assert confirmed.status_code == 303 and current_approvals(portal["store"]) == []
    actions = [event["action"] for event in portal["store"].audit_events()]
    assert actions.count("period_approve") == 1 and actions.count("period_reopen") == 1


def test_the_department_pages_write_times_in_vietnam_time(before_reform):
    portal = before_reform
    browser = _login(portal)
    approve(portal["store"], "20", "2022-H1", "so@example.vn", datetime.now(UTC))
    for path in ("/so", "/so/canh-bao", "/so/nhac-nho", "/so/bao-cao", "/so/phe-duyet"):
        page = browser.get(path).text
        assert "UTC" not in page and "+00:00" not in page, path
        assert re.search(LOCAL_TIME, page), path
    reports = browser.get("/so/bao-cao").text
    written = datetime.fromtimestamp(
        (portal["home"].report_dir("2022-H1") / "bao-cao-2022-H1.docx").stat().st_mtime, tz=UTC
    )
    assert f"bao-cao-2022-H1.docx, {local_time(written)}" in reports


def test_the_browser_view_opens_in_the_browser_and_runs_nothing(before_reform):
    browser = _login(before_reform)
    listing = browser.get("/so/bao-cao").text
    assert 'href="/so/bao-cao/2022-H1/bao-cao-2022-H1.html" target="_blank"' in listing
    view = browser.get("/so/bao-cao/2022-H1/bao-cao-2022-H1.html")
    assert view.status_code == 200 and view.headers["content-type"].startswith("text/html")
    assert view.headers["content-disposition"].startswith("inline;")
    policy = view.headers["content-security-policy"]
    directives = [part.strip() for part in policy.split(";")]
    assert "sandbox" in directives  # no allow-scripts, no allow-same-origin: nothing runs
    assert "default-src 'none'" in directives and "style-src 'unsafe-inline'" in directives
    assert "img-src data:" in directives and "frame-ancestors 'none'" in directives
    assert "script-src" not in policy and "allow-" not in policy
    # the portal's other headers, as on every answer
    assert view.headers["x-frame-options"] == "DENY"
    assert view.headers["x-content-type-options"] == "nosniff"
    assert view.headers["cache-control"] == "no-store"
    assert "THÔNG TIN VÀ</b><br><b>TRUYỀN THÔNG" in view.text
    for name in ("bao-cao-2022-H1.docx", "nhac-nho-2022-H1.csv", "nguon-so-lieu-2022-H1.csv"):
        answer = browser.get(f"/so/bao-cao/2022-H1/{name}")
        assert answer.headers["content-disposition"].startswith("attachment;"), name
        assert "sandbox" not in answer.headers["content-security-policy"], name


def test_each_figure_with_its_files_downloads_as_a_csv(before_reform):
    portal = before_reform
    browser = _login(portal)
    assert "Nguồn của từng số liệu (Excel, CSV)" in browser.get("/so/bao-cao").text
    answer = browser.get("/so/bao-cao/2022-H1/nguon-so-lieu-2022-H1.csv")
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Mã số liệu", "Số liệu", "Giá trị", "Phần"]
    payload = json.loads(
        (portal["home"].report_dir("2022-H1") / "figures.json").read_text(encoding="utf-8")
    )
    expected = set()
    for figure in payload["figures"]:
        for key in figure["sources"] or [None]:
            file = payload["submissions"][key]["file_name"] if key else ""
            expected.add((figure["id"], file))
    assert {(row[0], row[7]) for row in body} == expected
    directives = [row for row in body if row[0] == "directives.count"]
    assert {row[7] for row in directives} == {
        f"VANBAN_STTTT_2022-0{month}.xlsx" for month in (1, 2, 4, 5)
    }
    assert all(row[5] == "Sở Thông tin và Truyền thông tỉnh Lạng Sơn" for row in directives)
    assert "download" in [event["action"] for event in portal["store"].audit_events()]
