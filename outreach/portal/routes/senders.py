"""A source's pages: its months and their states, the Excel template of a month, uploads (each
file checked at once by ingest's contract) and the confirmation of a staged file (a correction,
or a file sent for the month its dates say). Only a source's account may use them, only for its
own source, and only for the months its source is registered for."""

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
from ingest.naming import MONTHLY, parse_name
from outreach.core.registry import Reference
from outreach.portal import accounts, submissions, template
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
    return page(
        request,
        "sender.html",
        visitor=visitor,
        data=data,
        labels=submissions.STATE_LABELS,
        choice=submissions.month_choice(portal.home, source_code, data),
        kinds=submissions.KIND_LABELS,
        local_time=accounts.local_time,
    )


@router.get("/mau")
def template_download(request: Request, portal: PortalDep, visitor: VisitorDep, month: str = ""):
    account, chosen = visitor.account, _first_of_month(month)
    if account.source_code is None or chosen is None:
        raise Refused
    source = Reference.load(portal.home.seeds_dir()).sources.get(account.source_code)
    if source is None or not submissions.may_send(source, chosen, submissions.local_today()):
        raise Refused(
            visitor, "Đơn vị không báo cáo tháng này: hãy chọn một tháng trong danh sách."
        )
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
    form = await checked_form(request, visitor.csrf, max_files=0, max_fields=10)
    login, address = visitor.account.login, client_address(request)
    try:
        delivered = await run_in_threadpool(
            submissions.deliver,
            portal.home,
            portal.store,
            visitor.account,
            str(form.get("staged", "")),
        )
    except submissions.AlreadyReceived as exc:
        received = exc.received
        portal.store.log(login, "upload_duplicate", received.file_name, address)
        return page(
            request,
            "message.html",
            visitor=visitor,
            title="Tệp đã được nhận",
            message=f"Tệp này đã được nhận ngày {received.day} (tên {received.file_name}); "
            "không cần gửi lại.",
        )
    name = parse_name(delivered) if delivered else None
    if name is None:
        raise Refused
    if name.revision > 1:
        portal.store.log(login, "upload_correction", name.file_name, address)
        title, what = "Đã nhận bản sửa", f"bản sửa {name.file_name}"
    else:
        portal.store.log(login, "upload", name.file_name, address)
        title, what = "Đã nhận tệp", f"tệp {name.file_name}"
    return page(
        request,
        "message.html",
        visitor=visitor,
        title=title,
        message=f"Đã nhận {what} (tháng {name.month:%m/%Y}); số liệu sẽ được cập nhật sau lần "
        "xử lý đêm nay.",
    )
