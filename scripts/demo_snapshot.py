"""Write what a run produced in a form two runs can be compared by, line by line.

    .venv/bin/python scripts/demo_snapshot.py [--home var] [--period 2022-H1] OUT_DIR

OUT_DIR receives, for the home's own report of the period:
- `figures.json`, re-serialised with sorted keys, the home and the project folder written as
  `$HOME_DIR` and `$PROJECT` (two checkouts of the code give the same file);
- `report.txt`, the text of the .docx: every paragraph, then every table row, cells joined by " | ";
- `marts/<table>.csv`, every table of the published warehouse's `marts` schema, rows sorted,
  without `ingested_at` (the time the run read each file);
- `reminders.csv`, the reminder list the run wrote, and `status.txt`, what
  `outreach status --all` prints for the period;
- `SHA256SUMS`, one line per file above.

Two snapshots of the same inputs on the same day (the report carries its issue date) should be
identical: `diff -r OLD NEW` prints nothing. Used to show that a refactoring changed no figure,
no sentence and no mart row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import duckdb
from docx import Document

PROJECT = Path(__file__).resolve().parents[1]
VOLATILE_COLUMNS = {"ingested_at"}


def docx_text(path: Path) -> str:
    document = Document(str(path))
    lines: list[str] = []
    for section in document.sections:
        lines.extend(paragraph.text for paragraph in section.header.paragraphs)
    lines.extend(paragraph.text for paragraph in document.paragraphs)
    for table in document.tables:
        lines.append("--- table")
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines) + "\n"


def dump_marts(warehouse: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "order by 1"
            ).fetchall()
        ]
        for table in tables:
            columns = {
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'marts' and table_name = ?",
                    [table],
                ).fetchall()
            }
            volatile = sorted(columns & VOLATILE_COLUMNS)
            selection = f"* exclude ({', '.join(volatile)})" if volatile else "*"
            target = folder / f"{table}.csv"
            con.execute(
                f"copy (select {selection} from marts.{table} order by all) "
                f"to '{target}' (header, delimiter ',')"
            )
    finally:
        con.close()


def status_text(home: Path, period: str) -> str:
    """What the department reads in the terminal (the CSV it also writes is not kept)."""
    from click.testing import CliRunner

    from outreach.cli import main as cli

    result = CliRunner().invoke(cli, ["status", "--period", period, "--all", "--home", str(home)])
    if result.exit_code != 0:
        raise SystemExit(f"outreach status failed: {result.output}")
    return result.output.replace(str(home.resolve()), "$HOME_DIR")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path("var"))
    parser.add_argument("--period", default="2022-H1")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    report_dir = args.home / "reports" / args.period
    args.out.mkdir(parents=True, exist_ok=True)
    text = (report_dir / "figures.json").read_text(encoding="utf-8")
    for folder, name in ((PROJECT, "$PROJECT"), (args.home.resolve(), "$HOME_DIR")):
        text = text.replace(json.dumps(str(folder))[1:-1], name)
    figures = json.loads(text)
    (args.out / "figures.json").write_text(
        json.dumps(figures, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    (args.out / "report.txt").write_text(
        docx_text(report_dir / f"bao-cao-{args.period}.docx"), encoding="utf-8"
    )
    dump_marts(args.home / "warehouse" / "published" / "outreach.duckdb", args.out / "marts")
    reminders = report_dir / f"nhac-nho-{args.period}.csv"
    (args.out / "reminders.csv").write_bytes(reminders.read_bytes())
    (args.out / "status.txt").write_text(status_text(args.home, args.period), encoding="utf-8")
    sums = []
    for path in sorted(args.out.rglob("*")):
        if path.is_file() and path.name != "SHA256SUMS":
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            sums.append(f"{digest}  {path.relative_to(args.out)}")
    (args.out / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    print(f"{len(sums)} files in {args.out}")


if __name__ == "__main__":
    main()
