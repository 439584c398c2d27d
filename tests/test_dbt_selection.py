"""The night's selection, on a small manifest: what the changes reach, and nothing else.

(`tests/test_incremental.py` checks on a real warehouse that what it builds equals a full
rebuild.)"""

from __future__ import annotations

from outreach.orchestration.dbt_selection import select


def _node(kind: str, name: str, materialized: str = "table", tags=()) -> dict:
    return {
        "resource_type": kind,
        "name": name,
        "config": {"materialized": materialized},
        "tags": list(tags),
    }


MANIFEST = {
    "sources": {
        "source.outreach.submissions.rows": {
            "package_name": "outreach",
            "schema": "raw",
            "name": "rows",
        },
        "source.outreach.submissions.approvals": {
            "package_name": "outreach",
            "schema": "raw",
            "name": "approvals",
        },
    },
    "nodes": {
        "model.outreach.stg_rows": _node("model", "stg_rows", "view"),
        "model.outreach.fct_rows": _node("model", "fct_rows", "incremental"),
        "model.outreach.listed": _node("model", "listed", "view", tags=["as_of_date"]),
        "model.outreach.completeness": _node("model", "completeness", tags=["as_of_date"]),
        "model.outreach.dim_topics": _node("model", "dim_topics"),
        "seed.outreach.ref_topics": _node("seed", "ref_topics", "seed"),
        "test.outreach.not_null_stg_rows": _node("test", "not_null_stg_rows", "test"),
        "test.outreach.unique_fct_rows": _node("test", "unique_fct_rows", "test"),
        "test.outreach.unique_dim_topics": _node("test", "unique_dim_topics", "test"),
        "test.outreach.unique_completeness": _node("test", "unique_completeness", "test"),
    },
    "child_map": {
        "source.outreach.submissions.rows": ["model.outreach.stg_rows"],
        "source.outreach.submissions.approvals": [],
        "model.outreach.stg_rows": ["model.outreach.fct_rows", "test.outreach.not_null_stg_rows"],
        "model.outreach.fct_rows": ["test.outreach.unique_fct_rows"],
        "model.outreach.listed": ["model.outreach.completeness"],
        "model.outreach.completeness": ["test.outreach.unique_completeness"],
        "seed.outreach.ref_topics": ["model.outreach.dim_topics"],
        "model.outreach.dim_topics": ["test.outreach.unique_dim_topics"],
    },
}
STATE = {
    "fingerprint": "f1",
    "as_of": "2026-11-15",
    "sources": {"raw.rows": "10:1", "raw.approvals": "0:0"},
}


def test_no_earlier_build_or_a_changed_project_builds_everything():
    assert select(MANIFEST, None, "f1", "2026-11-15", STATE["sources"]).full
    assert select(None, STATE, "f1", "2026-11-15", STATE["sources"]).full
    changed = select(MANIFEST, STATE, "f2", "2026-11-15", STATE["sources"])
    assert changed.full and "changed" in changed.reason


def test_nothing_new_on_the_same_day_builds_nothing():
    assert select(MANIFEST, STATE, "f1", "2026-11-15", STATE["sources"]).nothing


def test_new_rows_build_the_tables_they_reach_and_test_the_views_they_pass():
    selection = select(
        MANIFEST, STATE, "f1", "2026-11-15", {"raw.rows": "12:7", "raw.approvals": "0:0"}
    )
    assert not selection.full
    assert sorted(selection.names) == ["fct_rows", "not_null_stg_rows", "unique_fct_rows"]
    assert "rows" in selection.reason


def test_the_next_day_rebuilds_what_reads_the_date():
    selection = select(MANIFEST, STATE, "f1", "2026-11-16", STATE["sources"])
    # the view that reads the date is re-created (the date is in its SQL); seeds never
    assert sorted(selection.names) == ["completeness", "listed", "unique_completeness"]
    assert "as-of date moved" in selection.reason
