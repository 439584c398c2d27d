"""Pull connectors: where each source delivers its files (the registry says), and how to fetch them.

- `inbox`: the source puts files straight into the home's inbox (nothing to pull);
- `folder`: a local or mounted folder (`delivery_location` is its path);
- `http`: an HTTP(S) URL of one file, or of a directory listing whose links are the files;
- `sftp`: `sftp://user@host:port/path`; the password is read from the environment variable
  named in `delivery_secret_env` (never from the repository).

A pull only reads at the source. Each new file (by name and bytes) is copied into the inbox with
its delivery time (the remote modification time when the server gives one, not later than now,
else the time it was fetched), and recorded in the pull ledger; a note beside it in
`inbox/.origin/` says which sources deliver at that location, so that ingest refuses a file of any
other source. A source that fails is retried, then reported; the other sources are pulled all the
same. Remote names are untrusted: one with a path separator, `..`, a leading dot, a control or
invisible character, or named like the product's error reports (`*.errors.txt`) is kept under a
percent-encoded name, which the contract then rejects with its reason (never left in the inbox).

Every pull is bounded: a deadline per source and one for the night (a server sending a byte every
ten seconds is cut off), the size ingest accepts applied while downloading, redirects only within
the same host (http to https allowed; never to another host, `file:` or `ftp:`). What the pull
itself refuses (too large, a redirect elsewhere, a deadline, the server's 4xx) is not retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import cast
from urllib.parse import quote, unquote, urljoin, urlparse

from ingest.files import MAX_FILE_BYTES, is_unsafe_name, is_waiting, sha256_file
from outreach.core.home import SEEDS_DIR, Home
from outreach.core.registry import read_seed

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = MAX_FILE_BYTES  # ingest refuses anything larger: stop downloading there
TIMEOUT_SECONDS = 30  # one network operation
SOURCE_SECONDS = 300  # all the files of one source
NIGHT_SECONDS = 1800  # every source of the night
ORIGIN_FOLDER = ".origin"  # read by ingest (ingest/load.py)
CHUNK = 1 << 16


class Refused(Exception):
    """The pull refuses this (too large, a redirect elsewhere, past its deadline): not retried."""


@dataclass(frozen=True)
class Delivery:
    """How one source delivers: from the registry (`ref_sources.csv`).

    `sources`: every source that delivers at this location (several may share a folder); a file
    pulled from it must be one of theirs. Empty for the drop folder, which any source may use.
    """

    source_code: str
    method: str
    location: str
    secret_env: str | None = None
    sources: tuple[str, ...] | None = None

    @property
    def owners(self) -> tuple[str, ...]:
        if self.sources is not None:
            return self.sources
        return () if self.source_code == "drop folder" else (self.source_code,)


@dataclass
class RemoteFile:
    name: str
    modified_at: datetime | None
    download: Callable[..., datetime | None]  # (target path, deadline): writes the bytes


@dataclass
class SourceOutcome:
    source_code: str
    location: str
    pulled: list[str] = field(default_factory=list)
    error: str | None = None  # the listing failed on every attempt
    file_errors: dict[str, str] = field(default_factory=dict)  # files that failed to come
    attempts: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.error or self.file_errors)


def deliveries_from_registry(seeds_dir: Path = SEEDS_DIR) -> list[Delivery]:
    """The sources that deliver somewhere other than the inbox, grouped by location."""
    rows = read_seed(seeds_dir, "ref_sources")
    by_location: dict[tuple[str, str, str | None], list[str]] = {}
    for row in rows:
        method = row.get("delivery_method") or "inbox"
        if method not in METHODS:
            raise ValueError(f"source {row['source_code']}: unknown delivery_method {method!r}")
        if method != "inbox":
            key = (method, row["delivery_location"], row.get("delivery_secret_env") or None)
            by_location.setdefault(key, []).append(row["source_code"])
    return [
        Delivery(codes[0], method, location, secret, tuple(codes))
        for (method, location, secret), codes in by_location.items()
    ]


def safe_name(remote_name: str) -> str:
    """The name to keep a remote file under: itself, or percent-encoded when it is unsafe (see
    `is_unsafe_name`): never hidden, never one the inbox passes over (a pulled file named like an
    error report is kept as `….errors%2Etxt`, and the contract refuses it with its reason)."""
    name = unicodedata.normalize("NFC", remote_name)
    if not is_unsafe_name(name):
        return name
    encoded = quote(name, safe="")[:200]
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    if not is_waiting(encoded):
        stem, _, extension = encoded.rpartition(".")
        encoded = f"{stem}%2E{extension}"
    return encoded


# --- listings ---------------------------------------------------------------------------------


class Deadline:
    """The moment a pull must stop (time.monotonic()), with what it is the deadline of."""

    def __init__(self, seconds: float, what: str, parent: Deadline | None = None) -> None:
        self.at = time.monotonic() + seconds
        self.what = what
        if parent is not None and parent.at < self.at:
            self.at, self.what = parent.at, parent.what

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> None:
        if self.remaining() <= 0:
            raise Refused(f"the {self.what} deadline passed")

    def timeout(self) -> float:
        """A timeout for one network operation: never past the deadline."""
        self.check()
        return max(0.1, min(TIMEOUT_SECONDS, self.remaining()))


def list_folder(location: str) -> list[RemoteFile]:
    folder = Path(location)
    if not folder.is_dir():
        raise FileNotFoundError(f"folder {folder} does not exist")
    files = []
    for path in sorted(folder.iterdir()):
        # hidden files (".DS_Store", ".~lock…") and files still being written (".part", ".tmp")
        # are not deliveries; anything else is, a name starting with ".." or named like an error
        # report included (kept under an encoded name, and refused by ingest with its reason)
        hidden = path.name.startswith(".") and not path.name.startswith("..")
        if hidden or path.name.endswith((".part", ".tmp")):
            continue
        if path.is_file() and not path.is_symlink():
            files.append(
                RemoteFile(
                    path.name,
                    datetime.fromtimestamp(path.stat().st_mtime, UTC),
                    lambda target, deadline=None, source=path: _copy_file(source, target, deadline),
                )
            )
    return files


def _copy_file(source: Path, target: Path, deadline: Deadline | None = None) -> None:
    with open(source, "rb") as stream:
        _copy_capped(stream.read, target, deadline)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same host (http to https allowed), never elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urlparse(req.full_url), urlparse(urljoin(req.full_url, newurl))
        if new.scheme not in ("http", "https") or (old.scheme == "https" and new.scheme == "http"):
            raise Refused(f"a redirect to {new.scheme}: is not followed ({newurl})")
        if (new.hostname or "").lower() != (old.hostname or "").lower():
            raise Refused(f"a redirect to another host is not followed ({new.hostname})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameHostRedirects)
# only http and https: the opener's file:, ftp: and data: handlers are never reached
# (typeshed does not declare `OpenerDirector.handlers`, an attribute set in its __init__)
_OPENER.handlers = [  # type: ignore[attr-defined]
    handler
    for handler in _OPENER.handlers  # type: ignore[attr-defined]
    if not isinstance(
        handler, (urllib.request.FileHandler, urllib.request.FTPHandler, urllib.request.DataHandler)
    )
]


def _http_get(url: str, deadline: Deadline | None = None):
    if urlparse(url).scheme not in ("http", "https"):
        raise Refused(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "outreach-pull/1"})
    timeout = deadline.timeout() if deadline else TIMEOUT_SECONDS
    try:
        return _OPENER.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:  # urllib's own refusal of a redirect to file: and the like
            raise Refused(f"a redirect is not followed: {exc.reason}") from exc
        if 400 <= exc.code < 500:
            raise Refused(f"HTTP {exc.code} {exc.reason} for {url}") from exc
        raise


def _modified(response) -> datetime | None:
    header = response.headers.get("Last-Modified")
    try:
        return parsedate_to_datetime(header).astimezone(UTC) if header else None
    except (TypeError, ValueError):
        return None


def list_http(location: str, deadline: Deadline | None = None) -> list[RemoteFile]:
    if urlparse(location).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {location}")
    with _http_get(location, deadline) as response:
        content_type = response.headers.get_content_type()
        if content_type != "text/html":
            # the URL is the file itself
            name = unquote(urlparse(response.url).path.rsplit("/", 1)[-1])
            return [
                RemoteFile(
                    name,
                    _modified(response),
                    lambda target, deadline=None, url=location: _download_http(
                        url, target, deadline
                    ),
                )
            ]
        page = _read_capped(response, 5 * 1024 * 1024, deadline).decode("utf-8", errors="replace")
    parser = _Links()
    parser.feed(page)
    files = []
    for href in dict.fromkeys(parser.links):
        parsed = urlparse(href)
        if parsed.query or parsed.fragment or not parsed.path or parsed.path.endswith("/"):
            continue  # sorting links, anchors, sub-folders, the parent folder
        url = urljoin(location, href)
        target = urlparse(url)
        if (
            target.scheme not in ("http", "https")
            or (target.hostname or "").lower() != (urlparse(location).hostname or "").lower()
        ):
            continue  # a listing delivers its own host's files only
        # a link relative to the listing is the file's name as the server gives it (a "/" or
        # ".." in it makes it unsafe); an absolute link is named by its last segment
        absolute = bool(parsed.scheme) or parsed.path.startswith("/")
        name = unquote(parsed.path.rsplit("/", 1)[-1] if absolute else parsed.path)
        files.append(
            RemoteFile(
                name,
                None,
                lambda target, deadline=None, url=url: _download_http(url, target, deadline),
            )
        )
    return files


def _download_http(url: str, target: Path, deadline: Deadline | None = None) -> datetime | None:
    with _http_get(url, deadline) as response:
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > MAX_DOWNLOAD_BYTES:
            raise Refused(f"{int(length)} bytes, larger than {MAX_DOWNLOAD_BYTES}: not pulled")
        _copy_capped(_reader_of(response), target, deadline)
        return _modified(response)


def _reader_of(response):
    """Reads that return what has arrived (one receive at most), so a slow server is timed."""
    read1 = getattr(response, "read1", None)
    return read1 if read1 is not None else response.read


def _read_capped(response, limit: int, deadline: Deadline | None) -> bytes:
    read, parts, size = _reader_of(response), [], 0
    while chunk := read(CHUNK):
        parts.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
        if deadline is not None:
            deadline.check()
    return b"".join(parts)[:limit]


def _copy_capped(read, target: Path, deadline: Deadline | None = None) -> None:
    """Copy what `read(n)` gives into `target`, stopping at the size ingest accepts and at the
    deadline."""
    written = 0
    with open(target, "wb") as output:
        while chunk := read(CHUNK):
            written += len(chunk)
            if written > MAX_DOWNLOAD_BYTES:
                raise Refused(f"larger than {MAX_DOWNLOAD_BYTES} bytes: not pulled")
            output.write(chunk)
            if deadline is not None:
                deadline.check()


KNOWN_HOSTS_ENV = "OUTREACH_SFTP_KNOWN_HOSTS"


def list_sftp(
    location: str, password: str | None, deadline: Deadline | None = None
) -> list[RemoteFile]:
    """Files of an SFTP folder; each file is fetched in its own short connection."""
    import asyncssh

    url = urlparse(location)
    if url.scheme != "sftp" or not url.hostname:
        raise ValueError(f"not an sftp:// URL: {location}")
    # the server must be one we know: its host key in OUTREACH_SFTP_KNOWN_HOSTS (a known_hosts
    # file), else in ~/.ssh/known_hosts; an unknown or changed key is refused, never trusted
    known_hosts = os.environ.get(KNOWN_HOSTS_ENV) or ()
    options = {
        "host": url.hostname,
        "port": url.port or 22,
        "username": url.username,
        "password": password,
        "known_hosts": known_hosts,
        "connect_timeout": TIMEOUT_SECONDS,
    }
    folder = unquote(url.path) or "."

    async def listing():
        async with (
            asyncssh.connect(**options) as connection,
            connection.start_sftp_client() as sftp,
        ):
            entries = await sftp.readdir(folder)
            return [
                (entry.filename, entry.attrs.mtime)
                for entry in entries
                if entry.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
            ]

    async def fetch(remote_name: str, target: Path, deadline: Deadline | None):
        async with (
            asyncssh.connect(**options) as connection,
            connection.start_sftp_client() as sftp,
        ):
            remote = f"{folder.rstrip('/')}/{remote_name}"
            size = (await sftp.stat(remote)).size or 0
            if size > MAX_DOWNLOAD_BYTES:
                raise Refused(f"{size} bytes, larger than {MAX_DOWNLOAD_BYTES}: not pulled")
            written = 0
            async with sftp.open(remote, "rb") as stream:
                with open(target, "wb") as output:
                    # asyncssh types read() as AnyStr; a file opened "rb" gives bytes
                    while chunk := cast(bytes, await stream.read(CHUNK)):
                        written += len(chunk)
                        if written > MAX_DOWNLOAD_BYTES:
                            raise Refused(f"larger than {MAX_DOWNLOAD_BYTES} bytes: not pulled")
                        output.write(chunk)

    def bounded(coroutine, deadline: Deadline | None):
        if deadline is None:
            return asyncio.run(coroutine)

        async def within():
            try:
                return await asyncio.wait_for(coroutine, timeout=max(0.1, deadline.remaining()))
            except TimeoutError as exc:
                raise Refused(f"the {deadline.what} deadline passed") from exc

        deadline.check()
        return asyncio.run(within())

    return [
        RemoteFile(
            name,
            datetime.fromtimestamp(mtime, UTC) if mtime else None,
            lambda target, deadline=None, name=name: bounded(
                fetch(name, target, deadline), deadline
            ),
        )
        for name, mtime in sorted(bounded(listing(), deadline))
    ]


def _list_sftp_delivery(delivery: Delivery, deadline: Deadline | None) -> list[RemoteFile]:
    password = os.environ.get(delivery.secret_env) if delivery.secret_env else None
    if delivery.secret_env and password is None:
        raise KeyError(f"environment variable {delivery.secret_env} is not set")
    return list_sftp(delivery.location, password, deadline)


# How each delivery method lists the files at a source's location (each RemoteFile knows how to
# download itself). A new method is one entry here: its name (the registry's delivery_method)
# and its lister; "inbox" is not pulled.
LISTERS: dict[str, Callable[[Delivery, Deadline | None], list[RemoteFile]]] = {
    "folder": lambda delivery, deadline: list_folder(delivery.location),
    "http": lambda delivery, deadline: list_http(delivery.location, deadline),
    "sftp": _list_sftp_delivery,
}
METHODS = ("inbox", *LISTERS)


def list_delivery(delivery: Delivery, deadline: Deadline | None = None) -> list[RemoteFile]:
    lister = LISTERS.get(delivery.method)
    if lister is None:
        raise ValueError(f"nothing to pull for delivery method {delivery.method!r}")
    return lister(delivery, deadline)


# --- the pull ---------------------------------------------------------------------------------


class Ledger:
    """What was pulled, from where, when: `<home>/pull/ledger.jsonl`, appended to."""

    def __init__(self, home: Home) -> None:
        self.path = home.root / "pull" / "ledger.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.seen: set[tuple[str, str, str]] = set()
        if self.path.is_file():
            for entry in self._entries():
                self.seen.add((entry["source"], entry["file_name"], entry["sha256"]))

    def _entries(self) -> Iterator[dict]:
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)

    def knows(self, source: str, name: str, sha: str) -> bool:
        return (source, name, sha) in self.seen

    def record(self, source: str, name: str, sha: str, size: int, delivered_at: datetime) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(
                json.dumps(
                    {
                        "source": source,
                        "file_name": name,
                        "sha256": sha,
                        "size": size,
                        "delivered_at": delivered_at.isoformat(),
                        "pulled_at": datetime.now(UTC).isoformat(),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        self.seen.add((source, name, sha))


def _pull_one(
    home: Home,
    ledger: Ledger,
    delivery: Delivery,
    source_key: str,
    remote: RemoteFile,
    deadline: Deadline | None = None,
) -> str | None:
    name = safe_name(remote.name)
    partial = home.inbox / f".{uuid.uuid4().hex}.part"
    try:
        fetched_at = datetime.now(UTC)
        remote_time = remote.download(partial, deadline) or remote.modified_at
        sha = sha256_file(partial)
        if ledger.knows(source_key, name, sha):
            return None
        delivered = min(remote_time, fetched_at) if remote_time else fetched_at
        os.utime(partial, (delivered.timestamp(), delivered.timestamp()))
        target = home.inbox / name
        if target.exists():
            # another version of this name still waits in the inbox: keep both, this one next
            return None
        _write_origin(home, name, delivery)
        os.replace(partial, target)
        ledger.record(source_key, name, sha, target.stat().st_size, delivered)
        return name
    finally:
        partial.unlink(missing_ok=True)


def _write_origin(home: Home, name: str, delivery: Delivery) -> None:
    """Beside a pulled file, before it appears in the inbox: the sources of its location."""
    write_origin(home, name, f"{delivery.method}:{delivery.location}", delivery.owners)


def write_origin(home: Home, name: str, location: str, owners: tuple[str, ...]) -> None:
    """The note ingest reads beside a delivered file: where it came from and whose it may be
    (ingest refuses it as `wrong_delivery` if its name is another source's). No owners: none."""
    folder = home.inbox / ORIGIN_FOLDER
    note = folder / f"{name}.json"
    if not owners:
        note.unlink(missing_ok=True)
        return
    folder.mkdir(exist_ok=True)
    partial = folder / f".{uuid.uuid4().hex}.part"
    partial.write_text(
        json.dumps({"location": location, "sources": list(owners)}, ensure_ascii=False),
        encoding="utf-8",
    )
    os.replace(partial, note)


def pull_delivery(
    home: Home,
    delivery: Delivery,
    *,
    attempts: int = 3,
    backoff_seconds: float = 2.0,
    ledger: Ledger | None = None,
    source_seconds: float = SOURCE_SECONDS,
    night: Deadline | None = None,
) -> SourceOutcome:
    """Pull one source's new files, retrying the whole listing on failure, within its deadline
    (and the night's)."""
    home.ensure()
    ledger = ledger or Ledger(home)
    outcome = SourceOutcome(delivery.source_code, delivery.location)
    source_key = f"{delivery.method}:{delivery.location}"
    deadline = Deadline(source_seconds, "source's pull", night)
    remotes = _retry(
        lambda: list_delivery(delivery, deadline),
        attempts,
        backoff_seconds,
        outcome,
        f"list {delivery.location}",
    )
    if remotes is None:
        return outcome
    for remote in remotes:
        failure = SourceOutcome(delivery.source_code, delivery.location)
        pulled = _retry(
            lambda remote=remote: _pull_one(home, ledger, delivery, source_key, remote, deadline),
            attempts,
            backoff_seconds,
            failure,
            f"fetch {remote.name!r}",
        )
        if failure.error:
            outcome.file_errors[safe_name(remote.name)] = failure.error
        elif pulled:
            outcome.pulled.append(pulled)
    return outcome


def _retry(action, attempts: int, backoff_seconds: float, outcome: SourceOutcome, what: str):
    """The action's result, or None after `attempts` failures (recorded in outcome.error); what
    the pull refuses is not tried again."""
    for attempt in range(1, attempts + 1):
        outcome.attempts = max(outcome.attempts, attempt)
        try:
            result = action()
            outcome.error = None
            return result
        except Refused as exc:
            outcome.error = f"refused: {exc}"
            log.warning("pull %s: %s refused: %s", outcome.source_code, what, exc)
            return None
        except Exception as exc:  # a source that is down must not stop the others
            outcome.error = f"{type(exc).__name__}: {exc}"
            log.warning(
                "pull %s: %s, attempt %d/%d: %s",
                outcome.source_code,
                what,
                attempt,
                attempts,
                outcome.error,
            )
            if attempt < attempts:
                time.sleep(backoff_seconds * attempt)
    return None


def pull_all(
    home: Home, deliveries: list[Delivery], *, night_seconds: float = NIGHT_SECONDS, **options
) -> list[SourceOutcome]:
    """Every delivery in turn, within the night's deadline: a source whose turn comes after it
    is reported as not pulled."""
    ledger = Ledger(home.ensure())
    night = Deadline(night_seconds, "night's pull")
    outcomes = []
    for delivery in deliveries:
        if night.remaining() <= 0:
            outcomes.append(
                SourceOutcome(
                    delivery.source_code,
                    delivery.location,
                    error="refused: the night's pull deadline passed",
                )
            )
            continue
        outcomes.append(pull_delivery(home, delivery, ledger=ledger, night=night, **options))
    return outcomes
