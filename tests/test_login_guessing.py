"""Guessing passwords as an attacker on the same network would: bursts of logins sent at the
same moment to a real server (uvicorn on a free port, trusting `X-Forwarded-For` from
127.0.0.1 as it trusts the TLS proxy in production), from one address and from many, on SQLite
and on PostgreSQL. Every argon2 verification is counted (the store's hasher, wrapped): an
account gets at most five checks in fifteen minutes from browsers it does not trust, an address
past its limit is refused for every account, and the owner's browser, trusted since its last
login, still logs in. Overlong inputs are refused with a message before the database is asked
anything.

argon2 runs here at its cheapest parameters: what this module tests is how many passwords are
checked, not what one check costs. At production's parameters (which the other portal tests
log in with), `/usr/bin/time .venv/bin/pytest tests/test_login_guessing.py` took 38 s of CPU,
and 19 s at these."""

from __future__ import annotations

import re
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from helpers import PORTAL_PASSWORD, new_home, postgres_database

from outreach.portal import store as store_module
from outreach.portal.app import create_app
from outreach.portal.store import Store, accounts
from outreach.portal.throttle import (
    LOCK_MINUTES,
    MAX_DEVICE_FAILURES,
    MAX_FAILED_LOGINS,
    MAX_FAILURES_PER_ADDRESS,
    address_lane,
)

PASSWORD = PORTAL_PASSWORD
OWNER = "bao@example.vn"
OTHER = "so@example.vn"
# a wrong password a guesser sends
GUESS = "đoán"
CSRF = secrets.token_urlsafe(32)  # the login form's double-submit token: cookie and field
CHEAP = PasswordHasher.from_parameters(CHEAPEST)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """The store's hasher, and the hash an unknown login is checked against, at argon2's
    cheapest parameters: still one real argon2 verification a check."""
    monkeypatch.setattr(store_module, "_hasher", CHEAP)
    monkeypatch.setattr(store_module, "_DUMMY_HASH", CHEAP.hash(secrets.token_urlsafe(16)))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """The portal's database on SQLite, and on PostgreSQL as in production (skipped where no
    PostgreSQL answers on 127.0.0.1:5432)."""
    if request.param == "sqlite":
        made = Store(f"sqlite:///{tmp_path / 'portal.db'}")
        yield made
        made.engine.dispose()
        return
    with postgres_database() as url:
        made = Store(url)
        yield made
        made.engine.dispose()


class CountedHasher:
    """The store's argon2 hasher, counting the hashes it verified passwords against."""

    def __init__(self, hasher) -> None:
        self.hasher, self.verified = hasher, []

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        self.verified.append(hashed)  # list.append: safe from the server's threads
        return self.hasher.verify(hashed, password)


@pytest.fixture
def served(store, tmp_path, monkeypatch):
    store.add_account(OWNER, "Báo Lạng Sơn", "source", password=PASSWORD, source_code="BAO-LS")
    store.add_account(OTHER, "Sở", "staff", password=PASSWORD, province_code="20")
    hasher = CountedHasher(store_module._hasher)
    monkeypatch.setattr(store_module, "_hasher", hasher)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(new_home(tmp_path / "home"), store),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",  # as `outreach web` trusts its TLS proxy
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)

    def checks(login: str | None = None) -> int:
        """Password verifications so far: against `login`'s hash, or all of them."""
        if login is None:
            return len(hasher.verified)
        with store.engine.connect() as con:
            hashed = con.execute(
                sa.select(accounts.c.password_hash).where(accounts.c.login == login)
            ).scalar_one()
        return hasher.verified.count(hashed)

    yield {"url": f"http://127.0.0.1:{port}", "store": store, "checks": checks}
    server.should_exit = True
    thread.join(10)


def attempt(
    url: str, login: str, password: str, address: str | None = None, device: str | None = None
) -> httpx.Response:
    """One login form sent as a browser sends it, from `address` (forwarded by the proxy),
    with the device cookie `device`."""
    cookies = [f"__Host-outreach_login_csrf={CSRF}"]
    if device:
        cookies.append(f"__Host-outreach_device={device}")
    headers = {"cookie": "; ".join(cookies)}
    if address:
        headers["x-forwarded-for"] = address
    return httpx.post(
        f"{url}/dang-nhap",
        data={"csrf": CSRF, "login": login, "password": password},
        headers=headers,
        timeout=60,
    )


def burst(url: str, calls: list[dict]) -> list[httpx.Response]:
    """`calls` sent at the same moment, each on its own connection."""
    ready = threading.Barrier(len(calls), timeout=30)

    def one(call: dict) -> httpx.Response:
        ready.wait()
        return attempt(url, **call)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def device_cookie(answer: httpx.Response) -> str:
    [cookie] = [
        found.group(1)
        for header in answer.headers.get_list("set-cookie")
        if (found := re.match(r"__Host-outreach_device=([^;]+)", header))
    ]
    return cookie


def actions(store: Store) -> list[str]:
    return [event["action"] for event in store.audit_events(limit=1000)]


def test_a_burst_from_one_address_gets_five_checks_and_then_not_even_the_right_password(served):
    url, checks = served["url"], served["checks"]
    answers = burst(url, [{"login": OWNER, "password": f"đoán {n}"} for n in range(60)])
    assert {answer.status_code for answer in answers} == {401}
    assert checks(OWNER) == MAX_FAILED_LOGINS
    # the right password, twenty times at once: the account is locked, nothing is checked
    right = burst(url, [{"login": OWNER, "password": PASSWORD}] * 20)
    assert all(a.status_code == 401 and "tạm khóa" in a.text for a in right)
    assert checks(OWNER) == MAX_FAILED_LOGINS
    done = actions(served["store"])
    assert done.count("login_failed") == MAX_FAILED_LOGINS and done.count("account_locked") == 1
    assert "login" not in done


def test_a_burst_from_many_addresses_gets_five_checks_and_the_owner_still_logs_in(served):
    url, checks = served["url"], served["checks"]
    owner = attempt(url, OWNER, PASSWORD, address="198.51.100.7")
    assert owner.status_code == 303
    trusted = device_cookie(owner)
    theirs = device_cookie(attempt(url, OTHER, PASSWORD, address="198.51.100.8"))
    calls = [
        {"login": OWNER, "password": f"đoán {n}", "address": f"203.0.113.{n}"} for n in range(60)
    ]
    assert {answer.status_code for answer in burst(url, calls)} == {401}
    assert checks(OWNER) == 1 + MAX_FAILED_LOGINS
    # a browser the account never logged in from is locked, wherever it is
    elsewhere = attempt(url, OWNER, PASSWORD, address="192.0.2.50")
    assert elsewhere.status_code == 401 and "tạm khóa" in elsewhere.text
    # the owner's browser is not, even from another address (a laptop taken home)
    again = attempt(url, OWNER, PASSWORD, address="192.0.2.77", device=trusted)
    assert again.status_code == 303
    assert checks(OWNER) == 2 + MAX_FAILED_LOGINS
    # its token was replaced by a new one: the old one is worth nothing now
    replaced = attempt(url, OWNER, PASSWORD, address="198.51.100.7", device=trusted)
    assert replaced.status_code == 401 and "tạm khóa" in replaced.text
    newer = attempt(url, OWNER, PASSWORD, address="198.51.100.7", device=device_cookie(again))
    assert newer.status_code == 303
    # a device cookie names its login: another account's, or a forged one, is worth nothing
    forged = trusted[:-4] + ("AAAA" if not trusted.endswith("AAAA") else "BBBB")
    for cookie in (theirs, forged):
        answer = attempt(url, OWNER, PASSWORD, address="198.51.100.7", device=cookie)
        assert answer.status_code == 401 and "tạm khóa" in answer.text
    assert checks(OWNER) == 3 + MAX_FAILED_LOGINS


def test_a_device_cookie_has_its_own_bound_and_is_revoked_after_it(served):
    url, checks, store = served["url"], served["checks"], served["store"]
    stolen = device_cookie(attempt(url, OWNER, PASSWORD, address="198.51.100.7"))
    calls = [
        {"login": OWNER, "password": f"đoán {n}", "address": f"203.0.113.{n}", "device": stolen}
        for n in range(30)
    ]
    assert {answer.status_code for answer in burst(url, calls)} == {401}
    # the cookie's own five, then it is an untrusted browser's: the account's five
    assert checks(OWNER) == 1 + MAX_DEVICE_FAILURES + MAX_FAILED_LOGINS
    assert actions(store).count("device_revoked") == 1
    refused = attempt(url, OWNER, PASSWORD, address="198.51.100.7", device=stolen)
    assert refused.status_code == 401 and "tạm khóa" in refused.text
    assert checks(OWNER) == 1 + MAX_DEVICE_FAILURES + MAX_FAILED_LOGINS


@pytest.mark.heavy  # twenty argon2 checks: seconds on a busy machine
def test_an_address_past_its_limit_is_refused_for_every_account(served):
    url, checks = served["url"], served["checks"]
    calls = [
        {"login": f"khong-co-{n}@example.vn", "password": GUESS, "address": "203.0.113.66"}
        for n in range(2 * MAX_FAILURES_PER_ADDRESS)
    ]
    answers = burst(url, calls)
    assert checks() == MAX_FAILURES_PER_ADDRESS  # unknown logins cost a check all the same
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(401) == MAX_FAILURES_PER_ADDRESS - 1
    assert statuses.count(429) == MAX_FAILURES_PER_ADDRESS + 1  # the last check's, and after
    # the right password of an account nobody guessed at, from that address: refused unchecked
    refused = attempt(url, OTHER, PASSWORD, address="203.0.113.66")
    assert refused.status_code == 429 and "địa chỉ này" in refused.text
    assert checks(OTHER) == 0
    # the same account from another address logs in
    assert attempt(url, OTHER, PASSWORD, address="198.51.100.9").status_code == 303
    assert actions(served["store"]).count("address_refused") == 1


def test_overlong_inputs_are_refused_with_a_message_before_the_database_is_asked(served):
    url, store = served["url"], served["store"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        long_login = attempt(url, "a" * 300 + "@example.vn", PASSWORD)
        assert long_login.status_code == 400 and "Tên đăng nhập quá dài" in long_login.text
        nul = attempt(url, "bao\x00@example.vn", PASSWORD)
        assert nul.status_code == 400 and "ký tự không hợp lệ" in nul.text
        long_password = attempt(url, OWNER, "x" * 5000)
        assert long_password.status_code == 400 and "Mật khẩu quá dài" in long_password.text
        long_address = attempt(url, OWNER, PASSWORD, address="1" * 300)
        assert long_address.status_code == 403 and "proxy" in long_address.text
        page = httpx.get(f"{url}/don-vi", headers={"x-forwarded-for": "2" * 300})
        assert page.status_code == 403 and "proxy" in page.text
        assert statements == []
        assert attempt(url, OWNER, PASSWORD).status_code == 303
        assert statements  # the count counts
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    assert served["checks"]() == 1


def test_a_set_password_longer_than_a_login_takes_is_refused(served):
    store = served["store"]
    account = store.account_by_login(OWNER)
    token = store.invite(account.account_id)
    long = "x" * 2000
    answer = httpx.post(
        f"{served['url']}/thiet-lap/{token}",
        data={"csrf": CSRF, "password": long, "again": long},
        headers={"cookie": f"__Host-outreach_login_csrf={CSRF}"},
    )
    assert answer.status_code == 400 and "Mật khẩu quá dài" in answer.text
    assert store.invite_is_valid(token)


def test_the_lock_lasts_fifteen_minutes_from_the_last_counted_failure(store, monkeypatch):
    store.add_account(OWNER, "Báo Lạng Sơn", "source", password=PASSWORD, source_code="BAO-LS")
    start = store_module.now()
    clock = {"now": start}
    monkeypatch.setattr(store_module, "now", lambda: clock["now"])
    for minute in range(MAX_FAILED_LOGINS):
        clock["now"] = start + timedelta(minutes=minute)
        assert store.authenticate(OWNER, "không phải", "203.0.113.9") == (None, "wrong")
    clock["now"] = start + timedelta(minutes=LOCK_MINUTES - 1)
    assert store.authenticate(OWNER, PASSWORD, "198.51.100.7") == (None, "locked")
    # the first failure has left the window: one check again, and one only
    clock["now"] = start + timedelta(minutes=LOCK_MINUTES, seconds=1)
    assert store.authenticate(OWNER, "không phải", "203.0.113.9") == (None, "wrong")
    assert store.authenticate(OWNER, PASSWORD, "198.51.100.7") == (None, "locked")
    clock["now"] = start + timedelta(minutes=LOCK_MINUTES + MAX_FAILED_LOGINS + 1)
    account, why = store.authenticate(OWNER, PASSWORD, "198.51.100.7")
    assert account is not None and why == ""


def test_an_ipv6_address_counts_as_its_network():
    assert address_lane("2001:db8:1:2::1") == address_lane("2001:db8:1:2:ffff::9")
    assert address_lane("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_lane("2001:db8:1:3::1") != address_lane("2001:db8:1:2::1")
    assert address_lane("::ffff:203.0.113.9") == "203.0.113.9"
    assert (
        address_lane("203.0.113.9") == "203.0.113.9" and address_lane("testclient") == "testclient"
    )
