"""Running the nightly pipeline on demand ("Chạy ngay" on the department's page: any officer of a
province with sources, or an administrator), and the administrators' pages: the accounts (each
deactivated, re-activated, given a new set-up link or another role) and the audit log.

Running asks Airflow through its REST API, when the portal is given one (`OUTREACH_AIRFLOW_API`),
and only while no run of the pipeline waits or runs: one request asks at a time (a claim in the
portal's database), and it asks only when Airflow has no run queued or running.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from outreach.portal import accounts, airflow, submissions
from outreach.portal.access import (
    ADMINISTRATION,
    ADMINISTRATORS,
    PortalDep,
    Refused,
    Visitor,
    VisitorDep,
    checked_form,
    client_address,
)
from outreach.portal.pages import page
from outreach.portal.store import LastAdministrator

log = logging.getLogger(__name__)

# each audience its own router, declaring once who may use its routes; `router` gathers them
running = APIRouter(dependencies=[Depends(ADMINISTRATION)])
administrators = APIRouter(prefix="/quan-tri", dependencies=[Depends(ADMINISTRATORS)])
ACCOUNTS_PATH = "/quan-tri/tai-khoan"
AUDIT_PAGE_SIZE = 200
ACCOUNT_ACTIONS = ("deactivate", "reactivate", "link", "change")
DONE = {
    "deactivate": "Đã khóa tài khoản: mọi phiên đăng nhập của tài khoản đã kết thúc.",
    "reactivate": "Đã mở lại tài khoản.",
    "change": "Đã đổi vai trò: có hiệu lực từ yêu cầu tiếp theo của tài khoản.",
    "unchanged": "Không có gì thay đổi.",
}


@running.post("/so/chay-ngay")
async def run_now(request: Request, portal: PortalDep, visitor: VisitorDep):
    await checked_form(request, visitor.csrf)
    if not airflow.api_url():
        raise Refused
    if not accounts.may_run_now(portal.home, visitor.account):
        raise Refused(
            visitor,
            "Chỉ cán bộ Sở của tỉnh có đơn vị gửi báo cáo, hoặc quản trị viên, mới yêu cầu "
            "chạy ngay được.",
        )
    login = visitor.account.login
    if not portal.store.claim_run(login, accounts.RUN_CLAIM_HOLD):
        return _busy(request, visitor, None)
    try:
        active = await run_in_threadpool(airflow.active_runs)
        if active:
            return _busy(request, visitor, active[0])
        created = await run_in_threadpool(airflow.trigger_run)
    except airflow.AirflowUnavailable as exc:
        log.warning("portal: %s", exc)
        return page(
            request,
            "message.html",
            status=502,
            visitor=visitor,
            title="Chưa chạy được",
            message="Không kết nối được với hệ thống xử lý (Airflow); hãy báo bộ phận kỹ thuật.",
        )
    finally:
        portal.store.release_run()
    run_id = str(created.get("dag_run_id", ""))
    portal.store.log(login, "run_now", run_id, client_address(request))
    return RedirectResponse("/so", status_code=303)


def _busy(request: Request, visitor: Visitor, run: dict | None):
    """409: a run waits or runs already (or another request is asking for one right now)."""
    if run is None:
        what = "Một yêu cầu chạy ngay khác đang được gửi đi."
    else:
        state = airflow.STATE_LABELS.get(run.get("state", ""), run.get("state", ""))
        # its time as the pages write times; its id, for whoever looks into it
        since = accounts.local_time(airflow.run_moment(run))
        when = f", từ {since} giờ Việt Nam" if since else ""
        what = f"Đang có một lần xử lý ({state.lower()}{when}; mã {run.get('dag_run_id', '')})."
    return page(
        request,
        "message.html",
        status=409,
        visitor=visitor,
        title="Chưa chạy thêm",
        message=f"{what} Mỗi lúc chỉ một lần xử lý; hãy đợi lần đó xong rồi yêu cầu lại.",
    )


# --- the accounts -------------------------------------------------------------------------


def _accounts_page(
    request: Request,
    portal: PortalDep,
    visitor: Visitor,
    *,
    status: int = 200,
    done: str = "",
    error: str = "",
    link: str = "",
    link_for: str = "",
):
    return page(
        request,
        "accounts.html",
        status=status,
        visitor=visitor,
        states=portal.store.account_states(),
        roles=accounts.ROLE_LABELS,
        done=DONE.get(done, ""),
        error=error,
        link=link,
        link_for=link_for,
        local_time=accounts.local_time,
        sources=accounts.sources_of(portal.home),
        today=submissions.local_today(),
        source_dates=accounts.source_dates_vi,
    )


@administrators.get("/tai-khoan", response_class=HTMLResponse)
def accounts_page(request: Request, portal: PortalDep, visitor: VisitorDep, done: str = ""):
    return _accounts_page(request, portal, visitor, done=done)


@administrators.post("/tai-khoan", response_class=HTMLResponse)
async def change_account(request: Request, portal: PortalDep, visitor: VisitorDep):
    """One change of one account (`action`: deactivate, reactivate, link, change)."""
    form = await checked_form(request, visitor.csrf, max_files=0, max_fields=10)
    by, address = visitor.account.login, client_address(request)
    store = portal.store
    try:
        account_id = accounts.account_number(str(form.get("account", "")))
        target = store.account(account_id)
        if target is None:
            raise accounts.AccountInputError("Không có tài khoản này.")
        action = str(form.get("action", ""))
        if action not in ACCOUNT_ACTIONS:
            raise accounts.AccountInputError("Thao tác không hợp lệ.")
        if action == "link":
            token = store.renew_setup_link(account_id, by, address)
            if token is None:
                raise accounts.AccountInputError("Không có tài khoản này.")
            link = accounts.setup_link(str(request.base_url), token)
            return _accounts_page(request, portal, visitor, link=link, link_for=target.login)
        if action == "change":
            source_code, province_code = accounts.role_and_code(
                portal.home, str(form.get("role", "")), str(form.get("code", ""))
            )
            changed = store.change_role(
                account_id,
                str(form.get("role", "")),
                by,
                address,
                source_code=source_code,
                province_code=province_code,
            )
        else:
            changed = store.set_active(account_id, action == "reactivate", by, address)
    except (accounts.AccountInputError, LastAdministrator) as exc:
        return _accounts_page(request, portal, visitor, status=400, error=str(exc))
    return RedirectResponse(
        f"{ACCOUNTS_PATH}?done={action if changed else 'unchanged'}", status_code=303
    )


# --- the audit log ------------------------------------------------------------------------


@administrators.get("/nhat-ky", response_class=HTMLResponse)
def audit_page(
    request: Request,
    portal: PortalDep,
    visitor: VisitorDep,
    who: str = "",
    action: str = "",
    before: str = "",
):
    """The audit log, newest first, AUDIT_PAGE_SIZE events a page: of an account (its own
    events and the changes made to it), of one action."""
    error, events = "", []
    try:
        who = accounts.checked_filter(who, accounts.MAX_LOGIN_LENGTH, "Tên đăng nhập")
        action = accounts.checked_filter(action, accounts.MAX_ACTION_LENGTH, "Loại việc")
        older_than = (
            accounts.account_number(before, "Số thứ tự sự kiện không hợp lệ.") if before else None
        )
    except accounts.AccountInputError as exc:
        error, who, action, older_than = str(exc), "", "", None
    if not error:
        events = portal.store.audit_search(
            who=who, action=action, before=older_than, limit=AUDIT_PAGE_SIZE
        )
    older = ""
    if len(events) == AUDIT_PAGE_SIZE:
        older = "?" + urlencode({"who": who, "action": action, "before": events[-1]["event_id"]})
    return page(
        request,
        "audit.html",
        status=400 if error else 200,
        visitor=visitor,
        events=events,
        actions=portal.store.audit_actions(),
        labels=accounts.ACTION_LABELS,
        who=who,
        chosen=action,
        error=error,
        older=older,
        local_time=accounts.local_time,
    )


router = APIRouter()
router.include_router(running)
router.include_router(administrators)
