"""Shared fixtures: real files on disk, a real DuckDB warehouse, the demo pipeline run once.

The helpers they use (and tests import) are in helpers.py. A test that needs no built warehouse,
no Airflow and no browser is marked `fast` (`make test-fast` runs those): fast_tier.py decides it
from the fixtures each test uses, and fails a fast test that is not.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
from fast_tier import heavy_fixture, mark_fast
from fast_tier import pytest_addoption as pytest_addoption
from fast_tier import pytest_runtest_makereport as pytest_runtest_makereport
from helpers import (
    AS_OF,
    PERIOD,
    document_text,
    new_home,
    report_body,
    run_pipeline,
    was_full_refresh,
)

from outreach.core.registry import Reference

# the longest modules first (their time in `make test`, most first): `make test` runs the modules
# on three workers (pytest-xdist, a module to a worker), and a long module started last would run
# alone at the end
LONGEST_FIRST = [
    "test_scheduler",
    "test_incremental",
    "test_reform",
    "test_readme",
    "test_calendar",
    "test_publish",
    "test_report_sections",
    "test_e2e",
    "test_crosscheck",
    "test_comparisons",
    "test_embedded_airflow",
    "test_approval",
    "test_login_guessing",
    "test_phase",
    "test_portal",
    "test_portal_browser",
    "test_checks",
    "test_messy_files",
    "test_provinces",
    "test_portal_months",
    "test_draft",
    "test_accounts",
    "test_national",
    "test_warehouse",
    "test_portal_narratives",
    "test_properties",
    "test_report",
    "test_report_formats",
    "test_periods",
    "test_portal_periods",
]


def pytest_collection_modifyitems(items):
    """Mark `fast` every test that needs no built warehouse, no Airflow and no browser; put the
    longest modules first."""
    rank = {name: number for number, name in enumerate(LONGEST_FIRST)}
    order = {id(item): number for number, item in enumerate(items)}
    items.sort(
        key=lambda item: (
            rank.get(item.module.__name__ if item.module else "", len(rank)),
            order[id(item)],
        )
    )
    mark_fast(items)


@pytest.fixture(scope="session", autouse=True)
def airflow_migrated_once(tmp_path_factory):
    """Airflow's metadata database migrated once for the whole test run (by the first worker
    that runs Airflow: `built_once_per_run`), then copied into each new home that runs Airflow:
    `airflow db migrate` costs over ten seconds a home here, and every home would otherwise pay
    it. The copy is what the migration makes (the same release); `prepare_airflow` itself still
    runs, and still migrates a home whose database is another release's."""
    from outreach.core.home import Home
    from outreach.orchestration import airflow_run

    prepare = airflow_run.prepare_airflow
    template: list[Path] = []

    def prepare_from_template(home, log):
        database = home.airflow / "airflow.db"
        if not database.exists():
            if not template:

                def migrate(root: Path) -> Path:
                    made = Home(root).ensure()
                    prepare(made, log)
                    return made.airflow

                template.append(built_once_per_run(tmp_path_factory, "airflow-template", migrate))
            home.airflow.mkdir(parents=True, exist_ok=True)
            shutil.copy(template[0] / "airflow.db", database)
            shutil.copy(template[0] / ".prepared", home.airflow / ".prepared")
        return prepare(home, log)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(airflow_run, "prepare_airflow", prepare_from_template)
        yield


@pytest.fixture(scope="session", autouse=True)
def dbt_parse_shared(tmp_path_factory):
    """One saved dbt parse for every home of the test run (`OUTREACH_DBT_PARSE_CACHE`, in the
    run's own folder, for every worker and every process they start): a new home's first dbt
    command starts from it instead of parsing the whole project again."""
    from outreach.orchestration.dbt import PARSE_CACHE_ENV

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PARSE_CACHE_ENV, str(_run_folder(tmp_path_factory) / "dbt-parse"))
        yield


# tests/test_fast_tier.py runs pytest on a few tests of its own; module_cpu: `--module-cpu FILE`
pytest_plugins = ["pytester", "module_cpu"]


@pytest.fixture(scope="session")
def reference() -> Reference:
    return Reference.load()


def _moved(value, old: Path, new: Path):
    """`value` with every path under `old` (a Path, a str, inside dicts, lists, tuples and
    dataclasses) made the same path under `new`."""
    if isinstance(value, Path):
        return new / value.relative_to(old) if value.is_relative_to(old) else value
    if isinstance(value, str):
        return str(new) + value[len(str(old)) :] if value.startswith(f"{old}/") else value
    if isinstance(value, dict):
        return {key: _moved(item, old, new) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_moved(item, old, new) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            field.name: _moved(getattr(value, field.name), old, new)
            for field in dataclasses.fields(value)
            if field.init
        }
        return dataclasses.replace(value, **changes)
    return value


def _run_folder(tmp_path_factory) -> Path:
    """The folder of this test run that every xdist worker shares: under xdist each worker's
    base is one folder of the run's; alone, the base is the run's."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once_per_run(tmp_path_factory, name: str, build):
    """What `build(root)` makes, built once for the whole test run, whichever xdist worker asks
    first (the others wait for it), then copied into a folder of each asking worker's own: a
    worker's tests may write into their copy without touching another worker's. `build`
    returns a picklable value; its paths under the built root are given under the copy."""
    shared = _run_folder(tmp_path_factory)
    built = shared / f"built-once-{name}"
    with open(shared / f"built-once-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (built / "value.pickle").exists():
            shutil.rmtree(built, ignore_errors=True)
            value = build(built / "root")
            (built / "value.pickle").write_bytes(pickle.dumps(value))
    copy = tmp_path_factory.mktemp(name)
    shutil.copytree(built / "root", copy, dirs_exist_ok=True, symlinks=True)
    return _moved(pickle.loads((built / "value.pickle").read_bytes()), built / "root", copy)


@heavy_fixture(scope="session")
def demo(tmp_path_factory):
    """The demo period with its planted problems, through every step once (for the whole run:
    each worker reads and writes a copy of its own)."""
    from outreach.generators.sample import generate

    def build(root: Path) -> dict:
        home = new_home(root / "home")
        sample = generate(PERIOD, root / "drop", seed=1)
        result = run_pipeline(home, root / "drop")
        return {"home": home, "sample": sample, "drop": root / "drop", **result}

    return built_once_per_run(tmp_path_factory, "demo", build)


@heavy_fixture(scope="session")
def clean(tmp_path_factory):
    """The demo period without planted problems, through every step once, as of its closing
    date (for the whole run, as `demo`)."""
    from outreach.generators.sample import generate

    def build(root: Path) -> dict:
        home = new_home(root / "home")
        sample = generate(PERIOD, root / "drop", seed=1, plant_problems=False)
        result = run_pipeline(home, root / "drop")
        return {"home": home, "sample": sample, **result}

    return built_once_per_run(tmp_path_factory, "clean", build)


def first_quarter_files(drop: Path, quarter: Path, rest: Path) -> None:
    """The demo's files split as two nights get them: January to March as first sent (no
    correction), then the rest."""
    quarter.mkdir(parents=True)
    rest.mkdir(parents=True)
    for path in sorted(drop.iterdir()):
        early = any(f"_2022-0{month}" in path.name for month in (1, 2, 3))
        shutil.copy2(path, (quarter if early and "_r2" not in path.name else rest) / path.name)


@heavy_fixture(scope="session")
def first_quarter(tmp_path_factory):
    """A first night on a new home with only January to March: pulled, ingested, built as of
    the period's closing date, checked and published; then the same build again, which finds
    nothing new. The rest of the demo's files wait in `rest`. Built once for the whole run (the
    incremental tests and the published copy's both start from it); each call gives a copy of
    its own."""
    from outreach.generators.sample import generate
    from outreach.orchestration import pipeline

    def build(root: Path) -> dict:
        home = new_home(root / "home")
        generate(PERIOD, root / "all", seed=1)
        first_quarter_files(root / "all", root / "quarter", root / "rest")
        pipeline.pull(home, root / "quarter")
        pipeline.ingest(home)
        pipeline.build(home, AS_OF)
        full = was_full_refresh(home)
        again = pipeline.build(home, AS_OF)
        pipeline.check(home, PERIOD)
        pipeline.publish(home)
        return {
            "home": home,
            "all": root / "all",
            "rest": root / "rest",
            "full": full,
            "again": again,
        }

    return lambda: built_once_per_run(tmp_path_factory, "first-quarter", build)


def run_period(home: Path, period: str, drop: Path | None = None) -> dict:
    """`outreach run --period <period>` through Airflow, and what its report says: its text, its
    figures.json, and what the accepted submissions say of the period and of the one it is
    compared with (tests/independent.py, by the role of the sources)."""
    from click.testing import CliRunner
    from independent import expected_role_figures

    from outreach.cli import main
    from outreach.core.periods import parse_period

    arguments = ["run", "--period", period, "--home", str(home)]
    result = CliRunner().invoke(main, arguments + (["--inbox", str(drop)] if drop else []))
    assert result.exit_code == 0, result.output
    folder = home / "reports" / period
    warehouse = str(home / "warehouse" / "outreach.duckdb")
    code = parse_period(period)
    return {
        "period": code,
        "docx": folder / f"bao-cao-{period}.docx",
        "text": document_text(folder / f"bao-cao-{period}.docx"),
        "body": report_body(folder / f"bao-cao-{period}.docx"),
        "figures": json.loads((folder / "figures.json").read_text(encoding="utf-8")),
        "now": expected_role_figures(warehouse, code),
        "then": expected_role_figures(warehouse, code.base),
    }


@heavy_fixture(scope="session")
def two_years(tmp_path_factory):
    """The demo's 2025-H1 and 2026-H1 in one inbox, run through Airflow for 2026-H1, then for
    2026-Q1 (once for the whole run; each worker gets a copy of its own)."""
    from click.testing import CliRunner

    from outreach.cli import main

    def build(root: Path) -> dict:
        home, drop = root / "home", root / "drop"
        for period in ("2025-H1", "2026-H1"):
            sampled = CliRunner().invoke(main, ["sample", "--period", period, "--inbox", str(drop)])
            assert sampled.exit_code == 0, sampled.output
        # no directive document in January and March 2026: the quarter has none, against two
        for path in drop.glob("VANBAN_*_2026-0[13].*"):
            path.unlink()
        half = run_period(home, "2026-H1", drop)
        quarter = run_period(home, "2026-Q1")
        return {"home": home, "2026-H1": half, "2026-Q1": quarter}

    return built_once_per_run(tmp_path_factory, "two-years", build)
