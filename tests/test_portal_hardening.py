"""The portal as an attacker on the network meets it: the security headers on every kind of
answer (pages, redirects, JSON errors, a download, 413, 408, a 500), HSTS over https only,
cookies expired the way browsers honour for `__Host-` names, and, against a real uvicorn server
on a free port, connections that stall in their headers or their body closed by the deadlines."""

from __future__ import annotations

import re
import select
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient
from helpers import PORTAL_PASSWORD, add_portal_account, new_home

from outreach.core.scope import resolve_scope
from outreach.portal.app import HSTS_HEADER, SECURITY_HEADERS, SMALL_BODY_BYTES, create_app
from outreach.portal.server import server_config
from outreach.portal.store import Store

ADMIN = "quantri@example.vn"
HEADERS = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
HSTS = HSTS_HEADER[0].decode()
DEADLINE = 2.0  # the test server's header and body deadlines, in seconds
BODY_DEADLINE = 4.0  # the test server's deadline for a whole body
PATIENCE = 15.0  # how long a test waits for a connection to be closed before it fails


@pytest.fixture
def portal(tmp_path):
    home = new_home(tmp_path / "home")
    store = Store.for_home(home)
    add_portal_account(store, ADMIN, "Quản trị", "admin")
    app = create_app(home, store)

    # a route that fails, and one whose parameter FastAPI validates, to see the 500 and the
    # 422 answered through the whole stack (on this test's own application only)
    def broken() -> None:
        raise RuntimeError("a route that fails")

    def numbered(number: int) -> dict:
        return {"number": number}

    app.add_api_route("/hong", broken)
    app.add_api_route("/so-thu/{number}", numbered)
    return {"home": home, "store": store, "app": app}


def browser(portal, scheme: str = "https") -> TestClient:
    return TestClient(
        portal["app"],
        base_url=f"{scheme}://testserver",
        follow_redirects=False,
        raise_server_exceptions=False,
    )


def logged_in(portal):
    client = browser(portal)
    form = client.get("/dang-nhap")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = client.post(
        "/dang-nhap", data={"csrf": csrf, "login": ADMIN, "password": PORTAL_PASSWORD}
    )
    assert answer.status_code == 303, answer.text
    return client, answer


def assert_security_headers(answer, https: bool = True) -> None:
    where = (answer.request.method, answer.request.url.path, answer.status_code)
    for name, value in HEADERS.items():
        assert answer.headers.get(name) == value, (where, name)
    if https:
        assert answer.headers.get(HSTS, "").startswith("max-age=31536000"), where
    else:
        assert HSTS not in answer.headers, where


def test_every_kind_of_answer_carries_the_security_headers(portal):
    anonymous = browser(portal)
    client, _ = logged_in(portal)
    report = resolve_scope(portal["home"], None).report_dir(portal["home"], "2022-H1")
    report.mkdir(parents=True, exist_ok=True)
    (report / "nhac-nho-2022-H1.csv").write_text("ma_nguon\nBAO-LS\n", encoding="utf-8")
    answers = {
        "page": anonymous.get("/dang-nhap"),
        "redirect": anonymous.get("/so"),
        "unknown page": client.get("/khong-co"),
        "405": anonymous.get("/dang-xuat"),
        "422": anonymous.get("/so-thu/mot"),
        "413": anonymous.post(
            "/dang-nhap", content=b"x" * (SMALL_BODY_BYTES + 1), headers={"content-type": "a/b"}
        ),
        "500": anonymous.get("/hong"),
        "download": client.get("/so/bao-cao/2022-H1/nhac-nho-2022-H1.csv"),
    }
    expected = {
        "page": 200,
        "redirect": 303,
        "unknown page": 404,
        "405": 405,
        "422": 422,
        "413": 413,
        "500": 500,
        "download": 200,
    }
    assert {kind: answer.status_code for kind, answer in answers.items()} == expected
    assert answers["405"].headers["content-type"] == "application/json"
    assert answers["422"].headers["content-type"] == "application/json"
    assert answers["download"].text == "ma_nguon\nBAO-LS\n"
    for answer in answers.values():
        assert_security_headers(answer)


def test_hsts_only_over_https(portal):
    plain = browser(portal, scheme="http")
    for answer in (plain.get("/dang-nhap"), plain.get("/dang-xuat"), plain.get("/hong")):
        assert_security_headers(answer, https=False)


def expired(answer, name: str) -> str:
    """The Set-Cookie header of `answer` that expires the cookie `name`."""
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith(f"{name}=") and re.search(r"(?i)max-age=0\b", header):
            return header
    raise AssertionError(f"{name} is not expired: {answer.headers.get_list('set-cookie')}")


def test_logging_in_and_out_expire_the_host_cookies_as_browsers_require(portal):
    """A browser drops a `__Host-` cookie only for a Set-Cookie that is itself valid for the
    name: Secure, Path=/, no Domain."""
    client, answer = logged_in(portal)
    for name, response in (("__Host-outreach_login_csrf", answer),):
        header = expired(response, name)
        assert "secure" in header.lower() and "path=/" in header.lower(), header
        assert "domain" not in header.lower(), header
    page = client.get("/so")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    logout = client.post("/dang-xuat", data={"csrf": csrf})
    assert logout.status_code == 303
    header = expired(logout, "__Host-outreach_session")
    assert "secure" in header.lower() and "path=/" in header.lower(), header
    assert "domain" not in header.lower(), header
    assert "__Host-outreach_session" not in client.cookies


# -- a real server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The portal served by uvicorn as `outreach web` serves it, on a free port of the
    loopback, with deadlines of DEADLINE seconds."""
    home = new_home(tmp_path_factory.mktemp("served") / "home")
    app = create_app(home, Store.for_home(home), body_timeout=DEADLINE, body_deadline=BODY_DEADLINE)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = server_config(app, "127.0.0.1", port, header_timeout=DEADLINE, log_level="warning")
    import uvicorn

    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    started = time.monotonic()
    while not served.started:
        assert thread.is_alive() and time.monotonic() - started < 30, "the server did not start"
        time.sleep(0.05)
    yield port
    served.should_exit = True
    thread.join(timeout=10)
    listener.close()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)


def until_closed(connection: socket.socket, patience: float = PATIENCE) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and the seconds waited;
    fails when it is still open after `patience` seconds."""
    received = b""
    started = time.monotonic()
    while True:
        left = patience - (time.monotonic() - started)
        readable, _, _ = select.select([connection], [], [], max(left, 0))
        assert readable, f"still open after {patience} s; received {received!r}"
        try:
            chunk = connection.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return received, time.monotonic() - started
        received += chunk


def request_head(method: str, path: str, length: int | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if length is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {length}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_request_sent_whole_is_answered_with_the_headers(server):
    with connect(server) as connection:
        connection.sendall(
            b"GET /dang-nhap HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
            b"Connection: close\r\n\r\n"
        )
        answer, _ = until_closed(connection)
    head = answer.split(b"\r\n\r\n", 1)[0].decode().lower()
    assert head.startswith("http/1.1 200")
    assert "x-frame-options: deny" in head
    # the loopback is the trusted proxy by default: its X-Forwarded-Proto makes it https
    assert "strict-transport-security: max-age=31536000" in head


def test_stalled_connections_are_closed(server):
    """Six connections at once, each stalled a different way, all closed by the deadlines
    (not before a second has passed: the deadline closed them, not a refusal)."""
    stalls = {
        # opened, nothing sent
        "silent": b"",
        # half of the headers
        "headers": b"GET /dang-nhap HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Ag",
        # the login's headers and half its body
        "login body": request_head("POST", "/dang-nhap", 100) + b"login=a%40b.vn&pa",
        # an upload's headers and half its body, without a session: refused before the body
        # is read, then the rest of it never comes
        "upload body": request_head("POST", "/don-vi/gui", 10_000) + b"x" * 5_000,
        # a first request answered, then half of the next one's headers
        "next request": request_head("GET", "/dang-nhap") + b"GET /dang-nhap HTTP/1.1\r\nHo",
    }
    connections = {}
    for kind, sent in stalls.items():
        connections[kind] = connect(server)
        if sent:
            connections[kind].sendall(sent)
    # the headers sent one byte every half second: never silent, never done
    trickle = connect(server)
    closed: dict[str, tuple[bytes, float]] = {}
    started = time.monotonic()
    for byte in b"GET /dang-nhap HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * 200:
        try:
            trickle.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        if select.select([trickle], [], [], 0.5)[0] and not trickle.recv(65536):
            break
        assert time.monotonic() - started < PATIENCE, "the trickled headers were never cut"
    closed["trickle"] = (b"", time.monotonic() - started)
    for kind, connection in connections.items():
        closed[kind] = until_closed(connection)
        connection.close()
    trickle.close()
    for kind, (_, waited) in closed.items():
        assert waited < PATIENCE, kind
    assert closed["trickle"][1] >= 1.0
    assert closed["silent"][0] == b"" and closed["headers"][0] == b""
    assert closed["login body"][0].startswith(b"HTTP/1.1 408"), closed["login body"][0]
    assert "quá chậm".encode() in closed["login body"][0]
    assert b"x-frame-options: DENY" in closed["login body"][0]
    assert closed["upload body"][0].startswith(b"HTTP/1.1 303")
    assert closed["next request"][0].startswith(b"HTTP/1.1 200")
    assert closed["next request"][0].count(b"HTTP/1.1 ") == 1


def test_a_body_trickled_past_its_whole_deadline_is_answered_408(server):
    """Each piece in time (every half second), the whole too slow: cut at BODY_DEADLINE."""
    with connect(server) as connection:
        connection.sendall(request_head("POST", "/dang-nhap", 1000))
        started = time.monotonic()
        answer = b""
        for _ in range(1000):
            if select.select([connection], [], [], 0.5)[0]:
                answer, _ = until_closed(connection)
                break
            connection.sendall(b"a")
            assert time.monotonic() - started < PATIENCE, "the trickled body was never cut"
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started >= BODY_DEADLINE - 1
