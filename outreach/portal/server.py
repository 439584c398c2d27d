"""Serving the portal: uvicorn, with the read deadlines it lacks on its own, in one process or
several.

Uvicorn closes a connection left idle after a response (`timeout_keep_alive`), but not one that
opens and sends nothing, nor one that stops half-way through its headers: the first byte cancels
the keep-alive timer and nothing arms another. `HeaderDeadline` adds that deadline: from the
moment a connection opens, or its last response ends, a request's headers must all have come
within the configuration's `header_timeout` seconds, else the connection is closed. (A stalled
body is the application's to cut: `outreach.portal.app.BodyLimit` answers it 408.)

The proxy addresses whose X-Forwarded-For and X-Forwarded-Proto are believed (the client's
address for the login limits, https for HSTS) are `forwarded_allow_ips`: addresses or networks,
comma-separated (`OUTREACH_PROXY_IPS`); by default 127.0.0.1, a proxy on the same machine.

Several worker processes (`serve(..., workers=N)`, `outreach web --workers N`) share one
listening socket, bound by the parent, which restarts a worker that dies (uvicorn's
`Multiprocess`). Each worker is a fresh interpreter (spawned, not forked) that makes its own
application by calling the factory it is given: the factory and the configuration are pickled
to it, so both are module-level objects here (no closures).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.supervisors import Multiprocess

HEADER_TIMEOUT_SECONDS = 10.0
DEFAULT_PROXY_IPS = "127.0.0.1"
# a worker not answering its supervisor's ping for this long is killed and replaced: a worker
# answers only once its interpreter has imported the portal (some 4 s on a busy machine of two
# cores, several workers starting at once), and uvicorn's 5 s killed workers still starting
WORKER_HEALTHCHECK_SECONDS = 30


class NotStarted(RuntimeError):
    """The portal's workers stopped because one of them could not start it."""


@dataclass(frozen=True)
class StartOrStop:
    """`factory`, its failure made a failure to start: the process exits STARTUP_FAILURE, and
    uvicorn's supervisor stops every worker instead of starting the failing one again for ever
    (it restarts a worker that exits otherwise)."""

    factory: Callable[[], Any]

    def __call__(self) -> Any:
        try:
            return self.factory()
        except Exception:
            logging.getLogger("uvicorn.error").exception("the portal could not start")
            sys.exit(STARTUP_FAILURE)


class PortalConfig(uvicorn.Config):
    """Uvicorn's configuration, with the deadline on a request's headers (`HeaderDeadline`)."""

    def __init__(
        self, app: Any, *, header_timeout: float = HEADER_TIMEOUT_SECONDS, **options: Any
    ) -> None:
        self.header_timeout = header_timeout
        super().__init__(app, http=HeaderDeadline, **options)


class HeaderDeadline(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """Uvicorn's HTTP protocol (httptools, else h11) with a read deadline on headers: armed when
    the connection opens and when a response ends; when it passes with no request being
    answered (nothing sent, headers half-sent, or the rest of a body the route did not read),
    the connection is closed. A request being answered is left to the application. The deadline
    is the configuration's `header_timeout` (`PortalConfig`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._header_deadline: asyncio.TimerHandle | None = None
        super().__init__(*args, **kwargs)
        self._header_timeout: float = getattr(self.config, "header_timeout", HEADER_TIMEOUT_SECONDS)

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
                self._header_timeout, self._header_deadline_passed
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


def server_config(
    app: Any,
    host: str,
    port: int,
    *,
    forwarded_allow_ips: str = DEFAULT_PROXY_IPS,
    header_timeout: float = HEADER_TIMEOUT_SECONDS,
    log_level: str = "info",
    workers: int = 1,
    factory: bool = False,
) -> PortalConfig:
    """The uvicorn configuration the portal is served with: `app` an ASGI application, or
    (`factory`) a callable without arguments that makes one, in each worker process."""
    # no access log: a set-up link's token is in its path; the portal keeps its own audit log
    return PortalConfig(
        app,
        header_timeout=header_timeout,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        workers=workers,
        factory=factory,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def serve(
    factory: Callable[[], Any], host: str, port: int, *, workers: int = 1, **options: Any
) -> None:
    """Serve the application `factory` makes until interrupted, on `workers` processes (1: this
    one; more: that many spawned workers on a socket bound here, `factory` pickled to each).
    Options: as `server_config`."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    config = server_config(
        StartOrStop(factory), host, port, workers=workers, factory=True, **options
    )
    if workers == 1:
        try:
            uvicorn.Server(config).run()
        except SystemExit as exited:  # StartOrStop, in this process
            if exited.code == STARTUP_FAILURE:
                raise NotStarted("the portal could not start (its error is logged above)") from None
            raise
        return
    listener = config.bind_socket()
    supervisor = Multiprocess(config, sockets=[listener])
    try:
        supervisor.run()
    finally:
        listener.close()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        raise NotStarted("a worker could not start the portal (its error is logged above)")
