"""The Data Docs work without internet: opened in a headless browser with the network off, the
index lists the validation results, styled, and a result's page opens, loading nothing from
outside the site."""

from __future__ import annotations

import re
import shutil

import pytest

from expectations.checks import data_docs_index
from expectations.datadocs import bundle_intact, make_offline

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_bundled_assets_are_those_of_the_manifest():
    assert bundle_intact() == []


def test_no_page_of_the_site_loads_anything_from_outside(demo):
    site = data_docs_index(demo["home"]).parent
    pages = list(site.rglob("*.html"))
    assert len(pages) > 5
    external = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"https?://", re.I | re.S)
    assert [page.name for page in pages if external.search(page.read_text("utf-8"))] == []
    assert make_offline(site) == 0  # nothing left to change: rewriting is idempotent


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_the_index_lists_the_results_offline_in_a_browser(demo):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    index = data_docs_index(demo["home"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            outside, failed = [], []
            page.on(
                "request",
                lambda request: (
                    outside.append(request.url)
                    if not request.url.startswith(("file:", "data:"))
                    else None
                ),
            )
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(index.as_uri())
            results = page.locator(".ge-index-page-validation-results-table")
            rows = results.locator("tbody tr")
            rows.first.wait_for(timeout=15_000)
            # one row per suite of the run (8 checks in 6 suites, as the checks define them)
            assert rows.count() >= 6
            assert "completeness__expected_reports" in results.inner_text()
            # Bootstrap's styles are applied: its tabs have their border
            border = page.eval_on_selector(
                ".nav-tabs", "e => getComputedStyle(e).borderBottomStyle"
            )
            assert border == "solid"
            assert page.evaluate("typeof jQuery.fn.bootstrapTable") == "function"

            # the row's click sets the location from a handler the page binds when its
            # document is ready, and the table may render its rows again after: on a busy
            # machine a click can land before the handler or on a row about to be replaced.
            # Wait for the page's load, then click the first row until its page opens (a row
            # that never opens its page fails all three)
            page.wait_for_load_state("load")
            for attempt in range(3):
                try:
                    with page.expect_navigation(timeout=15_000):
                        rows.first.click(timeout=15_000)
                    break
                except PlaywrightTimeout:
                    if "/validations/" in page.url:  # it opened, after the wait's end
                        break
                    if attempt == 2:
                        raise
            assert "/validations/" in page.url
            assert page.locator("text=Overview").count() > 0
            assert outside == [] and failed == []
        finally:
            browser.close()
