"""The cross-check of claimed items against what the outlets published, tried as a new user
would: the demo's two sites (`outreach sample --published`) served on loopback, a night of the
real DAG through Airflow with the cross-check turned on, then what the department and the outlet
read of it: the flags' words, the report's annex, the matrix's "đối chiếu" column and the outlet's
own page. The planted mismatches (outreach/generators/sample_published.py) must each be found,
and nothing else flagged."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from fast_tier import heavy_fixture
from feed_server import FeedServer, Response
from helpers import PORTAL_PASSWORD, add_portal_account, document_text, portal_home

from outreach.cli import main
from outreach.core.home import SEEDS_DIR
from outreach.portal.app import create_app
from outreach.portal.store import Store

pytestmark = pytest.mark.slow

PERIOD = "2022-H1"
DEMO_BASE = "http://127.0.0.1:8765"
SITE = "https://baolangson.example"


def _serve_site(server: FeedServer, site: Path) -> None:
    for path in sorted(site.rglob("*.xml")):
        server.serve("/" + path.relative_to(site).as_posix(), Response.xml(path.read_bytes()))


def _registry_on(home: Path, base: str) -> None:
    """The bundled registry, its demo feeds at the test server's address."""
    registry = home / "registry"
    shutil.copytree(SEEDS_DIR, registry, dirs_exist_ok=True)
    feeds = registry / "ref_outlet_feeds.csv"
    with open(feeds, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the demo registry gives the demo outlets feeds"
    for row in rows:
        row["feed_url"] = row["feed_url"].replace(DEMO_BASE, base)
    with open(feeds, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@heavy_fixture(scope="module")
def night(tmp_path_factory):
    root = tmp_path_factory.mktemp("crosscheck")
    home, drop, site = root / "home", root / "drop", root / "site"
    runner = CliRunner()
    with FeedServer({}) as server, pytest.MonkeyPatch.context() as patch:
        base = server.url("/").rstrip("/")
        sampled = runner.invoke(
            main,
            [
                "sample",
                "--period",
                PERIOD,
                "--inbox",
                str(drop),
                "--published",
                str(site),
                "--published-base-url",
                base,
            ],
        )
        assert sampled.exit_code == 0, sampled.output
        _serve_site(server, site)
        _registry_on(home, base)
        patch.setenv("OUTREACH_CROSSCHECK", "on")
        patch.setenv("OUTREACH_CROSSCHECK_DELAY_SECONDS", "0")
        ran = runner.invoke(
            main, ["run", "--period", PERIOD, "--inbox", str(drop), "--home", str(home)]
        )
        assert ran.exit_code == 0, ran.output
        requests = list(server.requests)
    warehouse = home / "warehouse" / "outreach.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        checks = {
            row[0]: row[1:]
            for row in con.execute(
                "select claimed_url, verdict, report_month, source_code "
                "from marts.fct_claimed_item_checks"
            ).fetchall()
        }
        counts = con.execute(
            "select source_code, strftime(report_month, '%Y-%m'), topic_code, claimed_count, "
            "found_count, is_covered, is_claimed_above_found from marts.fct_published_crosscheck"
        ).fetchall()
        flags = con.execute(
            "select check_name, source_code, strftime(report_month, '%Y-%m'), detail_vi "
            "from dq.flags where check_name like 'published_%' order by all"
        ).fetchall()
    docx = home / "reports" / PERIOD / f"bao-cao-{PERIOD}.docx"
    return {
        "home": home,
        "sample": sampled.output,
        "requests": requests,
        "checks": checks,
        "counts": counts,
        "flags": flags,
        "text": document_text(docx),
    }


def test_the_night_reads_each_site_politely(night):
    paths = [request.path for request in night["requests"]]
    # robots.txt first on the host, then the feeds of the registry and the sitemaps they list
    assert paths[0] == "/robots.txt"
    assert {"/baolangson/sitemap.xml", "/baolangson/rss.xml", "/langsontv/sitemap.xml"} <= set(
        paths
    )
    assert any(re.fullmatch(r"/baolangson/sitemap-2022-0\d\.xml", path) for path in paths)
    agents = {request.user_agent for request in night["requests"]}
    assert len(agents) == 1 and agents.pop().startswith("outreach-crosscheck/")


def test_every_planted_mismatch_is_found_and_nothing_else(night):
    flagged = {
        url: verdict
        for url, (verdict, *_rest) in night["checks"].items()
        if verdict not in ("found", "not_covered")
    }
    assert flagged == {
        f"{SITE}/2022/02/bai-004": "not_found",  # two of three claimed items never published
        f"{SITE}/2022/02/bai-012": "not_found",
        f"{SITE}/2022/03/bai-007": "not_found",  # an address that does not exist
        f"{SITE}/2022/05/bai-006": "other_month",  # published two months earlier
        f"{SITE}/2022/06/bai-006": "other_topic",  # a football result claimed as trafficking
    }
    # every other claimed address of the two outlets was found, in a month the reads cover
    assert sum(verdict == "found" for verdict, *_ in night["checks"].values()) > 20
    assert all(verdict != "not_covered" for verdict, *_ in night["checks"].values())


def test_an_inflated_count_is_flagged_beside_the_figure(night):
    above = [row for row in night["counts"] if row[-1]]
    assert [(source, month, topic) for source, month, topic, *_ in above] == [
        ("BAO-LS", "2022-02", "mua_ban_nguoi")
    ]
    source, month, topic, claimed, found, covered, _ = above[0]
    assert covered and claimed >= found + 2


def test_the_flags_are_worded_for_a_person(night):
    words = {(check, month): detail for check, source, month, detail in night["flags"]}
    assert (
        "Không tìm thấy tin, bài https://baolangson.example/2022/03/bai-007"
        in (words[("published_claimed_address", "2022-03")])
    )
    assert "chỉ tìm thấy" in words[("published_claimed_above_found", "2022-02")]
    assert "phòng, chống mua bán người" in words[("published_claimed_above_found", "2022-02")]
    assert "thuộc tháng khác" in words[("published_claimed_address", "2022-05")]
    assert "không có nội dung về chủ đề này" in words[("published_claimed_address", "2022-06")]
    assert {source for _, source, *_ in night["flags"]} == {"BAO-LS"}


def test_the_report_has_a_line_per_outlet_in_its_annex(night):
    text = night["text"]
    assert "Đối chiếu tin, bài kê khai với tin, bài đã đăng" in text
    annex = text.split("Đối chiếu tin, bài kê khai với tin, bài đã đăng")[-1]
    assert "Báo Lạng Sơn" in annex and "Đài Phát thanh và Truyền hình Lạng Sơn" in annex
    assert "3 không tìm thấy" in annex and "1 khác tháng" in annex and "1 khác chủ đề" in annex


@pytest.fixture
def portal(night, tmp_path, monkeypatch):
    monkeypatch.setenv("OUTREACH_CROSSCHECK", "on")
    home = portal_home(
        tmp_path / "portal", night["home"] / "warehouse" / "published" / "outreach.duckdb"
    )
    store = Store.for_home(home)
    add_portal_account(store, "bao@example.vn", "Báo Lạng Sơn", "source", source_code="BAO-LS")
    add_portal_account(store, "so@example.vn", "Sở", "staff", province_code="20")
    return create_app(home, store)


def _login(app, who: str):
    from fastapi.testclient import TestClient

    browser = TestClient(app, base_url="https://testserver", follow_redirects=False)
    form = browser.get("/dang-nhap")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = browser.post(
        "/dang-nhap", data={"csrf": csrf, "login": who, "password": PORTAL_PASSWORD}
    )
    assert answer.status_code == 303, answer.text
    return browser


def test_the_department_sees_found_of_claimed_for_each_outlet(portal):
    page = _login(portal, "so@example.vn").get(f"/so?period={PERIOD}").text
    assert "<th" in page and "Đối chiếu</th>" in page
    row = page.split("BAO-LS")[1].split("</tr>")[0]
    assert re.search(r"\d+/\d+<span class=\"note\">\d+ cần hỏi lại", row), row
    # and each month: found of claimed, the months with a mismatch marked
    months = re.findall(r'<span class="note( x-note)?" title="[^"]*">đối chiếu (\d+)/(\d+)', row)
    assert len(months) == 6, row
    assert [bool(marked) for marked, *_ in months] == [False, True, True, False, True, True]
    # a commune or district office has no site: nothing to compare
    office = page.split("PVHTT-180")[1].split("</tr>")[0]
    assert "Đơn vị không có trang tin để đối chiếu" in office


def test_the_outlet_sees_which_of_its_addresses_were_not_found(portal):
    page = _login(portal, "bao@example.vn").get("/don-vi").text
    assert "Đối chiếu với trang của đơn vị" in page
    assert f"{SITE}/2022/03/bai-007" in page and "không tìm thấy trên trang" in page
    assert "đăng vào tháng khác" in page and "khác chủ đề" in page
    assert "kê khai 3 tin, bài về phòng, chống mua bán người, trên trang chỉ tìm thấy 1" in page


def test_sites_that_misbehave_never_stop_the_night(tmp_path, monkeypatch):
    """A site that never answers, one that answers a billion laughs, one that redirects to
    another host: the collect step returns, each read is recorded with why it failed, and the
    night's ingest loads the files and the reads alike. Nothing reaches the other host."""
    from datetime import date

    from helpers import new_home

    from outreach.core.periods import parse_period
    from outreach.orchestration import pipeline

    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<rss><channel><item><title>&lol2;</title></item></channel></rss>"
    )
    with FeedServer({}) as elsewhere, FeedServer({}) as site:
        site.serve("/hang.xml", Response.hang())
        site.serve("/laughs.xml", Response.xml(laughs))
        site.serve("/away.xml", Response.redirect(elsewhere.url("/rss.xml")))
        home = new_home(tmp_path / "home")
        shutil.copytree(SEEDS_DIR, home.registry, dirs_exist_ok=True)
        with open(home.registry / "ref_outlet_feeds.csv", "w", encoding="utf-8") as handle:
            handle.write("source_code,feed_url,valid_from,valid_to,note\n")
            for path in ("/laughs.xml", "/away.xml", "/hang.xml"):
                handle.write(f"BAO-LS,{site.url(path)},2022-01-01,2025-06-30,\n")
        monkeypatch.setenv("OUTREACH_CROSSCHECK", "on")
        monkeypatch.setenv("OUTREACH_CROSSCHECK_DELAY_SECONDS", "0")
        monkeypatch.setenv("OUTREACH_CROSSCHECK_NIGHT_SECONDS", "3")
        collected = pipeline.collect(home, [parse_period(PERIOD)], date(2022, 7, 20))
        assert elsewhere.paths() == []
    assert collected["enabled"] and collected["ok"] == 0 and collected["feeds"] == 3
    ingested = pipeline.ingest(home)
    assert len(ingested["published"]) == 1
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        outcomes = {
            url: (outcome, error)
            for url, outcome, error in con.execute(
                "select feed_url, outcome, error_en from raw.published_reads"
            ).fetchall()
        }
        items = con.execute("select count(*) from raw.published_items").fetchone()[0]
    assert {url: outcome for url, (outcome, _) in outcomes.items()} == {
        site.url("/laughs.xml"): "refused",
        site.url("/away.xml"): "refused",
        site.url("/hang.xml"): "refused",
    }
    assert "DOCTYPE" in outcomes[site.url("/laughs.xml")][1]
    assert "redirect to another host" in outcomes[site.url("/away.xml")][1]
    assert "deadline" in outcomes[site.url("/hang.xml")][1]
    assert items == 0


def test_the_status_has_a_crosscheck_column(night, monkeypatch):
    from outreach.core.home import Home
    from outreach.core.periods import parse_period
    from report.status import submission_status

    monkeypatch.setenv("OUTREACH_CROSSCHECK", "on")
    rows = submission_status(Home(night["home"]), parse_period(PERIOD))
    outlet = {f"{row.month:%Y-%m}": row.crosscheck for row in rows if row.source_code == "BAO-LS"}
    assert "2 đường dẫn không khớp" in outlet["2022-02"]
    assert "kê khai nhiều hơn số tìm thấy" in outlet["2022-02"]
    assert re.fullmatch(r"\d+/\d+ tìm thấy", outlet["2022-01"])
    # an office with no site: the column is there, and says nothing
    assert {row.crosscheck for row in rows if row.source_code.startswith("PVHTT")} == {""}
    monkeypatch.delenv("OUTREACH_CROSSCHECK")
    assert {
        row.crosscheck for row in submission_status(Home(night["home"]), parse_period(PERIOD))
    } == {None}
