"""The dbt project's shape: each model's docs, tests and unit tests in a yml beside its SQL, an
enforced contract on every table the Python reads, and layers that read one way only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from outreach.core.home import DBT_PROJECT_DIR, PROJECT_ROOT

MODELS_DIR = DBT_PROJECT_DIR / "models"
# the packages whose Python selects from the warehouse (the tests and the benchmarks excepted)
READERS = ("outreach", "ingest", "report", "expectations", "dags")
MARTS = re.compile(r"\bmarts\.([a-z_]+)\b")
# the layers, each reading only those before it and its own (staging: only the seeds, and the
# raw tables through source()); a seed is read through its staging model, never directly
LAYERS = ("staging", "intermediate", "marts", "reports")
REF = re.compile(r"""\bref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)""")
ANY_REF = re.compile(r"\bref\(")
SOURCE = re.compile(r"\bsource\(")
COMMENT = re.compile(r"\{#.*?#\}|--[^\n]*", re.DOTALL)


def _models() -> dict[str, Path]:
    return {path.stem: path for path in sorted(MODELS_DIR.rglob("*.sql"))}


def _yml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _properties() -> dict[str, dict]:
    """Each model's properties, from the yml beside its SQL."""
    return {
        name: _yml(path.with_suffix(".yml"))["models"][0]
        for name, path in _models().items()
        if path.with_suffix(".yml").exists()
    }


def _seeds() -> set[str]:
    """The bundled seeds and the calendar's (a home's own registry has the same names)."""
    return {
        path.stem
        for folder in ("seeds", "calendar")
        for path in (DBT_PROJECT_DIR / folder).glob("*.csv")
    }


def _layer(path: Path) -> str:
    return path.relative_to(MODELS_DIR).parts[0]


def layer_breaches(sql_by_model: dict[str, tuple[str, str]], seeds: set[str]) -> list[str]:
    """What a model reads against the layers: `sql_by_model` maps a model to its layer and its
    SQL. A model may ref its own layer and those before it; only staging refs seeds and calls
    source(), and staging refs nothing else."""
    layer_of = {name: layer for name, (layer, _) in sql_by_model.items()}
    breaches = []
    for name, (layer, sql) in sorted(sql_by_model.items()):
        code = COMMENT.sub("", sql)
        if layer not in LAYERS:
            breaches.append(f"{name} is in no layer ({layer})")
            continue
        if len(ANY_REF.findall(code)) != len(REF.findall(code)):
            breaches.append(f"{name} ({layer}) has a ref() the scan cannot read")
        if SOURCE.search(code) and layer != "staging":
            breaches.append(f"{name} ({layer}) calls source()")
        for read in sorted(set(REF.findall(code))):
            if read in seeds:
                if layer != "staging":
                    breaches.append(f"{name} ({layer}) reads the seed {read}")
            elif read not in layer_of:
                breaches.append(f"{name} ({layer}) reads {read}, which is no model or seed")
            elif layer == "staging" or LAYERS.index(layer_of[read]) > LAYERS.index(layer):
                breaches.append(f"{name} ({layer}) reads {read} ({layer_of[read]})")
    return breaches


def read_by_python(root: Path = PROJECT_ROOT) -> set[str]:
    """The models some Python of the project selects from (`marts.<model>` in its source)."""
    return {
        table
        for package in READERS
        for path in (root / package).rglob("*.py")
        for table in MARTS.findall(path.read_text(encoding="utf-8"))
    }


def test_every_model_has_its_own_yml_beside_it():
    models = _models()
    assert len(models) > 40
    missing = sorted(name for name, path in models.items() if not path.with_suffix(".yml").exists())
    assert missing == []


def test_each_yml_describes_exactly_the_model_beside_it():
    found = {}
    for path in sorted(MODELS_DIR.rglob("*.yml")):
        if path.name.startswith("_"):  # the seeds, the sources and the exposures
            assert "models" not in _yml(path), path
            continue
        properties = _yml(path)
        found[path.stem] = [model["name"] for model in properties["models"]]
        # a unit test lives beside the model it tests
        assert {test["model"] for test in properties.get("unit_tests") or []} <= {path.stem}
    assert found == {name: [name] for name in _models()}


def test_every_model_and_every_column_it_lists_is_described():
    undocumented = [
        f"{name}.{column['name']}" if column else name
        for name, model in _properties().items()
        for column in [None, *model.get("columns", [])]
        if not (column or model).get("description", "").strip()
    ]
    assert undocumented == []


def test_each_layer_reads_only_the_layers_before_it():
    models = _models()
    assert {_layer(path) for path in models.values()} == set(LAYERS)
    sql = {name: (_layer(path), path.read_text(encoding="utf-8")) for name, path in models.items()}
    # the scan sees the refs: the facts read the intermediate models, staging reads the seeds
    assert "int_source_months_checked" in REF.findall(sql["fct_reporting_completeness"][1])
    assert REF.findall(sql["stg_reference__sources"][1]) == ["ref_sources"]
    assert layer_breaches(sql, _seeds()) == []


@pytest.mark.parametrize(
    ("layer", "sql", "expected"),
    [
        ("staging", "select * from {{ source('submissions', 'x') }}", []),
        ("staging", "select * from {{ ref('ref_sources') }}", []),
        ("staging", "select * from {{ ref('stg_b') }}", ["a (staging) reads stg_b (staging)"]),
        ("staging", 'select * from {{ ref("int_b") }}', ["a (staging) reads int_b (intermediate)"]),
        ("intermediate", "select * from {{ ref('stg_b') }} join {{ ref('int_b') }}", []),
        (
            "intermediate",
            "select * from {{ ref( 'dim_b' ) }}",
            ["a (intermediate) reads dim_b (marts)"],
        ),
        (
            "intermediate",
            "select * from {{ ref('rpt_b') }}",
            ["a (intermediate) reads rpt_b (reports)"],
        ),
        (
            "intermediate",
            "select * from {{ ref('ref_sources') }}",
            ["a (intermediate) reads the seed ref_sources"],
        ),
        (
            "intermediate",
            "select * from {{ source('submissions', 'x') }}",
            ["a (intermediate) calls source()"],
        ),
        ("marts", "select * from {{ ref('dim_b') }} join {{ ref('int_b') }}", []),
        ("marts", "select * from {{ ref('rpt_b') }}", ["a (marts) reads rpt_b (reports)"]),
        ("reports", "select * from {{ ref('rpt_b') }} join {{ ref('dim_b') }}", []),
        (
            "reports",
            "select * from {{ ref('fct_x') }}",
            ["a (reports) reads fct_x, which is no model or seed"],
        ),
        (
            "marts",
            "select * from {{ ref('outreach', 'rpt_b') }}",
            ["a (marts) has a ref() the scan cannot read"],
        ),
        # what a comment names is not read
        ("intermediate", "-- as {{ ref('dim_b') }} did\nselect * from {{ ref('int_b') }}", []),
    ],
)
def test_a_model_reading_against_the_layers_is_seen(layer, sql, expected):
    others = {
        "stg_b": ("staging", ""),
        "int_b": ("intermediate", ""),
        "dim_b": ("marts", ""),
        "rpt_b": ("reports", ""),
    }
    assert layer_breaches({"a": (layer, sql), **others}, {"ref_sources"}) == expected


def test_the_scan_finds_the_tables_the_report_reads():
    read = read_by_python()
    assert {"rpt_source_groups", "rpt_submission_status", "fct_media_outputs"} <= read
    assert MARTS.findall("from marts.rpt_source_groups join marts.dim_sources") == [
        "rpt_source_groups",
        "dim_sources",
    ]


def _contract_gaps(model: dict) -> list[str]:
    gaps = []
    if not (model.get("config") or {}).get("contract", {}).get("enforced"):
        gaps.append("no enforced contract")
    columns = model.get("columns") or []
    if not columns:
        gaps.append("no columns")
    gaps += [
        f"{column['name']} has no data_type" for column in columns if not column.get("data_type")
    ]
    return gaps


def test_every_model_the_python_reads_and_every_report_table_has_an_enforced_contract():
    properties = _properties()
    interface = read_by_python() | {name for name in properties if name.startswith("rpt_")}
    assert interface <= set(properties), sorted(interface - set(properties))
    gaps = {name: _contract_gaps(properties[name]) for name in sorted(interface)}
    assert {name: found for name, found in gaps.items() if found} == {}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"columns": [{"name": "a", "data_type": "varchar"}]}, ["no enforced contract"]),
        (
            {"config": {"contract": {"enforced": True}}, "columns": [{"name": "a"}]},
            ["a has no data_type"],
        ),
        ({"config": {"contract": {"enforced": True}}}, ["no columns"]),
        (
            {
                "config": {"contract": {"enforced": True}},
                "columns": [{"name": "a", "data_type": "date"}],
            },
            [],
        ),
    ],
)
def test_a_contract_gap_is_seen(model, expected):
    assert _contract_gaps(model) == expected
