"""A small HTTP server on 127.0.0.1 that serves given paths, and remembers who asked what, when.

Tests of the published-items collector use it to play an outlet's website: its feeds, its
robots.txt, and the ways a server can misbehave (a slow drip, an endless body, no answer at all,
a redirect elsewhere, a gzip bomb). The end-to-end test reuses it to serve demo feeds.

    with FeedServer({"/rss.xml": Response(body=rss)}) as server:
        collect(..., server.url("/rss.xml"))
        assert server.paths() == ["/robots.txt", "/rss.xml"]

A path not given answers 404. Routes may be added while it runs (`server.serve(path, response)`),
for a redirect that must name the server's own port. Every request is recorded (`requests`):
its path, its User-Agent and when it arrived (time.monotonic()).
"""

from __future__ import annotations

import gzip
import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Behaviour = Callable[["_Handler", "Response"], None]


@dataclass(frozen=True)
class Request:
    path: str
    user_agent: str | None
    at: float  # time.monotonic() when it arrived
    headers: dict[str, str]


@dataclass(frozen=True)
class Response:
    """What a path answers: a status, headers and a body, or a `behaviour` that writes the answer
    itself (see the constructors below)."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    behaviour: Behaviour | None = None

    @classmethod
    def xml(cls, text: str | bytes, content_type: str = "application/xml") -> Response:
        body = text.encode("utf-8") if isinstance(text, str) else text
        return cls(body=body, headers={"Content-Type": f"{content_type}; charset=utf-8"})

    @classmethod
    def redirect(cls, to: str, status: int = 302) -> Response:
        return cls(status=status, headers={"Location": to})

    @classmethod
    def gzip(cls, body: bytes, *, content_encoding: bool = True) -> Response:
        """The body gzipped: sent with `Content-Encoding: gzip` (a compressed answer), or without
        it (a `.gz` file)."""
        headers = {"Content-Type": "application/xml"}
        if content_encoding:
            headers["Content-Encoding"] = "gzip"
        return cls(body=gzip.compress(body), headers=headers)

    @classmethod
    def drip(cls, body: bytes, every_seconds: float) -> Response:
        """The body one byte at a time, `every_seconds` apart (no Content-Length)."""

        def send(handler: _Handler, response: Response) -> None:
            handler.start(200, {"Content-Type": "application/xml"})
            for byte in body:
                if handler.stopping.wait(every_seconds):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()

        return cls(behaviour=send)

    @classmethod
    def endless(cls, chunk: bytes = b"<item>" * 1024) -> Response:
        """A body that never ends (no Content-Length), as fast as the client takes it."""

        def send(handler: _Handler, response: Response) -> None:
            handler.start(200, {"Content-Type": "application/xml"})
            handler.wfile.write(b'<?xml version="1.0"?><rss><channel>')
            while not handler.stopping.is_set():
                handler.wfile.write(chunk)

        return cls(behaviour=send)

    @classmethod
    def hang(cls) -> Response:
        """Accept the connection, read the request, never answer."""

        def send(handler: _Handler, response: Response) -> None:
            handler.stopping.wait()

        return cls(behaviour=send)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    @property
    def stopping(self) -> threading.Event:
        return self.server.stopping

    def log_message(self, format, *args):
        pass

    def start(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def do_GET(self):
        self.server.record(
            Request(self.path, self.headers.get("User-Agent"), time.monotonic(), dict(self.headers))
        )
        response = self.server.route(self.path)
        try:
            if response.behaviour is not None:
                response.behaviour(self, response)
                self.close_connection = True
                return
            self.start(
                response.status, {**response.headers, "Content-Length": str(len(response.body))}
            )
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up: what the collector should do


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, routes: dict[str, Response]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = dict(routes)
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def record(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def route(self, path: str) -> Response:
        with self.lock:
            found = self.routes.get(path) or self.routes.get(path.split("?", 1)[0])
        return found or Response(status=404, body=b"not found")


class FeedServer:
    """A threaded HTTP server on 127.0.0.1, an ephemeral port; a context manager."""

    def __init__(self, routes: dict[str, Response] | None = None) -> None:
        self._server = _Server(routes or {})
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._server.stopping.set()  # drips, endless bodies and hangs end
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def serve(self, path: str, response: Response) -> None:
        with self._server.lock:
            self._server.routes[path] = response

    @property
    def requests(self) -> list[Request]:
        with self._server.lock:
            return list(self._server.requests)

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]
