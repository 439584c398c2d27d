"""Running the nightly pipeline on demand ("Chạy ngay" on the department's page): asks Airflow
through its REST API, when the portal is given one (`OUTREACH_AIRFLOW_API`)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from outreach.portal import airflow
from outreach.portal.access import (
    ADMINISTRATION,
    PortalDep,
    Refused,
    VisitorDep,
    checked_form,
    client_address,
)
from outreach.portal.pages import page

router = APIRouter(dependencies=[Depends(ADMINISTRATION)])
log = logging.getLogger(__name__)


@router.post("/so/chay-ngay")
async def run_now(request: Request, portal: PortalDep, visitor: VisitorDep):
    await checked_form(request, visitor.csrf)
    if not airflow.api_url():
        raise Refused
    try:
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
    run_id = str(created.get("dag_run_id", ""))
    portal.store.log(visitor.account.login, "run_now", run_id, client_address(request))
    return RedirectResponse("/so", status_code=303)
