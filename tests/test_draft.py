"""A nightly run inside an open period: a draft report, and no flag for files not yet due."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from helpers import PERIOD, document_text, new_home, run_pipeline

from outreach.generators.sample import generate

AS_OF = date(2022, 7, 5)  # June has ended, its files are due on 10 July


@pytest.mark.warehouse
def test_open_period(tmp_path):
    drop = tmp_path / "drop"
    generate(PERIOD, drop, seed=1)
    for late_file in [p for p in drop.iterdir() if "_2022-06" in p.name]:
        late_file.unlink()  # June's files have not come yet on 5 July
    home = new_home(tmp_path / "home")
    result = run_pipeline(home, drop, as_of=AS_OF)

    text = document_text(result["report"].docx)
    assert "DỰ THẢO" in text and "05/07/2022" in text
    figures = json.loads(result["report"].figures.read_text(encoding="utf-8"))
    assert figures["is_draft"] is True
    by_id = {f["id"]: f["value"] for f in figures["figures"]}
    assert by_id["indicator.I2_monthly_posting.denominator"] == 10  # 2 outlets × 5 months

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        june = con.execute("""
            select distinct submission_status from marts.fct_reporting_completeness
            where report_month = date '2022-06-01'""").fetchall()
        june_flags = con.execute("""
            select count(*) from dq.flags where report_month = date '2022-06-01'""").fetchone()
    assert june == [("not_yet_due",)]
    assert june_flags == (0,)
