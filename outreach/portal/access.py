"""Who may use a route: every route declares one `Access` (`PUBLIC`, or a `Role`), as a
dependency of its router, and nothing else decides it. A route without a declaration is a
defect that `tests/test_portal.py` finds by walking the application's routes.

A visitor without a live session is sent to the login (`NotSignedIn`); a signed-in account of
a role the route does not admit is refused (`Refused`, 403), or, on a page the declaration names
in `redirect_others_from`, sent to its own home page (`SentHome`). The application turns these
exceptions into the answers the visitor gets (`outreach.portal.app`), the same as when each
route's body decided them.
"""

# no `from __future__ import annotations`: FastAPI reads `Access.__call__`'s annotations at
# run time, and an instance has no module globals to resolve them in
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData

from outreach.core.home import Home
from outreach.portal.store import SESSION_HOURS, Account, Store
from outreach.portal.throttle import address_ok

# __Host-: Secure, path /, no Domain; no sibling host can set or shadow them
SESSION_COOKIE = "__Host-outreach_session"
LOGIN_CSRF_COOKIE = "__Host-outreach_login_csrf"
# a browser where a login succeeded: guesses made elsewhere do not lock it out (routes.auth)
DEVICE_COOKIE = "__Host-outreach_device"
ADDRESS_REFUSAL = (
    "Địa chỉ máy của bạn do máy chủ trung gian (proxy) chuyển tới không hợp lệ; "
    "hãy báo quản trị viên của Sở."
)
ROLES = ("source", "staff", "admin")


@dataclass(frozen=True)
class Portal:
    """What every route works on: the home folder, the portal's database, the session signer."""

    home: Home
    store: Store
    signer: URLSafeTimedSerializer


@dataclass(frozen=True)
class Visitor:
    """A signed-in account, its session's CSRF token and its session id."""

    account: Account
    csrf: str
    session_id: str


class NotSignedIn(Exception):
    """No live session: the visitor is sent to the login page."""


class Refused(Exception):
    """The request may not go on (403). Without a message, the page says the request was not
    valid (an expired session or a wrong CSRF token); with one, it says that."""

    def __init__(self, visitor: Visitor | None = None, message: str | None = None) -> None:
        super().__init__(message or "refused")
        self.visitor, self.message = visitor, message


class SentHome(Exception):
    """A signed-in account opened another audience's page that sends it to its own."""

    def __init__(self, visitor: Visitor) -> None:
        super().__init__(home_page_of(visitor.account))
        self.location = home_page_of(visitor.account)


def home_page_of(account: Account) -> str:
    return "/so" if account.is_staff else "/don-vi"


def portal_of(request: Request) -> Portal:
    return request.app.state.portal


def session_of(request: Request, portal: Annotated[Portal, Depends(portal_of)]) -> Visitor | None:
    """The visitor of the request's live session, if it has one (computed once per request:
    the route's declaration and its body share it)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        session_id = portal.signer.loads(cookie, max_age=SESSION_HOURS * 3600)
    except BadSignature:
        return None
    found = portal.store.session(session_id)
    return Visitor(found[0], found[1], session_id) if found else None


@dataclass(frozen=True, eq=False)
class Access:
    """A route's declaration of who may use it, a dependency of its router: `Public` (anyone,
    signed in or not) or `Role` (signed-in accounts of `roles`)."""

    audience: str
    roles: frozenset[str] = frozenset()
    # the 403 page's text for a signed-in account of another role (None: the generic refusal)
    message: str | None = None
    # pages (GET) that send a signed-in account of another role to its own home page instead
    redirect_others_from: frozenset[str] = frozenset()
    is_public = False


class Public(Access):
    is_public = True

    def __call__(self, request: Request) -> None:
        """Anyone: no session is looked up."""
        checked_address(request)


class Role(Access):
    def __call__(
        self, request: Request, visitor: Annotated[Visitor | None, Depends(session_of)]
    ) -> None:
        checked_address(request)
        if visitor is None:
            raise NotSignedIn
        if visitor.account.role not in self.roles:
            if request.method == "GET" and request.url.path in self.redirect_others_from:
                raise SentHome(visitor)
            raise Refused(visitor if self.message else None, self.message)


PUBLIC = Public("public")
SIGNED_IN = Role("signed in", frozenset(ROLES))
SENDERS = Role("senders", frozenset({"source"}), redirect_others_from=frozenset({"/don-vi"}))
DEPARTMENT = Role(
    "department", frozenset({"staff", "admin"}), message="Trang này dành cho cán bộ của Sở."
)
# running the nightly pipeline on demand: any officer of the department, as the department's pages
ADMINISTRATION = Role(
    "administration", frozenset({"staff", "admin"}), message="Trang này dành cho cán bộ của Sở."
)
# the accounts and the audit log: administrators only
ADMINISTRATORS = Role(
    "administrators", frozenset({"admin"}), message="Trang này dành cho quản trị viên của cổng."
)


def signed_in(visitor: Annotated[Visitor | None, Depends(session_of)]) -> Visitor:
    """The visitor a route's declaration admitted (the same lookup, not a second one)."""
    if visitor is None:
        raise NotSignedIn
    return visitor


def client_address(request: Request) -> str:
    """The client's address: the connection's, or the one a trusted proxy forwarded
    (uvicorn's `--forwarded-allow-ips`). Every route's declaration has checked it."""
    return request.client.host if request.client else ""


def checked_address(request: Request) -> None:
    """Refuse (403, with a message) a request whose address is not a short printable string:
    a forwarded address is whatever the proxy passed on, and it goes to the audit log and the
    login limits."""
    if not address_ok(client_address(request)):
        raise Refused(None, ADDRESS_REFUSAL)


def csrf_ok(expected: str, form: Mapping) -> bool:
    given = form.get("csrf")
    return (
        isinstance(given, str)
        and bool(expected)
        and hmac.compare_digest(given.encode(), expected.encode())
    )


async def checked_form(request: Request, csrf: str, **limits: int) -> FormData:
    """The request's form, refused (403) unless it carries the expected CSRF token."""
    form = await request.form(**limits)
    if not csrf_ok(csrf, form):
        raise Refused
    return form


PortalDep = Annotated[Portal, Depends(portal_of)]
VisitorDep = Annotated[Visitor, Depends(signed_in)]
