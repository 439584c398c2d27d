"""The demo submissions: deterministic, in the formats people use, with the planted problems."""

from __future__ import annotations

import hashlib

from helpers import PERIOD

from ingest.load import inspect_file
from outreach.core.periods import parse_period
from outreach.generators.sample import generate
from outreach.generators.sample_activity import MonthlyActivity, key_areas_of
from outreach.generators.sample_problems import PROBLEMS, plan


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_the_same_seed_gives_the_same_bytes_and_times(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(PERIOD, first, seed=7)
    generate(PERIOD, second, seed=7)
    generate(PERIOD, other, seed=8)
    assert digests(first) == digests(second)
    assert {p.name: p.stat().st_mtime for p in first.iterdir()} == {
        p.name: p.stat().st_mtime for p in second.iterdir()
    }
    assert digests(first) != digests(other)


def test_the_registry_is_covered_in_the_formats_people_send(tmp_path, reference):
    result = generate(PERIOD, tmp_path, seed=1)
    names = [path.name for path in result.files]
    sources = {name.split("_")[0] for name in names if not name.startswith("VANBAN")}
    assert {"BAO-LS", "PTTH-LS"} <= sources
    assert len([s for s in sources if s.startswith("TW-")]) >= 6
    assert len([s for s in sources if s.startswith("PVHTT-")]) == 11
    assert {name.rsplit(".", 1)[1] for name in names} == {"csv", "xlsx"}
    encodings = {
        inspect_file(path, reference).details.get("text_encoding")
        for path in result.files
        if path.suffix == ".csv"
    }
    assert {"utf-8", "utf-8-sig", "utf-16", "cp1258"} <= encodings


def test_the_planted_problems(tmp_path, reference):
    result = generate(PERIOD, tmp_path, seed=1)
    planted = {(p.kind, p.source_code, p.month) for p in result.planted}
    # each problem of the table once
    assert sorted(p.kind for p in result.planted) == sorted(problem.kind for problem in PROBLEMS)
    assert planted == {
        ("no_trafficking_item", "BAO-LS", "2022-04"),
        ("never_submitted", "PVHTT-189", "2022-05"),
        ("late", "PVHTT-184", "2022-03"),
        ("correction", "PVHTT-181", "2022-02"),
        ("invalid_rows", "PVHTT-186", "2022-06"),
        ("corrupt_file", "TW-VOV", "2022-05"),
        ("empty_report", "TW-QDND", "2022-02"),
        ("no_grassroots_activity", "PVHTT-178", "2022-03"),
        ("outlier", "PVHTT-185", "2022-04"),
        ("counselling_over_population", "PVHTT-180", "2022-04"),
        ("film_screening_without_people", "PVHTT-183", "2022-05"),
    }
    rejected = sorted(
        path.name
        for path in result.files
        if not inspect_file(path, reference).validated.is_accepted
    )
    assert rejected == ["PVHTT-186_2022-06.csv", "TW-VOV_2022-05.xlsx"]
    assert not (tmp_path / "PVHTT-189_2022-05.xlsx").exists()


def test_without_planted_problems_every_file_is_valid(tmp_path, reference):
    result = generate(PERIOD, tmp_path, seed=1, plant_problems=False)
    assert result.planted == []
    assert all(inspect_file(path, reference).validated.is_accepted for path in result.files)


def test_every_problem_of_the_table_falls_on_a_registered_source_before_and_after_the_reform(
    reference,
):
    """A problem added to PROBLEMS without its place in `plan` would never be planted."""
    for code in ("2022-H1", "2025-H2"):
        period = parse_period(code)
        activity = MonthlyActivity(period, 1, reference, key_areas_of(period))
        planned = plan(reference, activity, plant_problems=True)
        assert set(planned.at) == {problem.kind for problem in PROBLEMS}, code
        for kind, (source_code, month) in planned.at.items():
            assert month in period.months, (code, kind)
            assert reference.sources[source_code].is_active(month), (code, kind)
        clean = plan(reference, activity, plant_problems=False)
        assert all(month is None for _, month in clean.at.values()), code
