"""The web portal through its HTTP interface: every page behind the login, uploads checked by the
contract code and written into the inbox under the portal's names, and the security rules
(CSRF, lock-out, sessions after logout, a path in a file name, an oversized body, roles)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from helpers import (
    LABELS,
    PORTAL_PASSWORD,
    add_portal_account,
    new_home,
    portal_home,
    postgres_database,
    write_csv,
)

from ingest.load import ingest_inbox
from outreach.portal.access import Access
from outreach.portal.app import create_app
from outreach.portal.store import MAX_FAILED_LOGINS, Store

PASSWORD = PORTAL_PASSWORD
GOOD = [["05/03/2022", "Phòng, chống mua bán người", "Tin, bài", "2", "", "", "Tiêu đề", "", ""]]
BAD = [
    ["05/03/2022", "Phòng, chống mua bán người", "Tin, bài", "hai", "", "", "Tiêu đề", "", ""],
    ["31/02/2022", "Chủ đề lạ", "Tin, bài", "1", "", "", "Tiêu đề", "", ""],
]


@pytest.fixture
def portal(demo, tmp_path):
    """A portal on a home with the demo's published warehouse, a source, staff of its province,
    staff of another province."""
    home = portal_home(tmp_path / "home", demo["home"].published_warehouse)
    store = Store.for_home(home)
    add_portal_account(store, "bao@example.vn", "Báo Lạng Sơn", "source", source_code="BAO-LS")
    add_portal_account(
        store, "dinhlap@example.vn", "Phòng VH-TT Đình Lập", "source", source_code="PVHTT-189"
    )
    add_portal_account(store, "so@example.vn", "Sở", "staff", province_code="20")
    add_portal_account(store, "khac@example.vn", "Sở khác", "staff", province_code="02")
    return {"home": home, "store": store, "app": create_app(home, store), "tmp": tmp_path}


def client(portal) -> TestClient:
    return TestClient(portal["app"], base_url="https://testserver", follow_redirects=False)


def login(portal, who: str, password: str = PASSWORD) -> TestClient:
    browser = client(portal)
    form = browser.get("/dang-nhap")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = browser.post("/dang-nhap", data={"csrf": csrf, "login": who, "password": password})
    assert answer.status_code == 303, answer.text
    return browser


def csrf_of(browser: TestClient, path: str = "/don-vi") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', browser.get(path).text).group(1)


def upload(
    browser,
    path: Path,
    month: str = "2022-03-01",
    *,
    csrf: str | None = None,
    name: str | None = None,
):
    return browser.post(
        "/don-vi/gui",
        data={"csrf": csrf or csrf_of(browser), "month": month, "kind": "monthly"},
        files={"files": (name or path.name, path.read_bytes(), "text/csv")},
    )


def test_nothing_answers_without_a_session_but_the_login(portal):
    browser = client(portal)
    for path in ("/", "/don-vi", "/so", "/khong-co"):
        answer = browser.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/dang-nhap", path
    for path in ("/don-vi/gui", "/don-vi/xac-nhan", "/dang-xuat"):
        assert browser.post(path).headers["location"] == "/dang-nhap", path
    page = browser.get("/dang-nhap")
    assert page.status_code == 200 and "Đăng nhập" in page.text
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie


def test_a_form_without_its_csrf_token_is_refused(portal):
    browser = client(portal)
    browser.get("/dang-nhap")
    answer = browser.post("/dang-nhap", data={"login": "bao@example.vn", "password": PASSWORD})
    assert answer.status_code == 403
    logged_in = login(portal, "bao@example.vn")
    path = write_csv(portal["tmp"] / "files", "a.csv", GOOD)
    assert upload(logged_in, path, csrf="not-the-token").status_code == 403
    assert not list(portal["home"].inbox.glob("*.csv"))


def test_failed_logins_lock_the_account(portal):
    browser = client(portal)
    for _ in range(MAX_FAILED_LOGINS):
        form = browser.get("/dang-nhap")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        answer = browser.post(
            "/dang-nhap", data={"csrf": csrf, "login": "bao@example.vn", "password": PASSWORD[::-1]}
        )
        assert answer.status_code == 401
    form = browser.get("/dang-nhap")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = browser.post(
        "/dang-nhap", data={"csrf": csrf, "login": "bao@example.vn", "password": PASSWORD}
    )
    assert answer.status_code == 401 and "tạm khóa" in answer.text
    actions = [event["action"] for event in portal["store"].audit_events()]
    assert "account_locked" in actions and actions.count("login_failed") == MAX_FAILED_LOGINS


def test_a_session_is_dead_after_logout(portal):
    browser = login(portal, "bao@example.vn")
    cookie = browser.cookies.get("__Host-outreach_session")
    csrf = csrf_of(browser)
    assert browser.post("/dang-xuat", data={"csrf": csrf}).headers["location"] == "/dang-nhap"
    again = client(portal)
    again.cookies.set("__Host-outreach_session", cookie)
    answer = again.get("/don-vi")
    assert answer.status_code == 303 and answer.headers["location"] == "/dang-nhap"


def test_a_bad_file_gets_every_error_at_once_and_is_not_queued(portal):
    browser = login(portal, "bao@example.vn")
    path = write_csv(portal["tmp"] / "files", "bao cao thang 3.csv", BAD)
    answer = upload(browser, path)
    assert answer.status_code == 200
    assert "Tệp chưa được nhận: có" in answer.text
    rows = re.findall(r'<tr><td data-label="Dòng">(\d*)</td>', answer.text)
    assert set(rows) >= {"2", "3"}  # both rows' problems, in one answer
    assert "hai" in answer.text
    assert not list(portal["home"].inbox.glob("*.csv"))
    assert "upload_refused" in [e["action"] for e in portal["store"].audit_events()]


def test_a_good_file_lands_in_the_inbox_under_the_portals_name_and_ingest_accepts_it(portal):
    browser = login(portal, "bao@example.vn")
    before = datetime.now(UTC).timestamp()
    path = write_csv(portal["tmp"] / "files", "bao cao thang 3.csv", GOOD)
    answer = upload(browser, path)
    assert "BAO-LS_2022-03_r2.csv" in answer.text  # the demo has BAO-LS's March already
    assert "bản sửa lần 2" in answer.text and "Xác nhận" in answer.text
    assert not list(portal["home"].inbox.glob("*.csv"))  # not before the sender confirms
    staged = re.search(r'name="staged" value="([0-9a-f-]+)"', answer.text).group(1)
    confirmed = browser.post("/don-vi/xac-nhan", data={"csrf": csrf_of(browser), "staged": staged})
    assert "Đã nhận bản sửa BAO-LS_2022-03_r2.csv" in confirmed.text
    arrived = portal["home"].inbox / "BAO-LS_2022-03_r2.csv"
    assert arrived.read_bytes() == path.read_bytes()
    assert arrived.stat().st_mtime >= before - 1  # its delivery time is the upload's
    origin = json.loads((portal["home"].inbox / ".origin" / f"{arrived.name}.json").read_text())
    assert origin["sources"] == ["BAO-LS"]
    page = browser.get("/don-vi")
    assert "Đã gửi, chờ xử lý đêm nay" in page.text and "BAO-LS_2022-03_r2.csv" in page.text
    summary = ingest_inbox(portal["home"])
    assert summary.accepted == ["BAO-LS_2022-03_r2.csv"]


def test_a_new_month_needs_no_confirmation_and_a_path_in_the_name_is_dropped(portal):
    browser = login(portal, "bao@example.vn")
    path = write_csv(portal["tmp"] / "files", "t.csv", [["05/07/2022", *GOOD[0][1:]]])
    answer = upload(browser, path, month="2022-07-01", name="../../../etc/cron.d/x.csv")
    assert "Đã nhận: tệp đạt yêu cầu" in answer.text, re.findall(
        r"<td>([^<]{20,})</td>", answer.text
    )
    assert [p.name for p in portal["home"].inbox.glob("*.csv")] == ["BAO-LS_2022-07.csv"]
    assert not (portal["tmp"] / "etc").exists()


def test_an_oversized_body_is_cut_off_while_streaming(portal, tmp_path):
    app = create_app(portal["home"], portal["store"], max_body_bytes=256 * 1024)
    browser = TestClient(app, base_url="https://testserver", follow_redirects=False)
    form = browser.get("/dang-nhap")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    browser.post("/dang-nhap", data={"csrf": csrf, "login": "bao@example.vn", "password": PASSWORD})
    big = tmp_path / "big.csv"
    big.write_text(",".join(LABELS) + "\n" + "x" * (512 * 1024), encoding="utf-8")
    answer = upload(browser, big)
    assert answer.status_code == 413 and "quá lớn" in answer.text
    assert not list(portal["home"].inbox.glob("*.csv"))


def test_a_source_sees_only_its_own_months(portal):
    browser = login(portal, "dinhlap@example.vn")
    page = browser.get("/don-vi").text
    assert "05/2022" in page and "Chưa gửi" in page  # its planted missing month
    assert "BAO-LS_2022-01" not in page
    assert browser.get("/so").status_code == 403


def test_staff_see_their_province_only(portal):
    ours = login(portal, "so@example.vn").get("/so").text
    assert "PVHTT-189" in ours and "Thiếu" in ours and "Trả lại" in ours
    theirs = login(portal, "khac@example.vn").get("/so").text
    assert "PVHTT-189" not in theirs and "BAO-LS" not in theirs
    filtered = login(portal, "so@example.vn").get("/so?kind=outlet_provincial").text
    assert "BAO-LS" in filtered and "PVHTT-189" not in filtered


def test_a_setup_link_sets_the_password_once(portal):
    store = portal["store"]
    account = store.add_account("moi@example.vn", "Mới", "source", source_code="PTTH-LS")
    token = store.invite(account.account_id)
    browser = client(portal)
    form = browser.get(f"/thiet-lap/{token}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    done = browser.post(
        f"/thiet-lap/{token}", data={"csrf": csrf, "password": PASSWORD, "again": PASSWORD}
    )
    assert done.status_code == 303
    login(portal, "moi@example.vn")
    assert browser.get(f"/thiet-lap/{token}").status_code == 404


def test_the_account_command_prints_a_link_that_sets_the_password(portal):
    from click.testing import CliRunner

    from outreach.cli import main

    home = str(portal["home"].root)
    result = CliRunner().invoke(
        main, ["web-account", "--email", "PTTH@example.vn", "--source", "PTTH-LS", "--home", home]
    )
    assert result.exit_code == 0, result.output
    link = re.search(r"http://localhost:8000(/thiet-lap/\S+)", result.output).group(1)
    account = portal["store"].account_by_login("ptth@example.vn")
    assert account.source_code == "PTTH-LS" and account.display_name.startswith("Đài Phát thanh")
    assert client(portal).get(link).status_code == 200
    again = CliRunner().invoke(
        main, ["web-account", "--email", "ptth@example.vn", "--source", "PTTH-LS", "--home", home]
    )
    assert again.exit_code != 0 and "already has an account" in again.output
    unknown = CliRunner().invoke(
        main, ["web-account", "--email", "x@example.vn", "--source", "KHONG-CO", "--home", home]
    )
    assert unknown.exit_code != 0 and "no source 'KHONG-CO'" in unknown.output


def test_the_chase_list_has_each_message_ready_to_copy_or_to_mail(portal):
    page = login(portal, "so@example.vn").get("/so/nhac-nho")
    assert page.status_code == 200 and "2022-H1" in page.text
    messages = re.findall(r"<textarea[^>]*>([^<]+)</textarea>", page.text)
    assert len(messages) == 6 and all(m.startswith("Kính gửi") for m in messages)
    assert page.text.count('href="mailto:') == 6
    assert "Chưa gửi báo cáo" in page.text and "Bị trả lại, chưa gửi bản sửa" in page.text
    other = login(portal, "khac@example.vn").get("/so/nhac-nho")
    assert "Không có đơn vị nào cần nhắc." in other.text
    assert login(portal, "bao@example.vn").get("/so/nhac-nho").status_code == 403


def test_the_reports_of_the_province_download_and_nothing_else(portal, demo):
    shutil.copytree(
        demo["home"].root / "reports", portal["home"].root / "reports", dirs_exist_ok=True
    )
    browser = login(portal, "so@example.vn")
    listing = browser.get("/so/bao-cao")
    assert "6 tháng đầu năm 2022" in listing.text and "bao-cao-2022-H1.docx" in listing.text
    docx = browser.get("/so/bao-cao/2022-H1/bao-cao-2022-H1.docx")
    assert docx.status_code == 200
    assert (
        docx.content == (demo["home"].report_dir("2022-H1") / "bao-cao-2022-H1.docx").read_bytes()
    )
    assert docx.headers["content-disposition"].startswith("attachment;")
    for path in (
        "/so/bao-cao/2022-H1/figures.json",
        "/so/bao-cao/2022-H1/..%2F..%2Fportal%2Fportal.db",
        "/so/bao-cao/2022-H2/bao-cao-2022-H1.docx",
        "/so/bao-cao/khong/bao-cao-khong.docx",
        "/so/bao-cao/2022-H2/nguon-so-lieu-2022-H1.csv",
        "/so/bao-cao/2022-H2/nguon-so-lieu-2022-H2.csv",  # no report of that period
    ):
        assert browser.get(path).status_code == 404, path
    assert "download" in [event["action"] for event in portal["store"].audit_events()]
    assert login(portal, "bao@example.vn").get("/so/bao-cao").status_code == 403
    other = login(portal, "khac@example.vn")
    listing = other.get("/so/bao-cao").text
    assert "bao-cao-2022-H1.docx" not in listing and "nguon-so-lieu" not in listing
    for name in ("bao-cao-2022-H1.docx", "bao-cao-2022-H1.html", "nguon-so-lieu-2022-H1.csv"):
        assert other.get(f"/so/bao-cao/2022-H1/{name}").status_code == 404, name


def test_the_excel_template_filled_in_is_accepted_unchanged(portal, tmp_path):
    from openpyxl import load_workbook

    browser = login(portal, "bao@example.vn")
    answer = browser.get("/don-vi/mau?month=2022-07-01")
    assert answer.status_code == 200
    assert 'filename="BAO-LS_2022-07.xlsx"' in answer.headers["content-disposition"]
    path = tmp_path / "mau.xlsx"
    path.write_bytes(answer.content)
    workbook = load_workbook(path)
    assert workbook.sheetnames[0] == "HuongDan" and "BaoCao" in workbook.sheetnames
    assert workbook["DanhMuc"].sheet_state == "hidden"
    sheet = workbook["BaoCao"]
    assert [cell.value for cell in sheet[1]] == LABELS
    kinds = {rule.type: str(rule.sqref) for rule in sheet.data_validations.dataValidation}
    assert set(kinds) == {"date", "list", "whole"}
    lists = [r.formula1 for r in sheet.data_validations.dataValidation if r.type == "list"]
    assert any(f.startswith("DanhMuc!$A$2") for f in lists)  # the topics
    topics = [cell.value for cell in workbook["DanhMuc"]["A"][1:] if cell.value]
    types = [cell.value for cell in workbook["DanhMuc"]["B"][1:] if cell.value]
    sheet.append([datetime(2022, 7, 5), topics[0], types[0], 3, None, None, "Tin thử", None, None])
    workbook.save(path)
    sent = upload(browser, path, month="2022-07-01", name="mau.xlsx")
    assert "Đã nhận: tệp đạt yêu cầu (1 dòng)" in sent.text, sent.text[-2000:]
    summary = ingest_inbox(portal["home"])
    assert summary.accepted == ["BAO-LS_2022-07.xlsx"]


def test_corrections_sent_at_once_each_take_their_own_revision(portal, tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    from datetime import date

    from outreach.portal import submissions

    home, store = portal["home"], portal["store"]
    account = store.account_by_login("bao@example.vn")
    tokens = []
    for number in range(6):  # six different files: the same bytes twice are one file
        path = write_csv(
            tmp_path / f"f{number}", "sua.csv", [[*GOOD[0][:6], f"Bản {number}", "", ""]]
        )
        checked = submissions.check_upload(
            home, store, account, path, "sua.csv", date(2022, 3, 1), "monthly"
        )
        assert checked.passed and checked.is_correction and checked.name.revision == 2
        tokens.append(checked.staged)
    other = store.account_by_login("dinhlap@example.vn")
    assert submissions.deliver(home, store, other, tokens[0]) is None  # not its token
    with ThreadPoolExecutor(6) as pool:
        names = list(pool.map(lambda t: submissions.deliver(home, store, account, t), tokens))
    assert sorted(names) == [f"BAO-LS_2022-03_r{n}.csv" for n in range(2, 8)]
    assert sorted(p.name for p in home.inbox.glob("*.csv")) == sorted(names)
    # a staged file is delivered once: the same token again finds nothing
    assert submissions.deliver(home, store, account, tokens[0]) is None


def test_the_store_runs_on_postgresql_as_in_production():
    """The same accounts, sessions and uploads on PostgreSQL (the compose `portal` service);
    skipped where no PostgreSQL answers on 127.0.0.1:5432."""
    with postgres_database() as url:
        store = Store(url)
        add_portal_account(store, "bao@example.vn", "Báo Lạng Sơn", "source", source_code="BAO-LS")
        account, why = store.authenticate("BAO@example.vn", PASSWORD, "127.0.0.1")
        assert account is not None and account.source_code == "BAO-LS" and why == ""
        session_id, csrf = store.open_session(account)
        assert store.session(session_id) == (account, csrf)
        store.close_session(session_id)
        assert store.session(session_id) is None
        store.engine.dispose()


def declarations(app) -> dict[tuple[str, str], Access | None]:
    """Every method and path of the application, and the access it declares (None: none, or
    more than one)."""
    found: dict[tuple[str, str], Access | None] = {}
    for route in app.routes:
        declared = (
            [d.call for d in route.dependant.dependencies if isinstance(d.call, Access)]
            if isinstance(route, APIRoute)
            else []  # a mount or a plain Starlette route declares nothing
        )
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            found[(method, route.path)] = declared[0] if len(declared) == 1 else None
    return found


def test_every_route_declares_who_may_use_it(tmp_path):
    app = create_app(new_home(tmp_path / "home"))
    routes = declarations(app)
    assert len(routes) == 25
    assert [route for route, access in routes.items() if access is None] == []
    public = {route for route, access in routes.items() if access.is_public}
    assert public == {
        ("GET", "/dang-nhap"),
        ("POST", "/dang-nhap"),
        ("GET", "/thiet-lap/{token}"),
        ("POST", "/thiet-lap/{token}"),
    }
    # a route added without a declaration is found
    app.add_api_route("/khong-khai-bao", lambda: "mở cho mọi người")
    assert declarations(app)[("GET", "/khong-khai-bao")] is None


# how each route is called in the walk below: its path parameters and query, the form it posts
CALLS = {
    "/don-vi/mau": "/don-vi/mau?month=2022-07-01",
    "/thiet-lap/{token}": "/thiet-lap/" + "x" * 43,
    "/so/bao-cao/{period}/{name}": "/so/bao-cao/2022-H1/bao-cao-2022-H1.docx",
    "/so/noi-dung/lich-su": "/so/noi-dung/lich-su?period=2022-H1&section=danh_gia",
}
FORM = {
    "month": "2022-07-01",
    "kind": "monthly",
    "period": "2022-H1",
    "action": "approve",
    "staged": "0" * 32,
}
# who walks, by role, and the page each is sent to from another audience's page
VISITORS = {
    None: "",
    "source": "bao@example.vn",
    "staff": "so@example.vn",
    "admin": "quantri@example.vn",
}
HOME_PAGES = {"source": "/don-vi", "staff": "/so", "admin": "/so"}
# what a route's body answers a visitor its declaration admits: 200 (the page), 303 (sent
# elsewhere), 400 (a form refused with a message), 403 (refused by the body: a login form
# without its token, nothing staged under the token, no Airflow to run), 404 (no such link)
ANSWERS = {
    ("GET", "/dang-nhap"): {None: 200, "source": 200, "staff": 200, "admin": 200},
    ("POST", "/dang-nhap"): {None: 403, "source": 403, "staff": 403, "admin": 403},
    ("GET", "/thiet-lap/{token}"): {None: 404, "source": 404, "staff": 404, "admin": 404},
    ("POST", "/thiet-lap/{token}"): {None: 403, "source": 403, "staff": 403, "admin": 403},
    ("GET", "/"): {"source": 303, "staff": 303, "admin": 303},
    ("POST", "/dang-xuat"): {"source": 303, "staff": 303, "admin": 303},
    ("GET", "/don-vi"): {"source": 200},
    ("GET", "/don-vi/mau"): {"source": 200},
    ("POST", "/don-vi/gui"): {"source": 200},
    ("POST", "/don-vi/xac-nhan"): {"source": 403},
    ("GET", "/so"): {"staff": 200, "admin": 200},
    ("GET", "/so/nhac-nho"): {"staff": 200, "admin": 200},
    ("GET", "/so/canh-bao"): {"staff": 200, "admin": 200},
    ("GET", "/so/phe-duyet"): {"staff": 200, "admin": 200},
    # approving asks first (the confirmation page); the walk's confirmation names no publish
    ("POST", "/so/phe-duyet"): {"staff": 200, "admin": 200},
    ("POST", "/so/phe-duyet/xac-nhan"): {"staff": 403, "admin": 403},
    ("GET", "/so/bao-cao"): {"staff": 200, "admin": 200},
    ("GET", "/so/bao-cao/{period}/{name}"): {"staff": 200, "admin": 200},
    # the report's sections: the walk's form names no section (refused, nothing saved)
    ("GET", "/so/noi-dung"): {"staff": 200, "admin": 200},
    ("POST", "/so/noi-dung"): {"staff": 403, "admin": 403},
    ("GET", "/so/noi-dung/lich-su"): {"staff": 200, "admin": 200},
    ("POST", "/so/chay-ngay"): {"staff": 403, "admin": 403},
    # the accounts and the audit log: the walk's form names no account (400, with a message)
    ("GET", "/quan-tri/tai-khoan"): {"admin": 200},
    ("POST", "/quan-tri/tai-khoan"): {"admin": 400},
    ("GET", "/quan-tri/nhat-ky"): {"admin": 200},
}


@pytest.mark.parametrize("role", list(VISITORS), ids=lambda role: role or "anonymous")
def test_every_route_for_every_role(portal, demo, role):
    """Every route of the application (app.routes) walked by an anonymous visitor, a source,
    an officer and an administrator: a visitor its declaration does not admit gets the
    declaration's answer (the login, its own home page, or 403 with the declaration's words),
    one it admits gets what the body answers (ANSWERS, which must know every such pair)."""
    add_portal_account(portal["store"], "quantri@example.vn", "Quản trị", "admin")
    shutil.copytree(
        demo["home"].root / "reports", portal["home"].root / "reports", dirs_exist_ok=True
    )
    routes = declarations(portal["app"])
    assert None not in routes.values()
    if role is None:
        browser, csrf = client(portal), ""
    else:
        browser = login(portal, VISITORS[role])
        csrf = csrf_of(browser, HOME_PAGES[role])
    # logging out ends the session the rest of the walk is made in: it goes last
    for (method, path), access in sorted(
        routes.items(), key=lambda item: item[0][1] == "/dang-xuat"
    ):
        url = CALLS.get(path, path)
        assert "{" not in url, f"CALLS has no call of {path}"
        answer = (
            browser.get(url) if method == "GET" else browser.post(url, data={"csrf": csrf, **FORM})
        )
        where = (role, method, path, answer.status_code)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], where
        assert answer.headers["x-frame-options"] == "DENY", where
        if role in access.roles or access.is_public:
            assert answer.status_code == ANSWERS[(method, path)][role], where
            if answer.status_code == 303:
                assert answer.headers["location"] != "/dang-nhap" or path == "/dang-xuat", where
        elif role is None:
            assert answer.status_code == 303, where
            assert answer.headers["location"] == "/dang-nhap", where
        elif method == "GET" and path in access.redirect_others_from:
            assert answer.status_code == 303, where
            assert answer.headers["location"] == HOME_PAGES[role], where
        else:
            assert answer.status_code == 403, where
            assert (access.message or "Yêu cầu không hợp lệ") in answer.text, where


def test_staff_of_another_province_see_nothing_of_this_one(portal):
    browser = login(portal, "khac@example.vn")
    for path in ("/so", "/so/canh-bao", "/so/nhac-nho", "/so/bao-cao"):
        page = browser.get(path)
        assert page.status_code == 200 and "BAO-LS" not in page.text, path
        assert "Đình Lập" not in page.text, path
    csrf = csrf_of(browser, "/so")
    for path in ("/so/phe-duyet", "/so/phe-duyet/xac-nhan"):
        answer = browser.post(path, data={"csrf": csrf, "period": "2022-H1", "action": "approve"})
        assert answer.status_code == 403, path  # a province without sources approves nothing


def test_the_flags_page_lists_every_check_of_the_period(portal):
    page = login(portal, "so@example.vn").get("/so/canh-bao")
    assert "2022-H1" in page.text
    for label in ("Chưa gửi hoặc bị trả lại", "Gửi muộn", "Thiếu tin, bài về mua bán người"):
        assert label in page.text, label


def test_the_setup_link_can_be_emailed_to_the_accounts_owner(portal, monkeypatch):
    from click.testing import CliRunner
    from mailserver import local_smtp, text_of

    from outreach.cli import main

    with local_smtp() as mailbox:
        for name, value in mailbox.environment().items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(
            main,
            [
                "web-account",
                "--email",
                "ptth@example.vn",
                "--source",
                "PTTH-LS",
                "--send",
                "--home",
                str(portal["home"].root),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "e-mailed" in result.output and "thiet-lap" not in result.output
        [message] = mailbox.messages
    assert message["X-Envelope-To"] == "ptth@example.vn"
    link = re.search(r"http://localhost:8000(/thiet-lap/[\w-]+)", text_of(message)).group(1)
    assert client(portal).get(link).status_code == 200


def test_failures_from_one_address_do_not_lock_the_owner_out_elsewhere(portal):
    store = portal["store"]
    # the owner's browser, trusted since it logged in there (its device cookie's token)
    owners = store.trust_device(store.account_by_login("bao@example.vn"))
    for _ in range(MAX_FAILED_LOGINS):
        assert store.authenticate("bao@example.vn", "not it", "203.0.113.9") == (None, "wrong")
    assert store.authenticate("bao@example.vn", PASSWORD, "203.0.113.9") == (None, "locked")
    # a browser it never logged in from is locked wherever it is: five guesses, not five an
    # address (tests/test_login_guessing.py sends them in parallel)
    assert store.authenticate("bao@example.vn", PASSWORD, "198.51.100.7") == (None, "locked")
    account, why = store.authenticate("bao@example.vn", PASSWORD, "198.51.100.7", owners)
    assert account is not None and account.source_code == "BAO-LS" and why == ""
    # an unknown login is answered as a wrong password
    assert store.authenticate("khong-co@example.vn", PASSWORD, "198.51.100.8") == (None, "wrong")
