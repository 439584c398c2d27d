"""The portal as one application: its routers (`outreach.portal.routes`: log in, the sender's
months and uploads, the department's pages, running the pipeline), the refusals their
declarations raise turned into pages, and the middleware every response goes through.

Server-rendered (FastAPI, Jinja2), Vietnamese, usable on a phone. Nothing but the login and the
set-up pages answers without a session: each router declares once who may use its routes
(`outreach.portal.access`). Sessions live in the portal's database; the cookie holds
the session id signed with the portal's secret, `Secure`, `HttpOnly`, `SameSite=Strict`. Every
form carries a CSRF token (the session's; before login, a double-submit cookie). Request bodies
are cut off at MAX_BODY_BYTES while they stream in, and answered 408 when they stall
(BODY_TIMEOUT_SECONDS without a byte, or BODY_DEADLINE_SECONDS in all); every response carries
SECURITY_HEADERS (and HSTS over https), errors and downloads included: the middleware that adds
them is outside everything else, FastAPI's own error handling too (`PortalApp`). The headers'
read deadline is the server's (`outreach.portal.server`).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import URLSafeTimedSerializer
from starlette.types import ASGIApp

from outreach.core.home import Home
from outreach.portal.access import (
    NotSignedIn,
    Portal,
    Refused,
    SentHome,
    session_of,
)
from outreach.portal.narratives import MAX_FORM_BYTES
from outreach.portal.pages import page, refused, to_login
from outreach.portal.routes import administration, auth, department, senders
from outreach.portal.routes.department import NARRATIVES_PATH
from outreach.portal.routes.senders import MAX_UPLOAD_BYTES, UPLOAD_PATH
from outreach.portal.store import Store

SIGNING_KEY_ENV = "OUTREACH_PORTAL_SECRET"
MAX_BODY_BYTES = MAX_UPLOAD_BYTES
SMALL_BODY_BYTES = 64 * 1024  # a login, a confirmation, an approval
# the forms that carry more than a few fields: a section of the report (its text)
LARGER_BODIES = {NARRATIVES_PATH: MAX_FORM_BYTES}
BODY_TIMEOUT_SECONDS = 30.0  # the longest wait for the next piece of a request body
BODY_DEADLINE_SECONDS = 600.0  # a whole body: five files of 20 MB at 1.5 Mbit/s
ROUTERS = (
    auth.router,
    auth.signed_in_router,
    senders.router,
    department.router,
    administration.router,
)
SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
]
# over https only (the request's scheme, a trusted proxy's X-Forwarded-Proto included): a year
HSTS_HEADER = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def portal_secret(home: Home) -> str:
    """`OUTREACH_PORTAL_SECRET`, else a random secret kept under the home (mode 600). Made
    whole under another name, then linked into place: processes starting at once (the workers
    of `outreach web --workers N`) all read the one that was linked first, never a half-written
    file."""
    if secret := os.environ.get(SIGNING_KEY_ENV):
        return secret
    path = home.root / "portal" / "secret.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".secret-{secrets.token_hex(8)}.part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            os.link(partial, path)  # fails if another process linked its secret first
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return path.read_text().strip()


class BodyTooLarge(Exception):
    pass


class BodyTimedOut(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request whose body passes its limit is answered 413 as soon as it does
    (Content-Length is checked first; a chunked body is counted while it streams). The upload
    route may carry MAX_FILES files, a section's form its text (LARGER_BODIES); every other
    route a form of a few fields.

    A body that stalls is answered 408 and its connection closed: each piece must come within
    `timeout` seconds of the previous one, and the whole body within `deadline`. Once the body
    is in, `receive` is passed through as it is (a download waits on it for the client to
    leave)."""

    def __init__(
        self,
        app,
        limit: int,
        small: int = SMALL_BODY_BYTES,
        timeout: float = BODY_TIMEOUT_SECONDS,
        deadline: float = BODY_DEADLINE_SECONDS,
    ) -> None:
        self.app, self.limit, self.small = app, limit, small
        self.timeout, self.deadline = timeout, deadline

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path")
        limit = self.limit if path == UPLOAD_PATH else LARGER_BODIES.get(path, self.small)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, path == UPLOAD_PATH)
        seen = 0
        started = False
        body_done = False
        loop = asyncio.get_running_loop()
        ends = loop.time() + self.deadline

        async def counted_receive():
            nonlocal seen, body_done
            if body_done:
                return await receive()
            wait = min(self.timeout, ends - loop.time())
            try:
                message = await asyncio.wait_for(receive(), timeout=max(wait, 0))
            except TimeoutError:
                raise BodyTimedOut from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
                body_done = not message.get("more_body", False)
            else:
                body_done = True
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
                await _too_large(send, path == UPLOAD_PATH)
        except BodyTimedOut:
            # a response already under way ends unfinished: the server closes the connection
            if not started:
                await _timed_out(send)


async def _timed_out(send) -> None:
    await _plain(send, 408, "Gửi dữ liệu quá chậm, kết nối đã bị ngắt; hãy gửi lại.", close=True)


async def _too_large(send, is_upload: bool) -> None:
    if is_upload:
        await _plain(send, 413, "Tệp gửi quá lớn (tối đa 20 MB mỗi tệp).")
    else:
        await _plain(send, 413, "Nội dung gửi quá lớn.")


async def _plain(send, status: int, text: str, *, close: bool = False) -> None:
    """A short plain-text answer sent straight from the middleware (`close`: and the
    connection ends with it)."""
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _security_headers(send, https: bool):
    """`send`, with the portal's security headers added to every response that does not set
    its own: pages, redirects, downloads, refusals raised by a route's declaration, errors;
    HSTS when the request came over https."""
    wanted = [*SECURITY_HEADERS, HSTS_HEADER] if https else SECURITY_HEADERS

    async def with_headers(message):
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(n, v) for n, v in wanted if n not in present]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return with_headers


class SecurityHeaders:
    """ASGI middleware: SECURITY_HEADERS on every response, and HSTS over https (the scheme is
    the server's, or a trusted proxy's X-Forwarded-Proto as uvicorn's proxy headers set it)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        https = scope.get("scheme") == "https"
        return await self.app(scope, receive, _security_headers(send, https))


class PortalApp(FastAPI):
    """FastAPI with SecurityHeaders outside its whole stack: around the server-error middleware
    (a 500), the exception middleware (404, 405, 422 as JSON) and BodyLimit (413, 408)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(
    home: Home,
    store: Store | None = None,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    body_timeout: float = BODY_TIMEOUT_SECONDS,
    body_deadline: float = BODY_DEADLINE_SECONDS,
) -> FastAPI:
    """The portal on `home`: its routers, one per audience, each declaring who may use it.
    `body_timeout`: the longest wait for the next piece of a body (`outreach web
    --body-timeout`, env OUTREACH_PORTAL_BODY_TIMEOUT); `body_deadline`: for a whole body."""
    store = store or Store.for_home(home)
    signer = URLSafeTimedSerializer(portal_secret(home), salt="outreach-session")
    app = PortalApp(title="outreach", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        BodyLimit, limit=max_body_bytes, timeout=body_timeout, deadline=body_deadline
    )
    app.state.portal = Portal(home, store, signer)
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return to_login()

    @app.exception_handler(SentHome)
    async def sent_home(request: Request, exc: SentHome) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(Refused)
    async def refused_request(request: Request, exc: Refused) -> Response:
        return refused(request, exc.visitor, exc.message)

    @app.exception_handler(404)
    async def not_found(request: Request, exc) -> Response:
        if session_of(request, app.state.portal) is None:
            return to_login()
        return page(
            request,
            "message.html",
            status=404,
            title="Không tìm thấy",
            message="Không có trang này.",
        )

    return app


@dataclass(frozen=True)
class PortalFactory:
    """The portal on `home`, made by each process that serves it (`outreach web --workers N`:
    each worker calls it; it is pickled to them, hence a module-level dataclass). What the
    workers share lives outside them: accounts, sessions, the bounds on password checks and the
    uploads' revisions in the portal's database, the session key in `portal_secret`, staged
    files under the home; `prepare` makes the database's tables and the session key once,
    before any worker starts."""

    home: Home
    body_timeout: float = BODY_TIMEOUT_SECONDS

    def prepare(self) -> None:
        """The session key and the database's tables, made here once: workers starting at once
        on a new home would otherwise each try to create the same tables."""
        portal_secret(self.home)
        Store.for_home(self.home).engine.dispose()

    def __call__(self) -> FastAPI:
        return create_app(self.home, body_timeout=self.body_timeout)
