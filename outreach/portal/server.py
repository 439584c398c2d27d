"""Serving the portal: uvicorn, with the read deadlines it lacks on its own.

Uvicorn closes a connection left idle after a response (`timeout_keep_alive`), but not one that
opens and sends nothing, nor one that stops half-way through its headers: the first byte cancels
the keep-alive timer and nothing arms another. `deadline_protocol` adds that deadline: from the
moment a connection opens, or its last response ends, a request's headers must all have come
within `header_timeout` seconds, else the connection is closed. (A stalled body is the
application's to cut: `outreach.portal.app.BodyLimit` answers it 408.)

The proxy addresses whose X-Forwarded-For and X-Forwarded-Proto are believed (the client's
address for the login limits, https for HSTS) are `forwarded_allow_ips`: addresses or networks,
comma-separated (`OUTREACH_PROXY_IPS`); by default 127.0.0.1, a proxy on the same machine.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

HEADER_TIMEOUT_SECONDS = 10.0
DEFAULT_PROXY_IPS = "127.0.0.1"


def deadline_protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """Uvicorn's HTTP protocol (httptools, else h11) with a read deadline on headers: armed when
    the connection opens and when a response ends; when it passes with no request being
    answered (nothing sent, headers half-sent, or the rest of a body the route did not read),
    the connection is closed. A request being answered is left to the application."""

    class HeaderDeadline(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._header_deadline: asyncio.TimerHandle | None = None
            super().__init__(*args, **kwargs)

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._arm_header_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_header_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_header_deadline()
            super().connection_lost(exc)

        def _arm_header_deadline(self) -> None:
            self._cancel_header_deadline()
            if not self.transport.is_closing():
                self._header_deadline = self.loop.call_later(
                    header_timeout, self._header_deadline_passed
                )

        def _cancel_header_deadline(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _header_deadline_passed(self) -> None:
            self._header_deadline = None
            cycle = self.cycle
            if (cycle is None or cycle.response_complete) and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadline


def server_config(
    app: Any,
    host: str,
    port: int,
    *,
    forwarded_allow_ips: str = DEFAULT_PROXY_IPS,
    header_timeout: float = HEADER_TIMEOUT_SECONDS,
    log_level: str = "info",
) -> uvicorn.Config:
    """The uvicorn configuration the portal is served with."""
    # no access log: a set-up link's token is in its path; the portal keeps its own audit log
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=deadline_protocol(header_timeout),
        log_level=log_level,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
    )


def serve(app: Any, host: str, port: int, **options: Any) -> None:
    """Serve `app` until interrupted (options: as `server_config`)."""
    uvicorn.Server(server_config(app, host, port, **options)).run()
