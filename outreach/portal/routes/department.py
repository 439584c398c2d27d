"""The department's pages, of the officer's province (an administrator's: the home's own):
the completeness matrix, the checks' flags, who to chase, the reports to download, the
approval of a period's figures, and the sections of the report people write."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from outreach.core.numbers import format_count
from outreach.core.periods import Period, parse_period
from outreach.core.scope import Scope
from outreach.portal import accounts, airflow, department, narratives, submissions
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
from report.narrative import SECTIONS, SavedMeanwhile, paragraphs_of

router = APIRouter(prefix="/so", dependencies=[Depends(DEPARTMENT)])
log = logging.getLogger(__name__)


def _reported(portal: Portal, scope: Scope | None) -> list[Period]:
    """The periods the nightly run reports for the province, the latest first: those the
    published copy has checks for, and those with a report."""
    found = {code: parse_period(code) for code in department.checked_periods(portal.home)}
    for period in narratives.report_periods(portal.home, scope) if scope else []:
        found.setdefault(period.code, period)
    return list(found.values())


def _chosen(periods: list[Period], asked: str, reported: list[Period]) -> Period | None:
    """The period asked for if it is offered; else the period being reported, if offered;
    else the latest offered."""
    offered = {period.code: period for period in periods}
    if asked in offered:
        return offered[asked]
    default = department.being_reported([p for p in reported if p.code in offered])
    return default or (periods[0] if periods else None)


@router.get("", response_class=HTMLResponse)
def department_page(
    request: Request,
    portal: PortalDep,
    visitor: VisitorDep,
    period: str = "",
    kind: str = "",
    area: str = "",
):
    account = visitor.account
    scope = department.scope_of(portal.home, account)
    reported = _reported(portal, scope)
    periods = department.matrix_periods(portal.home, scope, reported) if scope else []
    chosen = _chosen(periods, period, reported)
    matrix = (
        department.completeness(portal.home, scope, chosen, kind, area)
        if scope is not None and chosen is not None
        else None
    )
    stale = narratives.stale_notices(portal.home, scope, portal.store) if scope else []
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
        matrix=matrix,
        periods=periods,
        has_warehouse=portal.home.published_warehouse.is_file(),
        published_at=submissions.published_at(portal.home),
        labels=submissions.STATE_LABELS,
        airflow_on=bool(airflow.api_url()),
        run=run,
        run_started=airflow.run_moment(run) if run else None,
        run_error=run_error,
        run_labels=airflow.STATE_LABELS,
        # the button: for whom it makes sense, and the last time it was asked for, by whom
        can_run_now=bool(airflow.api_url()) and accounts.may_run_now(portal.home, account),
        run_active=bool(run and run.get("state") in airflow.ACTIVE_STATES),
        last_request=accounts.last_run_request(portal.store) if airflow.api_url() else None,
        local_time=accounts.local_time,
        stale=stale,
    )


def _period_page(
    request: Request,
    portal: Portal,
    visitor: Visitor,
    period: str,
    template_name: str,
    rows_of: Callable[[Scope, str], list],
):
    """A page of one checked period (the one being reported unless another is chosen)."""
    scope = department.scope_of(portal.home, visitor.account)
    periods = [parse_period(code) for code in department.checked_periods(portal.home)]
    chosen = _chosen(periods, period, _reported(portal, scope))
    rows = rows_of(scope, chosen.code) if scope is not None and chosen else []
    return page(
        request,
        template_name,
        visitor=visitor,
        rows=rows,
        periods=periods,
        chosen=chosen,
        published_at=submissions.published_at(portal.home),
        local_time=accounts.local_time,
    )


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


def _held(portal: Portal, province: str | None) -> dict[str, dict]:
    """The province's approvals that hold, by period, with when each was made."""
    return {
        entry["period_code"]: {**entry, "approved_at": datetime.fromisoformat(entry["approved_at"])}
        for entry in current_approvals(portal.store)
        if entry["province_code"] == province
    }


@router.get("/phe-duyet", response_class=HTMLResponse)
def approvals_page(request: Request, portal: PortalDep, visitor: VisitorDep, done: str = ""):
    scope = department.scope_of(portal.home, visitor.account)
    province = scope.province_code if scope else None
    return page(
        request,
        "approvals.html",
        visitor=visitor,
        periods=[parse_period(code) for code in department.checked_periods(portal.home)],
        held=_held(portal, province),
        done=done if done in department.APPROVAL_ACTIONS else "",
        can_approve=province is not None,
        local_time=accounts.local_time,
    )


async def _approval_form(request: Request, portal: Portal, visitor: Visitor):
    """The province, period and action an approval form names, each checked: a province with
    sources, a period the published copy has checks for, approve or re-open."""
    form = await checked_form(request, visitor.csrf)
    scope = department.scope_of(portal.home, visitor.account)
    period_code, action = str(form.get("period", "")), str(form.get("action", ""))
    if scope is None or scope.province_code is None:
        raise Refused
    if period_code not in department.checked_periods(portal.home):
        raise Refused
    if action not in department.APPROVAL_ACTIONS:
        raise Refused
    return form, scope, parse_period(period_code), action


def _confirmation(
    request: Request,
    portal: Portal,
    visitor: Visitor,
    scope: Scope,
    period: Period,
    action: str,
    *,
    status: int = 200,
    moved: bool = False,
):
    """What approving (or re-opening) the period will do, with the button that does it; the
    figures are those of the last publish, named by its time (`published`), which the
    confirmation must still match."""
    published_at = submissions.published_at(portal.home)
    held = _held(portal, scope.province_code).get(period.code)
    return page(
        request,
        "approval_confirm.html",
        status=status,
        visitor=visitor,
        action=action,
        period=period,
        freeze=department.freeze(portal.home, scope, period, published_at),
        published=published_at.isoformat() if published_at else "",
        already=(held is not None) == (action == "approve"),
        held=held,
        moved=moved,
        local_time=accounts.local_time,
        reports=[
            file
            for entry in department.report_files(portal.home, scope)
            if entry["period"].code == period.code
            for file in entry["files"]
            if department.INLINE.fullmatch(file["name"])
        ],
    )


@router.post("/phe-duyet", response_class=HTMLResponse)
async def approval_asked(request: Request, portal: PortalDep, visitor: VisitorDep):
    """The first step of an approval or a re-opening: the page that says what it will do. It
    changes nothing; the page's button (`/phe-duyet/xac-nhan`) does."""
    _, scope, period, action = await _approval_form(request, portal, visitor)
    return _confirmation(request, portal, visitor, scope, period, action)


@router.post("/phe-duyet/xac-nhan")
async def approval_confirmed(request: Request, portal: PortalDep, visitor: VisitorDep):
    form, scope, period, action = await _approval_form(request, portal, visitor)
    published_at = submissions.published_at(portal.home)
    shown = str(form.get("published", ""))
    if not shown or published_at is None:
        raise Refused
    if shown != published_at.isoformat():
        # a night published new figures since the page was read: read them before confirming
        return _confirmation(
            request, portal, visitor, scope, period, action, status=409, moved=True
        )
    # the figures approved are those of the last publish: files ingested after it (or still
    # waiting) do not count
    login = visitor.account.login
    assert scope.province_code is not None
    # in a thread: the approvals file is written under a lock another worker may hold
    if await run_in_threadpool(
        department.decide,
        portal.home,
        portal.store,
        scope.province_code,
        period.code,
        action,
        login,
        published_at,
    ):
        where = f"{scope.province_code} {period.code}"
        portal.store.log(login, f"period_{action}", where, client_address(request))
    return RedirectResponse(f"/so/phe-duyet?done={action}", status_code=303)


@router.get("/bao-cao", response_class=HTMLResponse)
def reports_page(request: Request, portal: PortalDep, visitor: VisitorDep):
    scope = department.scope_of(portal.home, visitor.account)
    found = department.report_files(portal.home, scope) if scope is not None else []
    return page(
        request,
        "reports.html",
        visitor=visitor,
        periods=found,
        inline=department.INLINE,
        local_time=accounts.local_time,
    )


def _not_found(request: Request, visitor: Visitor, message: str):
    return page(
        request,
        "message.html",
        status=404,
        visitor=visitor,
        title="Không tìm thấy",
        message=message,
    )


# the browser view of a report: its own inline styles and pictures, nothing else; sandboxed,
# so that nothing in it (an officer's text included) runs or reaches the portal
REPORT_VIEW_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


@router.get("/bao-cao/{period}/{name}")
def download(request: Request, portal: PortalDep, visitor: VisitorDep, period: str, name: str):
    """A file of the province's report of the period: the browser view opens in the browser,
    the others download; the list of each figure's files is made from figures.json."""
    scope = department.scope_of(portal.home, visitor.account)
    listing = department.figure_sources_csv(portal.home, scope, period, name) if scope else None
    path = department.download_path(portal.home, scope, period, name) if scope else None
    if listing is None and path is None:
        return _not_found(request, visitor, "Không có tệp này.")
    portal.store.log(visitor.account.login, "download", f"{period}/{name}", client_address(request))
    if listing is not None:
        return Response(
            listing,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    assert path is not None
    if department.INLINE.fullmatch(name):
        return FileResponse(
            path,
            media_type="text/html; charset=utf-8",
            filename=name,
            content_disposition_type="inline",
            headers={"content-security-policy": REPORT_VIEW_POLICY},
        )
    return FileResponse(path, filename=name)


NARRATIVES_PATH = "/so/noi-dung"
VERSION_NUMBER = re.compile(r"[0-9]{1,9}")
APPROVED = (
    "Kỳ này đã được phê duyệt: nội dung báo cáo chỉ xem, không sửa được. Muốn sửa, hãy mở lại "
    "kỳ ở trang Phê duyệt kỳ."
)


@dataclass
class Outcome:
    """What a section's form came back with: its preview, a refusal, a save made meanwhile by
    someone else, or the version just saved; shown under the section's box."""

    key: str
    kind: str  # preview, error, meanwhile, saved
    message: str = ""
    printed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    diff: list[narratives.Piece] = field(default_factory=list)


def _editor(
    request: Request,
    portal: Portal,
    visitor: Visitor,
    period_code: str,
    *,
    status: int = 200,
    outcome: Outcome | None = None,
    typed: str | None = None,
    base_version: int | None = None,
):
    """The sections of a period with a report (the newest unless one is chosen); a section's
    box holds `typed` (the officer's text, kept) when a form came back."""
    scope = department.scope_of(portal.home, visitor.account)
    periods = narratives.report_periods(portal.home, scope) if scope else []
    chosen = next((p for p in periods if p.code == period_code), periods[0] if periods else None)
    report, views, approved = None, [], False
    if scope and chosen:
        report = narratives.report_figures(portal.home, scope, chosen.code)
        approved = narratives.is_approved(portal.store, scope, chosen.code)
    if scope and chosen and report:
        views = narratives.sections(portal.home, scope, chosen.code, report, accounts.local_time)
        for view in views:
            if outcome and view.key == outcome.key and typed is not None:
                view.text = typed
                view.base_version = view.base_version if base_version is None else base_version
    return page(
        request,
        "narratives.html",
        status=status,
        visitor=visitor,
        periods=periods,
        chosen=chosen,
        sections=views,
        body_figures=report.body() if report else [],
        approved=approved,
        outcome=outcome,
        has_scope=scope is not None,
        max_chars=format_count(narratives.MAX_SECTION_CHARS),
        local_time=accounts.local_time,
    )


@router.get("/noi-dung", response_class=HTMLResponse)
def narratives_page(
    request: Request, portal: PortalDep, visitor: VisitorDep, period: str = "", saved: str = ""
):
    outcome = None
    scope = department.scope_of(portal.home, visitor.account)
    if saved in SECTIONS and scope is not None:
        report = narratives.report_figures(portal.home, scope, period)
        shown = narratives.versions(portal.home, scope, period, saved, report) if report else []
        if shown:
            latest = shown[0]
            against = f" (thay đổi so với {latest.against})" if latest.against else ""
            message = (
                f"Đã lưu phiên bản {latest.number} của mục “{SECTIONS[saved]}”{against}. "
                "Báo cáo in nội dung này từ lần xử lý tới."
            )
            outcome = Outcome(saved, "saved", message, diff=latest.diff)
    return _editor(request, portal, visitor, period, outcome=outcome)


@router.post("/noi-dung")
async def save_narrative(request: Request, portal: PortalDep, visitor: VisitorDep):
    form = await checked_form(request, visitor.csrf)
    scope = department.scope_of(portal.home, visitor.account)
    if scope is None or scope.province_code is None:
        raise Refused
    period_code, key = str(form.get("period", "")), str(form.get("section", ""))
    action, base, text = form.get("action", ""), form.get("base_version", ""), form.get("text")
    if period_code not in [p.code for p in narratives.report_periods(portal.home, scope)]:
        raise Refused
    if key not in SECTIONS or action not in narratives.ACTIONS or not isinstance(text, str):
        raise Refused
    if not isinstance(base, str) or not VERSION_NUMBER.fullmatch(base):
        raise Refused
    report = narratives.report_figures(portal.home, scope, period_code)
    if report is None:
        raise Refused

    def again(status: int, outcome: Outcome, base_version: int | None = None):
        return _editor(
            request,
            portal,
            visitor,
            period_code,
            status=status,
            outcome=outcome,
            typed=text,
            base_version=base_version,
        )

    if action == narratives.PREVIEW:
        printed, unknown = narratives.preview(text, report)
        return again(200, Outcome(key, "preview", printed=printed, unknown=unknown), int(base))
    if narratives.is_approved(portal.store, scope, period_code):
        return again(403, Outcome(key, "error", APPROVED))
    login = visitor.account.login
    try:
        version = narratives.save(
            portal.home,
            scope,
            period_code,
            key,
            text,
            login=login,
            base_version=int(base),
            report=report,
        )
    except narratives.NotSaved as exc:
        return again(400, Outcome(key, "error", str(exc)), int(base))
    except SavedMeanwhile as exc:
        theirs = exc.latest
        message = (
            f"Chưa lưu: {theirs.saved_by} đã lưu mục này (phiên bản {theirs.number}, "
            f"{accounts.local_time(narratives.saved_moment(theirs))}) sau khi bạn mở trang. "
            "Nội dung của bạn vẫn ở trong ô; bên dưới là chỗ khác nhau giữa bản họ đã lưu và "
            "bản của bạn. Đọc lại, sửa nếu cần, rồi bấm Lưu để lưu bản của bạn thành phiên bản "
            "mới."
        )
        diff = narratives.word_diff(theirs.paragraphs, paragraphs_of(text))
        return again(409, Outcome(key, "meanwhile", message, diff=diff), theirs.number)
    where = f"{scope.province_code} {period_code} {key} v{version.number}"
    portal.store.log(login, "narrative_saved", where, client_address(request))
    log.info("portal: %s saved the narrative %s", login, where)
    return RedirectResponse(
        f"{NARRATIVES_PATH}?period={period_code}&saved={key}#{key}", status_code=303
    )


@router.get("/noi-dung/lich-su", response_class=HTMLResponse)
def narrative_history(
    request: Request, portal: PortalDep, visitor: VisitorDep, period: str = "", section: str = ""
):
    scope = department.scope_of(portal.home, visitor.account)
    periods = narratives.report_periods(portal.home, scope) if scope else []
    chosen = next((p for p in periods if p.code == period), None)
    report = narratives.report_figures(portal.home, scope, period) if scope and chosen else None
    if scope is None or chosen is None or report is None or section not in SECTIONS:
        return _not_found(request, visitor, "Không có mục này trong các báo cáo của tỉnh.")
    return page(
        request,
        "narrative_history.html",
        visitor=visitor,
        period=chosen,
        key=section,
        title=SECTIONS[section],
        versions=narratives.versions(portal.home, scope, chosen.code, section, report),
        local_time=accounts.local_time,
    )
