"""The portal's own database: accounts, sessions, one-time set-up links, the audit log, uploads.

SQLAlchemy Core over `OUTREACH_PORTAL_DATABASE_URL` (PostgreSQL in production), else SQLite at
`<home>/portal/portal.db`. Secrets are stored only as hashes: passwords with argon2, session ids
and set-up tokens with sha-256 (a stolen database opens no session).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from outreach.core.home import Home
from outreach.portal import throttle
from outreach.portal.throttle import LOCK_MINUTES as LOCK_MINUTES
from outreach.portal.throttle import MAX_FAILED_LOGINS as MAX_FAILED_LOGINS
from outreach.portal.throttle import MAX_FAILURES_PER_ADDRESS as MAX_FAILURES_PER_ADDRESS

DATABASE_ENV = "OUTREACH_PORTAL_DATABASE_URL"
ROLES = ("source", "staff", "admin")
SESSION_HOURS = 8
INVITE_DAYS = 7
MIN_PASSWORD_LENGTH = 12

metadata = sa.MetaData()

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("login", sa.String(254), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("source_code", sa.String(40)),  # a source's account
    sa.Column("province_code", sa.String(10)),  # staff: the province they see
    sa.Column("password_hash", sa.String(200)),  # null until the set-up link is used
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

invites = sa.Table(
    "invites",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
)

audit = sa.Table(
    "audit_log",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("login", sa.String(254)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Column("address", sa.String(64)),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("upload_id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("source_code", sa.String(40), nullable=False),
    sa.Column("report_month", sa.Date, nullable=False),
    sa.Column("file_kind", sa.String(20), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("byte_count", sa.Integer, nullable=False),
    sa.UniqueConstraint("source_code", "report_month", "file_kind", "revision"),
)

approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("approval_id", sa.Integer, primary_key=True),
    sa.Column("province_code", sa.String(10), nullable=False),
    sa.Column("period_code", sa.String(10), nullable=False),
    sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("approved_by", sa.String(254), nullable=False),
    sa.Column("reopened_at", sa.DateTime(timezone=True)),  # null while the approval holds
    sa.Column("reopened_by", sa.String(254)),
    # the last published data before the approval: files ingested after it do not count
    sa.Column("counts_files_until", sa.DateTime(timezone=True)),
)
# one approval holds per province and period (two clicks, two processes: one row)
sa.Index(
    "one_holding_approval",
    approvals.c.province_code,
    approvals.c.period_code,
    unique=True,
    sqlite_where=approvals.c.reopened_at.is_(None),
    postgresql_where=approvals.c.reopened_at.is_(None),
)

# the department's "run now" being asked of Airflow: one row while a request asks (two clicks,
# two processes: one of them asks, the other is refused)
run_claims = sa.Table(
    "run_claims",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_by", sa.String(254), nullable=False),
)

_hasher = PasswordHasher()
# verified against when the login has no password (or does not exist): every attempt costs the
# same, so the time of the answer does not tell which logins exist
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """`path` as a folder only its user may open (made if missing, its mode set if not)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER_MODE)
    if path.stat().st_mode & 0o777 != PRIVATE_FOLDER_MODE:
        path.chmod(PRIVATE_FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path`, a file, readable and writable by its user only."""
    if path.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
        path.chmod(PRIVATE_FILE_MODE)
    return path


@dataclass(frozen=True)
class Account:
    account_id: int
    login: str
    display_name: str
    role: str
    source_code: str | None
    province_code: str | None

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")


def _account(row) -> Account:
    return Account(
        row.account_id,
        row.login,
        row.display_name,
        row.role,
        row.source_code,
        row.province_code,
    )


@dataclass(frozen=True)
class AccountState:
    """An account as its administrator sees it (`Store.account_states`)."""

    account: Account
    is_active: bool
    has_password: bool
    has_setup_link: bool  # an unused set-up link that has not expired
    live_sessions: int
    last_login: datetime | None
    created_at: datetime


class LastAdministrator(ValueError):
    """The change would leave the portal without an active administrator."""

    def __init__(self) -> None:
        super().__init__(
            "Không thể: đây là tài khoản quản trị duy nhất còn hoạt động; hãy tạo hoặc mở lại "
            "một tài khoản quản trị khác trước."
        )


def _check_role(role: str, source_code: str | None, province_code: str | None) -> None:
    """A role, with what it needs: a source's account its source, staff its province."""
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {ROLES}")
    if role == "source" and not source_code:
        raise ValueError("a source's account needs its source code")
    if role == "staff" and not province_code:
        raise ValueError("a staff account needs the province it sees")


class Store:
    def __init__(self, url: str) -> None:
        if url.startswith("sqlite"):
            # many requests at once: writers wait for each other (WAL lets readers go on)
            self.engine = sa.create_engine(url, connect_args={"timeout": 30})

            @sa.event.listens_for(self.engine, "connect")
            def _wal(connection, _record) -> None:
                connection.execute("pragma journal_mode=wal")
                connection.execute("pragma busy_timeout=30000")

        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        metadata.create_all(self.engine)
        throttle.metadata.create_all(self.engine)  # the bounds on password checks

    @classmethod
    def for_home(cls, home: Home) -> Store:
        """The store of `OUTREACH_PORTAL_DATABASE_URL`, else `<home>/portal/portal.db`; the
        portal's folder and its database file are its user's only (0700, 0600)."""
        folder = private_folder(home.root / "portal")
        url = os.environ.get(DATABASE_ENV)
        if not url:
            path = folder / "portal.db"
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
            # SQLite gives its -wal and -shm files the database file's mode
            for each in (path, path.with_name("portal.db-wal"), path.with_name("portal.db-shm")):
                if each.exists():
                    private_file(each)
            url = f"sqlite:///{path}"
        return cls(url)

    # --- accounts ---------------------------------------------------------------------------

    def add_account(
        self,
        login: str,
        display_name: str,
        role: str,
        *,
        source_code: str | None = None,
        province_code: str | None = None,
        password: str | None = None,
    ) -> Account:
        _check_role(role, source_code, province_code)
        with self.engine.begin() as con:
            result = con.execute(
                accounts.insert().values(
                    {
                        "login": login.strip().lower(),
                        "display_name": display_name,
                        "role": role,
                        "source_code": source_code,
                        "province_code": province_code,
                        "password_hash": _hasher.hash(check_password(password))
                        if password
                        else None,
                        "failed_logins": 0,
                        "is_active": True,
                        "created_at": now(),
                    }
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            account_id = key[0]
        account = self.account(account_id)
        assert account is not None
        return account

    def account(self, account_id: int) -> Account | None:
        with self.engine.connect() as con:
            row = con.execute(
                sa.select(accounts).where(accounts.c.account_id == account_id)
            ).first()
        return _account(row) if row else None

    def account_by_login(self, login: str) -> Account | None:
        with self.engine.connect() as con:
            row = con.execute(
                sa.select(accounts).where(accounts.c.login == login.strip().lower())
            ).first()
        return _account(row) if row else None

    def authenticate(
        self, login: str, password: str, address: str, device: str | None = None
    ) -> tuple[Account | None, str]:
        """The account, or None and why, recording the attempt: "locked" (the login's checks
        are used up), "address" (the address's are), "wrong", or what is wrong with the inputs
        (`throttle.input_problem`: too long, or not printable; nothing is asked of the
        database then).

        The check is reserved before argon2 runs (`outreach.portal.throttle`): an untrusted
        browser gets MAX_FAILED_LOGINS unsuccessful checks of a login, from every address
        together, and an address MAX_FAILURES_PER_ADDRESS, whatever the logins, in any
        LOCK_MINUTES; a browser holding a token of `trust_device` for this login (`device`)
        is bound only by its own token's failures, so guesses made elsewhere do not lock it
        out. Every check costs one argon2 verification, whether the login exists or not, and
        the answer does not say which.
        """
        login = throttle.normal_login(login)
        problem = throttle.input_problem(login, password, address)
        if problem:
            return None, problem
        with self.engine.begin() as con:
            held = throttle.reserve(
                con, login, address, token_hash(device) if device else None, now()
            )
            if held.refused:
                self._log(con, login, "login_refused", held.refused, address)
        if held.refused:
            return None, held.refused
        with self.engine.connect() as con:
            row = con.execute(sa.select(accounts).where(accounts.c.login == login)).first()
        stored = row.password_hash if row is not None and row.is_active else None
        valid: bool
        try:
            valid = _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            valid = False
        succeeded = bool(stored) and valid
        trusted = "trusted browser" if held.device_hash else ""
        with self.engine.begin() as con:
            throttle.settle(con, held, succeeded, now())
            if succeeded:
                self._log(con, login, "login", trusted, address)
            else:
                self._log(con, login, "login_failed", trusted, address)
                if held.last_of_login:
                    self._log(con, login, "account_locked", "for untrusted browsers", address)
                if held.last_of_address:
                    self._log(con, None, "address_refused", "for every login", address)
                if held.last_of_device:
                    self._log(con, login, "device_revoked", "", address)
        if not succeeded:
            return None, "address" if held.last_of_address else "wrong"
        assert row is not None
        return _account(row), ""

    def trust_device(self, account: Account, replacing: str | None = None) -> str:
        """A new token for the browser the account just logged in from (a device cookie),
        replacing the token it presented, if any."""
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as con:
            throttle.trust_device(
                con,
                token_hash(token),
                account.login,
                token_hash(replacing) if replacing else None,
                now(),
            )
        return token

    def set_password(self, account_id: int, password: str) -> None:
        """A new password, and every session of the account closed."""
        with self.engine.begin() as con:
            con.execute(
                accounts.update()
                .where(accounts.c.account_id == account_id)
                .values({"password_hash": _hasher.hash(check_password(password))})
            )
            con.execute(sessions.delete().where(sessions.c.account_id == account_id))

    # --- one-time set-up links --------------------------------------------------------------

    def invite(self, account_id: int) -> str:
        """A one-time token to set the account's password (valid INVITE_DAYS days)."""
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as con:
            con.execute(
                invites.insert().values(
                    {
                        "token_hash": token_hash(token),
                        "account_id": account_id,
                        "expires_at": now() + timedelta(days=INVITE_DAYS),
                    }
                )
            )
        return token

    def redeem(self, token: str) -> Account | None:
        """The account of a valid, unused set-up token, which this call uses up (two requests
        with one token: one of them gets the account)."""
        with self.engine.begin() as con:
            row = con.execute(
                sa.select(invites).where(invites.c.token_hash == token_hash(token))
            ).first()
            expires_at = _aware(row.expires_at) if row else None
            if row is None or not expires_at or expires_at < now():
                return None
            used = con.execute(
                invites.update()
                .where(invites.c.token_hash == row.token_hash, invites.c.used_at.is_(None))
                .values({"used_at": now()})
            )
            if used.rowcount != 1:
                return None
        return self.account(row.account_id)

    def invite_is_valid(self, token: str) -> bool:
        with self.engine.connect() as con:
            row = con.execute(
                sa.select(invites).where(invites.c.token_hash == token_hash(token))
            ).first()
        expires_at = _aware(row.expires_at) if row else None
        return bool(row and row.used_at is None and expires_at and expires_at > now())

    # --- sessions ---------------------------------------------------------------------------

    def open_session(self, account: Account) -> tuple[str, str]:
        """A new session id (for the cookie) and its CSRF token."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        moment = now()
        with self.engine.begin() as con:
            con.execute(
                sessions.insert().values(
                    {
                        "session_hash": token_hash(session_id),
                        "account_id": account.account_id,
                        "csrf_token": csrf,
                        "created_at": moment,
                        "expires_at": moment + timedelta(hours=SESSION_HOURS),
                    }
                )
            )
        return session_id, csrf

    def session(self, session_id: str) -> tuple[Account, str] | None:
        """The account and CSRF token of a live session."""
        with self.engine.connect() as con:
            row = con.execute(
                sa.select(sessions).where(sessions.c.session_hash == token_hash(session_id))
            ).first()
        expires_at = _aware(row.expires_at) if row else None
        if row is None or not expires_at or expires_at < now():
            return None
        with self.engine.connect() as con:
            owner = con.execute(
                sa.select(accounts).where(accounts.c.account_id == row.account_id)
            ).first()
        if owner is None or not owner.is_active:
            return None
        return _account(owner), row.csrf_token

    def close_session(self, session_id: str) -> None:
        with self.engine.begin() as con:
            con.execute(sessions.delete().where(sessions.c.session_hash == token_hash(session_id)))

    # --- account administration (the administrator's pages, `outreach accounts`) ------------
    # each change and its audit event are written in one transaction, `by` (None: the command
    # line) from `address`

    def account_states(self) -> list[AccountState]:
        """Every account, by login: active or not, its password, set-up link, live sessions and
        last login."""
        moment = now()
        with self.engine.connect() as con:
            rows = con.execute(sa.select(accounts).order_by(accounts.c.login)).fetchall()
            live: dict[int, int] = {
                row.account_id: row.live
                for row in con.execute(
                    sa.select(sessions.c.account_id, sa.func.count().label("live"))
                    .where(sessions.c.expires_at > moment)
                    .group_by(sessions.c.account_id)
                )
            }
            links: set[int] = set(
                con.execute(
                    sa.select(invites.c.account_id).where(
                        invites.c.used_at.is_(None), invites.c.expires_at > moment
                    )
                ).scalars()
            )
            logins: dict[str, datetime | None] = {
                row.login: row.last
                for row in con.execute(
                    sa.select(audit.c.login, sa.func.max(audit.c.at).label("last"))
                    .where(audit.c.action == "login")
                    .group_by(audit.c.login)
                )
            }
        return [
            AccountState(
                _account(row),
                bool(row.is_active),
                bool(row.password_hash),
                row.account_id in links,
                live.get(row.account_id, 0),
                _aware(logins.get(row.login)),
                _aware(row.created_at) or moment,
            )
            for row in rows
        ]

    def set_active(
        self, account_id: int, active: bool, by: str | None, address: str | None = None
    ) -> bool:
        """Re-activate an account, or deactivate it: its sessions end at once (the next request
        of an open one is refused) and its unused set-up links stop working. False if it
        already was so (or does not exist); LastAdministrator if it is the last active
        administrator."""
        with self.engine.begin() as con:
            changed = con.execute(
                accounts.update()
                .where(accounts.c.account_id == account_id, accounts.c.is_active == (not active))
                .values({"is_active": active})
            ).rowcount
            if not changed:
                return False
            login = self._login_of(con, account_id)
            if not active:
                self._an_administrator_is_left(con)
                ended = con.execute(
                    sessions.delete().where(sessions.c.account_id == account_id)
                ).rowcount
                self._revoke_links(con, account_id)
                self._log(con, by, "account_deactivated", f"{login}: {ended} phiên", address)
            else:
                self._log(con, by, "account_reactivated", login, address)
        return True

    def renew_setup_link(
        self, account_id: int, by: str | None, address: str | None = None
    ) -> str | None:
        """A new one-time set-up link for the account (None: no such account). Its earlier links
        stop working, its password is cleared and its sessions end: whoever knew the old
        password is out, and the owner sets a new one with the link."""
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as con:
            cleared = con.execute(
                accounts.update()
                .where(accounts.c.account_id == account_id)
                .values({"password_hash": None})
            ).rowcount
            if not cleared:
                return None
            self._revoke_links(con, account_id)
            con.execute(sessions.delete().where(sessions.c.account_id == account_id))
            con.execute(
                invites.insert().values(
                    {
                        "token_hash": token_hash(token),
                        "account_id": account_id,
                        "expires_at": now() + timedelta(days=INVITE_DAYS),
                    }
                )
            )
            login = self._login_of(con, account_id)
            self._log(con, by, "setup_link_renewed", login, address)
        return token

    def change_role(
        self,
        account_id: int,
        role: str,
        by: str | None,
        address: str | None = None,
        *,
        source_code: str | None = None,
        province_code: str | None = None,
    ) -> bool:
        """Give the account another role, source or province; it takes effect at the account's
        next request (a session reads its account on every request). False if nothing changed
        (or no such account); LastAdministrator if the last active administrator would go."""
        _check_role(role, source_code, province_code)
        values = {
            "role": role,
            "source_code": source_code if role == "source" else None,
            "province_code": province_code if role == "staff" else None,
        }
        with self.engine.begin() as con:
            before = con.execute(
                sa.select(accounts).where(accounts.c.account_id == account_id)
            ).first()
            if before is None or all(
                getattr(before, key) == value for key, value in values.items()
            ):
                return False
            con.execute(accounts.update().where(accounts.c.account_id == account_id).values(values))
            if before.role == "admin" and role != "admin":
                self._an_administrator_is_left(con)
            was = " ".join(filter(None, (before.role, before.source_code, before.province_code)))
            new = " ".join(filter(None, (role, values["source_code"], values["province_code"])))
            self._log(con, by, "account_changed", f"{before.login}: {was} -> {new}", address)
        return True

    @staticmethod
    def _login_of(con, account_id: int) -> str:
        return con.execute(
            sa.select(accounts.c.login).where(accounts.c.account_id == account_id)
        ).scalar_one()

    @staticmethod
    def _revoke_links(con, account_id: int) -> None:
        con.execute(
            invites.update()
            .where(
                invites.c.account_id == account_id,
                invites.c.used_at.is_(None),
                invites.c.expires_at > now(),
            )
            .values({"expires_at": now()})
        )

    @staticmethod
    def _an_administrator_is_left(con) -> None:
        """Raise LastAdministrator (the transaction rolls back) unless an active administrator
        is left after the change made in `con` (their rows locked, on PostgreSQL, until it
        ends: two administrators do not deactivate each other at once)."""
        left = con.execute(
            sa.select(accounts.c.account_id)
            .where(accounts.c.role == "admin", accounts.c.is_active.is_(True))
            .with_for_update()
        ).first()
        if left is None:
            raise LastAdministrator

    # --- the department's "run now": one request asks Airflow at a time ---------------------

    def claim_run(self, login: str, hold: timedelta) -> bool:
        """Claim the asking of a run of the pipeline (False: another request holds the claim,
        taken less than `hold` ago)."""
        moment = now()
        try:
            with self.engine.begin() as con:
                con.execute(
                    run_claims.delete().where(
                        run_claims.c.name == "nightly", run_claims.c.claimed_at < moment - hold
                    )
                )
                con.execute(
                    run_claims.insert().values(
                        {"name": "nightly", "claimed_at": moment, "claimed_by": login}
                    )
                )
        except IntegrityError:
            return False
        return True

    def release_run(self) -> None:
        with self.engine.begin() as con:
            con.execute(run_claims.delete().where(run_claims.c.name == "nightly"))

    # --- audit and uploads ------------------------------------------------------------------

    def _log(self, con, login: str | None, action: str, detail: str, address: str | None) -> None:
        con.execute(
            audit.insert().values(
                at=now(), login=login, action=action, detail=detail, address=address
            )
        )

    def log(self, login: str | None, action: str, detail: str = "", address: str | None = None):
        with self.engine.begin() as con:
            self._log(con, login, action, detail, address)

    def audit_events(self, limit: int = 200) -> list[dict]:
        with self.engine.connect() as con:
            rows = con.execute(
                sa.select(audit).order_by(audit.c.event_id.desc()).limit(limit)
            ).fetchall()
        return [dict(row._mapping) for row in rows]

    def audit_search(
        self,
        *,
        who: str = "",
        action: str = "",
        before: int | None = None,
        limit: int = 200,
    ) -> list[dict]:
        """The audit log, newest first: the events by `who` or naming it (an account changed),
        of `action`, older than the event `before`."""
        query = sa.select(audit)
        if who:
            query = query.where(
                sa.or_(
                    audit.c.login == who.strip().lower(),
                    audit.c.detail.icontains(who.strip(), autoescape=True),
                )
            )
        if action:
            query = query.where(audit.c.action == action)
        if before is not None:
            query = query.where(audit.c.event_id < before)
        with self.engine.connect() as con:
            rows = con.execute(query.order_by(audit.c.event_id.desc()).limit(limit)).fetchall()
        return [{**row._mapping, "at": _aware(row.at)} for row in rows]

    def audit_actions(self) -> list[str]:
        with self.engine.connect() as con:
            found: list[str] = list(
                con.execute(sa.select(audit.c.action).distinct()).scalars().all()
            )
        return sorted(found)

    def last_event(self, action: str) -> dict | None:
        """The newest audit event of `action`."""
        found = self.audit_search(action=action, limit=1)
        return found[0] if found else None

    def record_upload(self, account: Account, **values: object) -> None:
        with self.engine.begin() as con:
            con.execute(uploads.insert().values(at=now(), account_id=account.account_id, **values))

    def uploads_of(self, source_code: str, since: datetime | None = None) -> list[dict]:
        query = sa.select(uploads).where(uploads.c.source_code == source_code)
        if since is not None:
            query = query.where(uploads.c.at > since)
        with self.engine.connect() as con:
            rows = con.execute(query.order_by(uploads.c.at)).fetchall()
        return [{**row._mapping, "at": _aware(row.at)} for row in rows]

    def highest_revision(self, source_code: str, month, kind: str) -> int:
        with self.engine.connect() as con:
            value: int | None = con.execute(
                sa.select(sa.func.max(uploads.c.revision)).where(
                    uploads.c.source_code == source_code,
                    uploads.c.report_month == month,
                    uploads.c.file_kind == kind,
                )
            ).scalar_one()
        return int(value or 0)


def check_password(password: str | None) -> str:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự")
    return password


def current_approvals(store: Store) -> list[dict]:
    """The approvals that hold (not re-opened), as the nightly run reads them."""
    with store.engine.connect() as con:
        rows = con.execute(
            sa.select(approvals)
            .where(approvals.c.reopened_at.is_(None))
            .order_by(approvals.c.province_code, approvals.c.period_code)
        ).fetchall()
    return [
        {
            "province_code": row.province_code,
            "period_code": row.period_code,
            "approved_at": row.approved_at.replace(
                tzinfo=row.approved_at.tzinfo or UTC
            ).isoformat(),
            "approved_by": row.approved_by,
            "counts_files_until": (
                _aware(row.counts_files_until) or _aware(row.approved_at) or now()
            ).isoformat(),
        }
        for row in rows
    ]


def approve(
    store: Store, province_code: str, period_code: str, login: str, counts_files_until: datetime
) -> bool:
    """Approve a period for a province as its figures were built from the files ingested until
    `counts_files_until` (the last publish: what the signed report showed); False if it
    already is."""
    with store.engine.begin() as con:
        held = con.execute(
            sa.select(approvals.c.approval_id).where(
                approvals.c.province_code == province_code,
                approvals.c.period_code == period_code,
                approvals.c.reopened_at.is_(None),
            )
        ).first()
        if held:
            return False
        con.execute(
            approvals.insert().values(
                {
                    "province_code": province_code,
                    "period_code": period_code,
                    "approved_at": now(),
                    "approved_by": login,
                    "counts_files_until": counts_files_until,
                }
            )
        )
    return True


def reopen(store: Store, province_code: str, period_code: str, login: str) -> bool:
    """Re-open an approved period; False if it was not approved."""
    with store.engine.begin() as con:
        result = con.execute(
            approvals.update()
            .where(
                approvals.c.province_code == province_code,
                approvals.c.period_code == period_code,
                approvals.c.reopened_at.is_(None),
            )
            .values({"reopened_at": now(), "reopened_by": login})
        )
    return bool(result.rowcount)
