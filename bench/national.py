"""The national five years: full dbt build vs the same SQL in DuckDB, an incremental night, the
quality checks, and the report for one province and for the country.

    .venv/bin/python bench/national.py [--years 2021-2025] [--json out.json] [--keep]

Generates (untimed) `outreach sample --scale national` for the years: every district office of
the 2022 catalogue, two outlets per province, eight central offices, monthly, with the planted
gaps, late files, corrections and broken files, and the national registry in the home. Holds
back 100 files of the last month, ingests the rest (timed, for information), then measures,
each in a fresh process so its peak memory is its own (a child's dbt subprocess included):

- dbt full build: `dbt build --full-refresh` of the national warehouse, as `outreach build`
  runs it (seeds, 22 models, 120 data tests, 3 unit tests);
- floor: the same SQL in DuckDB, on a copy of the warehouse as it was before the build: every
  seed read with `read_csv` (with the project's column types), every model's and data test's
  compiled SQL, in the order dbt ran them (no unit tests: they run on fixtures);
- the incremental night: the 100 held-back files ingested and `dbt build` run as the nightly run
  runs it (incremental facts), against the full build; and the same night with no new file,
  which is what any `dbt build` costs here whatever arrived;
- the quality checks of the last closed half-year, all provinces;
- the report of that half-year for Lạng Sơn and for the national aggregate (`toan-quoc`).

Prints a Markdown table, and with `--json` writes its lines for `bench/summary.py`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HELD_BACK = 100
INCREMENTAL_FACTS = ("model.outreach.fct_media_outputs", "model.outreach.fct_output_outliers")


def _peak_mb() -> float:
    """Peak RSS of this process or of the largest child it waited for (dbt), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # kB on Linux


def _home(work: Path):
    from outreach.core.home import Home

    return Home(work / "home").ensure()


def _settings(work: Path) -> dict:
    return json.loads((work / "settings.json").read_text(encoding="utf-8"))


def child(kind: str, work: Path) -> dict:
    import os

    from outreach.core.periods import parse_period
    from outreach.orchestration import pipeline
    from outreach.orchestration.dbt import run_dbt

    os.environ["OUTREACH_HOME"] = str(work / "home")
    home = _home(work)
    settings = _settings(work)
    as_of, period = date.fromisoformat(settings["as_of"]), parse_period(settings["period"])
    started = time.perf_counter()
    extra: dict = {}
    if kind == "ingest":
        summary = pipeline.ingest(home, work / "drop")
        extra = {"files": sum(len(v) for v in summary.values() if isinstance(v, list))}
    elif kind == "full":
        run_dbt(home, ["build", "--full-refresh"], as_of=as_of)
        extra = {"facts": _fact_seconds(home)}
    elif kind == "floor":
        extra = floor(work)
    elif kind in ("night", "empty_night"):
        ingested = pipeline.ingest(home, work / "night")
        middle = time.perf_counter()
        run_dbt(home, ["build"], as_of=as_of)
        results = json.loads((home.root / "dbt" / "target" / "run_results.json").read_text())
        if results["args"].get("full_refresh"):
            raise RuntimeError("the night rebuilt everything: it was meant to be incremental")
        extra = {
            "accepted": len(ingested["accepted"]),
            "ingest_seconds": middle - started,
            "facts": _fact_seconds(home),
        }
    elif kind == "check":
        extra = {"flags": pipeline.check(home, period)["flags"]}
        pipeline.publish(home)
    elif kind in ("report_province", "report_national"):
        province = None if kind == "report_province" else "toan-quoc"
        files = pipeline.report(home, period, province=province, pdf=False)
        extra = {"figures": files.figure_count}
    else:
        raise ValueError(kind)
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), **extra}


def _fact_seconds(home) -> float:
    """What the incremental facts cost inside the build (dbt's own timing of each model)."""
    results = json.loads((home.root / "dbt" / "target" / "run_results.json").read_text())
    return sum(
        result["execution_time"]
        for result in results["results"]
        if result["unique_id"] in INCREMENTAL_FACTS
    )


def floor(work: Path) -> dict:
    """The compiled SQL of the full build, run by DuckDB alone on the pre-build copy."""
    import duckdb

    target = work / "home" / "dbt" / "target"
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    order = [
        result["unique_id"]
        for result in json.loads((target / "run_results.json").read_text())["results"]
    ]
    statements = 0
    # the same file name as the warehouse: the compiled SQL names its catalog "outreach"
    with duckdb.connect(str(work / "floor" / "outreach.duckdb")) as con:
        for unique_id in order:
            node = manifest["nodes"].get(unique_id)
            if node is None:  # a unit test
                continue
            kind = node["resource_type"]
            if kind == "seed":
                path = (ROOT / "dbt_project" / node["original_file_path"]).resolve()
                types = node["config"].get("column_types") or {}
                con.execute(f"create schema if not exists {node['schema']}")
                con.execute(
                    f"create or replace table {node['schema']}.{node['name']} as "
                    f"select * from read_csv(?, header = true, types = ?)",
                    [str(path), types],
                )
            elif kind == "model":
                con.execute(f"create schema if not exists {node['schema']}")
                what = "view" if node["config"]["materialized"] == "view" else "table"
                con.execute(
                    f"create or replace {what} {node['relation_name']} as {node['compiled_code']}"
                )
            elif kind == "test":
                failures = con.execute(
                    f"select count(*) from ({node['compiled_code']})"
                ).fetchone()[0]
                if failures:
                    raise RuntimeError(f"{unique_id} fails on the floor: {failures}")
            statements += 1
    return {"statements": statements}


def run_child(kind: str, work: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--work", str(work)],
        check=False,
        capture_output=True,
        text=True,
    )
    if output.returncode != 0:
        sys.exit(f"bench step {kind} failed:\n{output.stderr[-4000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def _years(value: str) -> list[int]:
    first, _, last = value.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2021-2025")
    parser.add_argument("--json", type=Path, help="write the table's lines here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.work)))
        return

    from outreach.core.periods import parse_period
    from outreach.generators.national import generate_national

    years = _years(args.years)
    work = Path(tempfile.mkdtemp(prefix="bench-national-"))
    print(f"work folder: {work}", file=sys.stderr)
    home = _home(work)
    started = time.perf_counter()
    generated = generate_national(years, work / "drop", home.registry)
    print(
        f"generated {len(generated.files)} files in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    # the night: the first 100 files of the last month, kept back until after the full build
    last = f"_{years[-1]}-12"
    night = work / "night"
    night.mkdir()
    for path in sorted(p for p in generated.files if last in p.name)[:HELD_BACK]:
        shutil.move(path, night / path.name)
    as_of = date(years[-1] + 1, 1, 15)
    period = parse_period(f"{years[-1]}-H1")  # closed, and with the district offices (to June 2025)
    (work / "settings.json").write_text(
        json.dumps({"as_of": as_of.isoformat(), "period": period.code}), encoding="utf-8"
    )

    results = {"ingest": run_child("ingest", work)}
    (work / "floor").mkdir()
    shutil.copy(home.warehouse, work / "floor" / "outreach.duckdb")
    results["full"] = run_child("full", work)
    results["floor"] = run_child("floor", work)
    results["night"] = run_child("night", work)
    results["empty_night"] = run_child("empty_night", work)
    results["check"] = run_child("check", work)
    results["report_province"] = run_child("report_province", work)
    results["report_national"] = run_child("report_national", work)

    lines = [
        {
            "measure": f"ingest of the national {years[0]}-{years[-1]} "
            f"({results['ingest']['files']:,} files)",
            "seconds": results["ingest"]["seconds"],
            "peak_mb": results["ingest"]["peak_mb"],
        },
        {
            "measure": "dbt full build, national five years",
            "seconds": results["full"]["seconds"],
            "peak_mb": results["full"]["peak_mb"],
            "floor": "the same SQL in DuckDB",
            "floor_seconds": results["floor"]["seconds"],
            "floor_peak_mb": results["floor"]["peak_mb"],
            "aim": 2.0,
        },
        {
            "measure": f"incremental night ({results['night']['accepted']} new files: ingest "
            f"{results['night']['ingest_seconds']:.1f} s, then dbt build; the two "
            f"incremental facts {results['night']['facts']:.2f} s in it, against "
            f"{results['full']['facts']:.2f} s in the full build)",
            "seconds": results["night"]["seconds"],
            "peak_mb": results["night"]["peak_mb"],
            "floor": "dbt full build",
            "floor_seconds": results["full"]["seconds"],
            "floor_peak_mb": results["full"]["peak_mb"],
            "aim": 0.10,
        },
        {
            "measure": "the same night with no new file (what any dbt build costs here)",
            "seconds": results["empty_night"]["seconds"],
            "peak_mb": results["empty_night"]["peak_mb"],
            "floor": "dbt full build",
            "floor_seconds": results["full"]["seconds"],
        },
        {
            "measure": f"quality checks, {period.code}, every province "
            f"({results['check']['flags']:,} flags)",
            "seconds": results["check"]["seconds"],
            "peak_mb": results["check"]["peak_mb"],
        },
        {
            "measure": f"report {period.code}, Lạng Sơn ({results['report_province']['figures']} "
            "figures)",
            "seconds": results["report_province"]["seconds"],
            "peak_mb": results["report_province"]["peak_mb"],
        },
        {
            "measure": f"report {period.code}, national aggregate "
            f"({results['report_national']['figures']:,} figures)",
            "seconds": results["report_national"]["seconds"],
            "peak_mb": results["report_national"]["peak_mb"],
            "floor": "report for one province",
            "floor_seconds": results["report_province"]["seconds"],
        },
    ]
    from bench_table import finish, print_table

    print_table(lines)
    finish(lines, args.json, work, args.keep)


if __name__ == "__main__":
    main()
