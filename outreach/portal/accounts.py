"""Administering the portal's accounts (the administrator's pages, `outreach accounts`) and who
may ask for a run of the pipeline now.

What an administrator types is checked here before the database sees it: a role of ROLES, a
source of the registry, a province code of two digits, an account number, a filter of bounded
length. Anything else is refused with a message (`AccountInputError`, in Vietnamese), never
passed on: PostgreSQL answers an over-long value with an error.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from outreach.core.home import Home
from outreach.core.registry import Reference, Source, read_seed
from outreach.core.scope import UnknownProvince, resolve_scope
from outreach.portal.store import ROLES, Account, Store

ROLE_LABELS = {"source": "Đơn vị gửi báo cáo", "staff": "Cán bộ Sở", "admin": "Quản trị"}
PROVINCE_CODE = re.compile(r"[0-9]{2}")
ACCOUNT_NUMBER = re.compile(r"[0-9]{1,9}")
MAX_LOGIN_LENGTH = 254  # the accounts table's and the audit log's login column
MAX_CODE_LENGTH = 40  # a source's code
MAX_ACTION_LENGTH = 40
# a run-now request holds its claim while it asks Airflow (two calls of at most 15 s each); a
# claim older than this was left by a process that died, and is taken over
RUN_CLAIM_HOLD = timedelta(minutes=2)
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")  # no daylight saving
# what the audit log's actions mean, as the administrator's page shows them
# pairs rather than a dict literal: an action's name may say "password" and holds no secret
ACTION_LABELS = dict(
    (
        ("login", "Đăng nhập"),
        ("login_failed", "Đăng nhập sai"),
        ("login_refused", "Đăng nhập bị từ chối (đang tạm khóa)"),
        ("account_locked", "Tạm khóa do nhập sai nhiều lần"),
        ("address_refused", "Địa chỉ bị từ chối (nhập sai quá nhiều lần)"),
        ("device_revoked", "Thu hồi trình duyệt tin cậy (nhập sai nhiều lần)"),
        ("logout", "Đăng xuất"),
        ("password_set", "Đặt mật khẩu"),
        ("upload", "Gửi tệp"),
        ("upload_staged", "Gửi bản sửa (chờ xác nhận)"),
        ("upload_refused", "Tệp bị trả lại ngay khi gửi"),
        ("upload_correction", "Xác nhận bản sửa"),
        ("upload_month_staged", "Gửi tệp có ngày thuộc tháng khác (chờ xác nhận)"),
        ("upload_duplicate", "Gửi lại tệp đã nhận (không nhận thêm)"),
        ("template", "Tải mẫu Excel"),
        ("download", "Tải báo cáo"),
        ("period_approve", "Phê duyệt kỳ"),
        ("period_reopen", "Mở lại kỳ"),
        ("narrative_saved", "Lưu nội dung báo cáo"),
        ("run_now", "Yêu cầu chạy ngay"),
        ("account_added", "Tạo tài khoản"),
        ("setup_link_sent", "Gửi liên kết thiết lập qua e-mail"),
        ("setup_link_renewed", "Cấp liên kết thiết lập mới"),
        ("account_deactivated", "Khóa tài khoản"),
        ("account_reactivated", "Mở lại tài khoản"),
        ("account_changed", "Đổi vai trò hoặc đơn vị"),
    )
)


class AccountInputError(ValueError):
    """What an administrator typed cannot be used; the message says why (Vietnamese)."""


def account_number(text: str, refusal: str = "Không có tài khoản này.") -> int:
    """The number a form gives (an account's, an event's): at most nine digits, else refused
    with `refusal`."""
    if not ACCOUNT_NUMBER.fullmatch(text):
        raise AccountInputError(refusal)
    return int(text)


def role_and_code(home: Home, role: str, code: str) -> tuple[str | None, str | None]:
    """(source code, province code) of a role given with its code: a source's code (of the
    registry) for `source`, a province's (two digits) for `staff`, none for `admin`."""
    code = code.strip()
    if role not in ROLES:
        raise AccountInputError("Vai trò phải là đơn vị gửi báo cáo, cán bộ Sở hoặc quản trị.")
    if len(code) > MAX_CODE_LENGTH:
        raise AccountInputError(f"Mã quá dài (tối đa {MAX_CODE_LENGTH} ký tự).")
    if role == "source":
        if not code:
            raise AccountInputError("Tài khoản của đơn vị cần mã đơn vị (ví dụ BAO-LS).")
        if code not in {row["source_code"] for row in read_seed(home.seeds_dir(), "ref_sources")}:
            raise AccountInputError(f"Không có đơn vị mã {code} trong danh mục đơn vị.")
        return code, None
    if role == "staff":
        if not PROVINCE_CODE.fullmatch(code):
            raise AccountInputError("Tài khoản cán bộ Sở cần mã tỉnh gồm 2 chữ số (ví dụ 20).")
        return None, code
    return None, None


def sources_of(home: Home) -> dict[str, Source]:
    return Reference.load(home.seeds_dir()).sources


def source_dates_vi(source: Source, today: date) -> str:
    """The days a source reports between, as the accounts page shows them beside its account:
    an account of a source that has ended stays usable for the late reports and corrections of
    its months (the sender's pages offer no other month)."""
    if source.has_ended(today):
        return f"Báo cáo {source.span_vi} (đã kết thúc): chỉ gửi được các tháng trong thời gian đó."
    if source.valid_from > today:
        return f"Báo cáo {source.span_vi} (chưa bắt đầu)."
    return f"Báo cáo {source.span_vi}."


def source_dates_en(source: Source, today: date, reference: Reference) -> str | None:
    """What `outreach accounts add` warns of for a source that has ended or not begun."""
    if source.has_ended(today):
        assert source.valid_to is not None
        after = source.valid_to + timedelta(days=1)
        successors = reference.successors_of(source, after)
        instead = f"; {', '.join(successors)} reports from {after:%Y-%m-%d}" if successors else ""
        return (
            f"{source.code} reports {source.span_en} and has ended: the account can send the "
            f"late reports and corrections of those months only, and is offered no other{instead}"
        )
    if source.valid_from > today:
        return f"{source.code} reports {source.span_en}: the account can send nothing before then"
    return None


def checked_filter(text: str, limit: int, what: str) -> str:
    if len(text) > limit:
        raise AccountInputError(f"{what} quá dài (tối đa {limit} ký tự).")
    return text.strip()


def local_time(moment: datetime | None) -> str:
    """A moment as the pages write it: Vietnam's time, `HH:MM dd/mm/yyyy`."""
    return moment.astimezone(VIETNAM_TIME).strftime("%H:%M %d/%m/%Y") if moment else ""


def setup_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/thiet-lap/{token}"


def may_run_now(home: Home, account: Account) -> bool:
    """An administrator, or staff of a province the registry has sources in, may ask for a run
    of the pipeline now; staff of a province without sources have nothing it would process."""
    if account.role == "admin":
        return True
    if account.role != "staff" or not account.province_code:
        return False
    try:
        resolve_scope(home, account.province_code)
    except UnknownProvince:
        return False
    return True


def last_run_request(store: Store) -> dict | None:
    """When the last run was asked for, and by whom (its login and name), from the audit log."""
    event = store.last_event("run_now")
    if event is None:
        return None
    asker = store.account_by_login(event["login"]) if event["login"] else None
    return {
        "at": event["at"],
        "login": event["login"] or "",
        "name": asker.display_name if asker else (event["login"] or ""),
        "run_id": event["detail"],
    }
