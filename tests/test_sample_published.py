"""The demo's published record: the provincial outlets' feeds, which the cross-check of claimed
against published items reads, hold every claimed item in its month but the planted mismatches,
each where the result says; deterministic, and periods written into one folder accumulate."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from ingest.load import inspect_file
from outreach.cli import main
from outreach.core.periods import parse_period
from outreach.generators.sample import generate
from outreach.generators.sample_published import (
    ADDRESS_MISSING,
    CROSS_CHECKED,
    INFLATED_COUNT,
    NEWS_NS,
    OTHER_MONTH,
    OTHER_TOPIC,
    OTHER_TOPIC_ITEM,
    SITEMAP_NS,
)

BASE = "http://127.0.0.1:8765"
SM = {"s": SITEMAP_NS, "news": NEWS_NS}
KINDS = {INFLATED_COUNT, ADDRESS_MISSING, OTHER_MONTH, OTHER_TOPIC}


def published_items(site: Path) -> dict[str, tuple[date, str]]:
    """Every address of a site's sitemaps, read from its index: (month published, title)."""
    index = ElementTree.parse(site / "sitemap.xml").getroot()
    assert index.tag == f"{{{SITEMAP_NS}}}sitemapindex"
    items = {}
    for loc in index.findall("s:sitemap/s:loc", SM):
        assert loc.text is not None and loc.text.startswith(f"{BASE}/{site.name}/sitemap-")
        urlset = ElementTree.parse(site / loc.text.rsplit("/", 1)[1]).getroot()
        for url in urlset.findall("s:url", SM):
            when = datetime.fromisoformat(url.findtext("news:news/news:publication_date", "", SM))
            assert when.utcoffset() is not None and when.utcoffset().total_seconds() == 7 * 3600
            assert url.findtext("s:lastmod", "", SM) == when.isoformat()
            title = url.findtext("news:news/news:title", "", SM)
            items[url.findtext("s:loc", "", SM)] = (when.date().replace(day=1), title)
    return items


def claimed(inbox: Path, reference) -> list[dict]:
    """The provincial outlets' claimed items the cross-check reads, as ingest reads the files."""
    rows = []
    for path in sorted(inbox.iterdir()):
        if path.name.split("_")[0] not in ("BAO-LS", "PTTH-LS", "BPTTH-LS"):
            continue
        inspection = inspect_file(path, reference)
        assert inspection.validated.is_accepted, path.name
        for record in inspection.validated.records:
            if record["url"] and record["output_type_code"] in CROSS_CHECKED:
                rows.append({**record, "source": path.name.split("_")[0]})
    return rows


def all_published(folder: Path) -> dict[str, tuple[date, str]]:
    items: dict[str, tuple[date, str]] = {}
    for site in sorted(folder.iterdir()):
        items |= published_items(site)
    return items


@pytest.fixture(scope="module", params=["2022-H1", "2025-H2"])
def demo(request, tmp_path_factory, reference):
    root = tmp_path_factory.mktemp(request.param)
    result = generate(parse_period(request.param), root / "inbox", published=root / "published")
    return {
        "code": request.param,
        "result": result,
        "folder": root / "published",
        "claims": claimed(root / "inbox", reference),
        "published": all_published(root / "published"),
    }


def test_the_feeds_parse_as_sitemaps_and_rss_in_nfc(demo):
    sites = sorted(path.name for path in demo["folder"].iterdir())
    assert sites == (["baolangson", "langsontv"] if demo["code"] < "2025-H2" else ["baolangson"])
    for site in demo["folder"].iterdir():
        for path in site.iterdir():
            text = path.read_bytes().decode("utf-8")
            assert text == unicodedata.normalize("NFC", text), path
            ElementTree.fromstring(path.read_bytes())
        months = {when for when, _ in published_items(site).values()}
        assert months == set(parse_period(demo["code"]).months)
        channel = ElementTree.parse(site / "rss.xml").getroot().find("channel")
        assert channel is not None
        items = channel.findall("item")
        assert len(items) == 30
        dates = [parsedate_to_datetime(item.findtext("pubDate", "")) for item in items]
        assert dates == sorted(dates, reverse=True)
        assert all(d.utcoffset().total_seconds() == 7 * 3600 for d in dates)
        assert all(
            item.findtext("link", "").startswith(f"https://{site.name}.example/") for item in items
        )
        assert all(item.findtext("category") and item.findtext("description") for item in items)


def test_every_claimed_item_but_the_planted_is_published_in_its_month_with_its_title(demo):
    planted = {url for p in demo["result"].planted for url in p.urls}
    published = demo["published"]
    checked = 0
    for row in demo["claims"]:
        if row["url"] in planted:
            continue
        month = row["activity_date"].replace(day=1)
        assert published.get(row["url"]) == (month, row["title"]), row
        checked += 1
    assert checked > 40
    # besides news nobody claims, on other sections
    claimed_urls = {row["url"] for row in demo["claims"]}
    assert len([url for url in published if url not in claimed_urls]) > 6 * 4


def test_each_planted_mismatch_is_where_the_result_says(demo):
    outlet = "BAO-LS" if demo["code"] < "2025-H2" else "BPTTH-LS"
    mismatches = [p for p in demo["result"].planted if p.kind.startswith("published_")]
    assert sorted(p.kind for p in mismatches) == sorted(KINDS)
    # never in the month the outlet claims nothing on trafficking in, each in a month of its own
    no_trafficking = next(p for p in demo["result"].planted if p.kind == "no_trafficking_item")
    assert {p.source_code for p in mismatches} == {outlet} == {no_trafficking.source_code}
    assert no_trafficking.month not in {p.month for p in mismatches}
    assert len({p.month for p in mismatches}) == 4
    published = demo["published"]
    by_url = {row["url"]: row for row in demo["claims"]}
    for p in mismatches:
        assert p.file_name == f"{outlet}_{p.month}.xlsx"
        rows = [by_url[url] for url in p.urls]
        assert all(f"{row['activity_date']:%Y-%m}" == p.month for row in rows), p
        assert all(row["source"] == outlet for row in rows), p
        if p.kind == INFLATED_COUNT:
            on_trafficking = [
                row
                for row in demo["claims"]
                if row["source"] == outlet
                and f"{row['activity_date']:%Y-%m}" == p.month
                and row["topic_code"] == "mua_ban_nguoi"
            ]
            found = [row for row in on_trafficking if row["url"] in published]
            assert len(on_trafficking) >= 3 and len(found) * 2 < len(on_trafficking), p
            assert set(p.urls) == {row["url"] for row in on_trafficking} - {
                row["url"] for row in found
            }
        elif p.kind == ADDRESS_MISSING:
            assert len(p.urls) == 1 and p.urls[0] not in published
        elif p.kind == OTHER_MONTH:
            (url,) = p.urls
            month = date.fromisoformat(f"{p.month}-01")
            shown = date(month.year, month.month - 2, 1) if month.month > 2 else None
            assert shown is not None and published[url] == (shown, by_url[url]["title"])
        else:
            (url,) = p.urls
            assert by_url[url]["topic_code"] == "mua_ban_nguoi"
            assert published[url] == (
                date.fromisoformat(f"{p.month}-01"),
                OTHER_TOPIC_ITEM[1],
            )


def test_the_same_seed_gives_the_same_feeds(tmp_path):
    period = parse_period("2022-Q1")
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(period, tmp_path / name / "inbox", seed=seed, published=tmp_path / name / "pub")

    def tree(name: str) -> dict[str, bytes]:
        folder = tmp_path / name / "pub"
        return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.xml")}

    assert tree("a") == tree("b")
    assert tree("a") != tree("c")
    # the files are the same bytes with or without the feeds
    generate(period, tmp_path / "d" / "inbox", seed=3)
    inbox = {p.name: p.read_bytes() for p in (tmp_path / "a" / "inbox").iterdir()}
    assert inbox == {p.name: p.read_bytes() for p in (tmp_path / "d" / "inbox").iterdir()}


def test_periods_accumulate_in_one_folder_in_either_order(tmp_path):
    first, second = parse_period("2022-Q1"), parse_period("2022-Q2")
    for name, periods in (("forth", (first, second)), ("back", (second, first))):
        for period in periods:
            generate(period, tmp_path / name / period.code, published=tmp_path / name / "pub")
    forth, back = tmp_path / "forth" / "pub", tmp_path / "back" / "pub"
    for site in ("baolangson", "langsontv"):
        index = ElementTree.parse(forth / site / "sitemap.xml").getroot()
        locs = [loc.text for loc in index.findall("s:sitemap/s:loc", SM)]
        assert locs == [f"{BASE}/{site}/sitemap-2022-{month:02d}.xml" for month in range(1, 7)]
        for path in (forth / site).iterdir():
            assert path.read_bytes() == (back / site / path.name).read_bytes(), path
        # the RSS feed: the latest items of both periods, all from the second
        channel = ElementTree.parse(forth / site / "rss.xml").getroot().find("channel")
        assert channel is not None
        dates = [parsedate_to_datetime(i.findtext("pubDate", "")) for i in channel.iter("item")]
        assert len(dates) == 30 and min(dates).month >= 4


def test_without_planted_problems_every_claimed_item_is_published(tmp_path, reference):
    result = generate(
        parse_period("2022-Q1"),
        tmp_path / "inbox",
        published=tmp_path / "pub",
        plant_problems=False,
    )
    assert result.planted == []
    published = all_published(tmp_path / "pub")
    for row in claimed(tmp_path / "inbox", reference):
        assert published[row["url"]] == (row["activity_date"].replace(day=1), row["title"])


def test_the_command_writes_the_feeds_at_the_base_url_it_is_given(tmp_path):
    outcome = CliRunner().invoke(
        main,
        [
            "sample",
            "--period",
            "2022-Q1",
            "--inbox",
            str(tmp_path / "inbox"),
            "--published",
            str(tmp_path / "pub"),
            "--published-base-url",
            "http://localhost:9000/",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert "published_address_missing" in outcome.output
    index = (tmp_path / "pub" / "baolangson" / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>http://localhost:9000/baolangson/sitemap-2022-03.xml</loc>" in index
    counts = Counter(
        line.split()[1] for line in outcome.output.splitlines() if "published_" in line
    )
    assert set(counts) == KINDS
