"""The report's charts, its traceability annex, its HTML preview and its PDF (with LibreOffice),
and reports for a year and for a half-year still in progress."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import date

import docx
import duckdb
import pytest
from helpers import AS_OF, PERIOD, document_text, new_home

from outreach.core.periods import parse_period
from report.build import DEFAULT_CONFIG, write_report
from report.export import libreoffice

PNG = b"\x89PNG"


@pytest.fixture(scope="module")
def figures(demo):
    return json.loads(demo["report"].figures.read_text(encoding="utf-8"))


def test_the_annex_has_three_charts(demo):
    document = docx.Document(str(demo["report"].docx))
    images = [
        rel.target_part.blob
        for rel in document.part.rels.values()
        if rel.reltype.endswith("/image")
    ]
    assert len(images) == 3 and all(image.startswith(PNG) for image in images)
    text = document_text(demo["report"].docx)
    for caption in (
        "Biểu đồ 1. Tin, bài, chương trình theo tháng và chủ đề",
        "Biểu đồ 2. Tình hình gửi báo cáo tháng của các đơn vị",
        "Biểu đồ 3. Kết quả các chỉ tiêu so với chỉ tiêu của Chương trình",
    ):
        assert caption in text


def test_every_body_figure_is_traced_to_its_submissions(demo, figures):
    submissions = figures["submissions"]
    archive = demo["home"].archive
    for figure in figures["figures"]:
        for submission_id in figure["sources"]:
            source = submissions[submission_id]
            assert (archive / source["file_name"]).is_file() or (
                archive / submission_id[:12] / source["file_name"]
            ).is_file()
    body = [f for f in figures["figures"] if f["part"] == "body"]
    counted = [
        f
        for f in body
        if f["id"].startswith(("outputs.", "indicator.", "directives.", "counselling."))
        and f["value"]
        and not f["id"].endswith((".target", ".denominator"))
    ]
    assert counted and all(f["sources"] for f in counted)
    by_id = {f["id"]: f for f in figures["figures"]}
    # from the programme and the reference data, not from a submission
    assert by_id["indicator.I1_communes_counselled.target"]["sources"] == []
    assert by_id["indicator.I3_people_reached.denominator"]["sources"] == []
    assert by_id["flags.missing_submission.count"]["sources"] == []
    [posting] = by_id["flags.missing_monthly_posting.count"]["sources"]
    assert submissions[posting]["file_name"] == "BAO-LS_2022-04.xlsx"


def _with_traceability(home, value: str) -> None:
    """The home's report.toml: the bundled one with `traceability = value`."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert 'traceability = "summary"' in text
    (home.root / "report.toml").write_text(
        text.replace('traceability = "summary"', f'traceability = "{value}"'), encoding="utf-8"
    )


def test_the_traceability_annex_is_full_a_summary_or_left_out(demo, tmp_path):
    """`traceability` in report.toml: every figure and every file, a few lines counting the
    files, or no annex; figures.json lists every figure's files whichever is chosen."""
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    title = "Phụ lục 7. Nguồn của các số liệu trong báo cáo"
    written = {}
    for value in ("full", "summary", "none"):
        _with_traceability(home, value)
        files = write_report(home, PERIOD)
        written[value] = (
            document_text(files.docx),
            json.loads(files.figures.read_text(encoding="utf-8")),
        )
    full, summary, none = (written[value][0] for value in ("full", "summary", "none"))
    body = [f for f in written["full"][1]["figures"] if f["part"] == "body"]
    annex = full[full.index(title) :]
    assert "Danh mục tệp:" in annex and "BAO-LS_2022-04.xlsx" in annex
    for figure in body:
        assert figure["label_vi"] in annex
    annex = summary[summary.index(title) :]
    assert "Danh mục tệp:" not in annex and "BAO-LS_2022-04.xlsx" not in annex
    assert "được tính từ 121 tệp báo cáo đã tiếp nhận của 21 đơn vị" in annex
    assert "Phòng Văn hóa và Thông tin các huyện, thành phố\n11\n64\n01-06/2022" in annex
    assert "Nguồn của từng số liệu" in annex  # where the full list is
    assert "Nguồn của các số liệu trong báo cáo" not in none and "Phụ lục 6. Biểu đồ" in none
    # the body and the annexes before it are the same
    before = full[: full.index(title)]
    assert summary.startswith(before) and none.startswith(before.rstrip())
    figures = [
        [(f["id"], f["value"], f["sources"]) for f in written[value][1]["figures"]]
        for value in ("full", "summary", "none")
    ]
    assert figures[0] == figures[1] == figures[2]
    assert written["none"][1]["submissions"] == written["full"][1]["submissions"]
    assert all(f["sources"] for f in body if f["id"] == "directives.count")
    (home.root / "report.toml").write_text(
        DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
            'traceability = "summary"', 'traceability = "short"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="traceability = 'short' is not one of"):
        write_report(home, PERIOD)


def test_a_traced_figure_lists_exactly_its_files(demo, figures):
    """The central outlets' media items come from their winning monthly files, no other."""
    with duckdb.connect(str(demo["home"].warehouse), read_only=True) as con:
        expected = {
            row[0]
            for row in con.execute(
                """
            select m.submission_id from raw.submission_manifest m
            join raw.submission_rows r using (submission_id)
            where m.status = 'accepted' and m.source_code like 'TW-%'
              and m.report_month between ? and ?
              and not exists (select 1 from raw.submission_manifest n
                              where n.status = 'accepted' and n.source_code = m.source_code
                                and n.report_month = m.report_month
                                and n.revision > m.revision)""",
                [PERIOD.start, PERIOD.end],
            ).fetchall()
        }
    [figure] = [f for f in figures["figures"] if f["id"] == "outputs.outlet_central.media.all"]
    assert set(figure["sources"]) == expected


def test_the_html_preview(demo):
    page = demo["report"].html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'lang="vi"' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    # the header block's name keeps its line break: "SỞ THÔNG TIN VÀ / TRUYỀN THÔNG"
    assert "<b>SỞ THÔNG TIN VÀ</b><br><b>TRUYỀN THÔNG</b>" in page
    assert "<script" not in page
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page and "Kính gửi: Ban Chỉ đạo 138 tỉnh" in page
    assert page.count("data:image/png;base64,") == 3
    assert 'id="fn1"' in page and "Công văn số 31/STTTT-TTBCXB" in page


def test_a_line_break_in_a_paragraph_stays_in_the_preview(tmp_path):
    """A break inside a paragraph (the header block's "SỞ VĂN HÓA, THỂ THAO / VÀ DU LỊCH") is a
    line break in the browser, never two words run together; a page break is not shown."""
    from docx import Document
    from docx.enum.text import WD_BREAK

    from report.export import to_html

    document = Document()
    run = document.add_paragraph().add_run("SỞ VĂN HÓA, THỂ THAO")
    run.add_break()
    run.add_text("VÀ DU LỊCH")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    tabbed = document.add_paragraph().add_run("Số:")
    tabbed.add_tab()
    tabbed.add_text("/BC-SVHTTDL")
    path = tmp_path / "bao-cao.docx"
    document.save(str(path))
    page = to_html(path).read_text(encoding="utf-8")
    assert "<p>SỞ VĂN HÓA, THỂ THAO<br>VÀ DU LỊCH</p>" in page
    assert "THAOVÀ" not in page and "<p></p>" in page
    assert "<p>Số: /BC-SVHTTDL</p>" in page


NEEDS_PDF_TOOLS = pytest.mark.skipif(
    libreoffice() is None or shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="needs LibreOffice and poppler-utils (docs/report.md: Other formats)",
)


@NEEDS_PDF_TOOLS
def test_the_pdf_and_its_pages_look_like_an_official_report(demo, tmp_path):
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    _with_traceability(home, "full")  # the list of files: a table over several pages
    files = write_report(home, PERIOD, pdf=True)
    info = subprocess.run(
        ["pdfinfo", str(files.pdf)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 8 <= pages <= 30
    assert "pts (A4)" in info and "Sở Thông tin và Truyền thông" in info  # page size, author
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(files.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BÁO CÁO", "Kính gửi"):
        assert text in first
    # the agency's name breaks where a typist breaks it
    lines = [line.strip() for line in first.splitlines()]
    assert any(line.startswith("SỞ THÔNG TIN VÀ") and "TRUYỀN" not in line for line in lines)
    assert any(line.startswith("TRUYỀN THÔNG") for line in lines)
    second = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(files.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert second.strip().splitlines()[0] == "2"  # the page number, top centre
    texts = [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(files.pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    ]
    heading = re.compile(r"^(Phụ lục \d+\.|\d+(\.\d+)*\. )")
    for number, text in enumerate(texts, start=1):
        body = [line.strip() for line in text.splitlines() if line.strip()]
        assert not heading.match(body[-1]), f"page {number} ends with a heading: {body[-1]}"
    # the list of files (one table, one header row in the .docx) runs over several pages, and
    # each of them starts with its header row again
    with_header = [
        number
        for number, text in enumerate(texts, start=1)
        if re.search(r"^\s*STT\s+Đơn vị\s+Tháng\s+Tệp", text, re.M)
    ]
    assert len(with_header) >= 2, with_header
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "40",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(files.pdf),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    [png] = tmp_path.glob("page*.png")
    assert png.read_bytes().startswith(PNG)


def _pdf_pages(pdf) -> list[str]:
    """The text of each page of a PDF (poppler's pdftotext, its layout kept)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines() if "Pages:" in line))
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    ]


@NEEDS_PDF_TOOLS
def test_the_recipients_and_the_signature_stay_with_the_closing(demo, tmp_path):
    """Wherever the body ends on its page, the closing sentence, "Nơi nhận" with every
    recipient and the signature block are on one page: no page holds only the tail of the
    recipients ("- Lưu: VT, …"). The body is lengthened a few lines at a time (copies of its
    last paragraph before the closing) so that the block meets the foot of a page."""
    import copy

    from report.build import load_config
    from report.export import to_pdfs

    recipients = [f"- {name}" for name in load_config(demo["home"], on=AS_OF)["recipients"]]
    variants = []
    for extra in range(10):
        document = docx.Document(str(demo["report"].docx))
        closing = next(p for p in document.paragraphs if p.text.startswith("Trên đây là Báo cáo"))
        for _ in range(extra):
            closing._p.addprevious(copy.deepcopy(closing._p.getprevious()))
        path = tmp_path / f"bao-cao-{extra:02d}.docx"
        document.save(str(path))
        variants.append(path)
    to_pdfs(variants, timeout=600)
    pages_of_block = set()
    for path in variants:
        pages = _pdf_pages(path.with_suffix(".pdf"))
        [page] = [text for text in pages if "Nơi nhận:" in text]
        for line in ("Trên đây là Báo cáo", *recipients, "PHÓ GIÁM ĐỐC", "Lê Hải Yến"):
            assert line in page, (path.name, line)
        for number, text in enumerate(pages, 1):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            content = [line for line in lines if not line.isdigit()]  # the page number
            assert not content or not all(line in recipients for line in content), (
                path.name,
                number,
                content,
            )
        pages_of_block.add(pages.index(page))
    assert len(pages_of_block) >= 2  # the block did move on to the next page


def test_the_tables_hold_together_across_pages(demo):
    """Group headings one line high, header rows repeated, annex headings kept with the table."""
    from docx.oxml.ns import qn

    document = docx.Document(str(demo["report"].docx))
    long_tables = [table for table in document.tables if len(table.rows) > 5]
    assert long_tables
    for table in long_tables:
        header = table.rows[0]._tr
        assert header.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
        assert all(
            row._tr.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None for row in table.rows
        )
    headings = 0
    for table in document.tables:
        for row in table.rows:
            cells = row._tr.findall(qn("w:tc"))
            span = (
                cells[0].find(qn("w:tcPr")).find(qn("w:gridSpan"))
                if cells[0].find(qn("w:tcPr")) is not None
                else None
            )
            if len(cells) == 1 and span is not None:  # a merged group heading
                headings += 1
                assert len(cells[0].findall(qn("w:p"))) == 1, row.cells[0].text
    assert headings >= 3
    annex_titles = [p for p in document.paragraphs if p.text.startswith("Phụ lục ")]
    assert len(annex_titles) >= 6
    assert all(p.paragraph_format.keep_with_next for p in annex_titles)
    body_headings = [p for p in document.paragraphs if p.text[:2] in ("1.", "2.", "3.", "4.")]
    assert body_headings and all(p.paragraph_format.keep_with_next for p in body_headings)


def test_the_completeness_chart_names_each_source(demo, tmp_path, monkeypatch):
    from report import charts

    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    labels = []
    drawn = charts.completeness_matrix
    monkeypatch.setattr(
        charts,
        "completeness_matrix",
        lambda names, *rest: labels.extend(names) or drawn(names, *rest),
    )
    write_report(home, PERIOD)
    assert "huyện Văn Quan" in labels and "Báo Lạng Sơn" in labels
    assert not any(label.startswith(("PVHTT-", "TW-", "BAO-")) for label in labels)


def test_year_and_second_half_year_reports(demo, tmp_path):
    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    from outreach.orchestration import pipeline

    for code, label in (("2022", "năm 2022"), ("2022-H2", "6 tháng cuối năm 2022")):
        period = parse_period(code)
        pipeline.check(home, period)
        files = write_report(home, period)
        text = document_text(files.docx)
        assert label in text and files.is_draft  # the warehouse is as of July 2022
        assert "DỰ THẢO" in text


def test_no_stale_pdf_beside_a_new_report(demo, tmp_path, monkeypatch):
    """A PDF of an earlier version never stays beside a .docx it contradicts."""
    from report import build, export

    home = new_home(tmp_path / "home")
    shutil.copy(demo["home"].warehouse, home.warehouse)
    docx_path, _ = build.report_paths(home, PERIOD)
    docx_path.parent.mkdir(parents=True)
    stale = docx_path.with_suffix(".pdf")
    stale.write_bytes(b"%PDF-1.4 an earlier report")
    files = write_report(home, PERIOD, pdf=False)
    assert files.pdf is None and not stale.exists()

    stale.write_bytes(b"%PDF-1.4 an earlier report")
    monkeypatch.setattr(export, "libreoffice", lambda: "/bin/true")  # exits 0, writes nothing
    with pytest.raises(RuntimeError, match="wrote no PDF"):
        export.to_pdf(docx_path)
    assert not stale.exists()


def test_table_rows_are_copies_of_one_formatted_row_with_their_own_text():
    from report.docx_parts import TABLE_PT, grid_table

    document = docx.Document()
    rows = [["Huyện A", "1", None], ["Nhóm", "", ""], ["Huyện B", "", "3\n4"]]
    table = grid_table(document, ["Đơn vị", "x", "y"], rows, [60, 20, 20])
    assert [[cell.text.strip() for cell in row.cells] for row in table.rows] == [
        ["Đơn vị", "x", "y"],
        ["Huyện A", "1", ""],
        ["Nhóm", "Nhóm", "Nhóm"],
        ["Huyện B", "", "3\n4"],
    ]
    assert len({cell._tc for cell in table.rows[2].cells}) == 1  # one cell across the row
    for row in table.rows[1:]:
        for run in (run for cell in row.cells for run in cell.paragraphs[0].runs):
            assert run.font.name == "Times New Roman" and run.font.size.pt == TABLE_PT
    assert table.rows[2].cells[0].paragraphs[0].runs[0].font.bold  # a group heading


def test_a_completeness_chart_taller_than_a_page_is_drawn_a_page_at_a_time():
    """Word cuts off a picture taller than its page: more than MATRIX_ROWS rows are drawn as
    several charts of equal size, each row in one of them once."""
    from PIL import Image

    from report import charts

    months = [date(2026, month, 1) for month in range(1, 7)]
    rows = [f"Đơn vị {number:03d}" for number in range(2 * charts.MATRIX_ROWS + 12)]
    status = {(row, month): "on_time" for row in rows for month in months}
    labelled: list[list[str]] = []
    drawn = charts._matrix
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            charts, "_matrix", lambda names, *rest: labelled.append(names) or drawn(names, *rest)
        )
        pieces = charts.completeness_matrix(rows, rows, months, status)
    assert len(pieces) == 3 and [name for names in labelled for name in names] == rows
    assert len({Image.open(io.BytesIO(piece)).size for piece in pieces}) == 1
    assert len(charts.completeness_matrix(rows[:40], rows[:40], months, status)) == 1
    assert [charts.share_mark(*counts) for counts in ((5, 5, 0), (9, 10, 0), (7, 10, 0))] == [
        "all",
        "most",
        "some",
    ]
    assert [charts.share_mark(*counts) for counts in ((6, 10, 0), (0, 0, 3), (0, 0, 0))] == [
        "few",
        "not_yet_due",
        "none",
    ]


def test_a_chart_is_never_set_taller_than_its_page():
    """With short names a chart of MATRIX_ROWS rows is narrower than the text, so set at the
    text's width it would run past the page: it is set smaller, its caption below it."""
    from types import SimpleNamespace

    from report import charts
    from report.annexes import PICTURE_HEIGHT_MM, PICTURE_WIDTH_MM, AnnexWriter

    months = [date(2026, month, 1) for month in range(1, 7)]
    rows = [f"Xã A{number}" for number in range(charts.MATRIX_ROWS)]
    tall = charts.completeness_matrix(rows, rows, months, {})[0]
    wide = charts.completeness_matrix(rows[:5], rows[:5], months, {})[0]
    writer = SimpleNamespace(document=docx.Document())
    for png in (tall, wide):
        AnnexWriter._picture(writer, png, "Biểu đồ")  # type: ignore[arg-type]
    (tall_shape, wide_shape) = writer.document.inline_shapes
    assert round(tall_shape.height.mm) == PICTURE_HEIGHT_MM
    assert tall_shape.width.mm < PICTURE_WIDTH_MM
    assert round(wide_shape.width.mm) == PICTURE_WIDTH_MM
    assert wide_shape.height.mm < PICTURE_HEIGHT_MM
