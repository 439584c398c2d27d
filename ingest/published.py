"""What outlets published: their RSS/Atom feeds and sitemaps, read politely, loaded as raw rows.

Outlets' monthly files may name the items they claim (`duong_dan`, `tieu_de`); the department
cross-checks them against what the outlets' websites list. The registry `ref_outlet_feeds.csv`
says which feeds to read (`source_code,feed_url,valid_from,valid_to,note`). Collecting is off
unless `OUTREACH_CROSSCHECK` turns it on: it reaches outside the department's network.

Collecting and loading are two steps, so that the network never holds the warehouse:

- `collect` reads every feed valid in the months asked for and writes one JSON file of reads and
  items under `<home>/published/waiting/`. It never raises for anything a feed or a server does:
  each feed's read has an outcome (`ok`, `robots_disallowed`, `refused`, `failed`) and an
  English reason.
- `load_collected` loads each waiting file into `raw.published_reads` and
  `raw.published_items` (one transaction a file, idempotent by read id) and moves it to
  `loaded/`, or to `refused/` when it cannot be read.

A collect is bounded and polite, as the pull is (`ingest.pull`): one request at a time, at
least `delay_seconds` (or the host's robots.txt Crawl-delay) between two requests to a host,
robots.txt obeyed (RFC 9309: a 4xx robots.txt allows everything, a 5xx or an unreachable one
disallows everything on that host), a deadline per request (a server sending a byte every few
seconds is cut off) and one for the night, the size capped while the bytes arrive and again
once gzip is undone, redirects only within the same host (http to https allowed) and at most
five. XML is parsed with any DOCTYPE refused (no entity is ever declared, so none expands and
none reaches a file or another host), and nothing a feed names is ever fetched except a
sitemap index's child sitemaps on the same host.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlparse, urlunparse
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree
from xml.parsers import expat

import duckdb
import pandas as pd

from ingest.pull import Deadline, Refused
from outreach.core.constants import LOCAL_TZ
from outreach.core.home import Home
from outreach.core.registry import read_seed
from outreach.core.settings import CROSSCHECK_ENV, crosscheck_enabled
from outreach.core.text import nfc

log = logging.getLogger(__name__)

REGISTRY = "ref_outlet_feeds"
ENABLE_ENV = CROSSCHECK_ENV
DELAY_ENV = "OUTREACH_CROSSCHECK_DELAY_SECONDS"
NIGHT_ENV = "OUTREACH_CROSSCHECK_NIGHT_SECONDS"
CONTACT_ENV = "OUTREACH_CROSSCHECK_CONTACT"
OUTCOMES = ("ok", "robots_disallowed", "refused", "failed")
MAX_REDIRECTS = 5
TITLE_CHARS = 500
SUMMARY_CHARS = 2000
SECTION_CHARS = 200
URL_CHARS = 2000
ERROR_CHARS = 2000
CHUNK = 1 << 16
NIGHT = "night's collection"


# --- the registry and the settings ----------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """One feed or sitemap of an outlet, as the registry lists it."""

    source_code: str
    url: str
    valid_from: date
    valid_to: date | None

    def is_valid_in(self, month: date) -> bool:
        """Whether the feed is listed for any day of the month starting on `month`."""
        first = month.replace(day=1)
        if self.valid_to is not None and self.valid_to < first:
            return False
        return (self.valid_from.year, self.valid_from.month) <= (first.year, first.month)


def feeds_from_registry(seeds_dir: Path, months: Sequence[date]) -> list[Feed]:
    """The registry's feeds valid in any of `months` (none when the registry has no feeds file),
    each (outlet, URL) once."""
    if not (seeds_dir / f"{REGISTRY}.csv").is_file():
        return []
    feeds: dict[tuple[str, str], Feed] = {}
    for number, row in enumerate(read_seed(seeds_dir, REGISTRY), start=2):
        valid_to = (row.get("valid_to") or "").strip()
        try:
            feed = Feed(
                (row.get("source_code") or "").strip(),
                (row.get("feed_url") or "").strip(),
                date.fromisoformat((row.get("valid_from") or "").strip()),
                date.fromisoformat(valid_to) if valid_to else None,
            )
        except ValueError as exc:
            raise ValueError(f"{REGISTRY}.csv line {number}: {exc}") from exc
        if not feed.source_code or not feed.url:
            raise ValueError(f"{REGISTRY}.csv line {number}: source_code and feed_url are needed")
        if any(feed.is_valid_in(month) for month in months):
            feeds.setdefault((feed.source_code, feed.url), feed)
    return list(feeds.values())


def ascii_header_text(value: str) -> str:
    """Text an HTTP header can carry (latin-1, no line breaks): Vietnamese folded to ASCII
    ("Sở Thông tin" to "So Thong tin"), anything else left out."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    printable = "".join(ch if 32 <= ord(ch) < 127 and ch not in "();" else " " for ch in bare)
    return " ".join(printable.split())


def _env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError as exc:
        raise ValueError(f"{name}={value!r} is not a number of seconds") from exc
    if seconds < 0:
        raise ValueError(f"{name}={value!r} is negative")
    return seconds


@dataclass(frozen=True)
class CollectSettings:
    """How a collect behaves; `from_env` reads them from the deployment's environment."""

    enabled: bool
    user_agent: str
    delay_seconds: float = 2.0  # between two requests to one host, at least
    request_seconds: float = 20.0  # one request, its whole body included
    night_seconds: float = 600.0  # every feed of the night
    max_bytes: int = 5 * 1024 * 1024  # one document, as sent and once decompressed
    max_items_per_feed: int = 5000
    max_child_sitemaps: int = 20

    @classmethod
    def from_env(cls, department: str) -> CollectSettings:
        """Off unless OUTREACH_CROSSCHECK is on/true/1; the user agent names the department
        (folded to ASCII) and OUTREACH_CROSSCHECK_CONTACT, so a webmaster knows who asks."""
        enabled = crosscheck_enabled()
        contact = ascii_header_text(os.environ.get(CONTACT_ENV, ""))
        about = "; ".join(part for part in (ascii_header_text(department), contact) if part)
        return cls(
            enabled=enabled,
            user_agent=f"outreach-crosscheck/1.0 (+{about})",
            delay_seconds=_env_seconds(DELAY_ENV, 2.0),
            night_seconds=_env_seconds(NIGHT_ENV, 600.0),
        )


# --- safe XML --------------------------------------------------------------------------------


class _Failed(Exception):
    """The read failed (the server's error, a document that is not a feed): outcome `failed`."""


class _Disallowed(Exception):
    """robots.txt does not let us read it: outcome `robots_disallowed`."""


class _NightOver(Refused):
    """The night's deadline passed (or would, before a host's turn): nothing more is asked."""


def _refuse_declarations(*args: object) -> None:
    raise Refused(
        "the document has a DOCTYPE or entity declaration, which is never read (its entities "
        "could expand without bound or reach files and other hosts)"
    )


_EXPAT_ENCODINGS = {"utf8", "utf_8", "utf16", "utf_16", "latin_1", "iso8859_1", "ascii"}
_DECLARED_ENCODING = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([A-Za-z0-9._-]+)")


def _as_expat_reads(data: bytes) -> bytes:
    """The bytes in an encoding expat reads: a feed declaring another one Python knows
    (windows-1258, say) is decoded and declared UTF-8."""
    found = _DECLARED_ENCODING.match(data)
    if not found:
        return data
    try:
        codec = codecs.lookup(found.group(2).decode("ascii")).name.replace("-", "_")
    except LookupError:
        return data  # expat says the encoding is unknown
    if codec in _EXPAT_ENCODINGS or codec.startswith("utf_16"):
        return data
    text = data.decode(codec, errors="replace")
    return _DECLARED_ENCODING.sub(rb"\1utf-8", text.encode("utf-8"), count=1)


def parse_xml(data: bytes) -> ElementTree.Element:
    """The document's tree, namespaces as `{uri}local`; a DOCTYPE or any entity declaration is
    refused (`Refused`) before anything is declared, malformed XML fails (`_Failed`)."""
    builder = ElementTree.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attributes: dict[str, str]) -> None:
        builder.start(name(tag), {name(key): value for key, value in attributes.items()})

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    parser.UnparsedEntityDeclHandler = _refuse_declarations
    parser.ExternalEntityRefHandler = _refuse_declarations  # type: ignore[assignment]
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    try:
        parser.Parse(_as_expat_reads(data), True)
    except expat.ExpatError as exc:
        raise _Failed(
            f"malformed XML: {expat.ErrorString(exc.code)} at line {exc.lineno}, "
            f"column {exc.offset}"
        ) from exc
    return builder.close()


# --- documents: what a feed or a sitemap lists ----------------------------------------------


@dataclass(frozen=True)
class _Entry:
    url: str
    title: str | None
    summary: str | None
    section: str | None
    published_at: datetime | None


@dataclass
class _Document:
    kind: str  # rss, atom, sitemap, sitemap index
    entries: list[_Entry] = field(default_factory=list)
    children: list[tuple[str, datetime | None]] = field(default_factory=list)


ATOM = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespace(tag: object) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _children(element: ElementTree.Element, local: str, namespaces: Iterable[str] | None = None):
    wanted = set(namespaces) if namespaces is not None else None
    for child in element:
        if _local(child.tag) == local and (wanted is None or _namespace(child.tag) in wanted):
            yield child


def _text(element: ElementTree.Element, local: str, namespaces: Iterable[str] | None = None):
    for child in _children(element, local, namespaces):
        text = "".join(child.itertext()).strip()
        if text:
            return text
    return None


class _TextOnly(HTMLParser):
    """The text of an HTML fragment: tags dropped, entities read, scripts and styles left out."""

    SKIPPED = {"script", "style"}
    # tags that separate words (an inline tag, <b> say, may sit inside a word)
    BLOCKS = {"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "img", "figure"}
    BLOCKS |= {"figcaption", "blockquote", "section", "article", "h1", "h2", "h3", "h4", "h5"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def plain_text(value: str | None, limit: int) -> str | None:
    """Text as the warehouse keeps it: HTML tags and entities undone, whitespace collapsed, NFC,
    at most `limit` characters; None when nothing is left."""
    if value is None:
        return None
    if "<" in value or "&" in value:
        reader = _TextOnly()
        reader.feed(value)
        reader.close()
        value = "".join(reader.parts)
    cleaned = nfc(" ".join("".join(ch for ch in value if ch.isprintable() or ch.isspace()).split()))
    return cleaned[:limit].rstrip() or None


_LOCAL_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


def parse_when(value: str | None) -> datetime | None:
    """A feed's date (RFC 822 as RSS has it, ISO 8601 as Atom and sitemaps have it, or the
    dd/mm/yyyy some Vietnamese sites write) in UTC; a time without a zone is Vietnam's; None when
    it cannot be read or is implausible."""
    text = (value or "").strip()
    if not text:
        return None
    moment: datetime | None = None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
        except ValueError:
            moment = None
    if moment is None:
        for pattern in _LOCAL_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if moment is None or not 1990 <= moment.year <= 2200:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC)


def _entry(base: str, url: str | None, title, summary, section, when) -> _Entry | None:
    if not url:
        return None
    absolute = urljoin(base, url.strip())
    if urlparse(absolute).scheme not in ("http", "https") or len(absolute) > URL_CHARS:
        return None
    return _Entry(
        nfc(absolute),
        plain_text(title, TITLE_CHARS),
        plain_text(summary, SUMMARY_CHARS),
        plain_text(section, SECTION_CHARS),
        parse_when(when),
    )


def _rss_items(root: ElementTree.Element, base: str) -> list[_Entry]:
    plain = ("", RSS1)
    entries = []
    for item in root.iter():
        if _local(item.tag) != "item" or _namespace(item.tag) not in plain:
            continue
        link = _text(item, "link", plain)
        if link is None:
            for guid in _children(item, "guid", plain):
                if guid.get("isPermaLink", "true").strip().lower() != "false":
                    link = (guid.text or "").strip() or None
        summary = _text(item, "description", plain) or _text(item, "encoded")
        when = _text(item, "pubDate", plain) or _text(item, "date")  # dc:date in RSS 1.0
        entry = _entry(
            base, link, _text(item, "title", plain), summary, _text(item, "category"), when
        )
        if entry is not None:
            entries.append(entry)
    return entries


def _atom_entries(root: ElementTree.Element, base: str) -> list[_Entry]:
    entries = []
    for item in _children(root, "entry", (ATOM,)):
        link = None
        for candidate in _children(item, "link", (ATOM,)):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate.get("href")
                break
        section = None
        for category in _children(item, "category", (ATOM,)):
            section = category.get("label") or category.get("term")
            if section:
                break
        summary = _text(item, "summary", (ATOM,)) or _text(item, "content", (ATOM,))
        when = _text(item, "published", (ATOM,)) or _text(item, "updated", (ATOM,))
        entry = _entry(base, link, _text(item, "title", (ATOM,)), summary, section, when)
        if entry is not None:
            entries.append(entry)
    return entries


def _sitemap_urls(root: ElementTree.Element, base: str) -> list[_Entry]:
    entries = []
    for url in _children(root, "url"):
        title = when = None
        for news in _children(url, "news", (NEWS,)):
            title = _text(news, "title", (NEWS,))
            when = _text(news, "publication_date", (NEWS,))
        entry = _entry(base, _text(url, "loc"), title, None, None, when or _text(url, "lastmod"))
        if entry is not None:
            entries.append(entry)
    return entries


def read_document(data: bytes, base: str) -> _Document:
    """What an RSS 2.0 (or 1.0), Atom, sitemap or sitemap index document lists; links are made
    absolute against `base` (the URL it was read from), those not http(s) dropped."""
    root = parse_xml(data)
    kind = _local(root.tag)
    if kind == "rss" or kind == "RDF":
        return _Document("rss", _rss_items(root, base))
    if kind == "feed":
        return _Document("atom", _atom_entries(root, base))
    if kind == "urlset":
        return _Document("sitemap", _sitemap_urls(root, base))
    if kind == "sitemapindex":
        children = []
        for sitemap in _children(root, "sitemap"):
            loc = _text(sitemap, "loc")
            if loc:
                children.append((urljoin(base, loc), parse_when(_text(sitemap, "lastmod"))))
        return _Document("sitemap index", children=children)
    raise _Failed(f"not a feed or a sitemap: the document is <{kind}>")


# --- HTTP: one request at a time, politely --------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as answers: the collector decides, hop by hop, whether to follow."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
# only http and https (typeshed does not declare `OpenerDirector.handlers`)
_OPENER.handlers = [  # type: ignore[attr-defined]
    handler
    for handler in _OPENER.handlers  # type: ignore[attr-defined]
    if not isinstance(
        handler, (urllib.request.FileHandler, urllib.request.FTPHandler, urllib.request.DataHandler)
    )
]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int]:
    parsed = urlparse(url)
    port = parsed.port or _DEFAULT_PORTS.get(parsed.scheme, 0)
    return parsed.scheme, (parsed.hostname or "").lower(), port


def _netloc(url: str) -> str:
    """scheme://host:port, as an engineer reads where a redirect led."""
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}"


def same_site(start: str, target: str) -> bool:
    """Whether `target` is on the same host as `start`: the same scheme, host and port, or the
    same host moved from http to https on the default ports."""
    old, new = _origin(start), _origin(target)
    if new[0] not in ("http", "https") or not new[1]:
        return False
    if old == new:
        return True
    return old[1] == new[1] and old[0::2] == ("http", 80) and new[0::2] == ("https", 443)


_URI_SAFE = "".join(chr(code) for code in range(33, 127))


def as_uri(url: str) -> str:
    """The URL as it goes on the wire: letters beyond ASCII (a Vietnamese slug) and spaces
    percent-encoded as UTF-8, everything else (escapes already there included) as written."""
    return quote(url, safe=_URI_SAFE)


def _header_text(value: str) -> str:
    """A header as the server meant it: http.client reads headers as latin-1, a Location
    written in UTF-8 is read back as UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


@dataclass
class _Progress:
    """What one read saw, kept when it fails too."""

    url: str | None = None
    status: int | None = None
    bytes: int = 0


@dataclass(frozen=True)
class _Fetched:
    url: str
    status: int
    body: bytes


def _gunzip(data: bytes, cap: int) -> bytes:
    """Gzip undone, refused past `cap` bytes (a gzip bomb stops there, never held whole)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error as exc:
        raise _Failed(f"damaged gzip: {exc}") from exc
    if len(out) > cap:
        raise Refused(f"larger than {cap} bytes once decompressed")
    return out


class _Client:
    """The collect's one HTTP client: sequential requests, each host's turn, robots.txt once per
    host (scheme, host and port), same-host redirects only."""

    def __init__(self, settings: CollectSettings, night: Deadline) -> None:
        self.settings = settings
        self.night = night
        self.last_at: dict[str, float] = {}  # host: when its last request ended (monotonic)
        self.crawl_delay: dict[str, float] = {}
        self.robots: dict[tuple[str, str, int], tuple[RobotFileParser | None, str | None]] = {}

    # each host's turn
    def _wait_turn(self, host: str) -> None:
        delay = max(self.settings.delay_seconds, self.crawl_delay.get(host, 0.0))
        wait = self.last_at.get(host, -1e12) + delay - time.monotonic()
        if wait <= 0:
            return
        if wait >= self.night.remaining():
            raise _NightOver(f"the {NIGHT} deadline passes before {host} may be asked again")
        time.sleep(wait)

    def _request(self, url: str, progress: _Progress) -> tuple[int, Any, bytes]:
        host = _origin(url)[1]
        self._wait_turn(host)
        deadline = Deadline(self.settings.request_seconds, "request's", self.night)
        request = urllib.request.Request(
            as_uri(url),
            headers={
                "User-Agent": self.settings.user_agent,
                "Accept-Encoding": "gzip",
                "Accept": "application/rss+xml, application/atom+xml, application/xml, "
                "text/xml;q=0.9, */*;q=0.5",
            },
        )
        progress.url = url
        try:
            try:
                response = _OPENER.open(request, timeout=deadline.timeout())
            except urllib.error.HTTPError as exc:
                response = exc  # a 3xx, 4xx or 5xx: an answer all the same
            with response:
                status = response.status if response.status is not None else response.code
                progress.status = status
                if not 200 <= status < 300:
                    return status, response.headers, b""
                length = response.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > self.settings.max_bytes:
                    raise Refused(
                        f"{int(length)} bytes announced, larger than the cap of "
                        f"{self.settings.max_bytes}"
                    )
                body = self._read_capped(response, deadline, progress)
                return status, response.headers, body
        except TimeoutError as exc:
            raise self._timed_out(deadline) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timed_out(deadline) from exc
            raise _Failed(f"cannot reach {host}: {exc.reason}") from exc
        finally:
            self.last_at[host] = time.monotonic()

    def _timed_out(self, deadline: Deadline) -> Exception:
        """A socket that waited its whole timeout: the night's end when that was the bound
        (refused), else a server that did not answer in time (failed)."""
        if deadline.what == NIGHT and deadline.remaining() < 0.05:
            return _NightOver(f"the {NIGHT} deadline passed")
        return _Failed(f"no answer within {self.settings.request_seconds:g} s")

    def _read_capped(self, response, deadline: Deadline, progress: _Progress) -> bytes:
        read = getattr(response, "read1", None) or response.read
        parts: list[bytes] = []
        size = 0
        while True:
            deadline.check()
            chunk = read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            progress.bytes += len(chunk)
            if size > self.settings.max_bytes:
                raise Refused(f"larger than the cap of {self.settings.max_bytes} bytes")
            parts.append(chunk)
        deadline.check()
        return b"".join(parts)

    def _follow(self, url: str, progress: _Progress, *, robots: bool) -> _Fetched:
        """GET `url`, following redirects within the same host (each hop robots-checked and
        waiting its host's turn): the final answer's body, decompressed."""
        for _hop in range(MAX_REDIRECTS + 1):
            self.night.check()
            if robots:
                self.check_robots(url)
            status, headers, body = self._request(url, progress)
            if status in (301, 302, 303, 307, 308):
                location = _header_text(headers.get("Location") or "").strip()
                if not location:
                    raise _Failed(f"HTTP {status} without a Location")
                target = urljoin(url, location)
                scheme = urlparse(target).scheme
                if scheme not in ("http", "https"):
                    raise Refused(f"a redirect to {scheme}: is not followed ({target[:200]})")
                if not same_site(url, target):
                    raise Refused(
                        f"a redirect to another host is not followed ({_netloc(target)}, "
                        f"from {_netloc(url)})"
                    )
                url = target
                continue
            if not 200 <= status < 300:
                raise _Failed(f"HTTP {status}")
            encoding = (headers.get("Content-Encoding") or "").strip().lower()
            if encoding in ("gzip", "x-gzip"):
                body = _gunzip(body, self.settings.max_bytes)
            elif encoding not in ("", "identity"):
                raise _Failed(f"unsupported Content-Encoding {encoding!r}")
            if body[:2] == b"\x1f\x8b":  # a .gz file (sitemap.xml.gz)
                body = _gunzip(body, self.settings.max_bytes)
            return _Fetched(url, status, body)
        raise Refused(f"more than {MAX_REDIRECTS} redirects")

    def get(self, url: str, progress: _Progress) -> _Fetched:
        if urlparse(url).scheme not in ("http", "https"):
            raise Refused(f"not an http(s) URL: {url[:200]}")
        return self._follow(url, progress, robots=True)

    # robots.txt
    def check_robots(self, url: str) -> None:
        origin = _origin(url)
        if origin not in self.robots:
            self.robots[origin] = self._read_robots(url)
        rules, refusal = self.robots[origin]
        if refusal is not None:
            raise _Disallowed(refusal)
        if rules is not None and not rules.can_fetch(self.settings.user_agent, url):
            raise _Disallowed(f"robots.txt of {origin[1]} disallows {urlparse(url).path or '/'}")

    def _read_robots(self, page: str) -> tuple[RobotFileParser | None, str | None]:
        """The rules of the page's host (scheme, host and port), or why everything there is
        disallowed; read once a collect."""
        parsed = urlparse(page)
        host = (parsed.hostname or "").lower()
        url = urlunparse(
            (parsed.scheme, parsed.netloc.rpartition("@")[2], "/robots.txt", "", "", "")
        )
        progress = _Progress()
        try:
            fetched = self._follow(url, progress, robots=False)
        except _Failed as exc:
            if (
                progress.status is not None
                and 400 <= progress.status < 500
                and progress.status != 429
            ):
                return None, None  # RFC 9309: no robots.txt, everything allowed (429: back off)
            return (
                None,
                f"robots.txt of {host} cannot be read ({exc}): everything there is "
                "disallowed (RFC 9309)",
            )
        except Refused as exc:
            if isinstance(exc, _NightOver) or self.night.remaining() <= 0:
                raise
            return None, f"robots.txt of {host} refused ({exc}): everything there is disallowed"
        except Exception as exc:  # a connection reset, a bad status line: unreachable
            return (
                None,
                f"robots.txt of {host} cannot be read ({type(exc).__name__}: {exc}): everything "
                "there is disallowed (RFC 9309)",
            )
        rules = RobotFileParser(url)
        rules.parse(fetched.body.decode("utf-8", errors="replace").splitlines())
        delay = rules.crawl_delay(self.settings.user_agent)
        if delay:
            self.crawl_delay[host] = max(self.crawl_delay.get(host, 0.0), float(delay))
        return rules, None


# --- the collect -----------------------------------------------------------------------------


def month_window(months: Sequence[date]) -> tuple[date, date]:
    """The days whose items are kept (Vietnam's dates): from the 15th of the month before the
    first month (a file for a month may name items of the month before's last days) to the end of
    the last month; the end is exclusive."""
    first = min(months).replace(day=1)
    last = max(months).replace(day=1)
    start = (first - timedelta(days=1)).replace(day=15)
    end = (last + timedelta(days=32)).replace(day=1)
    return start, end


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


@dataclass
class _Read:
    """One feed's read, as `raw.published_reads` keeps it, and its items."""

    feed: Feed
    read_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    outcome: str = "ok"
    error_en: str | None = None
    progress: _Progress = field(default_factory=_Progress)
    entries: list[_Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind: str | None = None  # what the document was: rss, atom, sitemap, sitemap index

    def fail(self, outcome: str, reason: str) -> None:
        self.outcome, self.error_en = outcome, reason


def _outcome_of(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, _Disallowed):
        return "robots_disallowed", str(exc)
    if isinstance(exc, Refused):
        return "refused", str(exc)
    if isinstance(exc, _Failed):
        return "failed", str(exc)
    return "failed", f"{type(exc).__name__}: {exc}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _read_children(
    client: _Client,
    read: _Read,
    index_url: str,
    children: list[tuple[str, datetime | None]],
    window_start: date,
) -> None:
    """A sitemap index's child sitemaps on its own host, modified (when they say) since the
    window's first day, the closest to it first, at most `max_child_sitemaps`."""
    elsewhere = [url for url, _ in children if not same_site(index_url, url)]
    if elsewhere:
        read.notes.append(f"{_count(len(elsewhere), 'child sitemap')} on another host not read")
    here = [(url, when) for url, when in children if same_site(index_url, url)]
    recent = [(url, when) for url, when in here if when is None or _local_day(when) >= window_start]
    if len(recent) < len(here):
        read.notes.append(
            f"{_count(len(here) - len(recent), 'child sitemap')} not modified since "
            f"{window_start} not read"
        )
    dated = sorted((when, url) for url, when in recent if when is not None)
    ordered = [(url, when) for when, url in dated] + [item for item in recent if item[1] is None]
    cap = client.settings.max_child_sitemaps
    if len(ordered) > cap:
        read.notes.append(f"{_count(len(ordered) - cap, 'child sitemap')} beyond {cap} not read")
    failures: list[tuple[str, str]] = []
    succeeded = 0
    for url, _ in ordered[:cap]:
        child = _Progress()
        try:
            fetched = client.get(url, child)
            document = read_document(fetched.body, fetched.url)
            if document.kind != "sitemap":
                raise _Failed(f"a {document.kind}, not a sitemap: not followed further")
            read.entries.extend(document.entries)
            succeeded += 1
        except Exception as exc:  # one child that fails does not lose the others
            outcome, reason = _outcome_of(exc)
            failures.append((outcome, f"child {url[:200]}: {reason}"))
            if client.night.remaining() <= 0:
                break
        finally:
            read.progress.bytes += child.bytes
    if failures and not succeeded:  # the read read nothing: its outcome is the first child's
        read.fail(failures[0][0], "; ".join(reason for _, reason in failures))
    else:
        read.notes.extend(reason for _, reason in failures)


def _read_feed(client: _Client, read: _Read, window_start: date) -> None:
    """One feed read into `read` (its entries, its outcome); raises nothing."""
    try:
        fetched = client.get(read.feed.url, read.progress)
        document = read_document(fetched.body, fetched.url)
        read.kind = document.kind
        read.entries.extend(document.entries)
        if document.kind == "sitemap index":
            _read_children(client, read, fetched.url, document.children, window_start)
    except Exception as exc:  # whatever a feed or a server does is the read's outcome
        read.fail(*_outcome_of(exc))


def _rows(read: _Read, window: tuple[date, date], cap: int) -> tuple[dict, list[dict]]:
    """The read's row and its items' rows: items of the window (and undated ones), each URL
    once, at most `cap`; the days covered are over every dated item listed."""
    dated = [entry.published_at for entry in read.entries if entry.published_at is not None]
    kept: dict[str, _Entry] = {}
    for entry in read.entries:
        when = entry.published_at
        if when is not None and not window[0] <= _local_day(when) < window[1]:
            continue
        kept.setdefault(entry.url, entry)
    if len(kept) > cap:
        read.notes.append(f"{_count(len(kept) - cap, 'item')} beyond the cap of {cap} not kept")
    items = [
        {
            "read_id": read.read_id,
            "item_number": number,
            "source_code": read.feed.source_code,
            "item_url": entry.url,
            "title": entry.title,
            "summary": entry.summary,
            "section": entry.section,
            "published_at": _iso(entry.published_at),
        }
        for number, entry in enumerate(list(kept.values())[:cap], start=1)
    ]
    error = "; ".join(part for part in (read.error_en, *read.notes) if part) or None
    row = {
        "read_id": read.read_id,
        "source_code": read.feed.source_code,
        "feed_url": read.feed.url,
        "fetched_url": read.progress.url,
        "started_at": _iso(read.started_at),
        "finished_at": _iso(read.finished_at or datetime.now(UTC)),
        "outcome": read.outcome,
        "feed_kind": read.kind,
        "http_status": read.progress.status,
        "error_en": error[:ERROR_CHARS] if error else None,
        "item_count": len(items),
        "byte_count": read.progress.bytes,
        "oldest_item_at": _iso(min(dated)) if dated else None,
        "newest_item_at": _iso(max(dated)) if dated else None,
    }
    return row, items


def waiting_folder(home: Home) -> Path:
    return home.root / "published" / "waiting"


def _write_atomically(folder: Path, document: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{uuid.uuid4().hex}.part"
    partial.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    while True:
        target = folder / f"collected-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.json"
        if not target.exists():
            os.replace(partial, target)
            return target
        time.sleep(0.001)


def collect(
    home: Home,
    months: Sequence[date],
    settings: CollectSettings,
    *,
    seeds_dir: Path | None = None,
) -> dict:
    """Read every registry feed valid in `months`, one request at a time, into one waiting file
    (see the module's docstring); nothing is fetched when collecting is off."""
    if not settings.enabled:
        log.info("published: collecting is off (%s)", ENABLE_ENV)
        return {"enabled": False, "feeds": 0, "ok": 0, "failed": {}, "items": 0, "file": None}
    feeds = feeds_from_registry(seeds_dir or home.seeds_dir(), months) if months else []
    window = month_window(months) if months else (date.max, date.max)
    night = Deadline(settings.night_seconds, NIGHT)
    client = _Client(settings, night)
    reads: list[dict] = []
    items: list[dict] = []
    failed: dict[str, list[str]] = {}
    for feed in feeds:
        read = _Read(feed)
        if night.remaining() <= 0:
            read.fail("refused", f"the {NIGHT} deadline passed before this feed's turn")
        else:
            _read_feed(client, read, window[0])
        read.finished_at = datetime.now(UTC)
        row, kept = _rows(read, window, settings.max_items_per_feed)
        reads.append(row)
        items.extend(kept)
        if row["outcome"] != "ok":
            failed.setdefault(feed.source_code, []).append(f"{feed.url}: {row['error_en']}")
        log.info(
            "published: %s %s: %s, %d items kept, %d bytes%s",
            feed.source_code,
            feed.url,
            row["outcome"],
            row["item_count"],
            row["byte_count"],
            f" ({row['error_en']})" if row["error_en"] else "",
        )
    written = _write_atomically(waiting_folder(home), {"reads": reads, "items": items})
    return {
        "enabled": True,
        "feeds": len(feeds),
        "ok": sum(1 for row in reads if row["outcome"] == "ok"),
        "failed": failed,
        "items": len(items),
        "file": str(written),
    }


# --- loading into the raw tables -------------------------------------------------------------

_READ_COLUMNS = {
    "read_id": "varchar",
    "source_code": "varchar",
    "feed_url": "varchar",
    "fetched_url": "varchar",
    "started_at": "timestamptz",
    "finished_at": "timestamptz",
    "outcome": "varchar",
    "feed_kind": "varchar",
    "http_status": "integer",
    "error_en": "varchar",
    "item_count": "integer",
    "byte_count": "bigint",
    "oldest_item_at": "timestamptz",
    "newest_item_at": "timestamptz",
}
_ITEM_COLUMNS = {
    "read_id": "varchar",
    "item_number": "integer",
    "source_code": "varchar",
    "item_url": "varchar",
    "title": "varchar",
    "summary": "varchar",
    "section": "varchar",
    "published_at": "timestamptz",
}
_REQUIRED = {
    "read_id",
    "source_code",
    "feed_url",
    "started_at",
    "finished_at",
    "outcome",
    "item_count",
    "byte_count",
    "item_number",
    "item_url",
}


class CorruptFile(ValueError):
    """A waiting file that is not what `collect` writes."""


def _checked(row: object, columns: dict[str, str], what: str) -> dict:
    if not isinstance(row, dict):
        raise CorruptFile(f"{what} is not an object")
    checked = {}
    for name, kind in columns.items():
        value = row.get(name)
        if value is None:
            if name in _REQUIRED:
                raise CorruptFile(f"{what} has no {name}")
        elif kind == "varchar":
            if not isinstance(value, str):
                raise CorruptFile(f"{what}: {name} is not text")
            value = nfc(value)
        elif kind in ("integer", "bigint"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise CorruptFile(f"{what}: {name} is not a count")
        elif kind == "timestamptz":
            try:
                moment = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise CorruptFile(f"{what}: {name} is not a time with its zone")
        checked[name] = value
    return checked


def read_collected(path: Path) -> tuple[list[dict], list[dict]]:
    """The reads and items of a waiting file, checked (`CorruptFile` when they are not)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptFile(f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CorruptFile("not a JSON object")
    raw_reads, raw_items = document.get("reads"), document.get("items")
    if not isinstance(raw_reads, list) or not isinstance(raw_items, list):
        raise CorruptFile("no list of reads and items")
    reads = [_checked(row, _READ_COLUMNS, f"read {n}") for n, row in enumerate(raw_reads, 1)]
    ids = {row["read_id"] for row in reads}
    if len(ids) != len(reads):
        raise CorruptFile("a read id is there twice")
    for row in reads:
        if row["outcome"] not in OUTCOMES:
            raise CorruptFile(f"read {row['read_id']}: unknown outcome {row['outcome']!r}")
    items = [_checked(row, _ITEM_COLUMNS, f"item {n}") for n, row in enumerate(raw_items, 1)]
    numbers = set()
    for item in items:
        if item["read_id"] not in ids:
            raise CorruptFile(f"item of read {item['read_id']}, which the file does not have")
        if urlparse(item["item_url"]).scheme not in ("http", "https"):
            raise CorruptFile(f"item {item['item_number']}: not an http(s) URL")
        key = (item["read_id"], item["item_number"])
        if key in numbers:
            raise CorruptFile(f"item {key[1]} of read {key[0]} is there twice")
        numbers.add(key)
    return reads, items


def _insert_new(con: duckdb.DuckDBPyConnection, table: str, columns: dict, rows: list) -> None:
    """Rows whose key the table does not hold yet (a file loaded twice inserts nothing twice)."""
    if not rows:
        return
    frame = pd.DataFrame(  # noqa: F841 (read by DuckDB)
        {name: pd.Series([row[name] for row in rows], dtype=object) for name in columns}
    )
    select = ", ".join(f"{name}::{kind}" for name, kind in columns.items())
    con.execute(f"insert or ignore into {table} ({', '.join(columns)}) select {select} from frame")


def load_collected(home: Home, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every waiting file into `raw.published_reads` and `raw.published_items`, one transaction
    a file, then moved to `published/loaded/`; a file that cannot be read is moved to
    `published/refused/` (logged) and the others are loaded all the same. The names loaded."""
    waiting = waiting_folder(home)
    if not waiting.is_dir():
        return []
    loaded: list[str] = []
    for path in sorted(waiting.glob("collected-*.json")):
        try:
            reads, items = read_collected(path)
            con.execute("begin transaction")
            try:
                # a read already loaded keeps its items as they were
                known = {
                    read_id
                    for (read_id,) in con.execute(
                        "select read_id from raw.published_reads where read_id in "
                        "(select unnest(?::varchar[]))",
                        [[row["read_id"] for row in reads]],
                    ).fetchall()
                }
                _insert_new(con, "raw.published_reads", _READ_COLUMNS, reads)
                fresh = [item for item in items if item["read_id"] not in known]
                _insert_new(con, "raw.published_items", _ITEM_COLUMNS, fresh)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        except (CorruptFile, duckdb.ConstraintException, duckdb.ConversionException) as exc:
            log.warning("published: %s refused, not loaded: %s", path.name, exc)
            _move(path, home.root / "published" / "refused")
            continue
        _move(path, home.root / "published" / "loaded")
        log.info("published: %s loaded: %d reads, %d items", path.name, len(reads), len(items))
        loaded.append(path.name)
    return loaded


def _move(path: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(path, folder / path.name)
