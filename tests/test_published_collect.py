"""The collector of what outlets published, against real HTTP servers on 127.0.0.1
(tests/feed_server.py): the formats it reads, the politeness and the bounds it keeps, the raw
tables it loads."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import socket
import time
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from feed_server import FeedServer, Response
from helpers import new_home

from ingest.published import (
    CollectSettings,
    Feed,
    feeds_from_registry,
    load_collected,
    month_window,
    parse_when,
)
from ingest.published import (
    collect as collect_feeds,
)
from ingest.warehouse import connect

MARCH = [date(2024, 3, 1)]
AGENT = "outreach-crosscheck/1.0 (+So Thong tin va Truyen thong Lang Son; ttbc@example.vn)"


def settings(**changes) -> CollectSettings:
    """Small bounds, tiny delays: each test runs in a second or two."""
    values = {
        "enabled": True,
        "user_agent": AGENT,
        "delay_seconds": 0.01,
        "request_seconds": 2.0,
        "night_seconds": 30.0,
        "max_bytes": 64 * 1024,
        "max_items_per_feed": 100,
        "max_child_sitemaps": 5,
    }
    return CollectSettings(**{**values, **changes})


def write_registry(folder: Path, feeds: list[tuple[str, str]], **dates: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "ref_outlet_feeds.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_code", "feed_url", "valid_from", "valid_to", "note"])
        for code, url in feeds:
            writer.writerow(
                [code, url, dates.get("valid_from", "2022-01-01"), dates.get("valid_to", ""), ""]
            )
    return folder


def collect(tmp_path: Path, feeds: list[tuple[str, str]], months=MARCH, **changes):
    """One collect of `feeds`: its summary, its reads and its items (from the file written)."""
    home = new_home(tmp_path / "home")
    registry = write_registry(tmp_path / "registry", feeds)
    summary = collect_feeds(home, months, settings(**changes), seeds_dir=registry)
    written = json.loads(Path(summary["file"]).read_text(encoding="utf-8"))
    return summary, written["reads"], written["items"]


def robots(text: str = "User-agent: *\nAllow: /\n") -> Response:
    return Response(body=text.encode(), headers={"Content-Type": "text/plain"})


def rss(items: str) -> Response:
    return Response.xml(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Báo Lạng Sơn</title><link>https://baolangson.example/</link>{items}"
        "</channel></rss>",
        "application/rss+xml",
    )


def item(link: str, title: str = "Tin", when: str | None = None, extra: str = "") -> str:
    date_tag = f"<pubDate>{when}</pubDate>" if when else ""
    return f"<item><title>{title}</title><link>{link}</link>{date_tag}{extra}</item>"


# --- formats -----------------------------------------------------------------------------------


def test_rss_items_in_the_months_asked_for_become_rows(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Tuyên truyền phòng, chống mua bán người")
    items = "".join(
        [
            item(
                "https://baolangson.example/tin-1.html",
                f"<![CDATA[{decomposed}]]>",
                "Tue, 05 Mar 2024 10:00:00 +0700",
                "<description><![CDATA[<p>Sáng <b>5/3</b>,&nbsp;tại xã…</p>"
                "<script>alert(1)</script>]]></description><category>Thời sự</category>",
            ),
            item(
                "https://baolangson.example/tin-2.html", "Cuối tháng 2", "20 Feb 2024 08:00 +0700"
            ),
            item("https://baolangson.example/tin-3.html", "Đầu tháng 2", "10 Feb 2024 08:00 +0700"),
            # 1 April 00:30 in Vietnam is still 31 March in UTC: April's, not kept
            item("https://baolangson.example/tin-4.html", "Tháng 4", "2024-03-31T17:30:00Z"),
            item("/tin-5.html", "Không ngày"),  # relative: made absolute against the feed
            item("javascript:alert(1)", "Không phải đường dẫn", "05 Mar 2024 08:00 +0700"),
            item("https://baolangson.example/tin-1.html", "Lặp lại", "05 Mar 2024 10:00 +0700"),
        ]
    )
    with FeedServer({"/robots.txt": robots(), "/rss": rss(items)}) as server:
        summary, reads, rows = collect(tmp_path, [("BAO-LS", server.url("/rss"))])
    assert summary == {
        "enabled": True,
        "feeds": 1,
        "ok": 1,
        "failed": {},
        "items": 3,
        "file": summary["file"],
    }
    [read] = reads
    assert read["outcome"] == "ok" and read["http_status"] == 200 and read["error_en"] is None
    assert read["fetched_url"] == server.url("/rss") and read["byte_count"] > 0
    assert read["item_count"] == 3
    # the days the read covers: every dated item listed, before the month filter
    assert read["oldest_item_at"] == "2024-02-10T01:00:00+00:00"
    assert read["newest_item_at"] == "2024-03-31T17:30:00+00:00"
    assert [(row["item_number"], row["item_url"]) for row in rows] == [
        (1, "https://baolangson.example/tin-1.html"),
        (2, "https://baolangson.example/tin-2.html"),
        (3, server.url("/tin-5.html")),
    ]
    first = rows[0]
    assert first["title"] == "Tuyên truyền phòng, chống mua bán người"
    assert first["title"] == unicodedata.normalize("NFC", first["title"])
    assert first["summary"] == "Sáng 5/3, tại xã…"
    assert first["section"] == "Thời sự"
    assert first["published_at"] == "2024-03-05T03:00:00+00:00"
    assert first["source_code"] == "BAO-LS" and first["read_id"] == read["read_id"]
    assert rows[2]["published_at"] is None


def test_atom_entries(tmp_path):
    feed = Response.xml(
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>VOV</title>"
        '<entry><title type="html">Bài &lt;i&gt;một&lt;/i&gt;</title>'
        '<link rel="self" href="https://vov.example/self/1"/>'
        '<link rel="alternate" href="https://vov.example/bai-1"/>'
        "<published>2024-03-02T09:00:00+07:00</published>"
        "<updated>2024-04-20T09:00:00+07:00</updated>"
        '<summary type="html">&lt;p&gt;Tóm tắt&lt;/p&gt;</summary>'
        '<category term="thoi-su" label="Thời sự"/></entry>'
        '<entry><title>Bài hai</title><link href="https://vov.example/bai-2"/>'
        "<updated>2024-03-15</updated><content>Nội dung</content>"
        '<category term="xa-hoi"/></entry>'
        "<entry><title>Cũ</title><link href='https://vov.example/bai-0'/>"
        "<updated>2023-12-01T00:00:00Z</updated></entry>"
        "</feed>",
        "application/atom+xml",
    )
    with FeedServer({"/robots.txt": robots(), "/atom.xml": feed}) as server:
        summary, [read], rows = collect(tmp_path, [("TW-VOV", server.url("/atom.xml"))])
    assert read["outcome"] == "ok" and summary["items"] == 2
    assert [(r["item_url"], r["title"], r["summary"], r["section"]) for r in rows] == [
        ("https://vov.example/bai-1", "Bài một", "Tóm tắt", "Thời sự"),
        ("https://vov.example/bai-2", "Bài hai", "Nội dung", "xa-hoi"),
    ]
    assert rows[0]["published_at"] == "2024-03-02T02:00:00+00:00"  # published, not updated
    assert rows[1]["published_at"] == "2024-03-14T17:00:00+00:00"  # a day is Vietnam's midnight
    assert read["oldest_item_at"] == "2023-12-01T00:00:00+00:00"


SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
    "<url><loc>https://lsonline.example/tin/a</loc><lastmod>2024-03-09T12:00:00+07:00</lastmod>"
    "<news:news><news:publication><news:name>LSTV</news:name></news:publication>"
    "<news:publication_date>2024-03-08T20:00:00+07:00</news:publication_date>"
    "<news:title>Tin &amp; ảnh</news:title></news:news></url>"
    "<url><loc>https://lsonline.example/tin/b</loc><lastmod>2024-03-10</lastmod></url>"
    "<url><loc>https://lsonline.example/tin/c</loc><lastmod>2024-01-10</lastmod></url>"
    "<url><loc>ftp://lsonline.example/tin/d</loc></url>"
    "</urlset>"
)


def test_sitemap_urls_with_google_news_titles(tmp_path):
    with FeedServer({"/robots.txt": robots(), "/sitemap.xml": Response.xml(SITEMAP)}) as server:
        summary, [read], rows = collect(tmp_path, [("PTTH-LS", server.url("/sitemap.xml"))])
    assert read["outcome"] == "ok" and read["item_count"] == 2
    assert [(r["item_url"], r["title"], r["published_at"]) for r in rows] == [
        ("https://lsonline.example/tin/a", "Tin & ảnh", "2024-03-08T13:00:00+00:00"),
        ("https://lsonline.example/tin/b", None, "2024-03-09T17:00:00+00:00"),
    ]
    assert read["oldest_item_at"] == "2024-01-09T17:00:00+00:00"


def test_sitemap_index_reads_recent_children_of_its_own_host_only(tmp_path):
    child = Response.xml(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://site.example/march</loc><lastmod>2024-03-20</lastmod></url></urlset>"
    )
    zipped = gzip.compress(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://site.example/gz</loc><lastmod>2024-03-21</lastmod></url></urlset>"
    )
    with FeedServer() as elsewhere, FeedServer() as server:
        index = (
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            "<sitemap><loc>/s-2024-03.xml</loc><lastmod>2024-03-31</lastmod></sitemap>"
            f"<sitemap><loc>{server.url('/s.xml.gz')}</loc></sitemap>"
            "<sitemap><loc>/s-2023-01.xml</loc><lastmod>2023-01-31</lastmod></sitemap>"
            f"<sitemap><loc>http://localhost:{elsewhere.port}/s.xml</loc></sitemap>"
            f"<sitemap><loc>{server.url('/missing.xml')}</loc></sitemap>"
            "</sitemapindex>"
        )
        server.serve("/robots.txt", robots())
        server.serve("/index.xml", Response.xml(index))
        server.serve("/s-2024-03.xml", child)
        server.serve("/s-2023-01.xml", child)
        server.serve("/s.xml.gz", Response(body=zipped, headers={"Content-Type": "x-gzip"}))
        summary, [read], rows = collect(tmp_path, [("BAO-LS", server.url("/index.xml"))])
        assert elsewhere.requests == []
        assert "/s-2023-01.xml" not in server.paths()  # not modified since the window opened
    assert read["outcome"] == "ok"
    assert [r["item_url"] for r in rows] == [
        "https://site.example/march",
        "https://site.example/gz",
    ]
    assert "1 child sitemap on another host not read" in read["error_en"]
    assert "1 child sitemap not modified since 2024-02-15 not read" in read["error_en"]
    assert "missing.xml: HTTP 404" in read["error_en"]


def test_the_month_window_and_the_registrys_months(tmp_path):
    assert month_window([date(2024, 3, 1)]) == (date(2024, 2, 15), date(2024, 4, 1))
    assert month_window([date(2024, 5, 1), date(2024, 1, 1)]) == (
        date(2023, 12, 15),
        date(2024, 6, 1),
    )
    assert parse_when("2024-03-05 10:00:00") == parse_when("05/03/2024 10:00")
    assert parse_when("not a date") is None and parse_when("0001-01-01") is None
    registry = tmp_path / "registry"
    registry.mkdir()
    assert feeds_from_registry(registry, MARCH) == []  # no feeds file: no feeds
    write_registry(registry, [("BAO-LS", "https://a.example/rss")], valid_to="2024-02-29")
    assert feeds_from_registry(registry, MARCH) == []
    assert feeds_from_registry(registry, [date(2024, 2, 1), date(2024, 3, 1)]) == [
        Feed("BAO-LS", "https://a.example/rss", date(2022, 1, 1), date(2024, 2, 29))
    ]


def test_items_are_capped_per_feed(tmp_path):
    items = "".join(item(f"https://a.example/{n}") for n in range(10))
    with FeedServer({"/rss": rss(items)}) as server:
        summary, [read], rows = collect(
            tmp_path, [("BAO-LS", server.url("/rss"))], max_items_per_feed=4
        )
    assert len(rows) == read["item_count"] == 4
    assert "6 items beyond the cap of 4 not kept" in read["error_en"]


# --- politeness -------------------------------------------------------------------------------


def test_nothing_is_fetched_when_collecting_is_off(tmp_path):
    home = new_home(tmp_path / "home")
    with FeedServer({"/rss": rss(item("https://a.example/1"))}) as server:
        registry = write_registry(tmp_path / "registry", [("BAO-LS", server.url("/rss"))])
        summary = collect_feeds(home, MARCH, settings(enabled=False), seeds_dir=registry)
        assert server.requests == []
    assert summary["enabled"] is False and summary["file"] is None
    assert not (home.root / "published").exists()


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.delenv("OUTREACH_CROSSCHECK", raising=False)
    monkeypatch.delenv("OUTREACH_CROSSCHECK_CONTACT", raising=False)
    off = CollectSettings.from_env("Sở Thông tin và Truyền thông tỉnh Lạng Sơn")
    assert not off.enabled and off.delay_seconds == 2.0 and off.night_seconds == 600.0
    assert off.user_agent == (
        "outreach-crosscheck/1.0 (+So Thong tin va Truyen thong tinh Lang Son)"
    )
    monkeypatch.setenv("OUTREACH_CROSSCHECK", "on")
    monkeypatch.setenv("OUTREACH_CROSSCHECK_CONTACT", "ttbc@example.vn\r\nX-Evil: 1")
    monkeypatch.setenv("OUTREACH_CROSSCHECK_DELAY_SECONDS", "5")
    monkeypatch.setenv("OUTREACH_CROSSCHECK_NIGHT_SECONDS", "120")
    on = CollectSettings.from_env("Sở Văn hóa, Thể thao và Du lịch Đồng Nai")
    assert on.enabled and on.delay_seconds == 5.0 and on.night_seconds == 120.0
    assert on.user_agent == (
        "outreach-crosscheck/1.0 (+So Van hoa, The thao va Du lich Dong Nai; "
        "ttbc@example.vn X-Evil: 1)"
    )
    on.user_agent.encode("latin-1")
    for value in ("true", "1", "TRUE"):
        monkeypatch.setenv("OUTREACH_CROSSCHECK", value)
        assert CollectSettings.from_env("x").enabled


def test_robots_txt_is_read_once_per_host_and_obeyed(tmp_path):
    rules = "User-agent: *\nDisallow: /\n\nUser-agent: outreach-crosscheck\nDisallow: /rieng/\n"
    with FeedServer(
        {
            "/robots.txt": robots(rules),
            "/rieng/rss": rss(item("https://a.example/1")),
            "/rss": rss(item("https://a.example/2")),
        }
    ) as server:
        summary, reads, rows = collect(
            tmp_path, [("BAO-LS", server.url("/rieng/rss")), ("BAO-LS", server.url("/rss"))]
        )
        assert server.paths() == ["/robots.txt", "/rss"]
        assert {request.user_agent for request in server.requests} == {AGENT}
    assert [read["outcome"] for read in reads] == ["robots_disallowed", "ok"]
    assert "robots.txt" in reads[0]["error_en"] and reads[0]["http_status"] is None
    assert summary["failed"] == {"BAO-LS": [f"{server.url('/rieng/rss')}: {reads[0]['error_en']}"]}
    assert [row["item_url"] for row in rows] == ["https://a.example/2"]


@pytest.mark.parametrize(
    "status, outcome",
    [(404, "ok"), (410, "ok"), (500, "robots_disallowed"), (503, "robots_disallowed")],
)
def test_robots_txt_errors_as_rfc_9309_says(tmp_path, status, outcome):
    with FeedServer(
        {"/robots.txt": Response(status=status), "/rss": rss(item("https://a.example/1"))}
    ) as server:
        _, [read], _ = collect(tmp_path, [("BAO-LS", server.url("/rss"))])
        assert server.paths() == (["/robots.txt", "/rss"] if outcome == "ok" else ["/robots.txt"])
    assert read["outcome"] == outcome


def test_an_unreachable_host_is_disallowed(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _, reads, _ = collect(
        tmp_path,
        [("BAO-LS", f"http://127.0.0.1:{port}/rss"), ("BAO-LS", f"http://127.0.0.1:{port}/a")],
    )
    assert [read["outcome"] for read in reads] == ["robots_disallowed"] * 2
    assert "cannot be read" in reads[0]["error_en"]


def test_requests_to_one_host_wait_their_turn(tmp_path):
    routes = {f"/rss{n}": rss(item(f"https://a.example/{n}")) for n in range(3)}
    with FeedServer({"/robots.txt": robots(), **routes}) as server:
        collect(tmp_path, [("BAO-LS", server.url(f"/rss{n}")) for n in range(3)], delay_seconds=0.3)
        times = [request.at for request in server.requests]
    assert len(times) == 4
    assert all(later - earlier >= 0.3 for earlier, later in zip(times, times[1:], strict=False))


def test_a_crawl_delay_longer_than_ours_is_honoured(tmp_path):
    rules = "User-agent: *\nCrawl-delay: 1\nAllow: /\n"
    with FeedServer(
        {"/robots.txt": robots(rules), "/rss": rss(item("https://a.example/1"))}
    ) as server:
        collect(tmp_path, [("BAO-LS", server.url("/rss"))])
        times = [request.at for request in server.requests]
    assert len(times) == 2 and times[1] - times[0] >= 1.0


# --- bounds -----------------------------------------------------------------------------------


def test_a_body_larger_than_the_cap_is_refused(tmp_path):
    big = rss(item("https://a.example/1", "x" * 100_000))
    with FeedServer({"/big": big, "/endless": Response.endless()}) as server:
        started = time.monotonic()
        summary, reads, rows = collect(
            tmp_path, [("BAO-LS", server.url("/big")), ("BAO-LS", server.url("/endless"))]
        )
        assert time.monotonic() - started < 5
    assert [read["outcome"] for read in reads] == ["refused", "refused"]
    assert "announced, larger than the cap of 65536" in reads[0]["error_en"]
    assert reads[1]["error_en"] == "larger than the cap of 65536 bytes"
    assert 65536 < reads[1]["byte_count"] < 65536 + 2 * 65536
    assert rows == [] and summary["items"] == 0


def test_a_slow_drip_is_cut_off_at_the_requests_deadline(tmp_path):
    body = rss(item("https://a.example/1")).body
    with FeedServer({"/rss": Response.drip(body, 0.1)}) as server:
        started = time.monotonic()
        _, [read], _ = collect(tmp_path, [("BAO-LS", server.url("/rss"))], request_seconds=1.0)
        elapsed = time.monotonic() - started
    # (without the deadline the whole body would come, in len(body) / 10 s, and be read)
    assert read["outcome"] == "refused" and "request's deadline passed" in read["error_en"]
    assert 1.0 <= elapsed < 3.0 and 0 < read["byte_count"] < len(body)


def test_a_server_that_never_answers_times_out(tmp_path):
    with FeedServer({"/rss": Response.hang()}) as server:
        started = time.monotonic()
        _, [read], _ = collect(tmp_path, [("BAO-LS", server.url("/rss"))], request_seconds=1.0)
        assert time.monotonic() - started < 3.0
    assert read["outcome"] == "failed" and read["error_en"] == "no answer within 1 s"


def test_the_nights_deadline_stops_the_rest(tmp_path):
    with FeedServer({"/hang": Response.hang(), "/rss": rss(item("https://a.example/1"))}) as server:
        started = time.monotonic()
        summary, reads, _ = collect(
            tmp_path,
            [("BAO-LS", server.url("/hang")), ("PTTH-LS", server.url("/rss"))],
            request_seconds=10.0,
            night_seconds=0.8,
        )
        assert time.monotonic() - started < 3.0
        assert "/rss" not in server.paths()
    assert [read["outcome"] for read in reads] == ["refused", "refused"]
    assert reads[0]["error_en"] == "the night's collection deadline passed"
    assert reads[1]["error_en"] == "the night's collection deadline passed before this feed's turn"
    assert set(summary["failed"]) == {"BAO-LS", "PTTH-LS"}


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]><rss><channel><item><title>&lol9;</title><link>https://a.example/1</link></item>"
    "</channel></rss>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<rss><channel><item><title>&x;</title><link>https://a.example/1</link></item>"
    "</channel></rss>"
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">'
    "<rss><channel></channel></rss>"
)


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY])
def test_entity_declarations_are_refused_never_expanded(tmp_path, document):
    with FeedServer({"/rss": Response.xml(document)}) as server:
        summary, [read], rows = collect(tmp_path, [("BAO-LS", server.url("/rss"))])
    assert read["outcome"] == "refused" and "DOCTYPE" in read["error_en"]
    assert rows == []
    written = Path(summary["file"]).read_text(encoding="utf-8")
    assert "lollol" not in written and "root:" not in written


@pytest.mark.parametrize(
    "body, words",
    [
        (b"<rss><channel><item></channel></rss>", "malformed XML: mismatched tag at line 1"),
        (b"", "malformed XML: no element found"),
        (b"<html><body>Trang chu</body></html>", "not a feed or a sitemap: the document is <html>"),
        (b"<rss>&undefined;</rss>", "malformed XML: undefined entity"),
    ],
)
def test_a_document_that_is_not_a_feed_fails_with_its_reason(tmp_path, body, words):
    with FeedServer({"/rss": Response(body=body)}) as server:
        _, [read], _ = collect(tmp_path, [("BAO-LS", server.url("/rss"))])
    assert read["outcome"] == "failed" and words in read["error_en"]


def test_a_feed_in_windows_1258_is_read(tmp_path):
    text = (
        '<?xml version="1.0" encoding="windows-1258"?><rss><channel><item>'
        "<title>Thông tin</title><link>https://a.example/1</link></item></channel></rss>"
    )
    with FeedServer({"/rss": Response(body=text.encode("cp1258"))}) as server:
        _, [read], rows = collect(tmp_path, [("BAO-LS", server.url("/rss"))])
    assert read["outcome"] == "ok" and rows[0]["title"] == "Thông tin"


def test_redirects_within_the_host_are_followed_at_most_five_times(tmp_path):
    with FeedServer({"/robots.txt": robots(), "/new": rss(item("https://a.example/1"))}) as server:
        server.serve("/old", Response.redirect(server.url("/new"), 301))
        server.serve("/loop", Response.redirect("/loop"))
        _, reads, _ = collect(
            tmp_path, [("BAO-LS", server.url("/old")), ("BAO-LS", server.url("/loop"))]
        )
        assert server.paths().count("/loop") == 6
    assert reads[0]["outcome"] == "ok" and reads[0]["fetched_url"] == server.url("/new")
    assert reads[1]["outcome"] == "refused" and reads[1]["error_en"] == "more than 5 redirects"
    assert reads[1]["http_status"] == 302


def test_a_redirect_to_another_host_is_refused_and_never_followed(tmp_path):
    with FeedServer({"/rss": rss(item("https://a.example/1"))}) as other, FeedServer() as server:
        server.serve("/rss", Response.redirect(f"http://localhost:{other.port}/rss"))
        server.serve("/port", Response.redirect(other.url("/rss")))  # same name, another port
        _, reads, _ = collect(
            tmp_path, [("BAO-LS", server.url("/rss")), ("BAO-LS", server.url("/port"))]
        )
        assert other.requests == []
    assert [read["outcome"] for read in reads] == ["refused", "refused"]
    assert "a redirect to another host is not followed (http://localhost:" in reads[0]["error_en"]


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/rss", "data:,x"])
def test_a_redirect_out_of_http_is_refused(tmp_path, target):
    with FeedServer({"/rss": Response.redirect(target)}) as server:
        summary, [read], _ = collect(tmp_path, [("BAO-LS", server.url("/rss"))])
    assert read["outcome"] == "refused" and "is not followed" in read["error_en"]
    assert "root:" not in Path(summary["file"]).read_text(encoding="utf-8")


def test_gzip_is_read_and_a_gzip_bomb_capped(tmp_path):
    feed = rss(item("https://a.example/1", when="05 Mar 2024 08:00 +0700")).body
    bomb = b"<rss>" + b" " * (4 * 1024 * 1024) + b"</rss>"  # 4 MB, about 4 kB gzipped
    with FeedServer(
        {
            "/rss": Response.gzip(feed),
            "/rss.xml.gz": Response.gzip(feed, content_encoding=False),
            "/bomb": Response.gzip(bomb),
            "/bomb.xml.gz": Response.gzip(bomb, content_encoding=False),
        }
    ) as server:
        _, reads, rows = collect(
            tmp_path,
            [
                ("BAO-LS", server.url(path))
                for path in ("/rss", "/rss.xml.gz", "/bomb", "/bomb.xml.gz")
            ],
        )
        assert {request.headers.get("Accept-Encoding") for request in server.requests} == {"gzip"}
    assert [read["outcome"] for read in reads] == ["ok", "ok", "refused", "refused"]
    assert len(rows) == 2
    assert reads[2]["error_en"] == "larger than 65536 bytes once decompressed"
    assert reads[2]["byte_count"] < 65536


def test_a_failing_feed_never_stops_the_next(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        down = sock.getsockname()[1]
    with FeedServer({"/robots.txt": robots(), "/rss": rss(item("https://a.example/1"))}) as server:
        summary, reads, rows = collect(
            tmp_path,
            [
                ("A", "ftp://127.0.0.1/rss"),
                ("B", "file:///etc/passwd"),
                ("C", server.url("/gone")),
                ("D", f"http://127.0.0.1:{down}/rss"),
                ("E", server.url("/rss")),
            ],
        )
        assert server.paths() == ["/robots.txt", "/gone", "/rss"]
    assert [(r["outcome"], r["http_status"]) for r in reads] == [
        ("refused", None),
        ("refused", None),
        ("failed", 404),
        ("robots_disallowed", None),
        ("ok", 200),
    ]
    assert reads[0]["error_en"] == "not an http(s) URL: ftp://127.0.0.1/rss"
    assert reads[2]["error_en"] == "HTTP 404"
    assert summary["ok"] == 1 and sorted(summary["failed"]) == ["A", "B", "C", "D"]
    assert [row["item_url"] for row in rows] == ["https://a.example/1"]


# --- loading ----------------------------------------------------------------------------------


def test_collected_files_are_loaded_once_and_a_corrupt_one_is_set_aside(tmp_path):
    items = "".join(
        item(f"https://a.example/{n}", f"Tin {n}", "05 Mar 2024 08:00 +0700") for n in range(3)
    )
    with FeedServer({"/rss": rss(items), "/gone": Response(status=404)}) as server:
        summary, reads, rows = collect(
            tmp_path, [("BAO-LS", server.url("/rss")), ("PTTH-LS", server.url("/gone"))]
        )
    home = new_home(tmp_path / "home")
    waiting = home.root / "published" / "waiting"
    collected = Path(summary["file"])
    (waiting / "collected-20240101T000000000000.json").write_text("{not json", encoding="utf-8")
    (waiting / ".abc.part").write_text("half written", encoding="utf-8")
    database = tmp_path / "warehouse.duckdb"

    def counts(con):
        return (
            con.execute("select count(*) from raw.published_reads").fetchone()[0],
            con.execute("select count(*) from raw.published_items").fetchone()[0],
        )

    with connect(database) as con:
        assert load_collected(home, con) == [collected.name]
        assert counts(con) == (2, 3)
        row = con.execute(
            "select outcome, http_status, error_en, item_count, byte_count, "
            "newest_item_at at time zone 'UTC' from raw.published_reads "
            "where source_code = 'BAO-LS'"
        ).fetchone()
        assert row[:4] == ("ok", 200, None, 3) and row[4] > 0
        assert str(row[5]) == "2024-03-05 01:00:00"
        assert con.execute(
            "select title, published_at at time zone 'UTC' from raw.published_items "
            "order by item_number limit 1"
        ).fetchone() == ("Tin 0", datetime(2024, 3, 5, 1, 0))
        assert con.execute(
            "select outcome, error_en from raw.published_reads where source_code = 'PTTH-LS'"
        ).fetchone() == ("failed", "HTTP 404")
    assert sorted(p.name for p in (home.root / "published" / "refused").iterdir()) == [
        "collected-20240101T000000000000.json"
    ]
    assert (waiting / ".abc.part").exists()
    # the same file again (a copy put back): nothing is inserted twice
    shutil.copy(home.root / "published" / "loaded" / collected.name, waiting / collected.name)
    with connect(database) as con:
        assert load_collected(home, con) == [collected.name]
        assert counts(con) == (2, 3)
    assert not (waiting / collected.name).exists()


def test_a_file_with_rows_that_do_not_fit_is_refused_whole(tmp_path):
    home = new_home(tmp_path / "home")
    waiting = home.root / "published" / "waiting"
    waiting.mkdir(parents=True)
    read = {
        "read_id": "r1",
        "source_code": "BAO-LS",
        "feed_url": "https://a.example/rss",
        "fetched_url": None,
        "started_at": "2024-04-01T00:00:00+00:00",
        "finished_at": "2024-04-01T00:00:01+00:00",
        "outcome": "ok",
        "http_status": 200,
        "error_en": None,
        "item_count": 0,
        "byte_count": 10,
        "oldest_item_at": None,
        "newest_item_at": None,
    }
    good = {"reads": [read], "items": []}
    bad = {"reads": [{**read, "read_id": "r2", "outcome": "maybe"}], "items": []}
    orphan = {"reads": [{**read, "read_id": "r3"}], "items": [{"read_id": "r9"}]}
    for name, document in [("a", good), ("b", bad), ("c", orphan)]:
        (waiting / f"collected-{name}.json").write_text(json.dumps(document), encoding="utf-8")
    with connect(tmp_path / "warehouse.duckdb") as con:
        assert load_collected(home, con) == ["collected-a.json"]
        assert con.execute("select read_id from raw.published_reads").fetchall() == [("r1",)]
    assert sorted(p.name for p in (home.root / "published" / "refused").iterdir()) == [
        "collected-b.json",
        "collected-c.json",
    ]


def test_a_vietnamese_path_is_sent_percent_encoded(tmp_path):
    with FeedServer({"/tin-t%E1%BB%A9c/rss": rss(item("https://a.example/1"))}) as server:
        _, [read], rows = collect(tmp_path, [("BAO-LS", server.url("/tin-tức/rss"))])
        assert server.paths()[-1] == "/tin-t%E1%BB%A9c/rss"
    assert read["outcome"] == "ok" and len(rows) == 1


def test_a_sitemap_index_whose_children_all_fail_fails(tmp_path):
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>/a.xml</loc></sitemap><sitemap><loc>/b.xml</loc></sitemap>"
        "</sitemapindex>"
    )
    with FeedServer({"/index.xml": Response.xml(index), "/b.xml": Response.xml(index)}) as server:
        _, [read], rows = collect(tmp_path, [("BAO-LS", server.url("/index.xml"))])
    assert read["outcome"] == "failed" and rows == []
    assert read["error_en"] == (
        f"child {server.url('/a.xml')}: HTTP 404; "
        f"child {server.url('/b.xml')}: a sitemap index, not a sitemap: not followed further"
    )
