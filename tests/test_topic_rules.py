"""The topic rules of published items: the folding and whole-word matching of macros/topics.sql,
exact precision and recall on a small hand-made example set, and the bundled rules' figures as
`outreach topic-rules` prints them (and docs/data-quality.md quotes them)."""

from __future__ import annotations

import csv
import functools
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import duckdb
import jinja2
import pytest
from click.testing import CliRunner
from fast_tier import heavy_fixture
from helpers import new_home

from outreach.cli import main
from outreach.core.home import DBT_PROJECT_DIR, PROJECT_ROOT, SEEDS_DIR
from outreach.core.text import fold
from report.topic_rules import TopicRuleError, format_quality

MACROS = DBT_PROJECT_DIR / "macros" / "topics.sql"


@functools.cache
def _render(call: str) -> str:
    """`call` ("{{ topic_fold('x') }}") rendered with the macros of topics.sql as dbt renders
    them, `ref('name')` as the bare name (a table of the test's own connection); once a call
    in a run, the same text each time."""
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    template = environment.from_string(MACROS.read_text(encoding="utf-8") + call)
    return template.render(ref=lambda name: name)


def _fold(con: duckdb.DuckDBPyConnection, text: str | None) -> str | None:
    folded = _render("{{ topic_fold('?') }}")
    row = con.execute(f"select {folded}", [text]).fetchone()
    assert row is not None
    return row[0]


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ma túy", " ma tuy "),
        ("Ma tuý", " ma tuy "),  # the tone mark on the other letter
        (_nfd("Ma túy đá"), " ma tuy da "),  # decomposed, as some feeds send it
        ("MA TÚY ĐÁ", " ma tuy da "),
        ("ma tuy da", " ma tuy da "),  # as written on social media
        ("Hoà và hòa", " hoa va hoa "),
        ("Đường dây “mua bán người”: 3 đối tượng!", " duong day mua ban nguoi 3 doi tuong "),
        ("  PCMBN\u00a0-\tLạng Sơn  ", " pcmbn lang son "),
    ],
)
def test_a_text_folds_to_bare_lower_case_words_between_spaces(text, folded):
    with duckdb.connect() as con:
        assert _fold(con, text) == folded
        assert _fold(con, None) is None


def _examples() -> list[dict[str, str]]:
    with open(SEEDS_DIR / "ref_topic_examples.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _python_fold(text: str) -> str:
    """The same fold in Python's unicodedata (outreach.core.text.fold), padded as the macro's."""
    return f" {fold(text).replace('_', ' ')} " if fold(text) else "  "


def test_composed_and_decomposed_texts_fold_alike_and_as_python_folds_them():
    texts = [row[column] for row in _examples() for column in ("headline", "summary")]
    texts = [text for text in texts if text]
    # the registry is NFC, as all stored text; the feeds' decomposed text is made here
    assert all(unicodedata.is_normalized("NFC", text) for text in texts)
    with duckdb.connect() as con:
        for text in texts:
            composed = unicodedata.normalize("NFC", text)
            assert _fold(con, composed) == _fold(con, _nfd(composed)) == _python_fold(text)


@pytest.fixture
def items() -> Iterator[duckdb.DuckDBPyConnection]:
    """A few published items and terms, in tables named as the macro reads them."""
    con = duckdb.connect()
    con.execute("create table stg_reference__topic_terms (topic_code varchar, term varchar)")
    con.executemany(
        "insert into stg_reference__topic_terms values (?, ?)",
        [
            ("ma_tuy", "ma túy"),
            ("ma_tuy", "heroin"),
            ("toi_pham", "khởi tố"),
            ("toi_pham", "cướp giật"),
            ("mua_ban_nguoi", "buôn người"),
        ],
    )
    con.execute("create table items (item_id integer, title varchar, summary varchar)")
    con.executemany(
        "insert into items values (?, ?, ?)",
        [
            (1, "Tin đồn “ma tuyết” trên đỉnh Mẫu Sơn", "Ma tuyet hay nguoi tuyet?"),
            (2, "Khởi tố kẻ cướp giật dây chuyền", None),
            (3, _nfd("Lạng Sơn phòng, chống ma túy"), "Thu giữ 2 bánh heroin."),
            (4, "Những điều cần biết về ma", "Túy Kiều và những bài thơ"),
            (5, None, "CẢNH GIÁC VỚI ĐỐI TƯỢNG BUÔN NGƯỜI"),
            (6, "Người buôn gió", "Tập truyện mới của nhà văn trẻ"),
            (7, "Canh bao cuop giat tren QL1A", ""),
        ],
    )
    yield con
    con.close()


def _matches(con, text_columns) -> set[tuple]:
    sql = _render(f"{{{{ topic_matches('items', 'item_id', {text_columns!r}) }}}}")
    return set(con.execute(sql).fetchall())


def test_a_topic_is_found_by_whole_words_of_one_column_with_its_first_term(items):
    assert _matches(items, ["title", "summary"]) == {
        # both terms found: the first in the order of the folded terms ("cuop" before "khoi")
        (2, "toi_pham", "cướp giật"),
        (3, "ma_tuy", "heroin"),
        (5, "mua_ban_nguoi", "buôn người"),
        (7, "toi_pham", "cướp giật"),
        # not 1 ("ma tuyết" is not "ma túy"), 4 ("ma" ends the title, "Túy" starts the
        # summary: a term never runs from one column into the next), 6 ("buôn gió")
    }


def test_one_text_column_may_be_named_alone(items):
    assert _matches(items, "summary") == {
        (3, "ma_tuy", "heroin"),
        (5, "mua_ban_nguoi", "buôn người"),
    }


# a registry's own rules and examples, small enough to count by hand
SMALL_TERMS = [
    ("ma_tuy", "ma túy", ""),
    ("toi_pham", "khởi tố", ""),
    ("toi_pham", "lừa đảo", ""),
    ("mua_ban_nguoi", "mua bán người", ""),
]
SMALL_EXAMPLES = [
    # found ma_tuy and toi_pham, both given: two true positives
    (1, "Khởi tố đối tượng mua bán ma túy", "", "ma_tuy|toi_pham"),
    # true positive, the other tone-mark place
    (2, "Tuyên truyền phòng chống ma tuý", "", "ma_tuy"),
    # false positive: "mã tùy" folds to "ma tuy"
    (3, "Hướng dẫn cài mã tùy chọn", "", ""),
    # false negative: no term of toi_pham
    (4, "Bắt đối tượng trộm cắp xe máy", "", "toi_pham"),
    # true positive, capitals
    (5, "PHÒNG CHỐNG MUA BÁN NGƯỜI", "", "mua_ban_nguoi"),
    # false negative
    (6, "Nạn nhân bị bán sang biên giới", "Hai cô gái được đưa về quê.", "mua_ban_nguoi"),
    # true positive, in the summary, without diacritics
    (7, "Cảnh giác dịp cuối năm", "Nhieu thu doan lua dao qua mang", "toi_pham"),
    # nothing given, nothing found
    (8, "Giá lúa tăng", "", ""),
]


def _write_seed(path: Path, header: list[str], rows: list[tuple]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@heavy_fixture(scope="module")
def small_rules(tmp_path_factory):
    """A home whose registry has the small rules and examples, measured by the library call
    behind `outreach topic-rules` (its one dbt build of the few nodes it needs)."""
    from outreach.orchestration import pipeline

    home = new_home(tmp_path_factory.mktemp("topic-rules") / "home")
    home.registry.mkdir()
    for seed in SEEDS_DIR.glob("*.csv"):
        shutil.copy(seed, home.registry / seed.name)
    _write_seed(home.registry / "ref_topic_terms.csv", ["topic_code", "term", "note"], SMALL_TERMS)
    _write_seed(
        home.registry / "ref_topic_examples.csv",
        ["example_id", "headline", "summary", "expected_topics"],
        SMALL_EXAMPLES,
    )
    quality, errors = pipeline.topic_rules(home)
    return {"home": home, "quality": quality, "errors": errors}


def test_precision_and_recall_of_a_hand_counted_example_set(small_rules):
    counted = {
        row.topic_code: (
            row.examples,
            row.expected,
            row.matched,
            row.true_positives,
            row.false_positives,
            row.false_negatives,
        )
        for row in small_rules["quality"]
    }
    assert counted == {
        "toi_pham": (8, 3, 2, 2, 0, 1),
        "ma_tuy": (8, 2, 3, 2, 1, 0),
        "mua_ban_nguoi": (8, 2, 1, 1, 0, 1),
        "all": (8, 7, 6, 5, 1, 2),
    }
    rates = {row.topic_code: (row.precision, row.recall) for row in small_rules["quality"]}
    assert rates == {
        "toi_pham": (1.0, pytest.approx(2 / 3)),
        "ma_tuy": (pytest.approx(2 / 3), 1.0),
        "mua_ban_nguoi": (1.0, 0.5),
        "all": (pytest.approx(5 / 6), pytest.approx(5 / 7)),
    }
    assert [row.topic_label_vi for row in small_rules["quality"]] == [
        "Phòng, chống tội phạm",
        "Phòng, chống ma túy",
        "Phòng, chống mua bán người",
        "Cả ba chủ đề",
    ]
    assert small_rules["errors"] == [
        TopicRuleError(
            "false_positive",
            "ma_tuy",
            "Phòng, chống ma túy",
            3,
            "Hướng dẫn cài mã tùy chọn",
            None,
            None,
            "ma túy",
        ),
        TopicRuleError(
            "false_negative",
            "toi_pham",
            "Phòng, chống tội phạm",
            4,
            "Bắt đối tượng trộm cắp xe máy",
            None,
            "toi_pham",
            None,
        ),
        TopicRuleError(
            "false_negative",
            "mua_ban_nguoi",
            "Phòng, chống mua bán người",
            6,
            "Nạn nhân bị bán sang biên giới",
            "Hai cô gái được đưa về quê.",
            "mua_ban_nguoi",
            None,
        ),
    ]


def _independent_counts() -> dict[str, tuple[int, int, int]]:
    """Each topic's (given, found, found and given) over the bundled seeds, in Python alone."""
    with open(SEEDS_DIR / "ref_topic_terms.csv", encoding="utf-8", newline="") as handle:
        terms = [(row["topic_code"], _python_fold(row["term"])) for row in csv.DictReader(handle)]
    counts: dict[str, list[int]] = {topic: [0, 0, 0] for topic, _ in terms}
    for row in _examples():
        given = set(filter(None, row["expected_topics"].split("|")))
        texts = [_python_fold(row["headline"]), _python_fold(row["summary"])]
        found = {topic for topic, term in terms if any(term in text for text in texts)}
        for topic, count in counts.items():
            count[0] += topic in given
            count[1] += topic in found
            count[2] += topic in given and topic in found
    return {topic: (given, found, both) for topic, (given, found, both) in counts.items()}


def test_the_bundled_rules_as_the_command_prints_them_and_the_docs_quote_them(demo):
    """The nightly build made the tables: `--no-build` reads them as it left them."""
    result = CliRunner().invoke(
        main, ["topic-rules", "--no-build", "--errors", "--home", str(demo["home"].root)]
    )
    assert result.exit_code == 0, result.output
    from report.topic_rules import rule_quality

    quality = rule_quality(demo["home"])
    assert len(_examples()) == quality[-1].examples >= 150
    expected = _independent_counts()
    assert {
        row.topic_code: (row.expected, row.matched, row.true_positives)
        for row in quality
        if row.topic_code != "all"
    } == expected
    table = format_quality(quality)
    assert table in result.output
    assert "Quy tắc gán nhầm (false positive)" in result.output
    docs = (PROJECT_ROOT / "docs" / "data-quality.md").read_text(encoding="utf-8")
    assert table in docs, "docs/data-quality.md quotes other figures: paste the table again"
