"""Logging in, setting a password from a one-time link (anyone), and the home page and
logging out (any signed-in account)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from outreach.portal.access import (
    LOGIN_CSRF_COOKIE,
    PUBLIC,
    SESSION_COOKIE,
    SIGNED_IN,
    PortalDep,
    VisitorDep,
    checked_form,
    client_address,
    home_page_of,
)
from outreach.portal.pages import LOGIN_PATH, page, refused, to_login
from outreach.portal.store import MIN_PASSWORD_LENGTH, SESSION_HOURS

router = APIRouter(dependencies=[Depends(PUBLIC)])
signed_in_router = APIRouter(dependencies=[Depends(SIGNED_IN)])

LOGIN_REFUSALS = {
    "locked": "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần; hãy thử lại sau "
    "15 phút hoặc liên hệ Sở.",
    "address": "Quá nhiều lần đăng nhập sai từ địa chỉ này; hãy thử lại sau.",
}


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


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form(request: Request):
    token = login_token(request)
    return with_login_token(page(request, "login.html", csrf=token, error=""), token)


@router.post(LOGIN_PATH)
async def login(request: Request, portal: PortalDep):
    form = await checked_form(
        request, request.cookies.get(LOGIN_CSRF_COOKIE, ""), max_files=0, max_fields=10
    )
    # argon2 takes a fifth of a second: off the event loop, so others are served meanwhile
    account, why = await run_in_threadpool(
        portal.store.authenticate,
        str(form.get("login", "")),
        str(form.get("password", "")),
        client_address(request),
    )
    if account is None:
        message = LOGIN_REFUSALS.get(why, "Tên đăng nhập hoặc mật khẩu không đúng.")
        token = login_token(request)
        response = page(request, "login.html", status=401, csrf=token, error=message)
        return with_login_token(response, token)
    session_id, _ = portal.store.open_session(account)
    redirect = RedirectResponse("/", status_code=303)
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
