"""Approving a period (DHIS2's data approval): once the department approves it in the portal, the
nightly run keeps the period's figures as they were, a later correction is received and listed
as after the approval, and re-opening the period counts it. Through the portal, ingest and dbt
on a real warehouse; the report's figures compared before and after."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pytest
from fastapi.testclient import TestClient
from helpers import (
    AS_OF,
    PERIOD,
    PORTAL_PASSWORD,
    add_portal_account,
    document_text,
    new_home,
    write_csv,
)

from ingest.approvals import approvals_file
from outreach.core.home import Home
from outreach.orchestration import pipeline
from outreach.portal.app import create_app
from outreach.portal.store import Store
from report.status import submission_status

pytestmark = pytest.mark.warehouse

CORRECTION = [
    ["05/03/2022", "Phòng, chống mua bán người", "Tin, bài", "97", "", "", "Bản sửa", "", ""]
]


def _march(home) -> int:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(
            "select sum(quantity) from marts.fct_media_outputs "
            "where source_code = 'BAO-LS' and report_month = date '2022-03-01'"
        ).fetchone()[0]


def _night(home):
    pipeline.ingest(home)
    pipeline.build(home, AS_OF)
    pipeline.check(home, PERIOD)
    pipeline.publish(home)
    return pipeline.report(home, PERIOD, pdf=False)


def _login(app, who: str) -> tuple[TestClient, str]:
    browser = TestClient(app, base_url="https://testserver", follow_redirects=False)
    form = browser.get("/dang-nhap")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    browser.post("/dang-nhap", data={"csrf": csrf, "login": who, "password": PORTAL_PASSWORD})
    page = browser.get("/so/phe-duyet" if who.startswith("so") else "/don-vi")
    return browser, re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def _decide(officer: TestClient, csrf: str, action: str):
    """Approve or re-open the period as the officer does: the request, its confirmation page,
    the confirmation."""
    asked = officer.post(
        "/so/phe-duyet", data={"csrf": csrf, "period": PERIOD.code, "action": action}
    )
    assert asked.status_code == 200 and 'action="/so/phe-duyet/xac-nhan"' in asked.text
    published = re.search(r'name="published" value="([^"]+)"', asked.text).group(1)
    return officer.post(
        "/so/phe-duyet/xac-nhan",
        data={"csrf": csrf, "period": PERIOD.code, "action": action, "published": published},
    )


def test_an_approved_period_keeps_its_figures_until_it_is_reopened(demo, tmp_path):
    # the demo's whole home, the state of its last build included: this first night has no new
    # file and builds nothing, as a night after the demo's would
    shutil.copytree(demo["home"].root, tmp_path / "home", symlinks=True)
    home = Home(tmp_path / "home")
    _night(home)
    before = json.loads((home.report_dir(PERIOD.code) / "figures.json").read_text(encoding="utf-8"))
    march = _march(home)
    store = Store.for_home(home)
    add_portal_account(store, "so@example.vn", "Sở", "staff", province_code="20")
    add_portal_account(store, "bao@example.vn", "Báo Lạng Sơn", "source", source_code="BAO-LS")
    app = create_app(home, store)

    # a correction of March arrives after the night's publish, before the officer approves
    # what that night built: the approval holds the signed figures, so it does not count
    sender, sender_csrf = _login(app, "bao@example.vn")
    path = write_csv(tmp_path / "files", "sua.csv", CORRECTION)
    staged = sender.post(
        "/don-vi/gui",
        data={"csrf": sender_csrf, "month": "2022-03-01", "kind": "monthly"},
        files={"files": ("sua.csv", path.read_bytes(), "text/csv")},
    )
    token = re.search(r'name="staged" value="([0-9a-f-]+)"', staged.text).group(1)
    sender.post("/don-vi/xac-nhan", data={"csrf": sender_csrf, "staged": token})
    assert (home.inbox / "BAO-LS_2022-03_r2.csv").is_file()

    officer, csrf = _login(app, "so@example.vn")
    assert "2022-H1" in officer.get("/so/phe-duyet").text
    answer = _decide(officer, csrf, "approve")
    assert answer.status_code == 303
    [approval] = json.loads(approvals_file(home).read_text(encoding="utf-8"))["approvals"]
    assert (approval["province_code"], approval["period_code"]) == ("20", PERIOD.code)
    assert "Đã phê duyệt" in officer.get("/so/phe-duyet").text

    _night(home)
    assert _march(home) == march  # held back: the approved figures do not move
    after = json.loads((home.report_dir(PERIOD.code) / "figures.json").read_text(encoding="utf-8"))
    assert [(f["id"], f["value"]) for f in after["figures"]] == [
        (f["id"], f["value"]) for f in before["figures"]
    ]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        held = con.execute(
            "select is_held_by_approval, approved_period_code, is_current "
            "from marts.fct_submission_versions where file_name = 'BAO-LS_2022-03_r2.csv'"
        ).fetchall()
    assert held == [(True, PERIOD.code, False)]
    report = document_text(home.report_dir(PERIOD.code) / f"bao-cao-{PERIOD.code}.docx")
    assert (
        "Bản sửa nhận sau khi phê duyệt kỳ (chưa tính vào số liệu): Báo Lạng Sơn tháng "
        "03/2022 (BAO-LS_2022-03_r2.csv)." in report
    )
    rows = {(r.source_code, f"{r.month:%Y-%m}"): r for r in submission_status(home, PERIOD)}
    assert "sau khi phê duyệt kỳ 2022-H1" in rows[("BAO-LS", "2022-03")].status
    assert "nhận sau khi phê duyệt" in sender.get("/don-vi").text

    answer = _decide(officer, csrf, "reopen")
    assert answer.status_code == 303
    assert json.loads(approvals_file(home).read_text(encoding="utf-8"))["approvals"] == []
    _night(home)
    assert _march(home) == 97  # re-opened: the correction counts
    report = document_text(home.report_dir(PERIOD.code) / f"bao-cao-{PERIOD.code}.docx")
    assert "sau khi phê duyệt" not in report
    actions = [event["action"] for event in store.audit_events()]
    assert "period_approve" in actions and "period_reopen" in actions


def test_only_staff_of_a_checked_period_approve(demo, tmp_path):
    home = new_home(tmp_path / "home")
    home.published_warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo["home"].published_warehouse, home.published_warehouse)
    store = Store.for_home(home)
    add_portal_account(store, "so@example.vn", "Sở", "staff", province_code="20")
    add_portal_account(store, "bao@example.vn", "Báo Lạng Sơn", "source", source_code="BAO-LS")
    app = create_app(home, store)
    sender, csrf = _login(app, "bao@example.vn")
    for path in ("/so/phe-duyet", "/so/phe-duyet/xac-nhan"):
        answer = sender.post(path, data={"csrf": csrf, "period": "2022-H1", "action": "approve"})
        assert answer.status_code == 403 and not approvals_file(home).exists(), path
    officer, csrf = _login(app, "so@example.vn")
    for data in (
        {"csrf": csrf, "period": "2031-H1", "action": "approve"},  # no checks for it
        {"csrf": "wrong", "period": "2022-H1", "action": "approve"},
        {"csrf": csrf, "period": "2022-H1", "action": "delete"},
    ):
        for path in ("/so/phe-duyet", "/so/phe-duyet/xac-nhan"):
            answer = officer.post(path, data={**data, "published": "x"})
            assert answer.status_code == 403, (path, data)
    # the request alone approves nothing
    assert (
        officer.post(
            "/so/phe-duyet", data={"csrf": csrf, "period": "2022-H1", "action": "approve"}
        ).status_code
        == 200
    )
    assert not approvals_file(home).exists()
