"""The `fast` tier (tests/fast_tier.py) on a few tests of its own, run by pytest's pytester:
decided by the fixtures a test uses, transitively, and by its markers; a fast test that is slow
fails a `-m fast` run."""

from __future__ import annotations

import pytest

CONFTEST = """
import time

import pytest
from fast_tier import heavy_fixture, mark_fast, pytest_addoption, pytest_runtest_makereport


def pytest_collection_modifyitems(items):
    mark_fast(items)


@heavy_fixture(scope="module")
def built():
    return "warehouse"


@pytest.fixture
def derived(built):
    return built + " read"


@pytest.fixture
def further(derived):
    return derived + " again"


@pytest.fixture
def light(tmp_path):
    return tmp_path


@pytest.fixture
def slow_to_make():
    time.sleep(0.6)
"""

TESTS = """
import time

import pytest


def test_light(light):
    pass


def test_built(built):
    pass


def test_through_one(derived):
    pass


def test_through_two(further, light):
    pass


@pytest.mark.warehouse
def test_body_builds(light):
    pass


@pytest.mark.browser
def test_body_browses():
    pass


def test_sleeps():
    time.sleep(0.6)


def test_slow_fixture(slow_to_make):
    pass
"""


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=TESTS)
    # the bound made small, so that the tests here need not wait ten seconds
    pytester.makeini("[pytest]\nfast_limit_seconds = 0.3\n")
    return pytester


def test_fast_is_decided_by_the_fixture_closure_and_the_markers(suite):
    result = suite.runpytest("-m", "fast", "--collect-only", "-q", "-p", "no:cacheprovider")
    collected = {line.split("::")[1] for line in result.outlines if "::" in line}
    assert collected == {"test_light", "test_sleeps", "test_slow_fixture"}


def test_a_fast_test_over_the_bound_fails_a_fast_run(suite):
    result = suite.runpytest("-m", "fast", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 1  # test_light
    assert outcomes["failed"] == 1  # test_sleeps: its call
    assert outcomes["errors"] == 1  # test_slow_fixture: its setup
    # how long the sleeps took beyond their 0.6 s depends on the machine's load: not asserted
    result.stdout.fnmatch_lines(["*test_sleeps: its call took * s, over the 0.3 s*"])
    result.stdout.fnmatch_lines(["*test_slow_fixture: its setup took * s*@heavy_fixture*"])


def test_the_bound_holds_only_in_a_fast_run(suite):
    result = suite.runpytest("-k", "sleeps or slow_fixture or light", "-p", "no:cacheprovider")
    assert result.parseoutcomes() == {"passed": 3, "deselected": 5}
