"""Bounded guessing: every password check is reserved in the portal's database before argon2
runs, in one short transaction, so that requests sent at the same moment cannot all see "no
failures yet".

Three lanes bound the checks:

- a login, from browsers it does not trust: MAX_FAILED_LOGINS checks that did not succeed
  (failed, or still running) in the last LOCK_MINUTES, from every address together;
- an address (an IPv6 address counts as its /64): MAX_FAILURES_PER_ADDRESS such checks in the
  last LOCK_MINUTES, whatever the logins; past them the address is refused for every login;
- a trusted browser (OWASP's device cookie: a browser where the login succeeded before holds a
  random token, stored here as its sha-256, replaced at each successful login): its own
  MAX_DEVICE_FAILURES wrong passwords, after which the token is revoked and the browser is an
  untrusted one again. Guesses made elsewhere do not lock a trusted browser out, so an attacker
  cannot lock the owner out of their account.

A reservation locks its lanes' rows first (`login_guards`, always the address before the login,
so two reservations never wait for each other in a circle; a trusted browser's row is locked by
the conditional update that takes its slot, before either), then counts and inserts under those
locks: on PostgreSQL the row locks serialise the reservations of one lane, on SQLite the first
write of the transaction takes the database's write lock. The check's outcome is written
afterwards: a success frees its slot, a failure keeps it.

Inputs are bounded before anything is asked of the database (`input_problem`): a login longer
than its column, a password longer than MAX_PASSWORD_LENGTH, an address that is not a short
printable string (a forwarded address is whatever the proxy passed on).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

MAX_FAILED_LOGINS = 5  # checks that did not succeed, per login from untrusted browsers
LOCK_MINUTES = 15  # the window every bound counts over
MAX_FAILURES_PER_ADDRESS = 20  # then the address is refused for every login
MAX_DEVICE_FAILURES = 5  # wrong passwords from a trusted browser, then its token is revoked
DEVICE_DAYS = 90  # a trusted browser's token lasts this long after its last successful login
MAX_LOGIN_LENGTH = 254  # an e-mail address; the column's size
MAX_PASSWORD_LENGTH = 1024
MAX_ADDRESS_LENGTH = 64  # the column's size; an IPv6 address takes at most 45 characters
KEEP_ATTEMPTS = timedelta(days=1)  # older attempts count for nothing and are deleted

metadata = sa.MetaData()

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("attempt_id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("login", sa.String(MAX_LOGIN_LENGTH), nullable=False),
    sa.Column("address", sa.String(MAX_ADDRESS_LENGTH), nullable=False),  # its lane
    sa.Column("outcome", sa.String(10), nullable=False),  # checking, failed, ok
    sa.Index("login_attempts_of_login", "login", "at"),
    sa.Index("login_attempts_of_address", "address", "at"),
    sa.Index("login_attempts_at", "at"),
)

# one row per lane, locked by every reservation in that lane
login_guards = sa.Table(
    "login_guards",
    metadata,
    sa.Column("lane", sa.String(10), primary_key=True),  # "address", "login" or "purge"
    sa.Column("lane_key", sa.String(MAX_LOGIN_LENGTH), primary_key=True),
    sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
)

trusted_devices = sa.Table(
    "trusted_devices",
    metadata,
    sa.Column("device_hash", sa.String(64), primary_key=True),
    sa.Column("login", sa.String(MAX_LOGIN_LENGTH), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("failures", sa.Integer, nullable=False, default=0),  # checks taken, not freed
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)


def normal_login(login: str) -> str:
    return login.strip().lower()


def address_ok(address: str) -> bool:
    """A short printable ASCII string (an address, or a test client's name)."""
    return len(address) <= MAX_ADDRESS_LENGTH and address.isascii() and address.isprintable()


def input_problem(login: str, password: str, address: str) -> str:
    """What is wrong with a login attempt's inputs, before the database is asked anything:
    "login_too_long", "login_invalid" (a control character: PostgreSQL refuses NUL),
    "password_too_long", "address_invalid", or "" when nothing is."""
    if len(login) > MAX_LOGIN_LENGTH:
        return "login_too_long"
    if not login.isprintable():
        return "login_invalid"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "password_too_long"
    if not address_ok(address):
        return "address_invalid"
    return ""


def address_lane(address: str) -> str:
    """The lane of an address: itself, an IPv6 address's /64 (one subscriber's network)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@dataclass(frozen=True)
class Reservation:
    """A password check allowed (`refused` empty) or refused ("locked", "address")."""

    refused: str = ""
    attempt_id: int | None = None  # an untrusted browser's check
    device_hash: str | None = None  # a trusted browser's check
    last_of_login: bool = False  # the login's last check before its lock
    last_of_address: bool = False  # the address's last check before it is refused
    last_of_device: bool = False  # the trusted browser's last check before its revocation


def _lock(con: sa.Connection, lane: str, key: str, moment: datetime) -> None:
    """Lock the lane's row (made if missing) until the transaction ends."""
    dialect = con.dialect.name
    row = {"lane": lane, "lane_key": key, "touched_at": moment}
    keys, touched = ["lane", "lane_key"], {"touched_at": moment}
    if dialect == "postgresql":
        upsert = postgresql.insert(login_guards).values(row)
        con.execute(upsert.on_conflict_do_update(index_elements=keys, set_=touched))
    elif dialect == "sqlite":
        replace = sqlite.insert(login_guards).values(row)
        con.execute(replace.on_conflict_do_update(index_elements=keys, set_=touched))
    else:
        raise NotImplementedError(f"the portal's database is SQLite or PostgreSQL, not {dialect}")


def _unfinished(con: sa.Connection, since: datetime, *where) -> int:
    """Checks in the window that did not succeed (failed, or still running)."""
    return con.execute(
        sa.select(sa.func.count())
        .select_from(login_attempts)
        .where(login_attempts.c.at > since, login_attempts.c.outcome != "ok", *where)
    ).scalar_one()


def reserve(
    con: sa.Connection, login: str, address: str, device_hash: str | None, moment: datetime
) -> Reservation:
    """Take a password check for `login` from `address` (and a trusted browser's token, if
    it presents one), or refuse it. Run it as the first statement of its own transaction
    (`engine.begin()`), and commit before the password is checked."""
    if device_hash is not None:
        taken = con.execute(
            trusted_devices.update()
            .where(
                trusted_devices.c.device_hash == device_hash,
                trusted_devices.c.login == login,
                trusted_devices.c.revoked_at.is_(None),
                trusted_devices.c.expires_at > moment,
                trusted_devices.c.failures < MAX_DEVICE_FAILURES,
            )
            .values(failures=trusted_devices.c.failures + 1)
            .returning(trusted_devices.c.failures)
        ).first()
        if taken is not None:
            return Reservation(
                device_hash=device_hash, last_of_device=taken.failures >= MAX_DEVICE_FAILURES
            )
        # unknown, revoked, expired or used up: an untrusted browser
    lane = address_lane(address)
    since = moment - timedelta(minutes=LOCK_MINUTES)
    _lock(con, "address", lane, moment)
    of_address = _unfinished(con, since, login_attempts.c.address == lane)
    if of_address >= MAX_FAILURES_PER_ADDRESS:
        return Reservation(refused="address")  # before its login's row is made
    _lock(con, "login", login, moment)
    of_login = _unfinished(con, since, login_attempts.c.login == login)
    if of_login >= MAX_FAILED_LOGINS:
        return Reservation(refused="locked")
    key = con.execute(
        login_attempts.insert().values(at=moment, login=login, address=lane, outcome="checking")
    ).inserted_primary_key
    assert key is not None
    return Reservation(
        attempt_id=key[0],
        last_of_login=of_login + 1 >= MAX_FAILED_LOGINS,
        last_of_address=of_address + 1 >= MAX_FAILURES_PER_ADDRESS,
    )


def settle(con: sa.Connection, held: Reservation, succeeded: bool, moment: datetime) -> None:
    """Write a reserved check's outcome: a success frees its slot, a failure keeps it (and a
    trusted browser's last failure revokes its token)."""
    if held.attempt_id is not None:
        con.execute(
            login_attempts.update()
            .where(login_attempts.c.attempt_id == held.attempt_id)
            .values(outcome="ok" if succeeded else "failed")
        )
    if held.device_hash is not None:
        device = trusted_devices.update().where(trusted_devices.c.device_hash == held.device_hash)
        if succeeded:
            con.execute(device.values(failures=trusted_devices.c.failures - 1))
        elif held.last_of_device:
            con.execute(device.values(revoked_at=moment))
    # old attempts deleted by one transaction at a time (two deleting the same rows in
    # different orders would wait for each other on PostgreSQL)
    _lock(con, "purge", "", moment)
    con.execute(login_attempts.delete().where(login_attempts.c.at < moment - KEEP_ATTEMPTS))


def trust_device(
    con: sa.Connection, device_hash: str, login: str, replacing: str | None, moment: datetime
) -> None:
    """Trust a browser's new token for `login`, and revoke the one it held before (a token
    lives from one successful login to the next)."""
    if replacing is not None:
        con.execute(
            trusted_devices.update()
            .where(
                trusted_devices.c.device_hash == replacing,
                trusted_devices.c.revoked_at.is_(None),
            )
            .values(revoked_at=moment)
        )
    con.execute(
        trusted_devices.insert().values(
            device_hash=device_hash,
            login=login,
            created_at=moment,
            expires_at=moment + timedelta(days=DEVICE_DAYS),
            failures=0,
        )
    )
