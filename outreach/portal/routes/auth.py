"""Logging in, setting a password from a one-time link (anyone), and the home page and
logging out (any signed-in account)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature
from starlette.concurrency import run_in_threadpool

from outreach.portal.access import (
    ADDRESS_REFUSAL,
    DEVICE_COOKIE,
    LOGIN_CSRF_COOKIE,
    PUBLIC,
    SESSION_COOKIE,
    SIGNED_IN,
    Portal,
    PortalDep,
    VisitorDep,
    checked_form,
    client_address,
    home_page_of,
)
from outreach.portal.pages import LOGIN_PATH, page, refused, to_login
from outreach.portal.store import MIN_PASSWORD_LENGTH, SESSION_HOURS
from outreach.portal.throttle import (
    DEVICE_DAYS,
    LOCK_MINUTES,
    MAX_LOGIN_LENGTH,
    MAX_PASSWORD_LENGTH,
    normal_login,
)

router = APIRouter(dependencies=[Depends(PUBLIC)])
signed_in_router = APIRouter(dependencies=[Depends(SIGNED_IN)])

# why a login was refused (`Store.authenticate`): the page's message and the answer's status
LOGIN_REFUSALS = {
    "locked": (
        401,
        "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần; hãy thử lại sau "
        f"{LOCK_MINUTES} phút, đăng nhập từ trình duyệt bạn vẫn dùng, hoặc liên hệ Sở.",
    ),
    "address": (
        429,
        "Quá nhiều lần đăng nhập sai từ địa chỉ này: tạm ngừng nhận đăng nhập từ đây; "
        f"hãy thử lại sau {LOCK_MINUTES} phút.",
    ),
    "login_too_long": (400, f"Tên đăng nhập quá dài (tối đa {MAX_LOGIN_LENGTH} ký tự)."),
    "login_invalid": (400, "Tên đăng nhập có ký tự không hợp lệ."),
    "password_too_long": (400, f"Mật khẩu quá dài (tối đa {MAX_PASSWORD_LENGTH} ký tự)."),
    "address_invalid": (400, ADDRESS_REFUSAL),
}
WRONG = (401, "Tên đăng nhập hoặc mật khẩu không đúng.")
# the device cookie: signed with the portal's key, under its own salt
DEVICE_SALT = "outreach-device"
MAX_COOKIE_LENGTH = 1024


def login_token(request: Request) -> str:
    """The login form's CSRF token: the browser's, kept while it has one (a page opened in
    another tab, a favicon fetched on the way, must not change it under the form)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return token if len(token) >= 32 else secrets.token_urlsafe(32)


def with_login_token(response: Response, token: str) -> Response:
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, secure=True, samesite="strict", max_age=3600
    )
    return response


def device_of(request: Request, portal: Portal, login: str) -> str | None:
    """The trusted browser's token its device cookie holds for `login`, if it holds one (a
    cookie naming another login, forged or expired holds none)."""
    cookie = request.cookies.get(DEVICE_COOKIE, "")
    if not cookie or len(cookie) > MAX_COOKIE_LENGTH:
        return None
    try:
        named = portal.signer.loads(cookie, max_age=DEVICE_DAYS * 86400, salt=DEVICE_SALT)
    except BadSignature:
        return None
    if not isinstance(named, dict) or named.get("login") != normal_login(login):
        return None
    token = named.get("device")
    return token if isinstance(token, str) else None


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form(request: Request):
    token = login_token(request)
    return with_login_token(page(request, "login.html", csrf=token, error=""), token)


@router.post(LOGIN_PATH)
async def login(request: Request, portal: PortalDep):
    form = await checked_form(
        request, request.cookies.get(LOGIN_CSRF_COOKIE, ""), max_files=0, max_fields=10
    )
    login_name = str(form.get("login", ""))
    device = device_of(request, portal, login_name)
    # argon2 takes a fifth of a second: off the event loop, so others are served meanwhile
    account, why = await run_in_threadpool(
        portal.store.authenticate,
        login_name,
        str(form.get("password", "")),
        client_address(request),
        device,
    )
    if account is None:
        status, message = LOGIN_REFUSALS.get(why, WRONG)
        token = login_token(request)
        response = page(request, "login.html", status=status, csrf=token, error=message)
        return with_login_token(response, token)
    session_id, _ = portal.store.open_session(account)
    trusted = portal.store.trust_device(account, device)
    redirect = RedirectResponse("/", status_code=303)
    # this browser is trusted for this login until its next successful login here
    redirect.set_cookie(
        DEVICE_COOKIE,
        portal.signer.dumps({"login": account.login, "device": trusted}, salt=DEVICE_SALT),
        httponly=True,
        secure=True,
        samesite="strict",
        max_age=DEVICE_DAYS * 86400,
    )
    redirect.set_cookie(
        SESSION_COOKIE,
        portal.signer.dumps(session_id),
        httponly=True,
        secure=True,
        samesite="strict",
        max_age=SESSION_HOURS * 3600,
    )
    # a __Host- cookie is only replaced (here: expired) by one that is Secure, on path /
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, secure=True, httponly=True, samesite="strict")
    return redirect


@router.get("/thiet-lap/{token}", response_class=HTMLResponse)
def setup_form(request: Request, token: str, portal: PortalDep):
    if not portal.store.invite_is_valid(token):
        return page(
            request,
            "message.html",
            status=404,
            title="Liên kết không còn hiệu lực",
            message="Liên kết thiết lập đã dùng hoặc đã hết hạn; hãy đề nghị Sở gửi lại.",
        )
    csrf = login_token(request)
    return with_login_token(page(request, "setup.html", link=token, csrf=csrf, error=""), csrf)


@router.post("/thiet-lap/{token}")
async def setup(request: Request, token: str, portal: PortalDep):
    form = await checked_form(
        request, request.cookies.get(LOGIN_CSRF_COOKIE, ""), max_files=0, max_fields=10
    )
    password, again = str(form.get("password", "")), str(form.get("again", ""))
    error = ""
    if password != again:
        error = "Hai lần nhập mật khẩu không giống nhau."
    elif len(password) < MIN_PASSWORD_LENGTH:
        error = f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự."
    elif len(password) > MAX_PASSWORD_LENGTH:
        error = f"Mật khẩu quá dài (tối đa {MAX_PASSWORD_LENGTH} ký tự)."
    if error or not portal.store.invite_is_valid(token):
        csrf = login_token(request)
        response = page(
            request,
            "setup.html",
            status=400,
            link=token,
            csrf=csrf,
            error=error or "Liên kết không còn hiệu lực.",
        )
        return with_login_token(response, csrf)
    account = await run_in_threadpool(portal.store.redeem, token)
    if account is None:
        return refused(request)
    await run_in_threadpool(portal.store.set_password, account.account_id, password)
    portal.store.log(account.login, "password_set", "", client_address(request))
    return to_login()


@signed_in_router.get("/")
def home_page(visitor: VisitorDep):
    return RedirectResponse(home_page_of(visitor.account), status_code=303)


@signed_in_router.post("/dang-xuat")
async def logout(request: Request, portal: PortalDep, visitor: VisitorDep):
    await checked_form(request, visitor.csrf, max_files=0, max_fields=10)
    portal.store.close_session(visitor.session_id)
    portal.store.log(visitor.account.login, "logout", "", client_address(request))
    response = to_login()
    response.delete_cookie(SESSION_COOKIE, secure=True, httponly=True, samesite="strict")
    return response
