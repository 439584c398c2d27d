"""Workbooks as offices make them: which sheets there are, which are hidden, which rows are hidden,
and how much work reading them would be, found by streaming the XML before anything is loaded.

openpyxl reads the cells of the sheet that is chosen, but only once this scan has shown that the
workbook is bounded: a number of cells, a width of row and a last row that a monthly report can
have. A workbook of one very wide row, or of a million styled cells, is refused while it is being
scanned, in constant memory, never after it has filled it.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

MAX_CELLS = 1_000_000  # cell elements in all sheets, empty styled ones included
MAX_MERGED = 10_000  # merged ranges kept per sheet (a report has a handful, in its titles)
MAX_ROW_CELLS = 16_384  # Excel's own width; a row wider than this was not written by Excel
CHUNK = 1 << 16

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_ROW_NUMBER = re.compile(r"[A-Za-z]{1,3}([0-9]{1,7})")
_STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class WorkbookTooLarge(ValueError):
    def __init__(self, detail_en: str, detail_vi: str) -> None:
        super().__init__(detail_en)
        self.detail_en, self.detail_vi = detail_en, detail_vi


class MalformedWorkbook(ValueError):
    pass


@dataclass
class SheetInfo:
    """One sheet as the scan found it (row numbers are 1-based, as Excel shows them)."""

    name: str
    part: str
    visible: bool
    hidden_rows: set[int] = field(default_factory=set)
    filtered: bool = False  # an AutoFilter with a condition: its hidden rows are filtered out
    last_value_row: int = 0
    last_value_cell: str = ""  # the reference of a cell on the last row holding a value
    value_cells: int = 0
    merged: list[str] = field(default_factory=list)  # merged ranges, as "A5:A7"


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def _parser(start, end=None, text=None) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse_dtd(*_args):
        raise MalformedWorkbook("a DOCTYPE in a workbook part (entity expansion is refused)")

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    return parser


def _stream(archive: zipfile.ZipFile, part: str, parser: expat.XMLParserType) -> None:
    with archive.open(part) as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder = posixpath.dirname(part)
    rels_part = posixpath.join(folder, "_rels", posixpath.basename(part) + ".rels")
    targets: dict[str, str] = {}
    if rels_part not in archive.namelist():
        return targets

    def start(name, attrs):
        if _local(name) == "Relationship" and "Id" in attrs and "Target" in attrs:
            target = attrs["Target"]
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            targets[attrs["Id"]] = path

    _stream(archive, rels_part, _parser(start))
    return targets


def _workbook_part(archive: zipfile.ZipFile) -> str:
    found = []

    def start(name, attrs):
        if _local(name) == "Relationship" and attrs.get("Type", "").endswith("/officeDocument"):
            found.append(attrs["Target"].lstrip("/"))

    if "_rels/.rels" in archive.namelist():
        _stream(archive, "_rels/.rels", _parser(start))
    return found[0] if found else "xl/workbook.xml"


def is_opendocument(archive: zipfile.ZipFile) -> bool:
    """An OpenDocument spreadsheet (.ods): its first member, `mimetype`, says so."""
    if "mimetype" not in archive.namelist():
        return False
    with archive.open("mimetype") as stream:
        return stream.read(len(ODS_MIMETYPE) + 16).strip().startswith(ODS_MIMETYPE)


def is_strict(archive: zipfile.ZipFile) -> bool:
    """A workbook saved as Strict Open XML: its workbook part is in the Strict namespace, which
    openpyxl does not read."""
    workbook_part = _workbook_part(archive)
    if workbook_part not in archive.namelist():
        return False
    found: list[str] = []

    def start(name, attrs):
        if not found:
            found.append(name.rsplit(" ", 1)[0] if " " in name else "")
            raise _Seen

    with contextlib.suppress(_Seen):
        _stream(archive, workbook_part, _parser(start))
    return found == [_STRICT_NS]


class _Seen(Exception):
    """Stops a stream once the element looked for has been seen."""


def overlong_number(
    archive: zipfile.ZipFile, sheets: list[SheetInfo], digits: int
) -> tuple[str, str] | None:
    """(sheet, cell) of the first number written with more than `digits` characters, if any:
    what openpyxl cannot convert (Python's int() stops at 4,300 digits). Looked for only once a
    read has failed, so it costs nothing on the way of every file."""
    for sheet in sheets:
        if sheet.part not in archive.namelist():
            continue
        state: dict[str, Any] = {"ref": "", "number": False, "in_value": False, "length": 0}

        def start(name, attrs, state=state):
            local = _local(name)
            if local == "c":
                state["ref"] = attrs.get("r", "")
                state["number"] = attrs.get("t", "n") == "n"
            elif local == "v":
                state["in_value"], state["length"] = True, 0

        def end(name, state=state, sheet=sheet):
            if _local(name) == "v":
                state["in_value"] = False
                if state["number"] and state["length"] > digits:
                    raise _Found(sheet.name, state["ref"])

        def text(data, state=state):
            if state["in_value"]:
                state["length"] += len(data)

        try:
            _stream(archive, sheet.part, _parser(start, end, text))
        except _Found as found:
            return found.sheet, found.cell
    return None


class _Found(Exception):
    """Stops a stream at the cell looked for."""

    def __init__(self, sheet: str, cell: str) -> None:
        super().__init__(sheet, cell)
        self.sheet, self.cell = sheet, cell


def list_sheets(archive: zipfile.ZipFile) -> list[SheetInfo]:
    """The workbook's sheets in tab order, with their visibility and XML part."""
    workbook_part = _workbook_part(archive)
    if workbook_part not in archive.namelist():
        raise MalformedWorkbook(f"no workbook part {workbook_part}")
    targets = _relationships(archive, workbook_part)
    sheets: list[SheetInfo] = []

    def start(name, attrs):
        if _local(name) != "sheet":
            return
        relation = attrs.get(f"{_REL_NS} id") or attrs.get(f"{_STRICT_REL_NS} id")
        part = targets.get(relation or "")
        if part is None:
            return
        sheets.append(
            SheetInfo(
                name=attrs.get("name", ""),
                part=part,
                visible=attrs.get("state", "visible") == "visible",
            )
        )

    _stream(archive, workbook_part, _parser(start))
    return sheets


def scan_workbook(archive: zipfile.ZipFile) -> list[SheetInfo]:
    """Every sheet's hidden rows, filter and extent; refuses, while streaming, a workbook too big
    to read and any part that declares a DTD."""
    sheets = list_sheets(archive)
    total = [0]
    for sheet in sheets:
        if sheet.part in archive.namelist():
            _scan_sheet(archive, sheet, total)
    for part in archive.namelist():
        if part.endswith((".xml", ".rels")) and part not in {sheet.part for sheet in sheets}:
            _stream(archive, part, _parser(lambda name, attrs: None))  # DTDs refused
    return sheets


def _scan_sheet(archive: zipfile.ZipFile, sheet: SheetInfo, total: list[int]) -> None:
    state: dict[str, Any] = {"row": 0, "row_cells": 0, "in_cell": False, "has_value": False}

    def start(name, attrs):
        local = _local(name)
        if local == "row":
            number = attrs.get("r")
            # an ASCII number of at most 7 digits (Excel's rows end at 1,048,576)
            state["row"] = (
                int(number)
                if number and number.isascii() and number.isdigit() and len(number) <= 7
                else state["row"] + 1
            )
            state["row_cells"] = 0
            if attrs.get("hidden") in ("1", "true"):
                sheet.hidden_rows.add(state["row"])
        elif local == "c":
            total[0] += 1
            state["row_cells"] += 1
            if total[0] > MAX_CELLS:
                raise WorkbookTooLarge(
                    f"more than {MAX_CELLS} cells in the workbook",
                    f"bảng tính có hơn {MAX_CELLS:,} ô".replace(",", "."),
                )
            if state["row_cells"] > MAX_ROW_CELLS:
                raise WorkbookTooLarge(
                    f"row {state['row']} of sheet '{sheet.name}' has more than {MAX_ROW_CELLS} "
                    "cells",
                    f"dòng {state['row']} của trang '{sheet.name}' có hơn "
                    f"{MAX_ROW_CELLS:,} ô".replace(",", "."),
                )
            state["in_cell"], state["has_value"] = True, False
            reference = attrs.get("r")
            if reference and (match := _ROW_NUMBER.fullmatch(reference)):
                state["cell_row"] = int(match[1])
                state["cell_ref"] = reference.upper()
            else:
                state["cell_row"] = state["row"]
                state["cell_ref"] = ""
        elif local in ("v", "is", "f") and state["in_cell"]:
            state["has_value"] = True
        elif local == "filterColumn":
            sheet.filtered = True
        elif local == "mergeCell" and len(sheet.merged) < MAX_MERGED and "ref" in attrs:
            sheet.merged.append(attrs["ref"])

    def end(name):
        if _local(name) == "c":
            if state["has_value"]:
                sheet.value_cells += 1
                if state["cell_row"] >= sheet.last_value_row:
                    sheet.last_value_row = state["cell_row"]
                    sheet.last_value_cell = state["cell_ref"]
            state["in_cell"] = False

    _stream(archive, sheet.part, _parser(start, end))
