"""The portal's pages: log in, the sender's months and uploads, the department's completeness.

Server-rendered (FastAPI, Jinja2), Vietnamese, usable on a phone. Nothing but the login and the
set-up pages answers without a session. Sessions live in the portal's database; the cookie holds
the session id signed with the portal's secret, `Secure`, `HttpOnly`, `SameSite=Strict`. Every
form carries a CSRF token (the session's; before login, a double-submit cookie). Request bodies
are cut off at MAX_BODY_BYTES while they stream in.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import shutil
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ingest.approvals import write_approvals
from ingest.files import MAX_FILE_BYTES
from ingest.naming import MONTHLY
from outreach.core.home import Home
from outreach.core.periods import parse_period
from outreach.portal import airflow, department, submissions, template
from outreach.portal.store import (
    MIN_PASSWORD_LENGTH,
    SESSION_HOURS,
    Account,
    Store,
    approve,
    current_approvals,
    reopen,
)

log = logging.getLogger(__name__)

SIGNING_KEY_ENV = "OUTREACH_PORTAL_SECRET"
# __Host-: Secure, path /, no Domain; no sibling host can set or shadow them
SESSION_COOKIE = "__Host-outreach_session"
LOGIN_CSRF_COOKIE = "__Host-outreach_login_csrf"
MAX_FILES = 5  # files in one upload
MAX_BODY_BYTES = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024
SMALL_BODY_BYTES = 64 * 1024  # a login, a confirmation, an approval
UPLOAD_PATH = "/don-vi/gui"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def portal_secret(home: Home) -> str:
    """`OUTREACH_PORTAL_SECRET`, else a random secret kept under the home (mode 600)."""
    if secret := os.environ.get(SIGNING_KEY_ENV):
        return secret
    path = home.root / "portal" / "secret.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request whose body passes its limit is answered 413 as soon as it does
    (Content-Length is checked first; a chunked body is counted while it streams). The upload
    route may carry MAX_FILES files; every other route a form of a few fields."""

    def __init__(self, app, limit: int, small: int = SMALL_BODY_BYTES) -> None:
        self.app, self.limit, self.small = app, limit, small

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit if scope.get("path") == UPLOAD_PATH else self.small
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send)
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send)


async def _too_large(send) -> None:
    body = "Tệp gửi quá lớn (tối đa 20 MB mỗi tệp).".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


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


def create_app(
    home: Home, store: Store | None = None, *, max_body_bytes: int = MAX_BODY_BYTES
) -> FastAPI:
    store = store or Store.for_home(home)
    signer = URLSafeTimedSerializer(portal_secret(home), salt="outreach-session")
    app = FastAPI(title="outreach", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.state.store = store

    def address(request: Request) -> str:
        return request.client.host if request.client else ""

    def current(request: Request) -> tuple[Account, str, str] | None:
        """The account, CSRF token and session id of the request's live session."""
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            session_id = signer.loads(cookie, max_age=SESSION_HOURS * 3600)
        except BadSignature:
            return None
        found = store.session(session_id)
        return (found[0], found[1], session_id) if found else None

    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        response = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        return response

    def to_login() -> RedirectResponse:
        return RedirectResponse("/dang-nhap", status_code=303)

    def csrf_ok(expected: str, form) -> bool:
        given = form.get("csrf")
        return (
            isinstance(given, str)
            and bool(expected)
            and hmac.compare_digest(given.encode(), expected.encode())
        )

    def refused(request: Request) -> HTMLResponse:
        return page(
            request,
            "message.html",
            status=403,
            title="Không được phép",
            message="Yêu cầu không hợp lệ (hết phiên làm việc hoặc mã bảo vệ sai). "
            "Hãy tải lại trang và thử lại.",
            account=None,
        )

    # --- logging in ---------------------------------------------------------------------

    def login_token(request: Request) -> str:
        """The login form's CSRF token: the browser's, kept while it has one (a page opened in
        another tab, a favicon fetched on the way, must not change it under the form)."""
        token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        return token if len(token) >= 32 else secrets.token_urlsafe(32)

    def keep_login_token(response: Response, token: str) -> None:
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, secure=True, samesite="strict", max_age=3600
        )

    @app.get("/dang-nhap", response_class=HTMLResponse)
    def login_form(request: Request):
        token = login_token(request)
        response = page(request, "login.html", csrf=token, error="", account=None)
        keep_login_token(response, token)
        return response

    @app.post("/dang-nhap")
    async def login(request: Request):
        form = await request.form(max_files=0, max_fields=10)
        if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form):
            return refused(request)
        # argon2 takes a fifth of a second: off the event loop, so others are served meanwhile
        account, why = await run_in_threadpool(
            store.authenticate,
            str(form.get("login", "")),
            str(form.get("password", "")),
            address(request),
        )
        if account is None:
            message = {
                "locked": "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần; hãy thử lại sau "
                "15 phút hoặc liên hệ Sở.",
                "address": "Quá nhiều lần đăng nhập sai từ địa chỉ này; hãy thử lại sau.",
            }.get(why, "Tên đăng nhập hoặc mật khẩu không đúng.")
            token = login_token(request)
            response = page(
                request, "login.html", status=401, csrf=token, error=message, account=None
            )
            keep_login_token(response, token)
            return response
        session_id, _ = store.open_session(account)
        redirect = RedirectResponse("/", status_code=303)
        redirect.set_cookie(
            SESSION_COOKIE,
            signer.dumps(session_id),
            httponly=True,
            secure=True,
            samesite="strict",
            max_age=SESSION_HOURS * 3600,
        )
        redirect.delete_cookie(LOGIN_CSRF_COOKIE)
        return redirect

    @app.post("/dang-xuat")
    async def logout(request: Request):
        found = current(request)
        form = await request.form(max_files=0, max_fields=10)
        if found is None:
            return to_login()
        account, csrf, session_id = found
        if not csrf_ok(csrf, form):
            return refused(request)
        store.close_session(session_id)
        store.log(account.login, "logout", "", address(request))
        response = to_login()
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/thiet-lap/{token}", response_class=HTMLResponse)
    def setup_form(request: Request, token: str):
        if not store.invite_is_valid(token):
            return page(
                request,
                "message.html",
                status=404,
                title="Liên kết không còn hiệu lực",
                message="Liên kết thiết lập đã dùng hoặc đã hết hạn; hãy đề nghị Sở gửi lại.",
                account=None,
            )
        csrf = login_token(request)
        response = page(request, "setup.html", link=token, csrf=csrf, error="", account=None)
        keep_login_token(response, csrf)
        return response

    @app.post("/thiet-lap/{token}")
    async def setup(request: Request, token: str):
        form = await request.form(max_files=0, max_fields=10)
        if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form):
            return refused(request)
        password, again = str(form.get("password", "")), str(form.get("again", ""))
        error = ""
        if password != again:
            error = "Hai lần nhập mật khẩu không giống nhau."
        elif len(password) < MIN_PASSWORD_LENGTH:
            error = f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự."
        if error or not store.invite_is_valid(token):
            csrf = login_token(request)
            response = page(
                request,
                "setup.html",
                status=400,
                link=token,
                csrf=csrf,
                error=error or "Liên kết không còn hiệu lực.",
                account=None,
            )
            keep_login_token(response, csrf)
            return response
        account = await run_in_threadpool(store.redeem, token)
        if account is None:
            return refused(request)
        await run_in_threadpool(store.set_password, account.account_id, password)
        store.log(account.login, "password_set", "", address(request))
        return to_login()

    # --- the pages behind the login -----------------------------------------------------

    @app.get("/")
    def home_page(request: Request):
        found = current(request)
        if found is None:
            return to_login()
        account = found[0]
        return RedirectResponse("/so" if account.is_staff else "/don-vi", status_code=303)

    @app.get("/don-vi", response_class=HTMLResponse)
    def sender_page(request: Request):
        found = current(request)
        if found is None:
            return to_login()
        account, csrf, _ = found
        if account.source_code is None:
            return RedirectResponse("/so", status_code=303)
        data = submissions.source_months(home, store, account.source_code)
        # the recent months, and every month the source has a state for (one to correct)
        offered = set(_months_to_offer(date.today())) | {r["report_month"] for r in data["months"]}
        return page(
            request,
            "sender.html",
            account=account,
            csrf=csrf,
            data=data,
            labels=submissions.STATE_LABELS,
            months=sorted(offered, reverse=True),
            kinds=submissions.KIND_LABELS,
        )

    @app.get("/don-vi/mau")
    def template_download(request: Request, month: str = ""):
        found = current(request)
        if found is None:
            return to_login()
        account, csrf, _ = found
        try:
            chosen = date.fromisoformat(month)
        except ValueError:
            chosen = None
        if account.source_code is None or chosen is None or chosen.day != 1:
            return refused(request)
        data = template.monthly_template(home, account.source_code, chosen)
        name = f"{account.source_code}_{chosen:%Y-%m}.xlsx"
        store.log(account.login, "template", name, address(request))
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    @app.post(UPLOAD_PATH, response_class=HTMLResponse)
    async def upload(request: Request):
        found = current(request)
        if found is None:
            return to_login()
        account, csrf, _ = found
        form = await request.form(max_files=MAX_FILES, max_fields=20)
        if not csrf_ok(csrf, form) or account.source_code is None:
            return refused(request)
        try:
            month = date.fromisoformat(str(form.get("month", "")))
        except ValueError:
            month = None
        kind = str(form.get("kind", MONTHLY))
        files = [item for item in form.getlist("files") if isinstance(item, UploadFile)]
        results: list[tuple[submissions.Checked, str | None]] = []
        if month is None or month.day != 1:
            problem = submissions.ProblemRow("", "", "", "Hãy chọn tháng báo cáo.")
            results.append((submissions.Checked("", [problem]), None))
        else:
            for item in files[:MAX_FILES]:
                original = Path(item.filename or "").name  # a path in the name is dropped
                temporary = await run_in_threadpool(_spool, item, home.root / "portal")
                try:
                    # the check reads and parses the file: off the event loop, so that other
                    # senders' pages and logins are served meanwhile
                    checked = await run_in_threadpool(
                        submissions.check_upload,
                        home,
                        store,
                        account,
                        temporary,
                        original,
                        month,
                        kind,
                    )
                finally:
                    temporary.unlink(missing_ok=True)  # moved to staging, or left by a failure
                if checked.passed and not checked.is_correction:
                    delivered = await run_in_threadpool(
                        submissions.deliver, home, store, account, checked.staged or ""
                    )
                    store.log(
                        account.login, "upload", f"{original} -> {delivered}", address(request)
                    )
                    checked.staged = None
                    results.append((checked, delivered))
                    continue
                action = "upload_staged" if checked.passed else "upload_refused"
                store.log(account.login, action, original, address(request))
                results.append((checked, None))
        return page(
            request,
            "uploaded.html",
            account=account,
            csrf=csrf,
            results=results,
            kinds=submissions.KIND_LABELS,
            none_sent=not files,
        )

    @app.post("/don-vi/xac-nhan", response_class=HTMLResponse)
    async def confirm(request: Request):
        found = current(request)
        if found is None:
            return to_login()
        account, csrf, _ = found
        form = await request.form()
        if not csrf_ok(csrf, form):
            return refused(request)
        delivered = await run_in_threadpool(
            submissions.deliver, home, store, account, str(form.get("staged", ""))
        )
        if delivered is None:
            return refused(request)
        store.log(account.login, "upload_correction", delivered, address(request))
        return page(
            request,
            "message.html",
            account=account,
            csrf=csrf,
            title="Đã nhận bản sửa",
            message=f"Đã nhận bản sửa {delivered}; số liệu sẽ được cập nhật sau lần xử lý đêm nay.",
        )

    @app.get("/so", response_class=HTMLResponse)
    def department_page(request: Request, kind: str = ""):
        allowed = staff_only(request)
        if isinstance(allowed, Response):
            return allowed
        account, csrf = allowed
        province = None if account.role == "admin" else account.province_code
        data = submissions.completeness(home, province, kind or None)
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
            account=account,
            csrf=csrf,
            data=data,
            kind=kind,
            labels=submissions.STATE_LABELS,
            airflow_on=bool(airflow.api_url()),
            run=run,
            run_error=run_error,
            run_labels=airflow.STATE_LABELS,
        )

    @app.post("/so/chay-ngay")
    async def run_now(request: Request):
        allowed = staff_only(request)
        if isinstance(allowed, Response):
            return allowed
        account, csrf = allowed
        form = await request.form()
        if not csrf_ok(csrf, form) or not airflow.api_url():
            return refused(request)
        try:
            created = await run_in_threadpool(airflow.trigger_run)
        except airflow.AirflowUnavailable as exc:
            log.warning("portal: %s", exc)
            return page(
                request,
                "message.html",
                status=502,
                account=account,
                csrf=csrf,
                title="Chưa chạy được",
                message="Không kết nối được với hệ thống xử lý (Airflow); hãy báo bộ phận kỹ "
                "thuật.",
            )
        store.log(account.login, "run_now", str(created.get("dag_run_id", "")), address(request))
        return RedirectResponse("/so", status_code=303)

    def staff_only(request: Request) -> tuple[Account, str] | Response:
        found = current(request)
        if found is None:
            return to_login()
        account, csrf, _ = found
        if not account.is_staff:
            return page(
                request,
                "message.html",
                status=403,
                account=account,
                csrf=csrf,
                title="Không được phép",
                message="Trang này dành cho cán bộ của Sở.",
            )
        return account, csrf

    def period_page(request: Request, period: str, template_name: str, rows_of) -> Response:
        """A department page of one checked period (the newest unless one is chosen)."""
        allowed = staff_only(request)
        if isinstance(allowed, Response):
            return allowed
        account, csrf = allowed
        scope = department.scope_of(home, account)
        periods = department.checked_periods(home)
        chosen = period if period in periods else (periods[0] if periods else "")
        rows = rows_of(scope, chosen) if scope is not None and chosen else []
        return page(
            request,
            template_name,
            account=account,
            csrf=csrf,
            rows=rows,
            periods=periods,
            chosen=chosen,
        )

    @app.get("/so/nhac-nho", response_class=HTMLResponse)
    def chase_page(request: Request, period: str = ""):
        return period_page(
            request,
            period,
            "chase.html",
            lambda scope, code: department.chase_list(home, scope, parse_period(code)),
        )

    @app.get("/so/canh-bao", response_class=HTMLResponse)
    def flags_page(request: Request, period: str = ""):
        return period_page(
            request, period, "flags.html", lambda scope, code: department.flags(home, scope, code)
        )

    @app.get("/so/phe-duyet", response_class=HTMLResponse)
    def approvals_page(request: Request, done: str = ""):
        allowed = staff_only(request)
        if isinstance(allowed, Response):
            return allowed
        account, csrf = allowed
        scope = department.scope_of(home, account)
        province = scope.province_code if scope else None
        held = {
            entry["period_code"]: entry
            for entry in current_approvals(store)
            if entry["province_code"] == province
        }
        periods = department.checked_periods(home)
        return page(
            request,
            "approvals.html",
            account=account,
            csrf=csrf,
            periods=periods,
            held=held,
            done=done,
            can_approve=province is not None,
        )

    @app.post("/so/phe-duyet")
    async def approve_period(request: Request):
        allowed = staff_only(request)
        if isinstance(allowed, Response):
            return allowed
        account, csrf = allowed
        form = await request.form()
        scope = department.scope_of(home, account)
        period_code = str(form.get("period", ""))
        if not csrf_ok(csrf, form) or scope is None or scope.province_code is None:
            return refused(request)
        if period_code not in department.checked_periods(home):
            return refused(request)
        action = str(form.get("action", ""))
        if action == "approve":
            # the figures approved are those of the last publish: files ingested after it (or
            # still waiting) do not count
            until = submissions.published_at(home) or datetime.now(UTC)
            try:
                changed = approve(store, scope.province_code, period_code, account.login, until)
            except IntegrityError:  # approved by another request meanwhile
                changed = False
        elif action == "reopen":
            changed = reopen(store, scope.province_code, period_code, account.login)
        else:
            return refused(request)
        if changed:
            write_approvals(home, current_approvals(store))
            store.log(
                account.login,
                f"period_{action}",
                f"{scope.province_code} {period_code}",
                address(request),
            )
        return RedirectResponse(f"/so/phe-duyet?done={action}", status_code=303)

    @app.get("/so/bao-cao", response_class=HTMLResponse)
    def reports_page(request: Request):
        allowed = staff_only(request)
        if isinstance(allowed, Response):
            return allowed
        account, csrf = allowed
        scope = department.scope_of(home, account)
        found = department.report_files(home, scope) if scope is not None else []
        return page(request, "reports.html", account=account, csrf=csrf, periods=found)

    @app.get("/so/bao-cao/{period}/{name}")
    def download(request: Request, period: str, name: str):
        allowed = staff_only(request)
        if isinstance(allowed, Response):
            return allowed
        account, csrf = allowed
        scope = department.scope_of(home, account)
        path = department.download_path(home, scope, period, name) if scope else None
        if path is None:
            return page(
                request,
                "message.html",
                status=404,
                account=account,
                csrf=csrf,
                title="Không tìm thấy",
                message="Không có tệp này.",
            )
        store.log(account.login, "download", f"{period}/{name}", address(request))
        return FileResponse(path, filename=name, headers={"Cache-Control": "no-store"})

    @app.exception_handler(404)
    async def not_found(request: Request, exc) -> Response:
        if current(request) is None:
            return to_login()
        return page(
            request,
            "message.html",
            status=404,
            account=None,
            title="Không tìm thấy",
            message="Không có trang này.",
        )

    return app
