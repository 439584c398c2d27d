"""The steps of the nightly run, callable from the DAG, the CLI and tests alike.

Each step opens the warehouse for as short a time as it can; the DAG runs every step that touches
the DuckDB file in a one-slot pool, so there is never more than one writer.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from outreach.core.home import Home
from outreach.core.periods import Period

if TYPE_CHECKING:
    from report.topic_rules import TopicRuleError, TopicRuleQuality


def pull(home: Home, drop: Path | None = None) -> dict:
    """Pull every source that delivers somewhere (the registry says where), and the drop folder.

    A source that is down is retried and reported in `failed`; the others are pulled anyway.
    """
    from ingest.load import inbox_files
    from ingest.pull import Delivery, deliveries_from_registry, pull_all

    deliveries = deliveries_from_registry(home.seeds_dir())
    if drop is not None and drop.resolve() != home.inbox.resolve():
        deliveries.append(Delivery("drop folder", "folder", str(drop.resolve())))
    outcomes = pull_all(home, deliveries)
    return {
        "pulled": sum(len(o.pulled) for o in outcomes),
        # what the ingest step will take: not a partial upload, an error report or a symlink
        "waiting": len(inbox_files(home.inbox)),
        "failed": {o.source_code: o.error or o.file_errors for o in outcomes if o.failed},
    }


def collect(home: Home, periods: list[Period], as_of: date) -> dict:
    """Read what the outlets published in the months of the night's periods (until `as_of`)
    from their feeds and sitemaps, when the deployment turns the cross-check on
    (`OUTREACH_CROSSCHECK`); the next ingest loads it. Never raises for what a site does: a feed
    that fails is in the summary's `failed`, and the night goes on."""
    from ingest.published import CollectSettings, collect
    from outreach.core.scope import resolve_scope
    from outreach.core.settings import crosscheck_enabled
    from report.build import load_config

    if not crosscheck_enabled():
        return {"enabled": False}
    collect_settings = CollectSettings.from_env(
        load_config(home, resolve_scope(home, None), for_signature=False)["issuing_body_name"]
    )
    months = sorted({month for period in periods for month in period.months if month <= as_of})
    return collect(home, months, collect_settings, seeds_dir=home.seeds_dir())


def ingest(home: Home, inbox: Path | None = None) -> dict:
    """Load the night's files, then the department's approvals of periods (from the portal),
    then what the collector read of the outlets' sites."""
    from ingest.approvals import load_approvals
    from ingest.load import ingest_inbox
    from ingest.published import load_collected
    from ingest.warehouse import connect

    summary = ingest_inbox(home, inbox).as_dict()
    # a list, like the outcomes: the DAG's task reports each one's length
    summary["approvals"] = load_approvals(home)
    with connect(home.warehouse) as con:
        summary["published"] = load_collected(home, con)
    return summary


def build(home: Home, as_of: date | None = None) -> Path | None:
    """`dbt build` of what changed since the last build; None when nothing did (no dbt run)."""
    from outreach.orchestration.dbt import run_dbt

    return run_dbt(home, ["build"], as_of=as_of)


def topic_rules(
    home: Home, *, build: bool = True
) -> tuple[list[TopicRuleQuality], list[TopicRuleError]]:
    """The topic rules of published items measured on the hand-labelled examples: each topic's
    precision and recall (`report.topic_rules.TopicRuleQuality`, the topics together last) and
    the examples they get wrong (`TopicRuleError`).

    `build`: first build what the two tables read and nothing else (the seeds of the rules and
    examples, the topics, their models and tests) into the home's warehouse: a few seconds,
    where the nightly build, which makes them too, takes minutes. The tests of other models
    that read the same seeds are left out (`--indirect-selection cautious`): they need tables
    this build does not make.
    """
    from outreach.orchestration.dbt import run_dbt
    from report.topic_rules import MODELS, rule_errors, rule_quality

    if build:
        selection = [f"+{model}" for model in MODELS]
        # the unit tests test the SQL, not the rules: `make test` runs them, as for the nightly
        command = ["build", "--select", *selection, "--indirect-selection", "cautious"]
        run_dbt(home, [*command, "--exclude-resource-type", "unit_test"])
    return rule_quality(home), rule_errors(home)


def check(home: Home, periods: Period | list[Period]) -> dict:
    """The quality checks of one period or several (the night's), run once over their months."""
    from expectations.checks import run_checks

    return run_checks(home, periods)


# the storage format of the analysts' copy: DuckDB 1.2 and every later release read it (the DuckDB
# CLI on the package registry, the JDBC/ODBC drivers of SQL tools), where the working file's own
# format is readable only by DuckDB 2.0. `OUTREACH_PUBLISHED_STORAGE_VERSION` sets another.
PUBLISHED_STORAGE_VERSION = "v1.2.0"


def publish(home: Home) -> Path:
    """Copy the checked warehouse to the analysts' file, atomically, in a storage format that
    older DuckDB releases read (`PUBLISHED_STORAGE_VERSION`); comments (the dbt docs) included.

    A reader with the previous copy open keeps reading it (the rename does not touch its open
    file); new connections see the new copy. The nightly run never opens the published file, so
    analysts never block it, and it never blocks them (the per-province reports and reminder
    lists read it only after this step, in the same run).
    """
    import os

    import duckdb

    target = home.published_warehouse
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    partial.unlink(missing_ok=True)
    version = os.environ.get("OUTREACH_PUBLISHED_STORAGE_VERSION") or PUBLISHED_STORAGE_VERSION
    # the working file is attached under the name analysts' views expect (its own file name)
    name = home.warehouse.stem
    with duckdb.connect() as con:
        con.execute(f"attach '{_sql_text(home.warehouse)}' as \"{name}\" (read_only)")
        con.execute(
            f"attach '{_sql_text(partial)}' as published (storage_version '{_sql_text(version)}')"
        )
        con.execute(f'copy from database "{name}" to published')
        con.execute("detach published")
    os.replace(partial, target)
    return target


def _sql_text(value) -> str:
    return str(value).replace("'", "''")


def provinces(home: Home) -> list[str]:
    """The provinces of the registry, the home's own first: one report and reminder list each."""
    from outreach.core.scope import registry_provinces

    return registry_provinces(home)


def report(
    home: Home,
    period: Period,
    *,
    province: str | None = None,
    pdf: bool | None = None,
    published: bool = False,
):
    """The .docx, figures.json, an HTML preview, and a PDF if LibreOffice is installed, for one
    province (default: the home's own) or the country (`toan-quoc`).

    `published`: read the analysts' copy, not the working file (the nightly run's per-province
    reports do, so that they read side by side and never wait for a writer).
    """
    from outreach.core.scope import resolve_scope
    from report.build import write_report

    return write_report(
        home,
        period,
        scope=resolve_scope(home, province),
        pdf=pdf,
        warehouse=home.published_warehouse if published else None,
    )


def remind(
    home: Home,
    period: Period,
    month: date | None = None,
    *,
    province: str | None = None,
    published: bool = False,
) -> dict:
    """Write the reminder list of one province (who to chase, with a message ready to send)
    as a CSV.

    Returns its path, its length, and an HTML version with a subject for the e-mail notifier.
    """
    from outreach.core.scope import resolve_scope
    from report.build import load_config
    from report.reminders import (
        format_reminders,
        reminder_file_name,
        reminders,
        reminders_html,
        write_reminders_csv,
    )

    scope = resolve_scope(home, province)
    # the reminders go out today: from the body that exists today
    sender = load_config(home, scope, for_signature=False)["issuing_body_name"]
    rows = reminders(
        home,
        period,
        month,
        sender=sender,
        scope=scope,
        warehouse=home.published_warehouse if published else None,
    )
    path = write_reminders_csv(
        rows, scope.report_dir(home, period.code) / reminder_file_name(period, month)
    )
    scope_label = f"tháng {month:%m/%Y}" if month else period.label_vi
    where = "" if scope.is_home_province else f", {scope.short_name}"
    subject = f"[outreach] {len(rows)} trường hợp cần nhắc, {scope_label}{where}"
    return {
        "count": len(rows),
        "csv": str(path),
        "subject": subject,
        "province": scope.key,
        "text": format_reminders(rows),
        "html": reminders_html(rows, f"Danh sách cần nhắc, {scope_label}{where}"),
    }
