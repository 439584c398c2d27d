"""The guides' commands work as written: the data engineers' dbt block, run as it stands in
docs/data-engineers.md. (The README's shape, the CLI reference and what the docs name are
checked in tests/test_docs.py.)"""

from __future__ import annotations

from outreach.core.home import PROJECT_ROOT

GUIDE = (PROJECT_ROOT / "docs" / "data-engineers.md").read_text(encoding="utf-8")


def _block_after(heading: str) -> list[str]:
    """The lines of the first indented code block of a section of the guide."""
    section = GUIDE[GUIDE.index(heading) :]
    lines, started = [], False
    for line in section.splitlines()[1:]:
        if line.startswith("    "):
            started = True
            lines.append(line[4:])
        elif started and line.strip():
            break
    return lines


def test_the_data_engineers_commands_work_as_written(demo, tmp_path):
    """`cd dbt_project`, then each dbt line of the data engineers' guide as it is written (the
    placeholder path made real), on a copy of a warehouse that ingest filled."""
    import os
    import shlex
    import shutil
    import subprocess

    import duckdb

    lines = _block_after("## dbt alone")
    assert lines[0] == "cd dbt_project" and len(lines) == 4
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    shutil.copy(demo["home"].warehouse, home / "warehouse" / "outreach.duckdb")
    other = tmp_path / "other.duckdb"
    shutil.copy(demo["home"].warehouse, other)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("OUTREACH_WAREHOUSE", "OUTREACH_SEED_PATH")
    }
    env["OUTREACH_HOME"] = str(home)
    for line in lines[1:]:
        command = line.split("#")[0].replace("/path/to/other.duckdb", str(other))
        words = shlex.split(command)
        run_env = dict(env)
        while "=" in words[0]:
            name, _, value = words.pop(0).partition("=")
            run_env[name] = value
        done = subprocess.run(
            words,
            cwd=PROJECT_ROOT / "dbt_project",
            env=run_env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:]
        assert "Completed successfully" in done.stdout, done.stdout[-2000:]
    for built in (home / "warehouse" / "outreach.duckdb", other):
        with duckdb.connect(str(built), read_only=True) as con:
            assert con.execute("select count(*) from marts.fct_media_outputs").fetchone()[0] > 0
