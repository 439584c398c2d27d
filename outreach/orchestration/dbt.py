"""Run dbt as a subprocess on the home's warehouse.

A separate process, not dbt's in-process runner: the runner keeps DuckDB file locks after it
returns (dbt-core#11980), and a subprocess gives the warehouse back the moment it exits.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from outreach.core.home import DBT_PROJECT_DIR, Home
from outreach.core.warehouse import connect, duckdb_config, record_as_of

log = logging.getLogger(__name__)


class DbtFailed(RuntimeError):
    pass


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def fingerprint(home: Home) -> str:
    """A digest of what the models were built from: the registry, the dbt project's own files
    and the settings passed to it as vars (the reporting calendar, say). When it changes (a new
    release, a registry edit, another setting), the next build rebuilds everything instead of
    adding to tables made by other rules."""
    import hashlib

    from outreach.core.settings import settings

    digest = hashlib.sha256()
    digest.update(json.dumps(settings().dbt_vars(), sort_keys=True).encode())
    files = sorted(home.seeds_dir().glob("*.csv")) + sorted(
        path
        for folder in ("models", "macros", "seeds", "calendar")
        for path in (DBT_PROJECT_DIR / folder).rglob("*")
        if path.is_file()
    )
    files.append(DBT_PROJECT_DIR / "dbt_project.yml")
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


TIMEOUT_ENV = "OUTREACH_DBT_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 3600.0


def dbt_timeout_seconds() -> float:
    """How long one dbt command may run before it is stopped (`OUTREACH_DBT_TIMEOUT_SECONDS`,
    default an hour): a dbt that hangs fails its task, which is retried and alerts, instead of
    holding the writers' pool every night after."""
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    return float(value) if value else DEFAULT_TIMEOUT_SECONDS


AS_OF_ENV = "OUTREACH_AS_OF_DATE"
PARSE_CACHE_ENV = "OUTREACH_DBT_PARSE_CACHE"


def parse_cache_entry(home: Home, current: str | None = None) -> Path | None:
    """Where dbt's saved parse of this release, registry and settings is shared between the
    homes of one machine (`OUTREACH_DBT_PARSE_CACHE`, a folder; unset: nowhere). A new home's
    first dbt command starts from it instead of parsing the whole project (seconds of every
    new home's first build). Keyed by everything the parse is made of: the build's
    `fingerprint` (`current`, if already taken), what that leaves out (where each project file
    and the registry are, the data tests, the profile) and dbt's version; dbt still checks the
    rest itself (its profile, the environment) and parses again if they differ."""
    folder = os.environ.get(PARSE_CACHE_ENV, "").strip()
    if not folder:
        return None
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256()
    for part in (
        version("dbt-core"),
        version("dbt-duckdb"),
        current or fingerprint(home),
        os.path.relpath(home.seeds_dir(), DBT_PROJECT_DIR),
    ):
        digest.update(part.encode() + b"\0")
    project = (
        path
        for folder_name in ("models", "macros", "seeds", "calendar", "tests")
        for path in (DBT_PROJECT_DIR / folder_name).rglob("*")
        if path.is_file()
    )
    for path in sorted(project):
        name = path.relative_to(DBT_PROJECT_DIR)
        digest.update(str(name).encode() + b"\0")  # the fingerprint has file names, not paths
        if name.parts[0] == "tests":  # nor the data tests
            digest.update(path.read_bytes() + b"\0")
    digest.update((DBT_PROJECT_DIR / "profiles.yml").read_bytes())
    return Path(folder) / f"partial_parse-{digest.hexdigest()[:32]}.msgpack"


def _share_parse(saved: Path, entry: Path) -> None:
    """Put a home's fresh parse where the next new home finds it: written whole under another
    name, then renamed (homes building at once never read half a file)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    partial = entry.with_name(f"{entry.name}.{os.getpid()}.part")
    shutil.copyfile(saved, partial)
    os.replace(partial, entry)


def saved_parse(home: Home) -> Path:
    """dbt's saved parse of the project in this home (its partial parsing starts from it)."""
    return home.root / "dbt" / "target" / "partial_parse.msgpack"


def run_dbt(home: Home, command: list[str], *, as_of: date | None = None) -> Path | None:
    """Run `dbt <command>` against the home's warehouse; returns the log file. Raises on failure.

    A `build` runs what the changes since the last one reach (`dbt_selection`): everything with
    `--full-refresh` when the registry or the project changed, else the models downstream of the
    raw tables that changed and of the as-of date if it moved past a month end or a due date,
    or nothing at all: then it records that the warehouse is as of this date too
    (`meta.builds`) and returns None. The as-of date goes to dbt in the environment
    (`OUTREACH_AS_OF_DATE`), not as a var: a var that changes every night would make dbt parse
    the whole project again.
    """
    home.ensure()
    from outreach.core.settings import settings
    from outreach.orchestration import dbt_selection

    duckdb_config()  # a memory limit DuckDB would refuse stops here, named, before dbt starts

    day = as_of or date.today()
    plain_build = command == ["build"]
    # the builds that leave every model as the state will say: the nightly one and a full one
    records_state = plain_build or command == ["build", "--full-refresh"]
    # only these two read or write the state: a hand-run `build --select ...` pays for neither
    current = fingerprint(home) if records_state else None
    signatures: dict[str, str] = {}
    until = None
    # the months a night reaches, for the models incremental by period; unset: every period
    reached: list[str] | None = None
    if current is not None:
        manifest = dbt_selection.read_manifest(home)
        signatures = dbt_selection.source_signatures(home, manifest)
        until = dbt_selection.ingested_until(home)
        if plain_build:
            calendar = settings().calendar
            built = dbt_selection.built_as_of(home)
            state = dbt_selection.read_state(home)
            as_of_key = calendar.as_of_key(day)
            built_key = calendar.as_of_key(built) if built else None
            selection = dbt_selection.select(
                manifest, state, current, signatures, as_of_key, built_key
            )
            log.info("dbt build: %s", selection.reason)
            if selection.nothing:
                # meta.builds has a row: without one, the date would have reached its tables
                with connect(home.warehouse) as con:
                    record_as_of(con, day, f"outreach build: {selection.reason}")
                dbt_selection.write_state(home, current, signatures, until)
                return None
            if selection.full:
                command = [*command, "--full-refresh"]
                # and a fresh parse: dbt's saved parse can keep a resource a release moved to
                # another file (an exposure found twice), which stops the build (a shared
                # parse of this very release may stand in for it: below)
                saved_parse(home).unlink(missing_ok=True)
            else:
                command = [*command, "--select", *selection.names, "--indirect-selection", "empty"]
                if selection.by_period and state is not None:
                    reached = dbt_selection.reached_months(
                        home, state, selection, signatures, as_of_key, built_key
                    )
                    log.info(
                        "dbt build: the periods of %s",
                        f"the months {', '.join(reached) or 'none'}"
                        if reached is not None
                        else f"every month ({', '.join(selection.unplaced) or 'no earlier mark'})",
                    )

    if records_state:
        # the unit tests test the SQL on fixtures, not the data: `make test` runs them (and a
        # data engineer's own `dbt build`), a deployment's builds do not (dbt's advice)
        command = [*command, "--exclude-resource-type", "unit_test"]
    variables = settings().dbt_vars()
    work = home.root / "dbt"
    saved = saved_parse(home)
    # a home with no saved parse of its own: start from a shared one, or share the one dbt makes
    share_to = parse_cache_entry(home, current) if not saved.exists() else None
    if share_to is not None and share_to.exists():
        saved.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(share_to, saved)
        share_to = None  # dbt starts from it: nothing fresh to share afterwards
    log_file = home.logs / f"dbt-{command[0]}-{datetime.now():%Y%m%dT%H%M%S%f}.log"
    arguments = [
        dbt_executable(),
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        json.dumps(variables),
        "--no-use-colors",
    ]
    env = {
        **os.environ,
        # relative to the home, where dbt runs: the profile, which dbt's saved parse is checked
        # against, is then the same for every home, and a new home can start from another's
        # parse (parse_cache_entry)
        "OUTREACH_WAREHOUSE": os.path.relpath(home.warehouse, home.root),
        AS_OF_ENV: day.isoformat(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # dbt's own log file at info, like its output: at debug it writes every statement of
        # every node, which slows every build by a few percent (DBT_LOG_LEVEL_FILE=debug
        # brings it back when a failure needs the SQL around it)
        "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE", "info"),
        # dbt wants seed paths relative to its project (dbt_project.yml reads this)
        "OUTREACH_SEED_PATH": os.path.relpath(home.seeds_dir(), DBT_PROJECT_DIR),
    }
    # only a night that knows its months narrows the periods; any other build recomputes all
    env.pop(dbt_selection.REACHED_MONTHS_ENV, None)
    if reached is not None:
        env[dbt_selection.REACHED_MONTHS_ENV] = ",".join(reached) or "none"
    log.info("running %s", " ".join(arguments[:2]))
    limit = dbt_timeout_seconds()
    with open(log_file, "w", encoding="utf-8") as output:
        try:
            result = subprocess.run(
                arguments,
                cwd=home.root,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=limit,
            )
        except subprocess.TimeoutExpired as exc:
            # subprocess.run has killed dbt: its open transaction is rolled back by DuckDB
            raise DbtFailed(
                f"dbt {command[0]} stopped after {limit:g} s ({TIMEOUT_ENV}); log {log_file}"
            ) from exc
    lines = log_file.read_text(encoding="utf-8").splitlines()
    summary = next((line for line in reversed(lines) if "Done." in line), "")
    if result.returncode != 0:
        tail = "\n".join(lines[-40:])
        raise DbtFailed(
            f"dbt {command[0]} failed (exit {result.returncode}); log {log_file}:\n{tail}"
        )
    if share_to is not None and saved.exists():
        _share_parse(saved, share_to)
    if current is not None:  # a build that records the state
        if not signatures:
            # the first build had no manifest to name the raw tables by: name them now (dbt
            # writes none of them), else the next night would count every one as changed
            signatures = dbt_selection.source_signatures(home, dbt_selection.read_manifest(home))
        dbt_selection.write_state(home, current, signatures, until)
    log.info("dbt %s: %s (log %s)", command[0], summary.strip(), log_file)
    return log_file
