"""A registry of two provinces: one nightly run through Airflow, one report and one reminder list
per province (mapped tasks), each with its own sources only; and the national aggregate."""

from __future__ import annotations

import csv
import json
import re
import shutil
from email.header import decode_header, make_header

import duckdb
import pytest
from click.testing import CliRunner
from fast_tier import heavy_fixture
from helpers import document_text
from mailserver import invoke_with_mail, text_of

from outreach.cli import main
from outreach.core.home import SEEDS_DIR, resolve_home
from outreach.generators.national import generate_national

pytestmark = pytest.mark.slow

SECOND = "02"  # Hà Giang, from the national catalogue
MONTHS = 6


def _read(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _append(path, rows):
    with open(path, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with open(path, "a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=header, lineterminator="\n").writerows(
            [{key: row.get(key, "") for key in header} for row in rows]
        )


@heavy_fixture(scope="module")
def two_provinces(tmp_path_factory):
    root = tmp_path_factory.mktemp("provinces")
    home, drop = root / "home", root / "drop"
    runner = CliRunner()
    sampled = runner.invoke(main, ["sample", "--period", "2022-H1", "--inbox", str(drop)])
    assert sampled.exit_code == 0, sampled.output
    # Hà Giang's outlets and district offices, first half of 2022, with the national sample's
    # planted problems
    generate_national([2022], drop, root / "national", provinces={SECOND}, seed=3)
    for path in drop.iterdir():
        if re.search(r"_2022-(0[7-9]|1[0-2])", path.name):
            path.unlink()
    registry = home / "registry"
    registry.mkdir(parents=True)
    for seed in SEEDS_DIR.glob("*.csv"):
        shutil.copy(seed, registry / seed.name)
    _append(
        registry / "ref_sources.csv",
        [
            row
            for row in _read(root / "national" / "ref_sources.csv")
            if row["province_code"] == SECOND
        ],
    )
    _append(
        registry / "ref_admin_units.csv",
        [
            row
            for row in _read(root / "national" / "ref_admin_units.csv")
            if row["province_code"] == SECOND
        ],
    )
    ran, mail = invoke_with_mail(
        runner,
        main,
        ["run", "--period", "2022-H1", "--inbox", str(drop), "--home", str(home)],
        OUTREACH_REMINDER_TO="staff@test.example",
    )
    assert ran.exit_code == 0, ran.output
    sources = _read(registry / "ref_sources.csv")
    return {
        "home": home,
        "runner": runner,
        "mail": mail,
        "sources": {row["source_code"]: row for row in sources},
    }


def _figures(folder):
    payload = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    return payload, {figure["id"]: figure for figure in payload["figures"]}


def _monthly_sources(two_provinces, province):
    """The province's sources that report monthly in 2022-H1 (the registry goes on past the
    2025 reform)."""
    return {
        code
        for code, row in two_provinces["sources"].items()
        if row["province_code"] == province
        and row["submits_monthly"] == "true"
        and row["valid_from"] <= "2022-06-30"
        and (not row["valid_to"] or row["valid_to"] >= "2022-01-01")
    }


def test_each_province_gets_its_own_report(two_provinces):
    reports = two_provinces["home"] / "reports" / "2022-H1"
    own = document_text(reports / "bao-cao-2022-H1.docx")
    second = document_text(reports / f"tinh-{SECOND}" / "bao-cao-2022-H1.docx")
    assert "UBND TỈNH LẠNG SƠN" in own and "Hà Giang" not in own
    assert "UBND TỈNH HÀ GIANG" in second and "Sở Thông tin và Truyền thông tỉnh Hà Giang" in second
    assert "Lạng Sơn" not in second
    assert "Phòng Văn hóa và Thông tin Huyện Bắc Mê" in second  # a Hà Giang district office


@pytest.mark.parametrize("province, folder", [("20", ""), (SECOND, f"tinh-{SECOND}")])
def test_each_report_counts_and_traces_its_own_sources_only(two_provinces, province, folder):
    payload, figures = _figures(two_provinces["home"] / "reports" / "2022-H1" / folder)
    monthly = _monthly_sources(two_provinces, province)
    # every monthly source of the province was due every month of the half-year (registry)
    assert payload["scope"] == province
    assert figures["completeness.expected"]["value"] == len(monthly) * MONTHS
    traced = {entry["source_code"] for entry in payload["submissions"].values()}
    assert traced and traced <= set(monthly) | {
        code for code, row in two_provinces["sources"].items() if row["province_code"] == province
    }


def test_each_province_gets_its_own_reminder_list_and_mail(two_provinces):
    reports = two_provinces["home"] / "reports" / "2022-H1"
    for province, folder in (("20", reports), (SECOND, reports / f"tinh-{SECOND}")):
        rows = list(
            csv.reader((folder / "nhac-nho-2022-H1.csv").read_text("utf-8-sig").splitlines())
        )[1:]
        assert rows
        assert {row[0] for row in rows} <= _monthly_sources(two_provinces, province)
    subjects = sorted(
        str(make_header(decode_header(message["Subject"]))) for message in two_provinces["mail"]
    )
    assert len(subjects) == 2, subjects
    assert sum(subject.endswith("6 tháng đầu năm 2022") for subject in subjects) == 1
    assert sum(subject.endswith("6 tháng đầu năm 2022, Hà Giang") for subject in subjects) == 1
    assert all("cần nhắc" in text_of(message) for message in two_provinces["mail"])


def test_flags_carry_their_province(two_provinces):
    warehouse = two_provinces["home"] / "warehouse" / "outreach.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        by_province = dict(
            con.execute("select province_code, count(*) from dq.flags group by 1").fetchall()
        )
    assert set(by_province) == {"20", SECOND}


def test_the_national_aggregate_sums_the_provinces(two_provinces):
    home = two_provinces["home"]
    result = two_provinces["runner"].invoke(
        main,
        [
            "report",
            "--period",
            "2022-H1",
            "--province",
            "toan-quoc",
            "--no-pdf",
            "--home",
            str(home),
        ],
    )
    assert result.exit_code == 0, result.output
    folder = home / "reports" / "2022-H1" / "toan-quoc"
    payload, figures = _figures(folder)
    expected = len(_monthly_sources(two_provinces, "20")) + len(
        _monthly_sources(two_provinces, SECOND)
    )
    assert figures["completeness.expected"]["value"] == expected * MONTHS
    # the rates table lists the provinces, each as its own report counted it
    for province, own_folder in (("20", ""), (SECOND, f"tinh-{SECOND}")):
        _, own = _figures(home / "reports" / "2022-H1" / own_folder)
        assert (
            figures[f"rates.province.{province}.actual"]["value"]
            == own["completeness.received"]["value"]
        )
    text = document_text(folder / "bao-cao-2022-H1.docx")
    assert "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" in text and "Tỉnh Hà Giang" in text


def test_a_province_outside_the_registry_is_refused(two_provinces):
    result = two_provinces["runner"].invoke(
        main,
        ["report", "--period", "2022-H1", "--province", "99", "--home", str(two_provinces["home"])],
    )
    assert result.exit_code != 0
    assert "99" in result.output and "20, 02" in result.output
    assert resolve_home(two_provinces["home"]).seeds_dir().name == "registry"


def _plain_sources(trace, lineage):
    """The submissions a lineage counts, found row by row over the trace's tables and sorted as
    figures.json lists them: what `Trace.sources_of` finds through its indexes."""
    if lineage is None:
        return []
    periods = lineage.periods or (trace.period.code,)
    if lineage.of == "directives":
        found = set().union(*(trace.directives[code] for code in periods))
    else:
        table = trace.tables[lineage.of]
        at = table.column
        months = {f"{month:%Y-%m}" for code in periods for month in trace.periods[code].months}
        found = {
            row[at["submission_id"]]
            for row in table.rows
            if row[at["report_month"]] in months
            and all(
                (str(row[at[name]]) if name == "source_code" else row[at[name]])
                == (str(value) if name == "source_code" else value)
                for name, value in lineage.where
            )
            and (
                not lineage.flagged_by
                or (lineage.flagged_by, row[at["source_code"]], row[at["report_month"]])
                in trace.flagged
            )
        }
    return sorted(
        (trace.submissions[key] for key in found if key in trace.submissions),
        key=lambda source: (source.source_code, source.report_month, source.revision_number),
    )


def test_the_national_report_lists_each_figures_files_as_a_plain_scan_does(
    two_provinces, monkeypatch
):
    """The country's figures.json is written figure by figure, its files found through
    indexes: the same document as every figure's files found row by row and written at once;
    and its completeness chart has a row per province, not per source."""
    from outreach.core.home import Home
    from outreach.core.periods import parse_period
    from outreach.core.scope import resolve_scope
    from report import build, charts
    from report.build import write_report

    kept, rows = {}, []
    writer = build.FigureBook.write_json
    drawn = charts.completeness_matrix

    def write_json(book, path, trace=None, **context):
        kept.update(book=book, trace=trace, context=context)
        return writer(book, path, trace, **context)

    monkeypatch.setattr(build.FigureBook, "write_json", write_json)
    monkeypatch.setattr(
        charts,
        "completeness_matrix",
        lambda names, *rest: rows.append(names) or drawn(names, *rest),
    )
    home = Home(two_provinces["home"])
    files = write_report(home, parse_period("2022-H1"), scope=resolve_scope(home, "toan-quoc"))
    book, trace = kept["book"], kept["trace"]
    submissions, figures = {}, []
    for figure in book.figures.values():
        sources = _plain_sources(trace, figure.lineage)
        assert trace.sources_of(figure.lineage) == sources, figure.id
        submissions.update({source.submission_id: source.as_dict() for source in sources})
        figures.append(
            {
                "id": figure.id,
                "label_vi": figure.label_vi,
                "value": figure.value,
                "text": figure.text,
                "part": figure.part,
                "sources": [source.submission_id for source in sources],
            }
        )
    expected = json.loads(
        json.dumps(
            {
                **kept["context"],
                "figures": figures,
                "submissions": dict(sorted(submissions.items())),
            },
            ensure_ascii=False,
            default=str,
        )
    )
    written = json.loads(files.figures.read_text(encoding="utf-8"))
    assert written == expected and list(written) == list(expected)
    assert len(submissions) > 100 and any(len(figure["sources"]) > 50 for figure in figures)
    assert rows == [["Tỉnh Hà Giang", "Tỉnh Lạng Sơn"]] or rows == [
        ["Tỉnh Lạng Sơn", "Tỉnh Hà Giang"]
    ]
