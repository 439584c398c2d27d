"""Which tests are `fast` (`make test-fast`), decided by what they use, and kept so.

A fixture that builds a warehouse (dbt), runs Airflow or starts a browser is defined with
`@heavy_fixture(...)` instead of `@pytest.fixture(...)`. A test is not fast when its fixture
closure (every fixture it asks for, and every fixture those ask for, transitively) holds a heavy
fixture, or when it carries a marker of work done in its own body (`NOT_FAST_MARKERS`, declared in
pyproject.toml). Every other test is marked `fast`.

A run of `pytest -m fast` fails a fast test whose setup or call took more than
`FAST_LIMIT_SECONDS` (10 s; the ini option `fast_limit_seconds` sets another): a heavy fixture
left undeclared, or a test grown heavy without its marker, shows up at once instead of slowing
the inner loop. The bound is generous, so that a busy machine does not make it fail: the slowest
fast test (the demo's registry of 2025-H2, in tests/test_reform.py) took 4.4 s in a run of
`make test-fast` on the project's build machine (2026-12-06), most others under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

FAST_LIMIT_SECONDS = 10.0
# markers of work a test does in its own body (pyproject.toml says what each means)
NOT_FAST_MARKERS = ("slow", "warehouse", "browser", "heavy")
_HEAVY = "builds_a_warehouse_runs_airflow_or_starts_a_browser"


def heavy_fixture(function: Callable | None = None, **fixture_options: Any) -> Any:
    """`pytest.fixture` for a fixture that builds a warehouse, runs Airflow or starts a browser:
    no test that uses it, directly or through other fixtures, is `fast`.

    `@heavy_fixture(scope="module")` as `@pytest.fixture(scope="module")`."""

    def declare(fixture_function: Callable) -> Any:
        setattr(fixture_function, _HEAVY, True)
        return pytest.fixture(**fixture_options)(fixture_function)

    return declare(function) if function is not None else declare


def heavy_fixtures_of(item: pytest.Item) -> list[str]:
    """The heavy fixtures in the item's fixture closure (pytest's own, transitive)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:  # not a test function (a doctest, say): no fixtures
        return []
    return sorted(
        name
        for name in getattr(item, "fixturenames", ())
        if any(getattr(d.func, _HEAVY, False) for d in info.name2fixturedefs.get(name, ()))
    )


def mark_fast(items: list[pytest.Item]) -> None:
    """Mark `fast` every test with no heavy fixture in its closure and no heavy-body marker."""
    for item in items:
        if any(item.get_closest_marker(name) for name in NOT_FAST_MARKERS):
            continue
        if heavy_fixtures_of(item):
            continue
        item.add_marker(pytest.mark.fast)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "fast_limit_seconds",
        "the seconds a fast test's setup or call may take in a run of -m fast",
        default=str(FAST_LIMIT_SECONDS),
    )


def _selects_fast_tests(config: pytest.Config) -> bool:
    return "fast" in (config.getoption("markexpr", "") or "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """In a run of `-m fast`: a fast test whose setup or call took more than
    FAST_LIMIT_SECONDS fails, saying so."""
    report = yield
    limit = float(item.config.getini("fast_limit_seconds"))
    if (
        report.when in ("setup", "call")
        and report.passed
        and item.get_closest_marker("fast")
        and _selects_fast_tests(item.config)
        and call.duration > limit
    ):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid}: its {report.when} took {call.duration:.1f} s, over the "
            f"{limit:g} s a fast test may take. If it builds a warehouse, runs "
            f"Airflow or starts a browser, define that fixture with @heavy_fixture "
            f"(tests/fast_tier.py) or mark the test with one of {', '.join(NOT_FAST_MARKERS)}."
        )
    return report
