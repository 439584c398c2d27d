"""The one-time set-up link, e-mailed to the account's owner through the same SMTP connection
the nightly run's e-mails use (the Airflow connection `smtp_default`, for example
`AIRFLOW_CONN_SMTP_DEFAULT`)."""

from __future__ import annotations

import html

from outreach.portal.store import INVITE_DAYS, Account


def send_setup_link(account: Account, link: str) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    body = (
        f"<p>Kính gửi {html.escape(account.display_name)},</p>"
        "<p>Tài khoản của đơn vị trên cổng gửi báo cáo tuyên truyền đã được tạo. Để đặt mật "
        f"khẩu, hãy mở liên kết sau (dùng được một lần, trong {INVITE_DAYS} ngày):</p>"
        f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>'
        f"<p>Tên đăng nhập: {html.escape(account.login)}</p>"
        "<p>Nếu không phải đơn vị đề nghị, xin bỏ qua thư này.</p>"
    )
    with SmtpHook(smtp_conn_id="smtp_default") as hook:
        hook.send_email_smtp(
            to=account.login,
            subject="[outreach] Đặt mật khẩu cổng gửi báo cáo",
            html_content=body,
        )
