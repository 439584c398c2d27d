"""Write the report of a period: the .docx and figures.json under reports/<period>/."""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ingest.warehouse import connect
from outreach.home import Home
from outreach.periods import Period
from report.document import ReportWriter
from report.export import INSTALL_HINT, libreoffice, to_html, to_pdf
from report.figures import FigureBook, load_report_data
from report.narrative import load_narrative
from report.trace import Trace

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).resolve().parent / "config" / "report.toml"
TEMPLATE_NAME = "bao-cao.docx"
DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "templates" / TEMPLATE_NAME


@dataclass
class ReportFiles:
    docx: Path
    figures: Path
    is_draft: bool
    figure_count: int
    html: Path | None = None
    pdf: Path | None = None


def load_config(home: Home) -> dict:
    override = home.root / "report.toml"
    path = override if override.is_file() else DEFAULT_CONFIG
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def template_path(home: Home) -> Path:
    """The report's Word template: a copy in the home folder wins over the bundled one."""
    override = home.root / "templates" / TEMPLATE_NAME
    return override if override.is_file() else DEFAULT_TEMPLATE


def report_paths(home: Home, period: Period) -> tuple[Path, Path]:
    folder = home.report_dir(period.code)
    return folder / f"bao-cao-{period.code}.docx", folder / "figures.json"


def write_report(home: Home, period: Period, *, pdf: bool | None = False) -> ReportFiles:
    """Read the marts and the quality flags, and write the period's report.

    Beside the .docx and figures.json: an HTML preview, and a PDF when `pdf` is True (an error
    without LibreOffice) or None (only if LibreOffice is installed).
    """
    with connect(home.warehouse, read_only=True) as con:
        has_flags = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'dq' and table_name = 'flags'").fetchone()[0]
        if not has_flags:
            raise RuntimeError("the warehouse has no quality flags (dq.flags): run "
                               "`outreach check` before `outreach report`")
        data = load_report_data(con, period)
        trace = Trace(con, period)
    narrative = load_narrative(period.code, home.root)
    book = FigureBook()
    document = ReportWriter(data, narrative, load_config(home), book,
                            template_path(home), trace).build()
    docx_path, figures_path = report_paths(home, period)
    docx_path.parent.mkdir(parents=True, exist_ok=True)
    # write beside, then rename: a reader never sees half a report
    partial = docx_path.with_name(docx_path.name + ".part")
    document.save(partial)
    os.replace(partial, docx_path)
    partial_json = figures_path.with_name(figures_path.name + ".part")
    book.write_json(partial_json, trace, period=period.code, as_of=data.as_of,
                    is_draft=not data.is_closed, reporting_calendar=data.reporting_calendar,
                    narrative=str(narrative.path) if narrative.path else None)
    os.replace(partial_json, figures_path)
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
    log.info("report %s written: %s (%d figures)", period.code, docx_path, len(book.figures))
    return ReportFiles(docx_path, figures_path, not data.is_closed, len(book.figures), html,
                       pdf_path)
