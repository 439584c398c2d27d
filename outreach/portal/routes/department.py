"""The department's pages, of the officer's province (an administrator's: the home's own):
the completeness matrix, the checks' flags, who to chase, the reports to download, and the
approval of a period's figures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from outreach.core.periods import parse_period
from outreach.core.scope import Scope
from outreach.portal import accounts, airflow, department, submissions
from outreach.portal.access import (
    DEPARTMENT,
    Portal,
    PortalDep,
    Refused,
    Visitor,
    VisitorDep,
    checked_form,
    client_address,
)
from outreach.portal.pages import page
from outreach.portal.store import current_approvals

router = APIRouter(prefix="/so", dependencies=[Depends(DEPARTMENT)])
log = logging.getLogger(__name__)


@router.get("", response_class=HTMLResponse)
def department_page(request: Request, portal: PortalDep, visitor: VisitorDep, kind: str = ""):
    account = visitor.account
    province = None if account.role == "admin" else account.province_code
    data = submissions.completeness(portal.home, province, kind or None)
    run, run_error = None, ""
    if airflow.api_url():
        try:
            run = airflow.latest_run()
        except airflow.AirflowUnavailable as exc:
            log.warning("portal: %s", exc)
            run_error = "Không kết nối được với hệ thống xử lý (Airflow)."
    return page(
        request,
        "department.html",
        visitor=visitor,
        data=data,
        kind=kind,
        labels=submissions.STATE_LABELS,
        airflow_on=bool(airflow.api_url()),
        run=run,
        run_error=run_error,
        run_labels=airflow.STATE_LABELS,
        # the button: for whom it makes sense, and the last time it was asked for, by whom
        can_run_now=bool(airflow.api_url()) and accounts.may_run_now(portal.home, account),
        run_active=bool(run and run.get("state") in airflow.ACTIVE_STATES),
        last_request=accounts.last_run_request(portal.store) if airflow.api_url() else None,
        local_time=accounts.local_time,
    )


def _period_page(
    request: Request,
    portal: Portal,
    visitor: Visitor,
    period: str,
    template_name: str,
    rows_of: Callable[[Scope, str], list],
):
    """A page of one checked period (the newest unless one is chosen)."""
    scope = department.scope_of(portal.home, visitor.account)
    periods = department.checked_periods(portal.home)
    chosen = period if period in periods else (periods[0] if periods else "")
    rows = rows_of(scope, chosen) if scope is not None and chosen else []
    return page(request, template_name, visitor=visitor, rows=rows, periods=periods, chosen=chosen)


@router.get("/nhac-nho", response_class=HTMLResponse)
def chase_page(request: Request, portal: PortalDep, visitor: VisitorDep, period: str = ""):
    return _period_page(
        request,
        portal,
        visitor,
        period,
        "chase.html",
        lambda scope, code: department.chase_list(portal.home, scope, parse_period(code)),
    )


@router.get("/canh-bao", response_class=HTMLResponse)
def flags_page(request: Request, portal: PortalDep, visitor: VisitorDep, period: str = ""):
    return _period_page(
        request,
        portal,
        visitor,
        period,
        "flags.html",
        lambda scope, code: department.flags(portal.home, scope, code),
    )


@router.get("/phe-duyet", response_class=HTMLResponse)
def approvals_page(request: Request, portal: PortalDep, visitor: VisitorDep, done: str = ""):
    scope = department.scope_of(portal.home, visitor.account)
    province = scope.province_code if scope else None
    held = {
        entry["period_code"]: entry
        for entry in current_approvals(portal.store)
        if entry["province_code"] == province
    }
    return page(
        request,
        "approvals.html",
        visitor=visitor,
        periods=department.checked_periods(portal.home),
        held=held,
        done=done,
        can_approve=province is not None,
    )


@router.post("/phe-duyet")
async def approve_period(request: Request, portal: PortalDep, visitor: VisitorDep):
    form = await checked_form(request, visitor.csrf)
    scope = department.scope_of(portal.home, visitor.account)
    period_code, action = str(form.get("period", "")), str(form.get("action", ""))
    if scope is None or scope.province_code is None:
        raise Refused
    if period_code not in department.checked_periods(portal.home):
        raise Refused
    if action not in department.APPROVAL_ACTIONS:
        raise Refused
    # the figures approved are those of the last publish: files ingested after it (or still
    # waiting) do not count
    until = submissions.published_at(portal.home) or datetime.now(UTC)
    login = visitor.account.login
    if department.decide(
        portal.home, portal.store, scope.province_code, period_code, action, login, until
    ):
        where = f"{scope.province_code} {period_code}"
        portal.store.log(login, f"period_{action}", where, client_address(request))
    return RedirectResponse(f"/so/phe-duyet?done={action}", status_code=303)


@router.get("/bao-cao", response_class=HTMLResponse)
def reports_page(request: Request, portal: PortalDep, visitor: VisitorDep):
    scope = department.scope_of(portal.home, visitor.account)
    found = department.report_files(portal.home, scope) if scope is not None else []
    return page(request, "reports.html", visitor=visitor, periods=found)


@router.get("/bao-cao/{period}/{name}")
def download(request: Request, portal: PortalDep, visitor: VisitorDep, period: str, name: str):
    scope = department.scope_of(portal.home, visitor.account)
    path = department.download_path(portal.home, scope, period, name) if scope else None
    if path is None:
        return page(
            request,
            "message.html",
            status=404,
            visitor=visitor,
            title="Không tìm thấy",
            message="Không có tệp này.",
        )
    portal.store.log(visitor.account.login, "download", f"{period}/{name}", client_address(request))
    return FileResponse(path, filename=name)
