"""Write the report of a period: the .docx and figures.json under reports/<period>/."""

from __future__ import annotations

import gc
import json
import logging
import os
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from outreach.core.home import Home
from outreach.core.periods import PHASE, Period, in_calendar
from outreach.core.scope import Scope, resolve_scope
from outreach.core.warehouse import connect
from report.annexes import DEFAULT_TRACEABILITY, TRACEABILITY
from report.document import ReportWriter
from report.export import INSTALL_HINT, libreoffice, to_html, to_pdf
from report.figures import FigureBook, load_report_data
from report.narrative import NarrativeStore
from report.trace import Trace

log = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parent / "config"
DEFAULT_CONFIG = CONFIG_DIR / "report.toml"
TEMPLATE_NAME = "bao-cao.docx"
SECTIONS_FILE = "sections.json"
DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "templates" / TEMPLATE_NAME


@dataclass
class ReportFiles:
    docx: Path
    figures: Path
    is_draft: bool
    figure_count: int
    html: Path | None = None
    pdf: Path | None = None


def load_config(
    home: Home, scope: Scope | None = None, on: date | None = None, *, for_signature: bool = True
) -> dict:
    """Who issues the report and to whom, on the day it is issued (`on`, default today).

    The home province: `$OUTREACH_HOME/report.toml`, else the bundled one (Lạng Sơn's). Another
    province: `$OUTREACH_HOME/report-<code>.toml`, else a generic heading with its name and the
    signer left blank; the country: `report-toan-quoc.toml`, else the bundled Ministry heading.
    A file's `[[issuer]]` tables, each with `valid_from` and/or `valid_to`, override its other
    keys on the days they cover: agencies were merged in 2025 (the Sở Thông tin và Truyền thông
    into the Sở Văn hóa, Thể thao và Du lịch on 1 March), and a report is issued by the body that
    exists on its date. `traceability` says how the report lists the files behind its figures
    (report.annexes.TRACEABILITY; default `summary`).
    """
    scope = scope or resolve_scope(home)
    if scope.is_home_province:
        candidates = [home.root / "report.toml", DEFAULT_CONFIG]
    else:
        generic = "report-national.toml" if scope.is_national else "report-province.toml"
        candidates = [home.root / f"report-{scope.key}.toml", CONFIG_DIR / generic]
    path = next(candidate for candidate in candidates if candidate.is_file())
    with open(path, "rb") as handle:
        config = tomllib.load(handle)
    config = issuer_on(config, on or date.today())
    traceability = config.setdefault("traceability", DEFAULT_TRACEABILITY)
    if traceability not in TRACEABILITY:
        raise ValueError(
            f"{path}: traceability = {traceability!r} is not one of "
            f"{', '.join(repr(value) for value in TRACEABILITY)}"
        )
    lines = config.get("issuing_body_lines")
    if lines and " ".join(lines) != config.get("issuing_body"):
        log.warning(
            "report %s: issuing_body_lines %s are not the issuing_body %r of %s; the "
            "name is written on one line",
            scope.key,
            lines,
            config.get("issuing_body"),
            path,
        )
        config.pop("issuing_body_lines")
    if for_signature and not config.get("signer_name"):
        log.warning("report %s: no signer_name in %s; the signature is left blank", scope.key, path)
    return _fill(config, scope)


def issuer_on(config: dict, day: date) -> dict:
    """The config's keys with those of the `[[issuer]]` entry covering `day` laid over them."""
    merged = {key: value for key, value in config.items() if key != "issuer"}
    for entry in config.get("issuer", []):
        since = entry.get("valid_from")
        until = entry.get("valid_to")
        since = date.fromisoformat(str(since)) if since else date.min
        until = date.fromisoformat(str(until)) if until else date.max
        if since <= day <= until:
            merged.update(
                {
                    key: value
                    for key, value in entry.items()
                    if key not in ("valid_from", "valid_to")
                }
            )
    return merged


def _fill(value, scope: Scope):
    """Put the province's name into a generic heading: {province} "Hà Giang",
    {province_full} "tỉnh Hà Giang", {PROVINCE_FULL} "TỈNH HÀ GIANG"."""
    if isinstance(value, dict):
        return {key: _fill(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, scope) for item in value]
    if not isinstance(value, str):
        return value
    full = scope.province_name
    return (
        value.replace("{province_full}", full[:1].lower() + full[1:])
        .replace("{PROVINCE_FULL}", full.upper())
        .replace("{province}", scope.short_name)
    )


def template_path(home: Home) -> Path:
    """The report's Word template: a copy in the home folder wins over the bundled one."""
    override = home.root / "templates" / TEMPLATE_NAME
    return override if override.is_file() else DEFAULT_TEMPLATE


def report_paths(home: Home, period: Period, scope: Scope | None = None) -> tuple[Path, Path]:
    folder = (scope or resolve_scope(home)).report_dir(home, period.code)
    return folder / f"bao-cao-{period.code}.docx", folder / "figures.json"


def sections_path(home: Home, period: Period, scope: Scope | None = None) -> Path:
    """The sections people write as the last report printed them (`Section.as_dict`), beside
    figures.json: small, for the portal and `outreach status`."""
    return report_paths(home, period, scope)[1].with_name(SECTIONS_FILE)


def load_sections(home: Home, period: Period, scope: Scope | None = None) -> list[dict]:
    """The sections of the period's last report ([] before its first)."""
    path = sections_path(home, period, scope)
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def write_report(
    home: Home,
    period: Period,
    *,
    scope: Scope | None = None,
    pdf: bool | None = False,
    warehouse: Path | None = None,
) -> ReportFiles:
    """Read the marts and the quality flags, and write the period's report for one province
    (default: the home's own) or for the country.

    Beside the .docx and figures.json: an HTML preview, and a PDF when `pdf` is True (an error
    without LibreOffice) or None (only if LibreOffice is installed).
    """
    scope = scope or resolve_scope(home)
    with connect(warehouse or home.warehouse, read_only=True) as con:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'dq' and table_name = 'flags'"
        ).fetchone()
        has_flags = bool(found and found[0])
        if not has_flags:
            raise RuntimeError(
                "the warehouse has no quality flags (dq.flags): run "
                "`outreach check` before `outreach report`"
            )
        data = load_report_data(con, period, scope)
        # the periods its figures are compared with, and a phase's years (its annex by year)
        compared = [period.base, period.previous]
        if period.kind == PHASE:
            compared += period.trend
        trace = Trace(
            con, period, scope, [other for other in dict.fromkeys(compared) if in_calendar(other)]
        )
    narratives = NarrativeStore(home.root, None if scope.is_home_province else scope.key)
    book = FigureBook()
    writer = ReportWriter(
        data, narratives, load_config(home, scope, data.as_of), book, template_path(home), trace
    )
    document = writer.build()
    sections = [section.as_dict() for section in writer.sections.values()]
    del writer
    docx_path, figures_path = report_paths(home, period, scope)
    docx_path.parent.mkdir(parents=True, exist_ok=True)
    # write beside, then rename: a reader never sees half a report
    partial = docx_path.with_name(docx_path.name + ".part")
    document.save(partial)
    os.replace(partial, docx_path)
    del document  # the preview reads the file back: the country's tree is 600 MB
    partial_json = figures_path.with_name(figures_path.name + ".part")
    book.write_json(
        partial_json,
        trace,
        period=period.code,
        scope=scope.key,
        as_of=data.as_of,
        is_draft=not data.is_closed,
        reporting_calendar=data.reporting_calendar,
        narrative=str(narratives.path(period.code)),
        sections=sections,
    )
    os.replace(partial_json, figures_path)
    partial_sections = figures_path.with_name(SECTIONS_FILE + ".part")
    partial_sections.write_text(
        json.dumps(sections, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
    os.replace(partial_sections, figures_path.with_name(SECTIONS_FILE))
    is_draft, figure_count = not data.is_closed, len(book.figures)
    del data, trace, book
    gc.collect()  # python-docx's parts refer to each other: freed by the collector only
    html = to_html(docx_path)
    pdf_path = None
    if pdf or (pdf is None and libreoffice()):
        pdf_path = to_pdf(docx_path)
    else:
        if pdf is None:
            log.info("no PDF of the report: %s", INSTALL_HINT)
        stale = docx_path.with_suffix(".pdf")
        if stale.exists():  # a PDF of an earlier version would contradict the new .docx
            stale.unlink()
    log.info(
        "report %s (%s) written: %s (%d figures)",
        period.code,
        scope.key,
        docx_path,
        figure_count,
    )
    return ReportFiles(docx_path, figures_path, is_draft, figure_count, html, pdf_path)
