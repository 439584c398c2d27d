"""Other formats of the report: a PDF through LibreOffice when it is installed, and an HTML
preview for the browser (written by this module, no other program needed).

    outreach report --period 2022-H1 --pdf      # also bao-cao-2022-H1.pdf, if LibreOffice is there
"""

from __future__ import annotations

import base64
import html
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import Table, _Row

INSTALL_HINT = (
    "LibreOffice is not installed: on Debian or Ubuntu `sudo apt-get install "
    "libreoffice-writer-nogui`, then run this again (outreach installs nothing)"
)


class NoLibreOffice(RuntimeError):
    pass


def libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx_path: Path, timeout: float = 180) -> Path:
    """Convert with LibreOffice (headless, its own throwaway profile); returns the PDF's path."""
    return to_pdfs([docx_path], timeout)[0]


def to_pdfs(docx_paths: list[Path], timeout: float = 180) -> list[Path]:
    """Convert several .docx files in one run of LibreOffice (it takes seconds to start); the
    PDFs go to the folder of the first (beside each, when they share it). Returns their paths."""
    program = libreoffice()
    if program is None:
        raise NoLibreOffice(INSTALL_HINT)
    folder = docx_paths[0].parent
    pdfs = [folder / path.with_suffix(".pdf").name for path in docx_paths]
    for pdf in pdfs:
        pdf.unlink(missing_ok=True)  # LibreOffice may exit 0 without converting: no stale PDF
    with tempfile.TemporaryDirectory(prefix="outreach-lo-") as profile:
        done = subprocess.run(
            [
                program,
                "--headless",
                "--norestore",
                f"-env:UserInstallation=file://{profile}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder),
                *(str(path) for path in docx_paths),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "HOME": profile},
            check=False,
        )
    missing = [path for path, pdf in zip(docx_paths, pdfs, strict=True) if not pdf.is_file()]
    if done.returncode != 0 or missing:
        raise RuntimeError(
            f"LibreOffice wrote no PDF for {', '.join(map(str, missing or docx_paths))} (exit "
            f"{done.returncode}): {done.stderr.strip()[-500:]}"
        )
    return pdfs


STYLE = """body { font-family: 'Times New Roman', serif; font-size: 14pt; max-width: 170mm;
margin: 2em auto; padding: 0 0.8em; line-height: 1.35; } p { margin: 0.2em 0; text-align: justify; }
table { border-collapse: collapse; margin: 0.5em auto; font-size: 11pt; }
td, th { border: 1px solid #999; padding: 2px 5px; vertical-align: top; }
table.plain td { border: none; text-align: center; } .center { text-align: center; }
img { max-width: 100%; display: block; margin: 0.5em auto; }
.footnotes { border-top: 1px solid #999; margin-top: 2em; font-size: 11pt; }"""


# the tags and attributes the preview reads (lxml's names; `qn` for each element read made a
# third of the country's preview time)
_P, _T, _TR, _TC = (qn(f"w:{tag}") for tag in ("p", "t", "tr", "tc"))
_PPR, _JC, _RPR, _TCPR = qn("w:pPr"), qn("w:jc"), qn("w:rPr"), qn("w:tcPr")
_GRID_SPAN, _V_MERGE = qn("w:gridSpan"), qn("w:vMerge")
_FOOTNOTE_REFERENCE, _ID, _VAL = qn("w:footnoteReference"), qn("w:id"), qn("w:val")
_BR, _CR, _TAB, _TYPE = qn("w:br"), qn("w:cr"), qn("w:tab"), qn("w:type")
_PPR_TABS = qn("w:tabs")  # a paragraph's tab stops (`w:tabs/w:tab`), not a tab in its text
_BLIP, _EMBED = qn("a:blip"), qn("r:embed")
_SWITCHES = {"b": qn("w:b"), "i": qn("w:i")}
_HIGHLIGHT = qn("w:highlight")


def _switched_on(properties, tag: str) -> bool:
    """Whether a run's properties turn bold (`b`) or italic (`i`) on."""
    element = properties.find(_SWITCHES[tag]) if properties is not None else None
    return element is not None and element.get(_VAL) not in ("0", "false")


def _highlighted(properties) -> bool:
    """Whether a run's properties highlight it (Word's marker pen)."""
    element = properties.find(_HIGHLIGHT) if properties is not None else None
    return element is not None and element.get(_VAL) not in (None, "none")


def _runs_html(paragraph) -> str:
    """The text of a paragraph (a `w:p` element), bold and italic marked, with its footnote
    references; a line break inside it (the header block's "SỞ VĂN HÓA, THỂ THAO / VÀ DU
    LỊCH") stays a line break, a tab a space."""
    parts = []
    for element in paragraph.iter():
        if element.tag in (_BR, _CR):
            # a page or column break has no place in a page read in the browser
            if element.get(_TYPE) in (None, "textWrapping"):
                parts.append("<br>")
        elif element.tag == _TAB and element.getparent().tag != _PPR_TABS:
            parts.append(" ")
        elif element.tag == _T:
            run = element.getparent()
            text = html.escape(element.text or "")
            properties = run.find(_RPR)
            for tag in ("b", "i"):
                if _switched_on(properties, tag):
                    text = f"<{tag}>{text}</{tag}>"
            if _highlighted(properties):  # a draft still to be read
                text = f"<mark>{text}</mark>"
            parts.append(text)
        elif element.tag == _FOOTNOTE_REFERENCE:
            number = element.get(_ID)
            parts.append(f'<sup><a href="#fn{number}">{number}</a></sup>')
    return "".join(parts)


def _centred(paragraph) -> bool:
    """Whether a `w:p` is centred (python-docx's `Paragraph.alignment`, read from its XML)."""
    properties = paragraph.find(_PPR)
    justification = properties.find(_JC) if properties is not None else None
    if justification is None:
        return False
    return justification.val == WD_ALIGN_PARAGRAPH.CENTER


def _paragraph_html(paragraph, images: dict[str, bytes]) -> str:
    """A `w:p` element as HTML, with its pictures."""
    pictures = "".join(
        f'<img alt="" src="data:image/png;base64,{base64.b64encode(images[rid]).decode()}">'
        for rid in (blip.get(_EMBED) for blip in paragraph.iter(_BLIP))
        if rid is not None and rid in images
    )
    centred = ' class="center"' if _centred(paragraph) else ""
    return f"<p{centred}>{_runs_html(paragraph)}{pictures}</p>"


def _row_cells(row, table: Table) -> list:
    """The `w:tc` elements of a row (`w:tr`) in the order of python-docx's `_Row.cells`, each
    once: a cell across several columns, or continued from the row above, is one cell."""
    cells = list(row.iterchildren(_TC))
    if any(_merged(cell) for cell in cells):  # python-docx works out the spans
        cells = [cell._tc for cell in _Row(row, table).cells]
    seen, unique = set(), []
    for cell in cells:
        if id(cell) not in seen:
            seen.add(id(cell))
            unique.append(cell)
    return unique


def _merged(cell) -> bool:
    properties = cell.find(_TCPR)
    return properties is not None and (
        properties.find(_GRID_SPAN) is not None or properties.find(_V_MERGE) is not None
    )


def _table_html(table: Table, images: dict[str, bytes]) -> str:
    borderless = "w:tblBorders" in table._tbl.tblPr.xml and 'w:val="nil"' in table._tbl.tblPr.xml
    rows = []
    for row in table._tbl.iterchildren(_TR):
        cells = []
        for cell in _row_cells(row, table):
            inner = "".join(_paragraph_html(p, images) for p in cell.iterchildren(_P))
            cells.append(f"<td>{inner}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    opening = '<table class="plain">' if borderless else "<table>"
    return f"{opening}{''.join(rows)}</table>"


def to_html(docx_path: Path) -> Path:
    """A self-contained HTML preview (text, tables, charts, footnotes) beside the .docx."""
    document = docx.Document(str(docx_path))
    images = {
        rid: rel.target_part.blob
        for rid, rel in document.part.rels.items()
        if rel.reltype.endswith("/image")
    }
    body = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            body.append(_paragraph_html(element, images))
        elif element.tag == qn("w:tbl"):
            body.append(_table_html(Table(element, document), images))
    notes = []
    # a footnote the text does not mark (the template's list of directive documents, in a
    # period without any) is not shown, as Word does not show it
    marked = set(document.element.body.xpath(".//w:footnoteReference/@w:id"))
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/footnotes"):
            from lxml import etree

            root = etree.fromstring(rel.target_part.blob)
            for note in root.iter(qn("w:footnote")):
                if note.get(qn("w:type")) is None and note.get(qn("w:id")) in marked:
                    number = note.get(qn("w:id"))
                    text = html.escape("".join(note.itertext()).strip())
                    notes.append(f'<p id="fn{number}"><sup>{number}</sup> {text}</p>')
    footnotes = f'<div class="footnotes">{"".join(notes)}</div>' if notes else ""
    title = html.escape(docx_path.stem)
    page = (
        f'<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + f"\n{footnotes}\n</body></html>\n"
    )
    path = docx_path.with_suffix(".html")
    path.write_text(page, encoding="utf-8")
    return path
