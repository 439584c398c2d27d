"""Pull connectors: where each source delivers its files (the registry says), and how to fetch them.

- `inbox`: the source puts files straight into the home's inbox (nothing to pull);
- `folder`: a local or mounted folder (`delivery_location` is its path);
- `http`: an HTTP(S) URL of one file, or of a directory listing whose links are the files;
- `sftp`: `sftp://user@host:port/path`; the password is read from the environment variable
  named in `delivery_secret_env` (never from the repository).

A pull only reads at the source. Each new file (by name and bytes) is copied into the inbox with
its delivery time (the remote modification time when the server gives one, not later than now,
else the time it was fetched), and recorded in the pull ledger. A source that fails is retried,
then reported; the other sources are pulled all the same. Remote names are untrusted: one with a
path separator, `..`, a leading dot or a control character is kept under a percent-encoded name,
which the contract then rejects with its reason.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
import time
import unicodedata
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlparse

from ingest.files import sha256_file
from outreach.home import SEEDS_DIR, Home

log = logging.getLogger(__name__)

METHODS = ("inbox", "folder", "http", "sftp")
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024   # ingest rejects above 20 MB; this only protects the disk
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Delivery:
    """How one source delivers: from the registry (`ref_sources.csv`)."""

    source_code: str
    method: str
    location: str
    secret_env: str | None = None


@dataclass
class RemoteFile:
    name: str
    modified_at: datetime | None
    download: Callable[[Path], None]   # writes the file's bytes to the given path


@dataclass
class SourceOutcome:
    source_code: str
    location: str
    pulled: list[str] = field(default_factory=list)
    error: str | None = None          # the listing failed on every attempt
    file_errors: dict[str, str] = field(default_factory=dict)   # files that failed to come
    attempts: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.error or self.file_errors)


def deliveries_from_registry(seeds_dir: Path = SEEDS_DIR) -> list[Delivery]:
    """The sources that deliver somewhere other than the inbox, grouped by location."""
    with open(seeds_dir / "ref_sources.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    found = []
    for row in rows:
        method = row.get("delivery_method") or "inbox"
        if method not in METHODS:
            raise ValueError(f"source {row['source_code']}: unknown delivery_method {method!r}")
        if method != "inbox":
            found.append(Delivery(row["source_code"], method, row["delivery_location"],
                                  row.get("delivery_secret_env") or None))
    return found


def safe_name(remote_name: str) -> str:
    """The name to keep a remote file under: itself, or percent-encoded when it is unsafe."""
    name = unicodedata.normalize("NFC", remote_name)
    unsafe = (not name or "/" in name or "\\" in name or ".." in name or name.startswith(".")
              or any(unicodedata.category(ch).startswith("C") for ch in name)
              or len(name.encode()) > 200)
    if not unsafe:
        return name
    encoded = quote(name, safe="")[:200]
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded


# --- listings ---------------------------------------------------------------------------------

def list_folder(location: str) -> list[RemoteFile]:
    folder = Path(location)
    if not folder.is_dir():
        raise FileNotFoundError(f"folder {folder} does not exist")
    files = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
            files.append(RemoteFile(
                path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC),
                lambda target, source=path: _copy_file(source, target)))
    return files


def _copy_file(source: Path, target: Path) -> None:
    with open(source, "rb") as stream:
        _copy_capped(stream, target)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _http_get(url: str):
    request = urllib.request.Request(url, headers={"User-Agent": "outreach-pull/1"})
    return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)  # noqa: S310 (http(s) only)


def _modified(response) -> datetime | None:
    header = response.headers.get("Last-Modified")
    try:
        return parsedate_to_datetime(header).astimezone(UTC) if header else None
    except (TypeError, ValueError):
        return None


def list_http(location: str) -> list[RemoteFile]:
    if urlparse(location).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {location}")
    with _http_get(location) as response:
        content_type = response.headers.get_content_type()
        if content_type != "text/html":
            # the URL is the file itself
            name = unquote(urlparse(response.url).path.rsplit("/", 1)[-1])
            return [RemoteFile(name, _modified(response),
                               lambda target, url=location: _download_http(url, target))]
        page = response.read(5 * 1024 * 1024).decode("utf-8", errors="replace")
    parser = _Links()
    parser.feed(page)
    files = []
    for href in dict.fromkeys(parser.links):
        parsed = urlparse(href)
        if parsed.query or parsed.fragment or not parsed.path or parsed.path.endswith("/"):
            continue    # sorting links, anchors, sub-folders, the parent folder
        url = urljoin(location, href)
        if urlparse(url).scheme not in ("http", "https"):
            continue
        # a link relative to the listing is the file's name as the server gives it (a "/" or
        # ".." in it makes it unsafe); an absolute link is named by its last segment
        absolute = bool(parsed.scheme) or parsed.path.startswith("/")
        name = unquote(parsed.path.rsplit("/", 1)[-1] if absolute else parsed.path)
        files.append(RemoteFile(name, None, lambda target, url=url: _download_http(url, target)))
    return files


def _download_http(url: str, target: Path) -> datetime | None:
    with _http_get(url) as response:
        _copy_capped(response, target)
        return _modified(response)


def _copy_capped(stream, target: Path) -> None:
    written = 0
    with open(target, "wb") as output:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            written += len(chunk)
            if written > MAX_DOWNLOAD_BYTES:
                raise ValueError(f"larger than {MAX_DOWNLOAD_BYTES} bytes: not pulled")
            output.write(chunk)


KNOWN_HOSTS_ENV = "OUTREACH_SFTP_KNOWN_HOSTS"


def list_sftp(location: str, password: str | None) -> list[RemoteFile]:
    """Files of an SFTP folder; each file is fetched in its own short connection."""
    import asyncssh

    url = urlparse(location)
    if url.scheme != "sftp" or not url.hostname:
        raise ValueError(f"not an sftp:// URL: {location}")
    # the server must be one we know: its host key in OUTREACH_SFTP_KNOWN_HOSTS (a known_hosts
    # file), else in ~/.ssh/known_hosts; an unknown or changed key is refused, never trusted
    known_hosts = os.environ.get(KNOWN_HOSTS_ENV) or ()
    options = {"host": url.hostname, "port": url.port or 22, "username": url.username,
               "password": password, "known_hosts": known_hosts,
               "connect_timeout": TIMEOUT_SECONDS}
    folder = unquote(url.path) or "."

    async def listing():
        async with asyncssh.connect(**options) as connection, \
                connection.start_sftp_client() as sftp:
            entries = await sftp.readdir(folder)
            return [(entry.filename, entry.attrs.mtime) for entry in entries
                    if entry.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR]

    async def fetch(remote_name: str, target: Path):
        async with asyncssh.connect(**options) as connection, \
                connection.start_sftp_client() as sftp:
            remote = f"{folder.rstrip('/')}/{remote_name}"
            size = (await sftp.stat(remote)).size or 0
            if size > MAX_DOWNLOAD_BYTES:
                raise ValueError(f"larger than {MAX_DOWNLOAD_BYTES} bytes: not pulled")
            await sftp.get(remote, str(target))

    return [RemoteFile(name, datetime.fromtimestamp(mtime, UTC) if mtime else None,
                       lambda target, name=name: asyncio.run(fetch(name, target)))
            for name, mtime in sorted(asyncio.run(listing()))]


def list_delivery(delivery: Delivery) -> list[RemoteFile]:
    if delivery.method == "folder":
        return list_folder(delivery.location)
    if delivery.method == "http":
        return list_http(delivery.location)
    if delivery.method == "sftp":
        password = os.environ.get(delivery.secret_env) if delivery.secret_env else None
        if delivery.secret_env and password is None:
            raise KeyError(f"environment variable {delivery.secret_env} is not set")
        return list_sftp(delivery.location, password)
    raise ValueError(f"nothing to pull for delivery method {delivery.method!r}")


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
            handle.write(json.dumps({
                "source": source, "file_name": name, "sha256": sha, "size": size,
                "delivered_at": delivered_at.isoformat(),
                "pulled_at": datetime.now(UTC).isoformat()}, ensure_ascii=False) + "\n")
        self.seen.add((source, name, sha))


def _pull_one(home: Home, ledger: Ledger, source_key: str, remote: RemoteFile) -> str | None:
    name = safe_name(remote.name)
    partial = home.inbox / f".{uuid.uuid4().hex}.part"
    try:
        fetched_at = datetime.now(UTC)
        remote_time = remote.download(partial) or remote.modified_at
        sha = sha256_file(partial)
        if ledger.knows(source_key, name, sha):
            return None
        delivered = min(remote_time, fetched_at) if remote_time else fetched_at
        os.utime(partial, (delivered.timestamp(), delivered.timestamp()))
        target = home.inbox / name
        if target.exists():
            # another version of this name still waits in the inbox: keep both, this one next
            return None
        os.replace(partial, target)
        ledger.record(source_key, name, sha, target.stat().st_size, delivered)
        return name
    finally:
        partial.unlink(missing_ok=True)


def pull_delivery(home: Home, delivery: Delivery, *, attempts: int = 3,
                  backoff_seconds: float = 2.0, ledger: Ledger | None = None) -> SourceOutcome:
    """Pull one source's new files, retrying the whole listing on failure."""
    home.ensure()
    ledger = ledger or Ledger(home)
    outcome = SourceOutcome(delivery.source_code, delivery.location)
    source_key = f"{delivery.method}:{delivery.location}"
    remotes = _retry(lambda: list_delivery(delivery), attempts, backoff_seconds, outcome,
                     f"list {delivery.location}")
    if remotes is None:
        return outcome
    for remote in remotes:
        failure = SourceOutcome(delivery.source_code, delivery.location)
        pulled = _retry(lambda remote=remote: _pull_one(home, ledger, source_key, remote),
                        attempts, backoff_seconds, failure, f"fetch {remote.name!r}")
        if failure.error:
            outcome.file_errors[safe_name(remote.name)] = failure.error
        elif pulled:
            outcome.pulled.append(pulled)
    return outcome


def _retry(action, attempts: int, backoff_seconds: float, outcome: SourceOutcome, what: str):
    """The action's result, or None after `attempts` failures (recorded in outcome.error)."""
    for attempt in range(1, attempts + 1):
        outcome.attempts = max(outcome.attempts, attempt)
        try:
            result = action()
            outcome.error = None
            return result
        except Exception as exc:  # a source that is down must not stop the others
            outcome.error = f"{type(exc).__name__}: {exc}"
            log.warning("pull %s: %s, attempt %d/%d: %s", outcome.source_code, what, attempt,
                        attempts, outcome.error)
            if attempt < attempts:
                time.sleep(backoff_seconds * attempt)
    return None


def pull_all(home: Home, deliveries: list[Delivery], **options) -> list[SourceOutcome]:
    ledger = Ledger(home.ensure())
    return [pull_delivery(home, delivery, ledger=ledger, **options) for delivery in deliveries]
