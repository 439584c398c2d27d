"""A real SMTP server on 127.0.0.1 for tests of the e-mail the nightly run sends."""

from __future__ import annotations

import contextlib
import email
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def environment(self, **recipients: str) -> dict[str, str]:
        """The variables that point the notifiers at this server."""
        connection = {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": self.port,
            "extra": {
                "disable_tls": True,
                "disable_ssl": True,
                "timeout": 10,
                "retry_limit": 0,
                "from_email": "outreach@test.example",
            },
        }
        return {"AIRFLOW_CONN_SMTP_DEFAULT": json.dumps(connection), **recipients}


def text_of(message: Message) -> str:
    """The decoded subject and body parts of a message."""
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    parts = [
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in message.walk()
        if not part.is_multipart()
    ]
    return "\n".join([subject, *parts])


@contextlib.contextmanager
def local_smtp() -> Iterator[Mailbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox(port)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def invoke_with_mail(runner, command, arguments: list[str], **recipients: str):
    """Run a CLI command with the mail settings pointing at a local server; the result and the
    messages it received."""
    import pytest

    with local_smtp() as mailbox, pytest.MonkeyPatch.context() as patch:
        for name, value in mailbox.environment(**recipients).items():
            patch.setenv(name, value)
        result = runner.invoke(command, arguments)
    return result, list(mailbox.messages)
