"""The `outreach` command: a thin layer over the library, one subcommand per pipeline step."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path

import click

from outreach.core.home import Home, resolve_home
from outreach.core.periods import parse_period

HOME_HELP = "Home folder for all state (default: $OUTREACH_HOME, else ./var)."
home_option = click.option(
    "--home",
    "home_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=HOME_HELP,
)


def _home_dir(home_dir: Path | None) -> Path | None:
    """`--home` after the subcommand, else before it (`outreach --home DIR status ...`)."""
    if home_dir is not None:
        return home_dir
    context = click.get_current_context(silent=True)
    return context.find_root().params.get("home_dir") if context else None


def _home(home_dir: Path | None) -> Home:
    return resolve_home(_home_dir(home_dir)).ensure()


def _period(_ctx, _param, value: str | None):
    if value is None:
        return None
    try:
        return parse_period(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


PERIOD_HELP = (
    "Reporting period: a quarter (2026-Q1), a half-year (2026-H1, 2026-H2), a year (2026) or a "
    "programme phase (2021-2025); `outreach periods` lists them."
)
period_option = click.option("--period", required=True, callback=_period, help=PERIOD_HELP)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-v", "--verbose", is_flag=True, help="Show the engineers' log (English).")
@click.option(
    "--home",
    "home_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=HOME_HELP,
)
def main(verbose: bool, home_dir: Path | None) -> None:
    """Monthly outreach submissions into a DuckDB warehouse, and the semi-annual report.

    Example: outreach run --period 2022-H1
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _years(ctx, param, value: str | None) -> list[int] | None:
    if value is None:
        return None
    first, _, last = value.partition("-")
    try:
        years = list(range(int(first), int(last or first) + 1))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not YYYY or YYYY-YYYY") from exc
    if not years or not 2000 <= years[0] <= years[-1] <= 2100:
        raise click.BadParameter(f"{value!r} is not a range of years")
    return years


@main.command(short_help="Write demo submissions (Lạng Sơn, or the country).")
@click.option(
    "--period",
    default=None,
    callback=lambda c, p, v: _period(c, p, v) if v else None,
    help="Period of the Lạng Sơn demo: a quarter, half-year, year or phase, e.g. 2026-H1.",
)
@click.option(
    "--scale",
    type=click.Choice(["province", "national"]),
    default="province",
    show_default=True,
    help="The Lạng Sơn demo, or every province of the country.",
)
@click.option(
    "--years",
    default=None,
    callback=_years,
    help="National scale: the years to write, e.g. 2021-2026.",
)
@click.option(
    "--inbox",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the files into.",
)
@click.option(
    "--seeds",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="National scale: where to write its registry and areas "
    "(default: the home's registry/, which its ingest and dbt then use).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--published",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Lạng Sơn demo: also write the provincial outlets' websites' feeds (sitemaps, RSS) "
    "into this folder, one subfolder per site, adding the period's months to those there.",
)
@click.option(
    "--published-base-url",
    default="http://127.0.0.1:8765",
    show_default=True,
    help="Where the --published folder is served: the sitemap indexes' addresses.",
)
@home_option
def sample(
    period,
    scale: str,
    years: list[int] | None,
    inbox: Path,
    seeds: Path | None,
    seed: int,
    published: Path | None,
    published_base_url: str,
    home_dir: Path | None,
) -> None:
    """Write demo submissions: the Lạng Sơn registry for a period, or the whole country.

    Example: outreach sample --period 2022-H1 --inbox var/drop --seed 1
    (national: outreach sample --scale national --years 2021-2026 --inbox var/national/drop)

    With --published, the Lạng Sơn outlets' published record too, for the cross-check of the
    items they claim (serve it with: python -m http.server 8765 --directory DIR).
    """
    if scale == "national" and published is not None:
        raise click.UsageError("--published writes the Lạng Sơn demo's feeds only")
    if scale == "national":
        from outreach.generators.national import generate_national

        if not years:
            raise click.UsageError("--scale national needs --years, e.g. --years 2021-2026")
        if seeds is None:
            seeds = resolve_home(_home_dir(home_dir)).registry
            if (seeds / "ref_sources.csv").exists():
                raise click.UsageError(
                    f"{seeds} already holds a registry: give --seeds to write elsewhere"
                )
        result = generate_national(years, inbox, seeds, seed=seed)
        kinds: dict[str, int] = {}
        for planted in result.planted:
            kinds[planted.kind] = kinds.get(planted.kind, 0) + 1
        click.echo(f"{len(result.files)} files written to {inbox}; registry and areas in {seeds}")
        for kind, count in sorted(kinds.items()):
            click.echo(f"  planted: {kind:<30} {count}")
        return
    if period is None:
        raise click.UsageError("the Lạng Sơn demo needs --period, e.g. --period 2022-H1")
    from outreach.generators.sample import generate

    result = generate(
        period, inbox, seed=seed, published=published, published_base_url=published_base_url
    )
    click.echo(f"{len(result.files)} files written to {inbox}")
    if published is not None:
        click.echo(f"the outlets' feeds written to {published}")
    for planted in result.planted:
        where = f"  {planted.urls[0]}" if planted.urls else ""
        more = f" (+{len(planted.urls) - 1})" if len(planted.urls) > 1 else ""
        click.echo(
            f"  planted: {planted.kind:<30} {planted.source_code:<10} {planted.month}{where}{more}"
        )


@main.command(short_help="List the reporting periods, with their days and closing dates.")
@click.option(
    "--year",
    "years",
    default=None,
    callback=_years,
    help="The year or years to list (YYYY or YYYY-YYYY; default: this year).",
)
@click.option(
    "--write",
    is_flag=True,
    help="Write dbt's seed of every period (dbt_project/calendar/ref_periods.csv).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if dbt's seed differs from the periods defined here.",
)
def periods(years: list[int] | None, write: bool, check: bool) -> None:
    """List the periods a report can be asked for: quarters, half-years, years and programme
    phases, with the days their figures cover under the reporting calendar and the day their
    report is final. Example: outreach periods --year 2026
    """
    from outreach.core import periods as calendar_periods
    from outreach.core.home import CALENDAR_SEEDS_DIR
    from outreach.core.numbers import format_date_short
    from outreach.core.settings import settings

    seed = CALENDAR_SEEDS_DIR / "ref_periods.csv"
    wanted = calendar_periods.seed_text()
    if check or write:
        current = seed.read_text(encoding="utf-8") if seed.is_file() else ""
        if check:
            if current != wanted:
                click.echo(f"differs: {seed} (outreach periods --write)", err=True)
            sys.exit(0 if current == wanted else 1)
        seed.write_text(wanted, encoding="utf-8")
        click.echo(str(seed))
        return
    calendar = settings().calendar
    chosen = years or [date.today().year]
    shown = [
        period
        for period in calendar_periods.all_periods()
        if period.kind != calendar_periods.PHASE
        and period.year in chosen
        or period.kind == calendar_periods.PHASE
        and any(period.year <= year <= period.last_month.year for year in chosen)
    ]
    click.echo(f"Reporting calendar: {calendar.kind}, files due {calendar.on_time_days} days after")
    for period in shown:
        first, last = calendar.period_dates(period)
        final = format_date_short(calendar.closing_date(period))
        click.echo(
            f"  {period.code:<10} {period.label_vi:<24} {format_date_short(first)} - "
            f"{format_date_short(last)}  final from {final}  compared with {period.base.code}"
        )


@main.command(short_help="Regenerate the area seeds of the 2025 reform.")
@click.option(
    "--province",
    default=None,
    help="GSO code of the province after the 2025 reform (default: dbt var province_code).",
)
@click.option(
    "--seeds",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the seeds (default: the bundled dbt_project/seeds/).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if the seeds differ from what the packages give.",
)
def areas(province: str | None, seeds: Path | None, check: bool) -> None:
    """Regenerate the area seeds: communes before and after the 2025 reform, their succession.

    From the 2022 catalogue, vietnam-provinces and vietnamadminunits; where they disagree it is
    written to data/reference/areas-disagreements.csv. Example: outreach areas --province 20
    """
    from outreach.core.home import SEEDS_DIR
    from outreach.core.settings import settings
    from outreach.generators import areas as area_seeds

    built = area_seeds.build_areas(province or settings().province_code)
    click.echo(area_seeds.summary(built))
    folder = seeds or SEEDS_DIR
    if check:
        stale = area_seeds.stale_files(built, folder)
        for path in stale:
            click.echo(f"differs: {path}", err=True)
        sys.exit(1 if stale else 0)
    for path in area_seeds.write_areas(built, folder):
        click.echo(str(path))


@main.command(short_help="Check new files; load, archive or quarantine each.")
@home_option
@click.option(
    "--inbox",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to take files from (default: the home's inbox/).",
)
def ingest(home_dir: Path | None, inbox: Path | None) -> None:
    """Check new files against the contract; load, archive or quarantine each.

    Example: outreach ingest --inbox var/drop
    """
    from outreach.orchestration import pipeline

    summary = pipeline.ingest(_home(home_dir), inbox)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@main.command(short_help="Build the warehouse with dbt (seeds, models, tests).")
@home_option
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Build as of this date (default: today).",
)
def build(home_dir: Path | None, as_of) -> None:
    """Build the warehouse with dbt: what changed since the last build reaches.

    Everything (seeds, models, tests, unit tests) when the registry or the dbt project changed;
    else the models and tests downstream of the new rows, and of the as-of date when it passed a
    month end or a due date since the last build.

    Example: outreach build --as-of 2022-07-11
    """
    from outreach.orchestration import pipeline

    day = as_of.date() if as_of else date.today()
    log_file = pipeline.build(_home(home_dir), day)
    if log_file is None:
        click.echo(
            "nothing to build: nothing the tables read changed since the last build (no new "
            "rows they read, the as-of date past no month end or due date); the warehouse is "
            f"now recorded as of {day.isoformat()}"
        )
    else:
        click.echo(f"dbt build passed; log: {log_file}")


@main.command(short_help="Run the quality checks and record the flags.")
@home_option
@period_option
def check(home_dir: Path | None, period) -> None:
    """Run the quality checks (Great Expectations) and record the flags.

    Example: outreach check --period 2022-H1
    """
    from outreach.orchestration import pipeline

    result = pipeline.check(_home(home_dir), period)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


province_option = click.option(
    "--province",
    default=None,
    help="GSO code of a province of the registry, or toan-quoc for the country "
    "(default: the home's own, dbt var province_code).",
)


@main.command(short_help="Write the period's report (.docx, HTML, PDF).")
@home_option
@period_option
@province_option
@click.option(
    "--pdf/--no-pdf",
    default=None,
    help="Also write a PDF with LibreOffice (default: when it is installed).",
)
def report(home_dir: Path | None, period, province: str | None, pdf: bool | None) -> None:
    """Write the period's report (.docx), figures.json and an HTML preview from the warehouse.

    Example: outreach report --period 2022-H1 --pdf; outreach report --period 2022-H1
    --province toan-quoc
    """
    from outreach.core.scope import UnknownProvince
    from outreach.orchestration import pipeline
    from report.export import NoLibreOffice

    try:
        files = pipeline.report(_home(home_dir), period, province=province, pdf=pdf)
    except (NoLibreOffice, UnknownProvince) as exc:
        raise click.ClickException(str(exc)) from exc
    for path in (files.html, files.pdf):
        if path is not None:
            click.echo(str(path))
    click.echo(str(files.docx))


@main.command(short_help="Who sent what, what to fix, who to chase.")
@home_option
@period_option
@click.option("--month", default=None, help="Only this month (YYYY-MM).")
@province_option
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Every source and month, not only those that need action.",
)
def status(
    home_dir: Path | None, period, month: str | None, province: str | None, show_all: bool
) -> None:
    """Who sent what: a summary by kind of source, then what needs action (late, refused with
    the reasons, missing); every row, accepted ones too, in the CSV and with --all.

    Also writes the reminder list (who to chase, with a message ready to send) from the last
    quality checks. Example: outreach status --period 2022-H1 --month 2022-05
    """
    from datetime import date

    from report.status import (
        format_attention,
        format_summary,
        format_table,
        needs_attention,
        submission_status,
        write_status_csv,
    )

    home = _home(home_dir)
    chosen = None
    if month:
        try:
            chosen = date.fromisoformat(f"{month}-01")
        except ValueError as exc:
            raise click.BadParameter(f"month {month!r} is not YYYY-MM") from exc
    from outreach.core.scope import UnknownProvince, resolve_scope
    from outreach.orchestration import pipeline

    try:
        scope = resolve_scope(home, province)
        reminded = pipeline.remind(home, period, chosen, province=province)
    except UnknownProvince as exc:
        raise click.ClickException(str(exc)) from exc
    rows = submission_status(home, period, chosen, scope)
    click.echo(f"Tình hình gửi báo cáo {month or period.code} ({scope.province_name}):")
    click.echo(format_summary(rows))
    click.echo(
        "\nTất cả các đơn vị, các tháng:" if show_all else "\nCần xử lý (xem mọi đơn vị: --all):"
    )
    click.echo(format_table(rows, show_all=show_all))
    suffix = f"{month}" if month else period.code
    path = write_status_csv(rows, scope.report_dir(home, period.code) / f"tinh-trang-{suffix}.csv")
    click.echo(f"\n{path}")
    attention = needs_attention(home, period, scope)
    if attention:
        click.echo("\nTệp Sở cần xem (không đơn vị nào sửa được):")
        click.echo(format_attention(attention))
    from report.build import load_sections
    from report.drafting import format_sections

    sections = format_sections(load_sections(home, period, scope))
    if sections:
        click.echo(f"\nNội dung báo cáo {period.label_vi} cần xem trước khi ký:")
        click.echo(sections)
    click.echo("\nCần nhắc (theo kết quả kiểm tra gần nhất):")
    from report.reminders import was_checked

    if was_checked(home, period):
        click.echo(reminded["text"])
    else:
        click.echo(
            f"Chưa kiểm tra {period.label_vi}: chạy `outreach check --period {period.code}` "
            "để có danh sách cần nhắc."
        )
    click.echo(f"\n{reminded['csv']}")


@main.command(
    "topic-rules", short_help="Precision and recall of the topic rules of published items."
)
@home_option
@click.option(
    "--errors",
    is_flag=True,
    help="Also list the examples the rules get wrong (false positives, then false negatives).",
)
@click.option(
    "--build/--no-build",
    default=True,
    show_default=True,
    help="Build the rules' tables first (--no-build: read them as the last build left them).",
)
def topic_rules(home_dir: Path | None, errors: bool, build: bool) -> None:
    """How well the topic rules of published items (the terms of
    dbt_project/seeds/ref_topic_terms.csv) find the topics a reader gave the hand-labelled
    examples of ref_topic_examples.csv: each topic's precision and recall, then the three
    together.

    Builds only the tables it prints (a few seconds) into the home's warehouse.

    Example: outreach topic-rules --errors
    """
    from outreach.orchestration import pipeline
    from outreach.orchestration.dbt import DbtFailed
    from report.topic_rules import NotBuilt, format_errors, format_quality

    try:
        quality, wrong = pipeline.topic_rules(_home(home_dir), build=build)
    except (DbtFailed, NotBuilt) as exc:
        raise click.ClickException(str(exc)) from exc
    examples = next((row.examples for row in quality if row.topic_code == "all"), 0)
    click.echo(f"Bộ quy tắc chủ đề trên {examples} tin mẫu gán nhãn tay:")
    click.echo(format_quality(quality))
    if errors:
        click.echo("")
        click.echo(format_errors(wrong))


@main.command(short_help="Run the nightly DAG once through Airflow.")
@home_option
@period_option
@click.option(
    "--inbox",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder to pull submissions from (default: the home's inbox/).",
)
def run(home_dir: Path | None, period, inbox: Path | None) -> None:
    """Run the nightly DAG once through Airflow for a period, and print the report's path.

    Example: outreach run --period 2022-H1 --inbox var/drop
    """
    from outreach.orchestration.airflow_run import AirflowRunFailed, run_nightly
    from outreach.orchestration.processes import Interrupted

    home = _home(home_dir)
    try:
        outcome = run_nightly(home, period, inbox.resolve() if inbox else None)
    except AirflowRunFailed as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except Interrupted as stopped:
        click.echo(f"Stopped by {stopped}: every process of the run was stopped.", err=True)
        sys.exit(stopped.exit_code)
    click.echo(f"outreach_nightly {outcome.state} (log: {outcome.log_file})")
    click.echo("Written:")
    width = max(len(label) for label, _ in outcome.written)
    for label, path in outcome.written:
        click.echo(f"  {label:<{width}}  {path}")


@main.command(short_help="Start Airflow (UI on localhost).")
@home_option
@click.option("--port", type=int, default=8080, show_default=True, help="Port of the UI.")
@click.option(
    "--nightly",
    is_flag=True,
    help="Also let the scheduler run the nights (02:00) while the DAG is unpaused; "
    "unpausing runs the last night at once. Default: only the runs somebody triggers.",
)
def airflow(home_dir: Path | None, port: int, nightly: bool) -> None:
    """Start Airflow's embedded default (SQLite, LocalExecutor) with the UI on localhost.

    Without --nightly the scheduler starts only the runs somebody triggers, so unpausing the
    DAG (which Airflow's Trigger form does by default) starts no night. Ctrl+C or SIGTERM stops
    every Airflow process it started.

    Example: outreach airflow --port 8080   (stop with Ctrl+C)
    """
    from outreach.orchestration.airflow_run import serve
    from outreach.orchestration.processes import Interrupted

    try:
        code = serve(_home(home_dir), port, nightly)
    except Interrupted as stopped:
        click.echo(f"Stopped by {stopped}: every Airflow process was stopped.", err=True)
        sys.exit(stopped.exit_code)
    sys.exit(code)


@main.command(short_help="Start the web portal (senders' uploads, the department's pages).")
@home_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--forwarded-allow-ips",
    envvar="OUTREACH_PROXY_IPS",
    default="127.0.0.1",
    show_default=True,
    help="Addresses (or networks, comma-separated) of the TLS proxy whose X-Forwarded-For and "
    "X-Forwarded-Proto are trusted (the client's address for the login limits, https for "
    "HSTS); env OUTREACH_PROXY_IPS.",
)
@click.option(
    "--header-timeout",
    type=float,
    envvar="OUTREACH_PORTAL_HEADER_TIMEOUT",
    default=10.0,
    show_default=True,
    help="Seconds a request's headers may take; env OUTREACH_PORTAL_HEADER_TIMEOUT.",
)
@click.option(
    "--body-timeout",
    type=float,
    envvar="OUTREACH_PORTAL_BODY_TIMEOUT",
    default=30.0,
    show_default=True,
    help="Seconds a request body may stall before it is answered 408; "
    "env OUTREACH_PORTAL_BODY_TIMEOUT.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    envvar="OUTREACH_PORTAL_WORKERS",
    default=1,
    show_default=True,
    help="Processes serving the portal (one listening socket; a worker that dies is "
    "restarted); as many as the machine has cores for a busy deadline; env "
    "OUTREACH_PORTAL_WORKERS.",
)
def web(
    home_dir: Path | None,
    host: str,
    port: int,
    forwarded_allow_ips: str,
    header_timeout: float,
    body_timeout: float,
    workers: int,
) -> None:
    """Start the portal on the home folder: https behind a proxy in production; on this
    machine, http://localhost:8000 (browsers keep its Secure cookies for localhost).

    Example: outreach web --port 8000 --workers 2   (stop with Ctrl+C)
    """
    import os

    from outreach.portal.app import PortalFactory
    from outreach.portal.server import NotStarted, serve

    # what the portal writes (its database, uploads into the inbox, the approvals file) is its
    # user's only: files 0600, folders 0700 (the workers inherit the mask)
    os.umask(0o077)
    portal = PortalFactory(_home(home_dir), body_timeout=body_timeout)
    portal.prepare()
    try:
        serve(
            portal,
            host,
            port,
            workers=workers,
            forwarded_allow_ips=forwarded_allow_ips,
            header_timeout=header_timeout,
        )
    except NotStarted as failed:
        raise click.ClickException(str(failed)) from failed


@main.command("web-account", short_help="Add a portal account and print its set-up link.")
@home_option
@click.option("--email", "login", required=True, help="The account's e-mail address (its login).")
@click.option("--name", "display_name", default=None, help="Its name as the pages show it.")
@click.option("--source", "source_code", default=None, help="A source's account: its code.")
@click.option("--staff", "province_code", default=None, help="Department staff: their province.")
@click.option("--admin", is_flag=True, help="An administrator (sees every province).")
@click.option(
    "--base-url", default="http://localhost:8000", show_default=True, help="The portal's address."
)
@click.option(
    "--send",
    is_flag=True,
    help="E-mail the link to the account's address (the SMTP connection smtp_default).",
)
def web_account(
    home_dir: Path | None,
    login: str,
    display_name: str | None,
    source_code: str | None,
    province_code: str | None,
    admin: bool,
    base_url: str,
    send: bool,
) -> None:
    """Add an account (a source's, staff's or an administrator's) and print (or, with --send,
    e-mail) the one-time link with which its owner sets a password (valid 7 days). A source's
    account takes its name from the registry.

    Example: outreach web-account --email vanthu@baolangson.vn --source BAO-LS
    """
    from outreach.core.registry import Reference
    from outreach.portal.accounts import MAX_LOGIN_LENGTH, PROVINCE_CODE
    from outreach.portal.store import Store

    home = _home(home_dir)
    chosen = [bool(source_code), bool(province_code), admin]
    if sum(chosen) != 1:
        raise click.UsageError("give exactly one of --source, --staff or --admin")
    if len(login) > MAX_LOGIN_LENGTH or "@" not in login:
        raise click.BadParameter(
            "an e-mail address of at most 254 characters", param_hint="--email"
        )
    if display_name is not None and len(display_name) > 200:
        raise click.BadParameter("at most 200 characters", param_hint="--name")
    if province_code and not PROVINCE_CODE.fullmatch(province_code):
        raise click.BadParameter("a province's code: two digits", param_hint="--staff")
    if source_code:
        source = Reference.load(home.seeds_dir()).sources.get(source_code)
        if source is None:
            raise click.BadParameter(
                f"no source {source_code!r} in the registry", param_hint="--source"
            )
        display_name = display_name or source.name
    role = "source" if source_code else "staff" if province_code else "admin"
    store = Store.for_home(home)
    if store.account_by_login(login):
        raise click.BadParameter(f"{login} already has an account", param_hint="--email")
    account = store.add_account(
        login,
        display_name or login,
        role,
        source_code=source_code,
        province_code=province_code,
    )
    token = store.invite(account.account_id)
    store.log(None, "account_added", f"{account.login} ({role})")
    if source_code:
        _warn_of_dates(home, source_code)
    from outreach.portal.accounts import setup_link

    _give_link(store, account, setup_link(base_url, token), send, "the set-up link")


def _warn_of_dates(home: Home, source_code: str) -> None:
    """A source's account made for a source that has ended (it may still owe late reports and
    corrections of its months: allowed, with its dates) or has not begun."""
    from outreach.core.registry import Reference
    from outreach.portal.accounts import source_dates_en
    from outreach.portal.submissions import local_today

    reference = Reference.load(home.seeds_dir())
    warning = source_dates_en(reference.sources[source_code], local_today(), reference)
    if warning:
        click.echo(f"warning: {warning}", err=True)


@main.group(short_help="The portal's accounts: list, deactivate, set-up links, roles, audit.")
def accounts() -> None:
    """The portal's accounts and its audit log. Each change is written to the audit log (as
    made on the command line), as the administrator's pages (/quan-tri/tai-khoan) do.

    Example: outreach accounts deactivate vanthu@baolangson.vn
    """


accounts.add_command(web_account, "add")


def _give_link(store, account, url: str, send: bool, what: str) -> None:
    """E-mail a set-up link to the account's address (and log it), or print it."""
    if send:
        from outreach.portal.mail import send_setup_link

        send_setup_link(account, url)
        store.log(None, "setup_link_sent", account.login)
        click.echo(f"{account.login}: {what} was e-mailed")
    else:
        click.echo(f"{account.login}: {url}")


def _store_and_account(home_dir: Path | None, login: str):
    from outreach.portal.store import Store

    store = Store.for_home(_home(home_dir))
    account = store.account_by_login(login) if len(login) <= 254 else None
    if account is None:
        raise click.BadParameter(f"no account {login!r}", param_hint="EMAIL")
    return store, account


@accounts.command("list", short_help="Every account: role, state, sessions, last login.")
@home_option
def accounts_list(home_dir: Path | None) -> None:
    """Every account by login: its role (and source or province), whether it is active, has a
    password or an unused set-up link, its live sessions and its last login (UTC)."""
    from outreach.portal.store import Store

    for state in Store.for_home(_home(home_dir)).account_states():
        account = state.account
        notes = [
            "active" if state.is_active else "DEACTIVATED",
            *(["no password yet"] if not state.has_password else []),
            *(["set-up link pending"] if state.has_setup_link else []),
            f"{state.live_sessions} session(s)",
            "last login " + (f"{state.last_login:%Y-%m-%d %H:%M}" if state.last_login else "never"),
        ]
        where = account.source_code or account.province_code or ""
        click.echo(f"{account.login}  {account.role} {where}".rstrip() + "  " + ", ".join(notes))


@accounts.command(short_help="Deactivate an account: its sessions end at once.")
@home_option
@click.argument("login", metavar="EMAIL")
def deactivate(home_dir: Path | None, login: str) -> None:
    """Deactivate an account: its open sessions are refused from their next request, its
    unused set-up links stop working, and it cannot log in until re-activated."""
    from outreach.portal.store import LastAdministrator

    store, account = _store_and_account(home_dir, login)
    try:
        changed = store.set_active(account.account_id, False, None)
    except LastAdministrator as exc:
        raise click.ClickException(
            f"{account.login} is the last active administrator: add or re-activate another first"
        ) from exc
    click.echo(f"{account.login}: " + ("deactivated" if changed else "was already deactivated"))


@accounts.command(short_help="Re-activate a deactivated account.")
@home_option
@click.argument("login", metavar="EMAIL")
def reactivate(home_dir: Path | None, login: str) -> None:
    """Re-activate an account: it logs in again with its password (or a new set-up link)."""
    store, account = _store_and_account(home_dir, login)
    changed = store.set_active(account.account_id, True, None)
    click.echo(f"{account.login}: " + ("re-activated" if changed else "was already active"))


@accounts.command(short_help="A new set-up link: the old links and password stop working.")
@home_option
@click.argument("login", metavar="EMAIL")
@click.option(
    "--base-url", default="http://localhost:8000", show_default=True, help="The portal's address."
)
@click.option("--send", is_flag=True, help="E-mail the link (the SMTP connection smtp_default).")
def link(home_dir: Path | None, login: str, base_url: str, send: bool) -> None:
    """Print (or, with --send, e-mail) a new one-time set-up link for an account (valid 7
    days). Its earlier links stop working, its password is cleared and its sessions end."""
    from outreach.portal.accounts import setup_link

    store, account = _store_and_account(home_dir, login)
    token = store.renew_setup_link(account.account_id, None)
    assert token is not None
    _give_link(store, account, setup_link(base_url, token), send, "the new set-up link")


@accounts.command(short_help="Give an account another role, source or province.")
@home_option
@click.argument("login", metavar="EMAIL")
@click.option("--source", "source_code", default=None, help="A source's account: its code.")
@click.option("--staff", "province_code", default=None, help="Department staff: their province.")
@click.option("--admin", is_flag=True, help="An administrator.")
def change(
    home_dir: Path | None,
    login: str,
    source_code: str | None,
    province_code: str | None,
    admin: bool,
) -> None:
    """Give an account another role (and source or province); it takes effect at the
    account's next request.

    Example: outreach accounts change canbo@langson.gov.vn --staff 20
    """
    from outreach.portal.accounts import AccountInputError, role_and_code
    from outreach.portal.store import LastAdministrator

    if sum([bool(source_code), bool(province_code), admin]) != 1:
        raise click.UsageError("give exactly one of --source, --staff or --admin")
    role = "source" if source_code else "staff" if province_code else "admin"
    store, account = _store_and_account(home_dir, login)
    home = _home(home_dir)
    try:
        source, province = role_and_code(home, role, source_code or province_code or "")
        changed = store.change_role(
            account.account_id, role, None, source_code=source, province_code=province
        )
    except AccountInputError as exc:
        raise click.ClickException(str(exc)) from exc
    except LastAdministrator as exc:
        raise click.ClickException(
            f"{account.login} is the last active administrator: add or re-activate another first"
        ) from exc
    click.echo(f"{account.login}: " + (f"now {role}" if changed else "unchanged"))
    if source:
        _warn_of_dates(home, source)


@accounts.command(short_help="The audit log, newest first.")
@home_option
@click.option("--who", default="", help="Only events by this login, or naming it.")
@click.option("--action", default="", help="Only this action (login_failed, run_now, ...).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
def audit(home_dir: Path | None, who: str, action: str, limit: int) -> None:
    """The audit log (logins, failures, lock-outs, uploads, approvals, run-now, account
    changes), newest first, times in UTC; `-` marks the command line."""
    from outreach.portal.store import Store

    if len(who) > 254 or len(action) > 40:
        raise click.BadParameter("too long", param_hint="--who/--action")
    store = Store.for_home(_home(home_dir))
    for event in store.audit_search(who=who, action=action, limit=limit):
        click.echo(
            f"{event['at']:%Y-%m-%d %H:%M:%S}  {event['login'] or '-'}  {event['action']}  "
            f"{event['detail']}  {event['address'] or ''}".rstrip()
        )


if __name__ == "__main__":
    main()
