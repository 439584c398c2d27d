"""The portal's pages as responses: a template rendered (one per page, under `templates/`), the
login redirect, and the refusal."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from outreach.portal.access import Visitor

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
# a period's name where it starts a line (a list's option, a table's cell): "Quý I năm 2026",
# where a sentence says "quý I năm 2026"
TEMPLATES.env.filters["first_upper"] = lambda text: text[:1].upper() + text[1:]
LOGIN_PATH = "/dang-nhap"


def page(
    request: Request, name: str, status: int = 200, visitor: Visitor | None = None, **context
) -> HTMLResponse:
    """The template `name` rendered; a visitor's account and CSRF token go to the navigation
    (its log-out form)."""
    if visitor is not None:
        context.setdefault("account", visitor.account)
        context.setdefault("csrf", visitor.csrf)
    context.setdefault("account", None)
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def to_login() -> RedirectResponse:
    return RedirectResponse(LOGIN_PATH, status_code=303)


def refused(request: Request, visitor: Visitor | None = None, message: str | None = None):
    """403: the page says why when a message is given, else that the request was not valid."""
    if message is None:
        return page(
            request,
            "message.html",
            status=403,
            title="Không được phép",
            message="Yêu cầu không hợp lệ (hết phiên làm việc hoặc mã bảo vệ sai). "
            "Hãy tải lại trang và thử lại.",
        )
    return page(
        request,
        "message.html",
        status=403,
        visitor=visitor,
        title="Không được phép",
        message=message,
    )
