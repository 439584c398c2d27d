"""The dbt project's shape: each model's docs, tests and unit tests in a yml beside its SQL, and
an enforced contract on every table the Python reads."""

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
