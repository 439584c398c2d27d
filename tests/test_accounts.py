"""Accounts have a life cycle, from the administrator's pages and from `outreach accounts`:
deactivated (the open session refused at its next request), re-activated, given a new set-up
link (the old one dead) or another role; each change in the audit log. Run-now only for staff
of a province with sources, one queued run at a time, the last request named. What the portal
writes is its user's only."""

from __future__ import annotations

import json
import re
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from helpers import PORTAL_PASSWORD, add_portal_account, new_home, postgres_database, write_csv

from outreach.cli import main
from outreach.core.constants import DAG_ID
from outreach.portal import department
from outreach.portal.accounts import RUN_CLAIM_HOLD
from outreach.portal.app import create_app
from outreach.portal.store import LastAdministrator, Store

# what the stand-in for Airflow's API hands out and expects (made per run, not a literal)
AIRFLOW_STAND_IN_TOKEN = secrets.token_hex(8)

PASSWORD = PORTAL_PASSWORD
SESSION = "__Host-outreach_session"
GOOD = [["05/03/2022", "Phòng, chống mua bán người", "Tin, bài", "2", "", "", "Tiêu đề", "", ""]]


def accounts_of(store: Store) -> None:
    add_portal_account(store, "quantri@example.vn", "Quản trị", "admin")
    add_portal_account(store, "bao@example.vn", "Báo Lạng Sơn", "source", source_code="BAO-LS")
    add_portal_account(store, "so@example.vn", "Sở", "staff", province_code="20")
    add_portal_account(store, "khac@example.vn", "Sở khác", "staff", province_code="02")


@pytest.fixture
def portal(tmp_path):
    """A portal on a fresh home (the bundled registry: Lạng Sơn's sources, province 20): an
    administrator, a source, staff of province 20 and staff of a province without sources."""
    home = new_home(tmp_path / "home")
    store = Store.for_home(home)
    accounts_of(store)
    return {"home": home, "store": store, "app": create_app(home, store), "tmp": tmp_path}


def client(portal) -> TestClient:
    return TestClient(portal["app"], base_url="https://testserver", follow_redirects=False)


def csrf_in(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def login(portal, who: str, password: str = PASSWORD) -> TestClient:
    browser = client(portal)
    csrf = csrf_in(browser.get("/dang-nhap").text)
    answer = browser.post("/dang-nhap", data={"csrf": csrf, "login": who, "password": password})
    assert answer.status_code == 303, answer.text
    return browser


def login_fails(portal, who: str, password: str = PASSWORD) -> bool:
    browser = client(portal)
    csrf = csrf_in(browser.get("/dang-nhap").text)
    answer = browser.post("/dang-nhap", data={"csrf": csrf, "login": who, "password": password})
    return answer.status_code == 401


def change(admin: TestClient, portal, who: str, action: str, **fields: str):
    """The administrator's form on the accounts page, for the account `who`."""
    csrf = csrf_in(admin.get("/quan-tri/tai-khoan").text)
    account = portal["store"].account_by_login(who)
    return admin.post(
        "/quan-tri/tai-khoan",
        data={"csrf": csrf, "account": str(account.account_id), "action": action, **fields},
    )


def test_a_deactivated_accounts_open_session_is_refused_at_its_next_request(portal):
    victim = login(portal, "bao@example.vn")
    assert victim.get("/don-vi").status_code == 200
    csrf = csrf_in(victim.get("/don-vi").text)
    admin = login(portal, "quantri@example.vn")
    listing = admin.get("/quan-tri/tai-khoan")
    assert listing.status_code == 200 and "bao@example.vn" in listing.text
    assert "1 phiên đang mở" in listing.text
    done = change(admin, portal, "bao@example.vn", "deactivate")
    assert done.status_code == 303
    assert "mọi phiên đăng nhập" in admin.get(done.headers["location"]).text
    # the open session: its next page and its next form, refused, sent to the login
    answer = victim.get("/don-vi")
    assert answer.status_code == 303 and answer.headers["location"] == "/dang-nhap"
    path = write_csv(portal["tmp"] / "files", "a.csv", GOOD)
    sent = victim.post(
        "/don-vi/gui",
        data={"csrf": csrf, "month": "2022-03-01", "kind": "monthly"},
        files={"files": ("a.csv", path.read_bytes(), "text/csv")},
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/dang-nhap"
    assert not list(portal["home"].inbox.glob("*.csv"))
    assert login_fails(portal, "bao@example.vn")  # and no new one opens
    # the audit page lists the change: who made it, to whom
    audit = admin.get("/quan-tri/nhat-ky")
    assert audit.status_code == 200
    row = re.search(
        r"<tr>\s*<td>[^<]*</td>\s*<td>quantri@example.vn</td>\s*"
        r"<td>Khóa tài khoản</td>\s*<td>bao@example.vn: 1 phiên</td>",
        audit.text,
    )
    assert row, audit.text[-3000:]
    only = admin.get("/quan-tri/nhat-ky", params={"who": "bao@example.vn"}).text
    assert "Khóa tài khoản" in only and "quantri@example.vn" in only
    assert "so@example.vn" not in only
    listing = admin.get("/quan-tri/tai-khoan").text
    assert "Đã khóa" in listing and 'value="reactivate"' in listing


def test_a_reactivated_account_logs_in_again(portal):
    admin = login(portal, "quantri@example.vn")
    assert change(admin, portal, "bao@example.vn", "deactivate").status_code == 303
    assert login_fails(portal, "bao@example.vn")
    again = change(admin, portal, "bao@example.vn", "reactivate")
    assert again.status_code == 303 and again.headers["location"].endswith("done=reactivate")
    assert login(portal, "bao@example.vn").get("/don-vi").status_code == 200
    twice = change(admin, portal, "bao@example.vn", "reactivate")
    assert twice.headers["location"].endswith("done=unchanged")
    actions = [e["action"] for e in portal["store"].audit_search(who="bao@example.vn")]
    assert "account_deactivated" in actions and "account_reactivated" in actions


def test_a_new_setup_link_works_and_the_old_one_does_not(portal):
    store = portal["store"]
    owner = login(portal, "bao@example.vn")
    old = store.invite(store.account_by_login("bao@example.vn").account_id)
    assert client(portal).get(f"/thiet-lap/{old}").status_code == 200
    admin = login(portal, "quantri@example.vn")
    answer = change(admin, portal, "bao@example.vn", "link")
    assert answer.status_code == 200
    link = re.search(r'value="https://testserver(/thiet-lap/[\w-]+)"', answer.text).group(1)
    assert link != f"/thiet-lap/{old}"
    assert client(portal).get(f"/thiet-lap/{old}").status_code == 404
    # the password is cleared and the sessions end: whoever knew it is out
    assert owner.get("/don-vi").headers["location"] == "/dang-nhap"
    assert login_fails(portal, "bao@example.vn")
    browser = client(portal)
    csrf = csrf_in(browser.get(link).text)
    chosen = "mat-khau-moi-" + PASSWORD
    done = browser.post(link, data={"csrf": csrf, "password": chosen, "again": chosen})
    assert done.status_code == 303
    assert login(portal, "bao@example.vn", chosen).get("/don-vi").status_code == 200
    old_form = client(portal)
    old_form.cookies.set("__Host-outreach_login_csrf", csrf)
    used = old_form.post(
        f"/thiet-lap/{old}", data={"csrf": csrf, "password": PASSWORD, "again": PASSWORD}
    )
    assert used.status_code == 400 and "không còn hiệu lực" in used.text
    assert login_fails(portal, "bao@example.vn", PASSWORD)
    assert "setup_link_renewed" in [e["action"] for e in store.audit_search(who="bao@example.vn")]


def test_a_change_of_role_or_source_takes_effect_at_the_next_request(portal):
    sender = login(portal, "bao@example.vn")
    template = sender.get("/don-vi/mau?month=2022-07-01")
    assert 'filename="BAO-LS_2022-07.xlsx"' in template.headers["content-disposition"]
    admin = login(portal, "quantri@example.vn")
    moved = change(admin, portal, "bao@example.vn", "change", role="source", code="PTTH-LS")
    assert moved.status_code == 303 and moved.headers["location"].endswith("done=change")
    template = sender.get("/don-vi/mau?month=2022-07-01")
    assert 'filename="PTTH-LS_2022-07.xlsx"' in template.headers["content-disposition"]
    assert sender.get("/so").status_code == 403
    promoted = change(admin, portal, "bao@example.vn", "change", role="staff", code="20")
    assert promoted.status_code == 303
    assert sender.get("/so").status_code == 200
    assert sender.get("/don-vi").headers["location"] == "/so"  # no longer a source's
    assert sender.get("/quan-tri/tai-khoan").status_code == 403
    details = [
        e["detail"]
        for e in portal["store"].audit_search(who="bao@example.vn", action="account_changed")
    ]
    assert details == [
        "bao@example.vn: source PTTH-LS -> staff 20",
        "bao@example.vn: source BAO-LS -> source PTTH-LS",
    ]


def test_only_administrators_reach_the_accounts_and_the_audit_log(portal):
    for who in ("so@example.vn", "bao@example.vn"):
        browser = login(portal, who)
        for path in ("/quan-tri/tai-khoan", "/quan-tri/nhat-ky"):
            answer = browser.get(path)
            assert answer.status_code == 403 and "quản trị viên" in answer.text, (who, path)
        csrf = csrf_in(browser.get("/so" if who.startswith("so") else "/don-vi").text)
        target = portal["store"].account_by_login("quantri@example.vn").account_id
        answer = browser.post(
            "/quan-tri/tai-khoan",
            data={"csrf": csrf, "account": str(target), "action": "deactivate"},
        )
        assert answer.status_code == 403
    assert login(portal, "quantri@example.vn").get("/so").status_code == 200
    # the administrator's form without its CSRF token changes nothing
    admin = login(portal, "quantri@example.vn")
    target = portal["store"].account_by_login("bao@example.vn").account_id
    forged = admin.post(
        "/quan-tri/tai-khoan", data={"account": str(target), "action": "deactivate"}
    )
    assert forged.status_code == 403
    assert login(portal, "bao@example.vn")


def test_the_last_administrator_is_neither_deactivated_nor_demoted(portal):
    admin = login(portal, "quantri@example.vn")
    for action, fields in (("deactivate", {}), ("change", {"role": "staff", "code": "20"})):
        answer = change(admin, portal, "quantri@example.vn", action, **fields)
        assert answer.status_code == 400 and "quản trị duy nhất" in answer.text, action
    assert admin.get("/quan-tri/tai-khoan").status_code == 200
    add_portal_account(portal["store"], "quantri2@example.vn", "Quản trị 2", "admin")
    assert change(admin, portal, "quantri@example.vn", "deactivate").status_code == 303
    assert admin.get("/quan-tri/tai-khoan").headers["location"] == "/dang-nhap"
    second = portal["store"].account_by_login("quantri2@example.vn")
    with pytest.raises(LastAdministrator):
        portal["store"].set_active(second.account_id, False, None)


OVERLONG = [
    ({"account": "9" * 400}, "Không có tài khoản này."),
    ({"account": "-1"}, "Không có tài khoản này."),
    ({"action": "x" * 5000}, "Thao tác không hợp lệ."),
    ({"action": "change", "role": "r" * 300, "code": "20"}, "Vai trò phải là"),
    ({"action": "change", "role": "source", "code": "B" * 300}, "Mã quá dài"),
    ({"action": "change", "role": "source", "code": "KHONG-CO"}, "Không có đơn vị mã KHONG-CO"),
    ({"action": "change", "role": "staff", "code": "2" * 50}, "Mã quá dài"),
    ({"action": "change", "role": "staff", "code": "200"}, "mã tỉnh gồm 2 chữ số"),
]


def refused_with_messages(portal) -> None:
    admin = login(portal, "quantri@example.vn")
    csrf = csrf_in(admin.get("/quan-tri/tai-khoan").text)
    target = str(portal["store"].account_by_login("bao@example.vn").account_id)
    for fields, message in OVERLONG:
        form = {"csrf": csrf, "account": target, "action": "deactivate", **fields}
        answer = admin.post("/quan-tri/tai-khoan", data=form)
        assert answer.status_code == 400 and message in answer.text, (fields, answer.text[-800:])
    for query, message in (
        ({"who": "a" * 1000}, "Tên đăng nhập quá dài"),
        ({"action": "b" * 100}, "Loại việc quá dài"),
        ({"before": "1" * 40}, "Số thứ tự sự kiện không hợp lệ"),
    ):
        answer = admin.get("/quan-tri/nhat-ky", params=query)
        assert answer.status_code == 400 and message in answer.text, query
    assert login(portal, "bao@example.vn")  # nothing was changed on the way


def test_overlong_and_malformed_inputs_are_refused_with_a_message(portal):
    refused_with_messages(portal)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new PostgreSQL database (the production store); skipped where none answers."""
    with postgres_database() as url:
        yield url


def test_the_life_cycle_and_overlong_inputs_on_postgresql(tmp_path, postgres_url):
    """On PostgreSQL an over-long value is an error of the database: the forms refuse it
    before, with a message; the life cycle holds as on SQLite."""
    store = Store(postgres_url)
    try:
        accounts_of(store)
        home = new_home(tmp_path / "home")
        portal = {"home": home, "store": store, "app": create_app(home, store), "tmp": tmp_path}
        refused_with_messages(portal)
        victim = login(portal, "bao@example.vn")
        admin = login(portal, "quantri@example.vn")
        assert change(admin, portal, "bao@example.vn", "deactivate").status_code == 303
        assert victim.get("/don-vi").headers["location"] == "/dang-nhap"
        assert change(admin, portal, "bao@example.vn", "reactivate").status_code == 303
        assert change(admin, portal, "bao@example.vn", "link").status_code == 200
        assert login_fails(portal, "bao@example.vn")
        assert store.claim_run("so@example.vn", RUN_CLAIM_HOLD)
        assert not store.claim_run("quantri@example.vn", RUN_CLAIM_HOLD)
        store.release_run()
        assert store.claim_run("quantri@example.vn", RUN_CLAIM_HOLD)
        assert "Khóa tài khoản" in admin.get("/quan-tri/nhat-ky").text
    finally:
        store.engine.dispose()


def run_cli(portal, *arguments: str):
    result = CliRunner().invoke(main, [*arguments, "--home", str(portal["home"].root)])
    return result


def test_the_accounts_command_does_what_the_page_does(portal):
    store = portal["store"]
    listed = run_cli(portal, "accounts", "list")
    assert listed.exit_code == 0, listed.output
    assert re.search(r"^bao@example.vn  source BAO-LS  active", listed.output, re.M)
    victim = login(portal, "bao@example.vn")
    done = run_cli(portal, "accounts", "deactivate", "BAO@example.vn")
    assert done.exit_code == 0 and "deactivated" in done.output, done.output
    assert victim.get("/don-vi").headers["location"] == "/dang-nhap"
    assert (
        "bao@example.vn  source BAO-LS  DEACTIVATED" in run_cli(portal, "accounts", "list").output
    )
    assert run_cli(portal, "accounts", "reactivate", "bao@example.vn").exit_code == 0
    assert login(portal, "bao@example.vn")
    first = run_cli(portal, "accounts", "link", "bao@example.vn")
    second = run_cli(portal, "accounts", "link", "bao@example.vn", "--base-url", "https://p.vn/")
    old = re.search(r"http://localhost:8000(/thiet-lap/\S+)", first.output).group(1)
    new = re.search(r"https://p.vn(/thiet-lap/\S+)", second.output).group(1)
    assert client(portal).get(old).status_code == 404
    assert client(portal).get(new).status_code == 200
    moved = run_cli(portal, "accounts", "change", "so@example.vn", "--source", "BAO-LS")
    assert moved.exit_code == 0 and "now source" in moved.output
    assert store.account_by_login("so@example.vn").source_code == "BAO-LS"
    unknown = run_cli(portal, "accounts", "change", "so@example.vn", "--source", "KHONG-CO")
    assert unknown.exit_code != 0 and "Không có đơn vị mã KHONG-CO" in unknown.output
    last = run_cli(portal, "accounts", "deactivate", "quantri@example.vn")
    assert last.exit_code != 0 and "last active administrator" in last.output
    nobody = run_cli(portal, "accounts", "deactivate", "x" * 300 + "@example.vn")
    assert nobody.exit_code != 0 and "no account" in nobody.output
    too_long = run_cli(portal, "web-account", "--email", "x" * 300 + "@example.vn", "--admin")
    assert too_long.exit_code != 0 and "254" in too_long.output
    audit = run_cli(portal, "accounts", "audit", "--who", "bao@example.vn")
    lines = audit.output.splitlines()
    assert audit.exit_code == 0 and len(lines) >= 5
    assert re.search(r"  -  account_deactivated  bao@example.vn: 1 phiên$", audit.output, re.M)
    assert [line.split("  ")[2] for line in lines[:2]] == ["setup_link_renewed"] * 2
    added = run_cli(portal, "accounts", "add", "--email", "moi@example.vn", "--staff", "20")
    assert added.exit_code == 0 and "/thiet-lap/" in added.output


def test_an_ended_source_gets_an_account_for_its_own_months(portal):
    """BAO-LS reported until 30/06/2025 (then BPTTH-LS): it may still owe late reports and
    corrections, so its account is made, with a warning naming its dates and its successor; the
    accounts page shows its dates; its sender's page says them and offers none of the months
    after; a month after is refused."""
    added = run_cli(
        portal, "accounts", "add", "--email", "toasoan@example.vn", "--source", "BAO-LS"
    )
    assert added.exit_code == 0 and "/thiet-lap/" in added.output
    assert "warning: BAO-LS reports from 2022-01-01 to 2025-06-30 and has ended" in added.output
    assert "BPTTH-LS reports from 2025-07-01" in added.output
    assert portal["store"].account_by_login("toasoan@example.vn").source_code == "BAO-LS"
    moved = run_cli(portal, "accounts", "change", "so@example.vn", "--source", "PTTH-LS")
    assert "warning: PTTH-LS reports from 2022-01-01 to 2025-06-30" in moved.output
    current = run_cli(portal, "accounts", "add", "--email", "bp@example.vn", "--source", "BPTTH-LS")
    assert current.exit_code == 0 and "warning" not in current.output
    page = login(portal, "quantri@example.vn").get("/quan-tri/tai-khoan").text
    assert "Báo cáo từ ngày 01/01/2022 đến ngày 30/06/2025 (đã kết thúc)" in page
    assert "Báo cáo từ ngày 01/07/2025." in page
    sender = login(portal, "bao@example.vn")
    own = sender.get("/don-vi").text
    assert "báo cáo từ ngày 01/01/2022 đến ngày 30/06/2025" in own
    assert "Các tháng sau đó do đơn vị BPTTH-LS báo cáo" in own
    months = re.findall(r'<option value="(\d{4}-\d{2})-01"', own)
    assert months and max(months) == "2025-06" and min(months) >= "2022-01"
    assert 'value="2025-06-01" selected' in own  # nothing received: its last month
    assert sender.get("/don-vi/mau?month=2025-07-01").status_code == 403


# --- run now ------------------------------------------------------------------------------


class FakeAirflow(BaseHTTPRequestHandler):
    """The part of Airflow's REST API (v2) the portal calls: a token, the nightly DAG's runs
    listed (filtered by state, newest first), a run created (queued)."""

    runs: list[dict]
    delay: float = 0.0

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {AIRFLOW_STAND_IN_TOKEN}":
            return True
        self._answer(401, {"detail": "Not authenticated"})
        return False

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        if url.path == "/auth/token":
            return self._answer(200, {"access_token": AIRFLOW_STAND_IN_TOKEN})
        if url.path != f"/api/v2/dags/{DAG_ID}/dagRuns":
            return self._answer(404, {"detail": "no such path"})
        if not self._authorised():
            return None
        query = parse_qs(url.query)
        states = query.get("state", [])
        found = [run for run in reversed(self.runs) if not states or run["state"] in states]
        limit = int(query.get("limit", ["50"])[0])
        return self._answer(200, {"dag_runs": found[:limit], "total_entries": len(found)})

    def do_POST(self) -> None:  # noqa: N802
        if self.path != f"/api/v2/dags/{DAG_ID}/dagRuns":
            return self._answer(404, {"detail": "no such path"})
        if not self._authorised():
            return None
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.delay)  # Airflow takes a moment: two clicks overlap
        run = {
            "dag_run_id": f"manual__{datetime.now(UTC).isoformat()}_{len(self.runs)}",
            "state": "queued",
            "run_type": "manual",
        }
        self.runs.append(run)
        return self._answer(200, run)


@pytest.fixture
def airflow_api(monkeypatch) -> Iterator[list[dict]]:
    """An Airflow API on 127.0.0.1 the portal is pointed at; its runs, as a list."""
    runs: list[dict] = []
    handler = type("Handler", (FakeAirflow,), {"runs": runs, "delay": 0.3})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OUTREACH_AIRFLOW_API", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.delenv("OUTREACH_AIRFLOW_USERNAME", raising=False)
    try:
        yield runs
    finally:
        server.shutdown()
        server.server_close()


def run_now(browser: TestClient):
    return browser.post("/so/chay-ngay", data={"csrf": csrf_in(browser.get("/so").text)})


def test_staff_of_a_province_without_sources_cannot_run_now(portal, airflow_api):
    browser = login(portal, "khac@example.vn")
    page = browser.get("/so").text
    assert ">Chạy ngay</button>" not in page
    assert "Chỉ cán bộ của tỉnh có đơn vị gửi báo cáo" in page
    answer = run_now(browser)
    assert answer.status_code == 403 and "tỉnh có đơn vị gửi báo cáo" in answer.text
    assert airflow_api == []
    assert portal["store"].last_event("run_now") is None


def test_a_second_run_now_while_one_is_queued_is_refused(portal, airflow_api):
    staff = login(portal, "so@example.vn")
    assert "Chưa ai yêu cầu chạy ngay." in staff.get("/so").text
    first = run_now(staff)
    assert first.status_code == 303 and len(airflow_api) == 1
    page = staff.get("/so").text
    assert airflow_api[0]["dag_run_id"] in page and "Đang chờ chạy" in page
    asked = re.search(
        r"Lần yêu cầu chạy ngay gần nhất: (\d\d:\d\d \d\d/\d\d/\d{4}) "
        r"\(giờ Việt Nam\), bởi Sở \(so@example.vn\)",
        page,
    )
    assert asked, page
    assert re.search(r"<button type=\"submit\" disabled>Chạy ngay</button>", page)
    admin = login(portal, "quantri@example.vn")
    second = run_now(admin)
    assert second.status_code == 409 and "Đang có một lần xử lý" in second.text
    assert len(airflow_api) == 1  # Airflow was not asked again
    airflow_api[0]["state"] = "running"
    assert run_now(staff).status_code == 409 and len(airflow_api) == 1
    airflow_api[0]["state"] = "success"
    again = run_now(admin)
    assert again.status_code == 303 and len(airflow_api) == 2
    assert "bởi Quản trị (quantri@example.vn)" in staff.get("/so").text
    events = portal["store"].audit_search(action="run_now")
    assert [e["login"] for e in events] == ["quantri@example.vn", "so@example.vn"]
    assert [e["detail"] for e in events] == [r["dag_run_id"] for r in reversed(airflow_api)]


def test_run_now_clicked_at_once_asks_airflow_once(portal, airflow_api):
    browsers = [login(portal, "so@example.vn"), login(portal, "quantri@example.vn")] * 2
    forms = [(b, csrf_in(b.get("/so").text)) for b in browsers]
    with ThreadPoolExecutor(len(forms)) as pool:
        answers = list(pool.map(lambda f: f[0].post("/so/chay-ngay", data={"csrf": f[1]}), forms))
    assert sorted(a.status_code for a in answers) == [303, 409, 409, 409]
    assert len(airflow_api) == 1


# --- what the portal writes is its user's only ----------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_portals_files_are_private_to_its_user(portal, tmp_path):
    home, store = portal["home"], portal["store"]
    root = home.root / "portal"
    assert mode(root) == 0o700
    assert mode(root / "portal.db") == 0o600
    for name in ("portal.db-wal", "portal.db-shm"):  # SQLite gives them the database's mode
        if (root / name).exists():
            assert mode(root / name) == 0o600, name
    assert mode(root / "secret.key") == 0o600
    browser = login(portal, "bao@example.vn")
    path = write_csv(tmp_path / "files", "a.csv", [["05/07/2022", *GOOD[0][1:]]])
    sent = browser.post(
        "/don-vi/gui",
        data={"csrf": csrf_in(browser.get("/don-vi").text), "month": "2022-07-01"},
        files={"files": ("a.csv", path.read_bytes(), "text/csv")},
    )
    assert "Đã nhận: tệp đạt yêu cầu" in sent.text
    delivered = home.inbox / "BAO-LS_2022-07.csv"
    assert mode(delivered) == 0o600
    assert mode(home.inbox / ".origin") == 0o700
    assert mode(home.inbox / ".origin" / "BAO-LS_2022-07.csv.json") == 0o600
    assert mode(root / "staging") == 0o700
    # a correction waits in staging: its folder and file too
    correction = write_csv(tmp_path / "again", "b.csv", [["06/07/2022", *GOOD[0][1:]]])
    corrected = browser.post(
        "/don-vi/gui",
        data={"csrf": csrf_in(browser.get("/don-vi").text), "month": "2022-07-01"},
        files={"files": ("b.csv", correction.read_bytes(), "text/csv")},
    )
    assert "Xác nhận" in corrected.text
    [staged_folder] = list((root / "staging").iterdir())
    assert mode(staged_folder) == 0o700
    assert {mode(p) for p in staged_folder.iterdir()} == {0o600}
    # the approvals file the nightly run reads
    changed = department.decide(
        home, store, "20", "2022-H1", "approve", "so@example.vn", datetime.now(UTC)
    )
    assert changed
    approvals = home.root / "approvals" / "approvals.json"
    assert mode(approvals.parent) == 0o700 and mode(approvals) == 0o600
    # a database left readable by an earlier release is made private when the portal starts
    store.engine.dispose()
    (root / "portal.db").chmod(0o644)
    root.chmod(0o755)
    Store.for_home(home).engine.dispose()
    assert mode(root) == 0o700 and mode(root / "portal.db") == 0o600
