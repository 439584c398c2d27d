"""The Data Docs offline: every page's CSS and JavaScript from the site itself, not from CDNs.

Great Expectations writes pages that load Bootstrap, jQuery, bootstrap-table and Font Awesome
from CDNs; without internet (as a department's network often is) a page is unstyled and the index
shows no validation result at all (bootstrap-table draws that list). The same files, from the
npm registry (`static/vendor/MANIFEST.csv`: package, version, path, sha-256), are copied into
the site's `static/vendor/`, and each page written by the run is pointed at them. What no page of
these suites uses (Vega's charts, a dark theme) is left out, its tags removed.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

VENDOR = Path(__file__).parent / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.csv"

# a tag loading something from outside the site
_EXTERNAL_TAG = re.compile(
    r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"[^>]*>(?:\s*</script>)?", re.I
)
_INTEGRITY = re.compile(r"\s+(?:integrity|crossorigin)=\"[^\"]*\"")
# GX's logo, fetched from its web assets with the data context's id in the query: the site holds
# the same image under static/images/
_REMOTE_IMAGE = re.compile(
    r"src=\"https://great-expectations-web-assets\.[^\"]*?/([\w.-]+)(?:\?[^\"]*)?\""
)
# external links a page may keep: they load nothing (links to read, not assets)
_NOT_ASSETS = ("https://greatexpectations.io",)


def manifest() -> list[dict[str, str]]:
    with open(MANIFEST, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def replaced_urls() -> dict[str, str]:
    """CDN address -> the bundled file (relative to `static/vendor/`); '' for one left out."""
    urls: dict[str, str] = {}
    for row in manifest():
        for url in row["cdn_urls"].split():
            urls[url] = row["path"]
    return urls


def bundle_intact() -> list[str]:
    """Bundled files whose bytes are not those of the manifest (empty when all are)."""
    return [
        row["path"]
        for row in manifest()
        if row["path"]
        and hashlib.sha256((VENDOR / row["path"]).read_bytes()).hexdigest() != row["sha256"]
    ]


def make_offline(site: Path, since: float | None = None) -> int:
    """Copy the bundled assets into the site and point its pages (those written at or after
    `since`, a timestamp; every page without it) at them. Returns the pages changed."""
    if not site.is_dir():
        return 0
    target = site / "static" / "vendor"
    shutil.copytree(
        VENDOR, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("MANIFEST.csv")
    )
    urls = replaced_urls()
    changed = 0
    for page in site.rglob("*.html"):
        if since is not None and page.stat().st_mtime < since:
            continue
        text = page.read_text(encoding="utf-8")
        offline = _offline_page(text, site, page, urls)
        if offline != text:
            page.write_text(offline, encoding="utf-8")
            changed += 1
    return changed


def _offline_page(text: str, site: Path, page: Path, urls: dict[str, str]) -> str:
    prefix = "../" * (len(page.relative_to(site).parts) - 1)

    def image(match: re.Match) -> str:
        local = site / "static" / "images" / match.group(1)
        return (
            f'src="{prefix}static/images/{match.group(1)}"' if local.is_file() else match.group(0)
        )

    text = _EXTERNAL_TAG.sub(lambda match: _local_tag(match, urls, prefix, page), text)
    return _REMOTE_IMAGE.sub(image, text)


def _local_tag(match: re.Match, urls: dict[str, str], prefix: str, page: Path) -> str:
    url = match.group(1)
    if url.startswith(_NOT_ASSETS):
        return match.group(0)
    if url not in urls:
        # a Great Expectations release with an asset not bundled: the page works online only
        log.warning(
            "Data Docs page %s loads %s, which is not bundled; it needs the internet",
            page.name,
            url,
        )
        return match.group(0)
    if not urls[url]:
        return ""  # left out: nothing on these pages uses it
    local = f"{prefix}static/vendor/{urls[url]}"
    return _INTEGRITY.sub("", match.group(0).replace(url, local))
