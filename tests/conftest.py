"""Shared fixtures: real files on disk, a real DuckDB warehouse, the demo pipeline run once.

The helpers they use (and tests import) are in helpers.py. A test that needs no built warehouse,
no Airflow and no browser is marked `fast`: `make test-fast` runs those.
"""

from __future__ import annotations

import pytest
from helpers import PERIOD, new_home, run_pipeline

from outreach.core.registry import Reference

# fixtures that build a warehouse (dbt), run Airflow or start a browser
HEAVY_FIXTURES = {
    "demo",
    "clean",
    "dag",
    "airflow_run",
    "hostile_run",
    "two_nights",
    "two_provinces",
    "after_reform",
    "across_reform",
    "national",
    "cluster",
    "figures",
    "text",
}
# modules whose tests build a warehouse or drive a browser in their own body
HEAVY_MODULES = {
    "test_analyst",
    "test_crash",
    "test_datadocs",
    "test_draft",
    "test_national",
    "test_publish",
    "test_report_formats",
    "test_status",
    "test_warehouse",
}


def pytest_collection_modifyitems(items):
    """Mark `fast` every test that needs no built warehouse, no Airflow and no browser."""
    for item in items:
        module = item.module.__name__ if item.module else ""
        if module in HEAVY_MODULES or any(
            item.get_closest_marker(name) for name in ("slow", "warehouse")
        ):
            continue
        if HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        item.add_marker(pytest.mark.fast)


@pytest.fixture(scope="session")
def reference() -> Reference:
    return Reference.load()


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo period with its planted problems, through every step once."""
    from outreach.generators.sample import generate

    root = tmp_path_factory.mktemp("demo")
    home = new_home(root / "home")
    sample = generate(PERIOD, root / "drop", seed=1)
    result = run_pipeline(home, root / "drop")
    return {"home": home, "sample": sample, "drop": root / "drop", **result}


@pytest.fixture(scope="session")
def clean(tmp_path_factory):
    """The demo period without planted problems."""
    from outreach.generators.sample import generate

    root = tmp_path_factory.mktemp("clean")
    home = new_home(root / "home")
    sample = generate(PERIOD, root / "drop", seed=1, plant_problems=False)
    result = run_pipeline(home, root / "drop")
    return {"home": home, "sample": sample, **result}
