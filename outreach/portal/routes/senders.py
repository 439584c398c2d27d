"""A source's pages: its months and their states, the Excel template of a month, uploads (each
file checked at once by ingest's contract) and the confirmation of a correction. Only a
source's account may use them, and only for its own source."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ingest.files import MAX_FILE_BYTES
from ingest.naming import MONTHLY
from outreach.portal import submissions, template
from outreach.portal.access import (
    SENDERS,
    PortalDep,
    Refused,
    VisitorDep,
    checked_form,
    client_address,
)
from outreach.portal.pages import page

router = APIRouter(prefix="/don-vi", dependencies=[Depends(SENDERS)])

UPLOAD_PATH = "/don-vi/gui"
MAX_FILES = 5  # files in one upload
MAX_UPLOAD_BYTES = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024


def _spool(item: UploadFile, folder: Path) -> Path:
    """An uploaded file copied to a file of its own under `folder` (the request's spool goes)."""
    with tempfile.NamedTemporaryFile(dir=folder, delete=False, prefix=".upload-") as handle:
        shutil.copyfileobj(item.file, handle, 1 << 16)
        return Path(handle.name)


def _months_to_offer(today: date, count: int = 13) -> list[date]:
    """This month and the twelve before it, newest first."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _first_of_month(text: str) -> date | None:
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        return None
    return chosen if chosen.day == 1 else None


@router.get("", response_class=HTMLResponse)
def sender_page(request: Request, portal: PortalDep, visitor: VisitorDep):
    source_code = visitor.account.source_code
    assert source_code is not None  # a source's account
    data = submissions.source_months(portal.home, portal.store, source_code)
    # the recent months, and every month the source has a state for (one to correct)
    offered = set(_months_to_offer(date.today())) | {r["report_month"] for r in data["months"]}
    return page(
        request,
        "sender.html",
        visitor=visitor,
        data=data,
        labels=submissions.STATE_LABELS,
        months=sorted(offered, reverse=True),
        kinds=submissions.KIND_LABELS,
    )


@router.get("/mau")
def template_download(request: Request, portal: PortalDep, visitor: VisitorDep, month: str = ""):
    account, chosen = visitor.account, _first_of_month(month)
    if account.source_code is None or chosen is None:
        raise Refused
    data = template.monthly_template(portal.home, account.source_code, chosen)
    name = f"{account.source_code}_{chosen:%Y-%m}.xlsx"
    portal.store.log(account.login, "template", name, client_address(request))
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/gui", response_class=HTMLResponse)
async def upload(request: Request, portal: PortalDep, visitor: VisitorDep):
    form = await checked_form(request, visitor.csrf, max_files=MAX_FILES, max_fields=20)
    month = _first_of_month(str(form.get("month", "")))
    kind = str(form.get("kind", MONTHLY))
    files = [item for item in form.getlist("files") if isinstance(item, UploadFile)]
    results: list[tuple[submissions.Checked, str | None]] = []
    if month is None:
        problem = submissions.ProblemRow("", "", "", "Hãy chọn tháng báo cáo.")
        results.append((submissions.Checked("", [problem]), None))
    else:
        for item in files[:MAX_FILES]:
            original = Path(item.filename or "").name  # a path in the name is dropped
            spooled = await run_in_threadpool(_spool, item, portal.home.root / "portal")
            try:
                # the check reads and parses the file: off the event loop, so that other
                # senders' pages and logins are served meanwhile
                received = await run_in_threadpool(
                    submissions.receive,
                    portal.home,
                    portal.store,
                    visitor.account,
                    spooled,
                    original,
                    month,
                    kind,
                    client_address(request),
                )
            finally:
                spooled.unlink(missing_ok=True)  # moved to staging, or left by a failure
            results.append(received)
    return page(
        request,
        "uploaded.html",
        visitor=visitor,
        results=results,
        kinds=submissions.KIND_LABELS,
        none_sent=not files,
    )


@router.post("/xac-nhan", response_class=HTMLResponse)
async def confirm(request: Request, portal: PortalDep, visitor: VisitorDep):
    form = await checked_form(request, visitor.csrf)
    delivered = await run_in_threadpool(
        submissions.deliver, portal.home, portal.store, visitor.account, str(form.get("staged", ""))
    )
    if delivered is None:
        raise Refused
    portal.store.log(visitor.account.login, "upload_correction", delivered, client_address(request))
    return page(
        request,
        "message.html",
        visitor=visitor,
        title="Đã nhận bản sửa",
        message=f"Đã nhận bản sửa {delivered}; số liệu sẽ được cập nhật sau lần xử lý đêm nay.",
    )
