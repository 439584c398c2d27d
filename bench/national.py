"""The country after the reform: full dbt build vs the same SQL in DuckDB, the nights after it,
the quality checks, and the report for one province and for the country.

    .venv/bin/python bench/national.py [--years 2021-2026] [--json out.json] [--keep]

Generates (untimed) `outreach sample --scale national` for the years: until June 2025 every
district office of the 2022 catalogue and two outlets per province (63), from July 2025 a
commune office for each of the 3,321 communes and one merged outlet per province (34), the
central press throughout, monthly, with the planted gaps, late files, corrections and broken
files, and the national registry in the home. Holds back one day's files (300 of the last month
sent), ingests the rest (timed, for information), then measures, each in a fresh process so its
peak memory is its own (a child's dbt subprocess included):

- dbt full build: `dbt build --full-refresh` of the national warehouse (seeds, every model,
  data test and unit test);
- floor: the same SQL in DuckDB, on a copy of the warehouse as it was before the build: every
  seed read with `read_csv` (with the project's column types), every model's and data test's
  compiled SQL, in the order dbt ran them (no unit tests: they run on fixtures);
- what starting dbt costs (`dbt --version`: the interpreter and dbt's imports), and what one
  dbt invocation costs before any SQL (start-up, parse, artifacts): a build that selects nothing;
- the night after: the held-back files ingested and the nightly `dbt build` as of the next day
  (what those rows reach), against the full build; the night after that with no new file, the
  date past no month end or due date, as on all but about two nights a month (no dbt); and the
  next night on which the date passes one, with no new file (what the date reaches);
- the quality checks of the last closed half-year, all provinces: GX validates every row of
  each dataset, the flags and the Data Docs are written; against the rows read and GX run with
  the same suites over no row (what GX costs whatever the rows: its import, its context, the
  Data Docs);
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
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HELD_BACK = 300  # one day's files of a month after the reform (about 3,360 sent over 9 days)


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
    # the nights after the full build: the next day with the held-back files, the day after
    # with none, and the next day the date passes a month end or a due date, with none
    nights = {kind: date.fromisoformat(day) for kind, day in settings["nights"].items()}
    started = time.perf_counter()
    extra: dict = {}
    if kind == "ingest":
        summary = pipeline.ingest(home, work / "drop")
        extra = {"files": sum(len(v) for v in summary.values() if isinstance(v, list))}
    elif kind == "full":
        run_dbt(home, ["build", "--full-refresh"], as_of=as_of)
        extra = node_times(home.root / "dbt" / "target" / "run_results.json")
    elif kind == "floor":
        extra = floor(work / "floor")
    elif kind in ("night_floor", "date_night_floor"):
        extra = floor(work / kind, incremental=True)
    elif kind == "dbt_start":
        from outreach.orchestration.dbt import dbt_executable

        subprocess.run([dbt_executable(), "--version"], check=True, capture_output=True)
    elif kind == "dbt_floor":
        run_dbt(home, ["build", "--select", "tag:bench_selects_nothing"], as_of=as_of)
    elif kind in nights:
        ingested = pipeline.ingest(home, work / "night")
        middle = time.perf_counter()
        if kind in ("night", "date_night"):
            # the warehouse the night's dbt starts from, for its floor (untimed)
            (work / f"{kind}_floor").mkdir(exist_ok=True)
            shutil.copy(home.warehouse, work / f"{kind}_floor" / "outreach.duckdb")
            started += time.perf_counter() - middle
            middle = time.perf_counter()
        log_file = run_dbt(home, ["build"], as_of=nights[kind])
        if kind == "empty_night":
            if log_file is not None:
                raise RuntimeError("a night with nothing the tables read changed ran dbt")
            nodes = 0
        else:
            run_results = home.root / "dbt" / "target" / "run_results.json"
            shutil.copy(run_results, work / f"{kind}-run_results.json")  # each node's time
            results = json.loads(run_results.read_text())
            if results["args"].get("full_refresh"):
                raise RuntimeError("the night rebuilt everything: it was meant to be incremental")
            nodes = len(results["results"])
        extra = {
            "accepted": len(ingested["accepted"]),
            "ingest_seconds": middle - started,
            "nodes": nodes,
        }
    elif kind == "check":
        extra = {"flags": pipeline.check(home, period)["flags"]}
    elif kind == "check_floor":
        from expectations.checks import load_datasets, run_suites
        from outreach.core.home import Home

        # the same suites over no row, their Data Docs in a home of their own
        frames, _ = load_datasets(home, [period])
        run_suites(
            Home(work / "check_floor").ensure(), {name: f.iloc[0:0] for name, f in frames.items()}
        )
        extra = {"rows": sum(len(frame) for frame in frames.values()), "datasets": len(frames)}
    elif kind in ("report_province", "report_national"):
        province = None if kind == "report_province" else "toan-quoc"
        files = pipeline.report(home, period, province=province, pdf=False)
        extra = {"figures": files.figure_count}
    else:
        raise ValueError(kind)
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), **extra}


def node_times(path: Path) -> dict:
    """Where a dbt build's time went, from its run_results.json: its nodes, the seconds dbt
    spent compiling them and executing them (the SQL, and dbt's own work around it: the
    adapter's statements, materialization, docs persisted as comments), each node's whole time
    (with its events and results), and the build's elapsed time (its threads overlap)."""
    from datetime import datetime

    results = json.loads(path.read_text(encoding="utf-8"))

    def seconds(result: dict, name: str) -> float:
        return sum(
            (
                datetime.fromisoformat(step["completed_at"])
                - datetime.fromisoformat(step["started_at"])
            ).total_seconds()
            for step in result["timing"]
            if step["name"] == name
        )

    return {
        "nodes": len(results["results"]),
        "compile_seconds": sum(seconds(result, "compile") for result in results["results"]),
        "execute_seconds": sum(seconds(result, "execute") for result in results["results"]),
        "node_seconds": sum(result["execution_time"] for result in results["results"]),
        "elapsed_seconds": results["elapsed_time"],
    }


def floor(folder: Path, *, incremental: bool = False) -> dict:
    """The compiled SQL of the last dbt build in the home (its nodes, in the order dbt ran
    them), run by DuckDB alone on `folder`'s copy of the warehouse as it was before that build.
    A night's (`incremental`): an incremental model's SQL (which selects what the night adds)
    is run into a table of its own, as dbt's insert would; its pre-hook's delete is left out."""
    import duckdb

    target = folder.parent / "home" / "dbt" / "target"
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    order = [
        result["unique_id"]
        for result in json.loads((target / "run_results.json").read_text())["results"]
    ]
    statements = 0
    # the same file name as the warehouse: the compiled SQL names its catalog "outreach"
    with duckdb.connect(str(folder / "outreach.duckdb")) as con:
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
                materialized = node["config"]["materialized"]
                if incremental and materialized == "incremental":
                    con.execute(
                        f"create or replace temp table floor_{node['name']} as "
                        f"{node['compiled_code']}"
                    )
                else:
                    what = "view" if materialized == "view" else "table"
                    con.execute(
                        f"create or replace {what} {node['relation_name']} as "
                        f"{node['compiled_code']}"
                    )
            elif kind == "test":
                failures = con.execute(
                    f"select count(*) from ({node['compiled_code']})"
                ).fetchone()[0]
                if failures:
                    raise RuntimeError(f"{unique_id} fails on the floor: {failures}")
            statements += 1
    return {"statements": statements}


def _per_node(results: dict) -> dict:
    """dbt's own cost per node of the full build: what it spends beyond the SQL's floor."""
    full, floor_ = results["full"], results["floor"]
    nodes = full["nodes"]
    per = {key: 1000 * full[f"{key}_seconds"] / nodes for key in ("compile", "execute", "node")}
    sql = 1000 * floor_["seconds"] / floor_["statements"]
    return {
        "key": "per_node",
        "measure": f"the full build's {nodes} nodes, per node: compile {per['compile']:.0f} ms, "
        f"execute {per['execute']:.0f} ms (the SQL and dbt's statements around it), the node "
        f"in all {per['node']:.0f} ms; on {full['elapsed_seconds']:.1f} s of dbt's elapsed "
        f"time (two threads) and {full['seconds'] - full['elapsed_seconds']:.1f} s before and "
        "after it (start-up, parse, artifacts)",
        "seconds": full["seconds"],
        "peak_mb": full["peak_mb"],
        "floor": f"the SQL alone, {sql:.0f} ms a statement ({floor_['statements']})",
        "floor_seconds": floor_["seconds"],
        "floor_peak_mb": floor_["peak_mb"],
    }


# the lines of a run on another length of history (`--history`)
HISTORY_LINES = ("ingest", "full", "night", "night_floor", "date_night", "date_night_floor")


def _night_against_its_floor(results: dict, kind: str = "night") -> dict:
    """A night against what it cannot do without: its files ingested, one dbt invocation,
    and the SQL of the nodes it selects run by DuckDB alone."""
    night, parts = results[kind], results[f"{kind}_floor"]
    floor = night["ingest_seconds"] + results["dbt_floor"]["seconds"] + parts["seconds"]
    return {
        "key": f"{kind}_floor",
        "measure": f"the same {'night' if kind == 'night' else 'date night'} against its floor",
        "seconds": night["seconds"],
        "peak_mb": night["peak_mb"],
        "floor": f"ingest {night['ingest_seconds']:.1f} s, one dbt invocation "
        f"{results['dbt_floor']['seconds']:.1f} s, the SQL of its {parts['statements']} nodes "
        f"{parts['seconds']:.1f} s",
        "floor_seconds": floor,
        "floor_peak_mb": parts["peak_mb"],
    }


def _against_full(results: dict, kind: str, measure: str, aim: float | None = None) -> dict:
    """A table line of the step `kind` measured against the full build."""
    line = {
        "key": kind,
        "measure": measure,
        "seconds": results[kind]["seconds"],
        "peak_mb": results[kind]["peak_mb"],
        "floor": "dbt full build",
        "floor_seconds": results["full"]["seconds"],
        "floor_peak_mb": results["full"]["peak_mb"],
    }
    return line if aim is None else {**line, "aim": aim}


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


def years_of(value: str) -> list[int]:
    first, _, last = value.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2021-2026")
    parser.add_argument("--json", type=Path, help="write the table's lines here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--current-registry",
        action="store_true",
        help="today's registry (3,363 sources) over every year, as if there had been no reform",
    )
    parser.add_argument(
        "--history",
        action="store_true",
        help="only what grows with history: ingest, full build, the nights",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.work)))
        return

    from outreach.core.periods import parse_period
    from outreach.core.settings import settings
    from outreach.generators.national import generate_national

    years = years_of(args.years)
    work = Path(tempfile.mkdtemp(prefix="bench-national-"))
    print(f"work folder: {work}", file=sys.stderr)
    home = _home(work)
    started = time.perf_counter()
    generated = generate_national(
        years, work / "drop", home.registry, current_only=args.current_registry
    )
    print(
        f"generated {len(generated.files)} files in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    # the night: one day's files of the last month sent, kept back until after the full build
    last = max(p.name.split("_")[1][:7] for p in generated.files)
    night = work / "night"
    night.mkdir()
    held = sorted(
        (p for p in generated.files if f"_{last}" in p.name), key=lambda p: p.stat().st_mtime
    )[:HELD_BACK]
    for path in held:
        shutil.move(path, night / path.name)
    first_of_next = (date.fromisoformat(f"{last}-01") + timedelta(days=31)).replace(day=1)
    as_of = first_of_next + timedelta(days=14)  # the last month's files are all due by then
    # the last closed half-year (after the reform when the years reach it)
    period = parse_period(f"{years[-1]}-H1" if as_of.month > 7 else f"{years[-1] - 1}-H2")
    calendar = settings().calendar
    date_night = as_of + timedelta(days=3)
    while calendar.as_of_key(date_night) == calendar.as_of_key(as_of):
        date_night += timedelta(days=1)
    nights = {
        "night": as_of + timedelta(days=1),
        "empty_night": as_of + timedelta(days=2),
        "date_night": date_night,
    }
    if calendar.as_of_key(nights["empty_night"]) != calendar.as_of_key(as_of):
        sys.exit(
            f"the night with no file ({nights['empty_night']}) passes a month end or a due date "
            "under this reporting calendar: it would not measure a night that needs no dbt"
        )
    (work / "settings.json").write_text(
        json.dumps(
            {
                "as_of": as_of.isoformat(),
                "period": period.code,
                "nights": {kind: day.isoformat() for kind, day in nights.items()},
            }
        ),
        encoding="utf-8",
    )

    results = {"ingest": run_child("ingest", work)}
    (work / "floor").mkdir()
    shutil.copy(home.warehouse, work / "floor" / "outreach.duckdb")
    steps = ["full", "floor", "dbt_start", "dbt_floor", "night", "night_floor", "empty_night"]
    steps += ["date_night", "date_night_floor"]
    if not args.history:
        steps += ["check_floor", "check", "report_province", "report_national"]
    for step in steps:
        results[step] = run_child(step, work)

    lines = [
        {
            "key": "ingest",
            "measure": f"ingest of the national {years[0]}-{years[-1]} "
            f"({results['ingest']['files']:,} files)",
            "seconds": results["ingest"]["seconds"],
            "peak_mb": results["ingest"]["peak_mb"],
        },
        {
            "key": "full",
            "measure": f"dbt full build, national {years[0]}-{years[-1]}",
            "seconds": results["full"]["seconds"],
            "peak_mb": results["full"]["peak_mb"],
            "floor": "the same SQL in DuckDB",
            "floor_seconds": results["floor"]["seconds"],
            "floor_peak_mb": results["floor"]["peak_mb"],
            "aim": 2.0,
        },
        _against_full(
            results, "dbt_start", "starting dbt alone (`dbt --version`: Python and dbt's imports)"
        ),
        _against_full(
            results,
            "dbt_floor",
            "one dbt invocation that runs nothing (start-up, parse, artifacts)",
        ),
        _per_node(results),
        _against_full(
            results,
            "night",
            f"the night after: {results['night']['accepted']} new files (ingest "
            f"{results['night']['ingest_seconds']:.1f} s), then the nightly dbt build as of the "
            f"next day ({results['night']['nodes']} nodes)",
            0.15,
        ),
        _night_against_its_floor(results),
        _against_full(
            results,
            "empty_night",
            f"the night after that ({nights['empty_night']:%d %b}), no new file, the date past "
            "no month end or due date (all but about two nights a month): no dbt",
            0.10,
        ),
        _against_full(
            results,
            "date_night",
            f"a night with no new file on which the date passes a month end or a due date "
            f"({nights['date_night']:%d %b}; about two nights a month): what the date reaches "
            f"({results['date_night']['nodes']} nodes)",
            0.10,
        ),
        _night_against_its_floor(results, "date_night"),
    ]
    if not args.history:
        lines += [
            {
                "measure": f"quality checks, {period.code}, every province: GX validates every row "
                f"({results['check_floor']['rows']:,} rows of {results['check_floor']['datasets']} "
                f"datasets; {results['check']['flags']:,} flags)",
                "seconds": results["check"]["seconds"],
                "peak_mb": results["check"]["peak_mb"],
                "floor": "the rows read, then the same suites over no row (GX's start, Data Docs)",
                "floor_seconds": results["check_floor"]["seconds"],
                "floor_peak_mb": results["check_floor"]["peak_mb"],
            },
            {
                "measure": f"report {period.code}, Lạng Sơn "
                f"({results['report_province']['figures']} figures)",
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
                "aim": 5.0,
                "peak_aim_mb": 1024,
            },
        ]
    if args.history:  # the lines a history of other length is compared by
        lines = [line for line in lines if line.get("key") in HISTORY_LINES]
    for line in lines:
        line["years"] = f"{years[0]}-{years[-1]}"
        line["registry"] = "current" if args.current_registry else "reform"
        if args.current_registry:  # today's country over every year: the headroom's lines
            line["measure"] = f"ten times a national year: {line['measure']}"
    from bench_table import finish, print_table

    print_table(lines)
    finish(lines, args.json, work, args.keep)


if __name__ == "__main__":
    main()
