"""Ingest of a national year of submissions vs DuckDB's own `read_csv` of the same files.

    .venv/bin/python bench/ingest_national.py [--year 2026] [--keep]

Generates (untimed) one CSV per source per month for a year (the months sent by now): after the
2025 reform, a commune office for each of the 3,321 communes and one merged outlet per province
(before it, every district office of the 2022 catalogue and two outlets per province), in the
dialects people send (UTF-8, UTF-8 with BOM and `;`, Windows-1258, machine headers). Then, each
in a fresh process so its peak memory is its own:

- ingest: `ingest_inbox` over the inbox, as the nightly run calls it (decode, validate every
  cell against the contract and the registry, load, write the manifest, move each file);
- floor: DuckDB reading the same files into a table of one database file with `read_csv`
  (one call per dialect, every value as text, no validation, files left where they are).

Prints a Markdown table: files/s, rows/s, peak RSS and the ratio of the two wall times. Rows are
data rows (header lines excluded); both sides must count the same rows or the bench fails.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child_ingest(work: Path) -> dict:
    from ingest.load import ingest_inbox
    from outreach.core.home import Home
    from outreach.core.registry import Reference

    home = Home(work / "home").ensure()
    reference = Reference.load(work / "seeds")
    started = time.perf_counter()
    summary = ingest_inbox(home, work / "inbox", reference=reference)
    seconds = time.perf_counter() - started
    import duckdb

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute("select count(*) from raw.submission_rows").fetchone()[0]
    return {
        "seconds": seconds,
        "files": len(summary.accepted) + len(summary.rejected),
        "rejected": len(summary.rejected),
        "rows": rows,
        "peak_mb": _peak_mb(),
    }


def dialect_of(path: Path) -> tuple[str, str, str]:
    """(encoding, delimiter, header) of a file, decided before timing as a loader that knew
    its senders would: DuckDB reads a list of files with one schema per call."""
    data = path.read_bytes()
    header = data.split(b"\n", 1)[0].strip()
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8", ";", header.hex()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1", ",", header.hex()  # Windows-1258 byte for byte: same work, unmapped
    return "utf-8", ",", header.hex()


def child_floor(work: Path, groups: dict[str, list[str]]) -> dict:
    import duckdb

    started = time.perf_counter()
    with duckdb.connect(str(work / "floor.duckdb")) as con:
        rows = 0
        for number, (key, files) in enumerate(groups.items()):
            encoding, delimiter, _header = key.split("|")
            # every value as text, stored as read: a loader that trusts its input
            con.execute(
                f"create table cells_{number} as select * from read_csv(?, "
                "header = true, all_varchar = true, "
                "filename = true, delim = ?, encoding = ?)",
                [files, delimiter, encoding],
            )
            rows += con.execute(f"select count(*) from cells_{number}").fetchone()[0]
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "files": sum(len(files) for files in groups.values()),
        "rows": rows,
        "peak_mb": _peak_mb(),
    }


def run_child(kind: str, work: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--work", str(work)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", type=Path, help="write the line for bench/summary.py here")
    parser.add_argument("--child", choices=["ingest", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "ingest":
        print(json.dumps(child_ingest(args.work)))
        return
    if args.child == "floor":
        groups = json.loads((args.work / "groups.json").read_text(encoding="utf-8"))
        print(json.dumps(child_floor(args.work, groups)))
        return

    from outreach.generators.national import generate_national

    work = Path(tempfile.mkdtemp(prefix="ingest-national-"))
    print(f"work folder: {work}", file=sys.stderr)
    started = time.perf_counter()
    generated = generate_national([args.year], work / "inbox", work / "seeds", plant_problems=False)
    print(
        f"generated {len(generated.files)} files in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    groups: dict[str, list[str]] = {}
    for path in sorted(generated.files):
        groups.setdefault("|".join(dialect_of(path)), []).append(str(path))
    (work / "groups.json").write_text(json.dumps(groups), encoding="utf-8")
    size_mb = sum(path.stat().st_size for path in generated.files) / 2**20

    floor = run_child("floor", work)
    ingest = run_child("ingest", work)
    if ingest["rows"] != floor["rows"] or ingest["rejected"]:
        sys.exit(f"the two sides differ: ingest {ingest}, floor {floor}; work folder {work}")

    print(
        f"\nIngest of the national year {args.year}: {ingest['files']:,} CSV files, "
        f"{ingest['rows']:,} data rows, {size_mb:.1f} MB\n"
    )
    print("| step | wall seconds | files/s | rows/s | peak RSS (MB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, result in (
        ("outreach ingest (validate, load, archive)", ingest),
        ("floor: DuckDB read_csv of the same files", floor),
    ):
        print(
            f"| {label} | {result['seconds']:.1f} | {result['files'] / result['seconds']:,.0f} "
            f"| {result['rows'] / result['seconds']:,.0f} | {result['peak_mb']:.0f} |"
        )
    print(f"\ningest / floor: {ingest['seconds'] / floor['seconds']:.1f}x (aim: within 2x)")
    line = {
        "measure": f"ingest of the national year {args.year} ({ingest['files']:,} files, "
        f"{ingest['rows']:,} rows; {ingest['files'] / ingest['seconds']:,.0f} "
        f"files/s, {ingest['rows'] / ingest['seconds']:,.0f} rows/s)",
        "seconds": ingest["seconds"],
        "peak_mb": ingest["peak_mb"],
        "floor": "DuckDB read_csv of the same files",
        "floor_seconds": floor["seconds"],
        "floor_peak_mb": floor["peak_mb"],
        "aim": 2.0,
    }
    from bench_table import finish

    finish([line], args.json, work, args.keep)


if __name__ == "__main__":
    main()
