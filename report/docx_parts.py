"""Word primitives in the house format of Nghị định 30/2020: Times New Roman, justified
paragraphs with a first-line indent, bordered tables whose header repeats on every page.

No figure and no wording of the report here: `report.document` and `report.annexes` write with
these.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.run import Run

FONT = "Times New Roman"
_NOT_TEXT = frozenset("\t\r\n")  # what python-docx writes into a run other than as text
BODY_PT = 14
TABLE_PT = 11


def set_font(run, size: float = BODY_PT, *, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def paragraph(
    container,
    text: str = "",
    *,
    size: float = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = True,
    space_after: float = 6,
    highlight: bool = False,
):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    paragraph.paragraph_format.space_before = Pt(0)
    if indent and align == WD_ALIGN_PARAGRAPH.JUSTIFY:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    if text:
        run = paragraph.add_run(text)
        set_font(run, size, bold=bold, italic=italic)
        if highlight:  # what is still to be read and edited: a draft
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return paragraph


def grid_table(document, header: list[str], rows: list[list[str]], widths_mm: Sequence[float]):
    """A bordered table: a bold centred header, then the rows (first column left-aligned).

    The first data row is formatted once through python-docx and the others are copies of its
    XML with their own text: formatting thousands of cells one by one took most of the time of
    the national report.
    """
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # the header row is repeated at the top of every page the table runs onto, and stays with
    # the first row; no row is split across two pages
    row_properties(table.rows[0], header=True)
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cell.paragraphs[0].paragraph_format.keep_with_next = True
        set_font(cell.paragraphs[0].add_run(text), TABLE_PT, bold=True)
    if rows:
        row_properties(table.add_row())
        for position, cell in enumerate(table.rows[1].cells):
            cell.paragraphs[0].alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if position == 0 else WD_ALIGN_PARAGRAPH.CENTER
            )
            set_font(cell.paragraphs[0].add_run(), TABLE_PT)
    set_widths(table, widths_mm)
    if rows:
        prototype = table.rows[1]._tr
        for _ in rows[1:]:
            table._tbl.append(copy.deepcopy(prototype))
        for row, values in zip(table.rows[1:], rows, strict=True):
            runs = row._tr.iter(qn("w:r"))
            for run, text in zip(runs, values, strict=True):
                if text:  # None or "": an empty cell, as add_run() left it
                    text = str(text)
                    if _NOT_TEXT.isdisjoint(text):  # one w:t, as Run.text writes it, sooner
                        run.add_t(text)
                    else:  # a tab or a line break: its own element
                        # a run needs no parent to take its text
                        Run(run, None).text = text  # type: ignore[arg-type]
            if values[0] and not any(values[1:]):
                # a group heading: one cell across the row, in bold, one line high (a merge
                # keeps every cell's paragraph: the empty ones go), kept with the row below
                merged = row.cells[0].merge(row.cells[-1])
                for extra in merged.paragraphs[1:]:
                    extra._p.getparent().remove(extra._p)
                merged.paragraphs[0].paragraph_format.keep_with_next = True
                for merged_run in merged.paragraphs[0].runs:
                    merged_run.font.bold = True
    return table


def row_properties(row, *, header: bool = False) -> None:
    """A row never split across pages; a header row repeated on each page."""
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        properties.append(OxmlElement("w:tblHeader"))


def set_widths(table, widths_mm: Sequence[float]) -> None:
    """Column widths that Word and LibreOffice both honour (grid and cells, no autofit)."""
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)
