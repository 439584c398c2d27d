"""Figures of a period recomputed straight from the raw tables and the seed files.

Written separately from the dbt models and the report on purpose: it shares none of their SQL, so a
figure that both agree on is right twice. Only the definitions of docs/domain.md are shared.
"""

from __future__ import annotations

import math
import re

import duckdb

from outreach.core.home import SEEDS_DIR
from outreach.core.periods import Period

ON_TIME_DAYS = 10


def _setup(con: duckdb.DuckDBPyConnection, period: Period, seeds_dir=SEEDS_DIR) -> None:
    for seed in (
        "ref_sources",
        "ref_output_types",
        "ref_key_area_communes",
        "ref_admin_units",
        "ref_indicators",
        "ref_commune_succession",
    ):
        con.execute(
            f"create or replace temp view {seed} as select * from read_csv("
            f"'{seeds_dir / seed}.csv', all_varchar = true, header = true)"
        )
    con.execute("""
        create or replace temp view winners as
        select * from raw.submission_manifest
        where status = 'accepted'
        qualify row_number() over (partition by source_code, report_month, file_kind
                                   order by revision desc, received_at desc) = 1""")
    con.execute(f"""
        create or replace temp view period_rows as
        select r.*, w.source_code, w.report_month, s.source_kind, s.district_code,
               t.output_group
        from raw.submission_rows r
        join winners w using (submission_id)
        join ref_sources s on s.source_code = w.source_code
        join ref_output_types t on t.output_type_code = r.output_type_code
        where w.report_month between date '{period.start}' and date '{period.end}'""")


def _scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


def expected_figures(
    warehouse: str, period: Period, seeds_dir=SEEDS_DIR
) -> dict[str, float | int | None]:
    """The figures of a period over every source of the registry (`seeds_dir`): one province's
    report, or the national aggregate of a registry of several."""
    with duckdb.connect(warehouse, read_only=True) as con:
        _setup(con, period, seeds_dir)
        figures: dict[str, float | int | None] = {}

        for kind, output_type, topic, _group, quantity in con.execute("""
                select source_kind, output_type_code, topic_code, output_group, sum(quantity)
                from period_rows group by all""").fetchall():
            figures[f"outputs.{kind}.{output_type}.{topic}"] = quantity
        for kind, output_type, quantity in con.execute("""
                select source_kind, output_type_code, sum(quantity)
                from period_rows group by all""").fetchall():
            figures[f"outputs.{kind}.{output_type}.all"] = quantity
        for kind, topic, quantity in con.execute("""
                select source_kind, topic_code, sum(quantity)
                from period_rows where output_group = 'media' group by all""").fetchall():
            figures[f"outputs.{kind}.media.{topic}"] = quantity
        for kind, quantity in con.execute("""
                select source_kind, sum(quantity) from period_rows
                where output_group = 'media' group by all""").fetchall():
            figures[f"outputs.{kind}.media.all"] = quantity
        figures["outputs.all.tap_huan.all"] = _scalar(
            con, "select sum(quantity) from period_rows where output_type_code = 'tap_huan'"
        )
        figures.update(_all_media(con))

        for source, month, quantity in con.execute("""
                select source_code, strftime(report_month, '%Y-%m'), sum(quantity)
                from period_rows where output_group = 'media'
                    and source_kind like 'outlet%' group by all""").fetchall():
            figures[f"outlet_month.{source}.{month}"] = quantity
        for source, quantity in con.execute("""
                select source_code, sum(quantity) from period_rows
                where output_group = 'media' and source_kind like 'outlet%'
                group by all""").fetchall():
            figures[f"outlet_month.{source}.all"] = quantity
        for source, kind, output_type, quantity in con.execute("""
                select source_code, source_kind, output_type_code, sum(quantity) from period_rows
                where source_kind in ('district', 'commune') group by all""").fetchall():
            prefix = "district_output" if kind == "district" else "local_output"
            figures[f"{prefix}.{source}.{output_type}"] = quantity
        # a district office names old communes, a commune office its new one: by kind
        for kind, communes, people in con.execute("""
                select source_kind, count(distinct commune_code), sum(people_reached)
                from period_rows where output_type_code = 'tu_van' group by all""").fetchall():
            figures[f"counselling.{kind}.communes"] = communes
            figures[f"counselling.{kind}.people"] = people
        for kind, sources in con.execute(f"""
                select source_kind, count(*) from ref_sources
                where submits_monthly = 'true'
                    and cast(valid_from as date) <= date '{period.end}'
                    and (valid_to is null or cast(valid_to as date) >= date '{period.start}')
                group by all""").fetchall():
            figures[f"groups.{kind}.sources"] = sources

        figures["directives.count"] = _scalar(
            con,
            f"""
            select count(*) from raw.directive_documents d
            join winners w using (submission_id)
            where d.issued_date between date '{period.start}' and date '{period.end}'""",
        )

        figures.update(_completeness(con, period))
        figures.update(_indicators(con, period))
        return figures


def _all_media(con) -> dict:
    """Every group's media items together, in all and by topic."""
    figures = {
        "outputs.all.media.all": _scalar(
            con, "select coalesce(sum(quantity), 0) from period_rows where output_group = 'media'"
        )
    }
    for topic, quantity in con.execute("""
            select topic_code, sum(quantity) from period_rows
            where output_group = 'media' group by all""").fetchall():
        figures[f"outputs.all.media.{topic}"] = quantity
    return figures


def _completeness(con, period: Period) -> dict:
    months = ", ".join(f"(date '{month}')" for month in period.months)
    con.execute(f"""
        create or replace temp view expected as
        select s.source_code, s.source_kind, s.district_code, s.province_code, m.month,
               coalesce(w.row_count = 0, false) as empty,
               last_day(m.month) + interval {ON_TIME_DAYS} day as due,
               w.submission_id is not null as received,
               (select min(timezone('Asia/Ho_Chi_Minh', a.received_at))::date
                from raw.submission_manifest a
                where a.status = 'accepted' and a.file_kind = 'monthly'
                    and a.source_code = s.source_code and a.report_month = m.month) as first_day,
               coalesce((select sum(r.quantity) from period_rows r
                         where r.source_code = s.source_code and r.report_month = m.month
                             and r.topic_code = 'mua_ban_nguoi' and r.output_group = 'media'),
                        0) as trafficking_items
        from ref_sources s
        cross join (values {months}) as m(month)
        left join winners w
            on w.source_code = s.source_code and w.report_month = m.month
            and w.file_kind = 'monthly'
        where s.submits_monthly = 'true'
            and m.month >= cast(s.valid_from as date)
            and (s.valid_to is null or m.month <= cast(s.valid_to as date))""")
    expected = _scalar(con, "select count(*) from expected")
    received = _scalar(con, "select count(*) from expected where received")
    on_time = _scalar(con, "select count(*) from expected where received and first_day <= due")
    figures = {
        "completeness.expected": expected,
        "completeness.received": received,
        "completeness.on_time": on_time,
        "completeness.reporting_rate": received / expected,
        "completeness.on_time_rate": on_time / expected,
        "flags.missing_submission.count": expected - received,
        "flags.missing_monthly_posting.count": _scalar(
            con,
            """
            select count(*) from expected
            where source_kind = 'outlet_provincial' and trafficking_items = 0""",
        ),
    }
    figures["completeness.silent_sources.count"] = _scalar(
        con,
        "select count(*) from (select source_code from expected group by 1 "
        "having not bool_or(received))",
    )
    for kind, missing in con.execute(
        "select source_kind, count(*) filter (where not received) from expected group by 1"
    ).fetchall():
        figures[f"flags.missing_submission.{kind}.count"] = missing
    for source, month, days in con.execute("""
            select source_code, strftime(month, '%Y-%m'), datediff('day', due, first_day)
            from expected where received and first_day > due""").fetchall():
        figures[f"completeness.days_late.{source}.{month}"] = days
    # the reporting-rate summary: province, each kind of source, each district's office
    for level, key in (
        ("province", "province_code"),
        ("source_kind", "source_kind"),
        ("district", "district_code"),
    ):
        for code, expected_n, actual, on_time_n, empty in con.execute(f"""
                select {key}, count(*), count(*) filter (where received),
                    count(*) filter (where received and first_day <= due),
                    count(*) filter (where empty)
                from expected where {key} is not null group by 1""").fetchall():
            prefix = f"rates.{level}.{code}"
            figures.update(
                {
                    f"{prefix}.expected": expected_n,
                    f"{prefix}.actual": actual,
                    f"{prefix}.on_time": on_time_n,
                    f"{prefix}.empty": empty,
                    f"{prefix}.not_reported": expected_n - actual,
                    f"{prefix}.reporting_rate": actual / expected_n,
                    f"{prefix}.on_time_rate": on_time_n / expected_n,
                }
            )
    return figures


def _indicators(con, period: Period) -> dict:
    start, end = f"date '{period.start}'", f"date '{period.end}'"
    # the key areas of the period, each with the rows of the months it was a key area in (the
    # reform reused commune codes: an old and a new commune may share one); in a period that
    # spans the reform, an old key area whose commune went to a key area of the period is part
    # of that one: one list of key areas, each person counted once
    key_areas = f"""
        with k as (
            select commune_code, cast(at_risk_population as integer) as at_risk,
                cast(valid_from as date) as since, cast(valid_to as date) as until
            from ref_key_area_communes
            where cast(valid_from as date) <= {end}
                and (valid_to is null or cast(valid_to as date) >= {start})),
        members as (
            select k.*, coalesce(
                (select n.commune_code || '@' || n.since from k as n
                 join ref_commune_succession as s
                     on s.new_commune_code = n.commune_code and s.is_default_successor = 'true'
                 where s.old_commune_code = k.commune_code and k.until is not null
                     and n.since > k.until),
                k.commune_code || '@' || k.since) as unit
            from k),
        activity as (
            select m.unit, r.output_type_code, r.people_reached, r.topic_code, r.output_group
            from members m join period_rows r
                on r.commune_code = m.commune_code
                and r.report_month >= date_trunc('month', m.since)
                and r.report_month <= coalesce(m.until, {end}))
        select u.unit, u.at_risk,
            exists (select 1 from activity a where a.unit = u.unit
                    and a.output_type_code = 'tu_van') as counselled,
            least(coalesce((select sum(a.people_reached) from activity a
                            where a.unit = u.unit and a.topic_code = 'mua_ban_nguoi'
                                and a.output_group = 'grassroots'), 0), u.at_risk) as reached
        from (select commune_code || '@' || since as unit, at_risk from k) as u
        where u.unit in (select unit from members)"""
    i1 = con.execute(
        f"select count(*) filter (where counselled), count(*) from ({key_areas})"
    ).fetchone()
    i3 = con.execute(f"select sum(reached), sum(at_risk) from ({key_areas})").fetchone()
    i2 = con.execute("""select count(*) filter (where trafficking_items > 0), count(*)
                        from expected where source_kind = 'outlet_provincial'""").fetchone()
    # outlets registered in the period; one merged into a successor registered in the period
    # too is counted as that successor (its trainings added, its reporters not: they are the
    # successor's)
    i4 = con.execute(f"""
        with active as (
            select source_code, cast(reporters_on_beat as integer) as reporters,
                coalesce(predecessor_codes, '') as predecessors
            from ref_sources
            where reporters_on_beat is not null and cast(valid_from as date) <= {end}
                and (valid_to is null or cast(valid_to as date) >= {start})),
        counted as (
            select a.source_code,
                coalesce((select b.source_code from active b
                          where list_contains(string_split(b.predecessors, '|'), a.source_code)),
                         a.source_code) as outlet
            from active a),
        outlets as (
            select c.outlet, any_value(o.reporters) as reporters,
                coalesce(sum((select sum(r.people_reached) from period_rows r
                              where r.source_code = c.source_code
                                  and r.output_type_code = 'tap_huan')), 0) as trained
            from counted c join active o on o.source_code = c.outlet
            group by c.outlet)
        select sum(least(trained, reporters)), sum(reporters) from outlets""").fetchone()
    targets, operators = {}, {}
    for code, target, operator in con.execute(f"""
            select indicator_code, cast(target_value as double), target_operator
            from ref_indicators
            where {end} between cast(valid_from as date) and cast(valid_to as date)""").fetchall():
        targets[code], operators[code] = target, operator
    figures = {}
    for code, (numerator, denominator) in {
        "I1_communes_counselled": i1,
        "I2_monthly_posting": i2,
        "I3_people_reached": i3,
        "I4_reporters_trained": i4,
    }.items():
        figures[f"indicator.{code}.numerator"] = numerator
        figures[f"indicator.{code}.denominator"] = denominator
        figures[f"indicator.{code}.value"] = numerator / denominator
        figures[f"indicator.{code}.target"] = targets[code]
    # the indicators judged against a target, and those met (the drafted assessment)
    judged = [code for code in targets if targets[code] is not None]
    figures["indicators.judged.count"] = len(judged)
    figures["indicators.met.count"] = sum(
        figures[f"indicator.{code}.value"] >= targets[code]
        if operators[code] == ">="
        else figures[f"indicator.{code}.value"] <= targets[code]
        for code in judged
    )
    return figures


# the kinds of source whose figures are compared together across the 2025 reform (docs/domain.md,
# "The 2025 reform": the district offices' grassroots work before 1 July 2025, the commune
# offices' after)
LOCAL_OFFICES = ("district", "commune")


def role_of(kind: str) -> str:
    return "local_office" if kind in LOCAL_OFFICES else kind


def expected_role_figures(
    warehouse: str, period: Period, seeds_dir=SEEDS_DIR
) -> dict[str, float | int | None]:
    """A period's figures by the role of their sources (a report's comparisons read the other
    period by role): keyed as the report's figures, with the role in place of the kind
    (`outputs.local_office.tu_van.all`, `counselling.local_office.communes`); the indicators,
    directives, trainings and rates as `expected_figures` keys them."""
    role = (
        "case when s.source_kind in ('district', 'commune') then 'local_office' else "
        "s.source_kind end"
    )
    with duckdb.connect(warehouse, read_only=True) as con:
        _setup(con, period, seeds_dir)
        figures: dict[str, float | int | None] = {}
        rows = f"""
            select {role} as role, r.*
            from period_rows r join ref_sources s using (source_code)"""
        for name, output_type, quantity in con.execute(f"""
                select role, output_type_code, sum(quantity) from ({rows}) group by all
                """).fetchall():
            figures[f"outputs.{name}.{output_type}.all"] = quantity
        for name, topic, quantity in con.execute(f"""
                select role, topic_code, sum(quantity) from ({rows})
                where output_group = 'media' group by all""").fetchall():
            figures[f"outputs.{name}.media.{topic}"] = quantity
        for name, quantity in con.execute(f"""
                select role, sum(quantity) from ({rows})
                where output_group = 'media' group by all""").fetchall():
            figures[f"outputs.{name}.media.all"] = quantity
        # communes within a kind: a district office names old communes, a commune office its
        # new one (the reform reused codes)
        for name, communes, people in con.execute(f"""
                select role, count(distinct source_kind || commune_code), sum(people_reached)
                from ({rows}) where output_type_code = 'tu_van' group by all""").fetchall():
            figures[f"counselling.{name}.communes"] = communes
            figures[f"counselling.{name}.people"] = people
        figures["outputs.all.tap_huan.all"] = _scalar(
            con,
            "select coalesce(sum(quantity), 0) from period_rows "
            "where output_type_code = 'tap_huan'",
        )
        figures.update(_all_media(con))
        figures["directives.count"] = _scalar(
            con,
            f"""
            select count(*) from raw.directive_documents d
            join winners w using (submission_id)
            where d.issued_date between date '{period.start}' and date '{period.end}'""",
        )
        completeness = _completeness(con, period)
        for name in ("reporting_rate", "on_time_rate"):
            figures[f"completeness.{name}"] = completeness[f"completeness.{name}"]
        for name, expected, received in con.execute(f"""
                select {role.replace("s.", "")}, count(*), count(*) filter (where received)
                from expected group by all""").fetchall():
            figures[f"completeness.role.{name}.reporting_rate"] = received / expected
        figures["completeness.role.all.reporting_rate"] = figures["completeness.reporting_rate"]
        figures.update(_indicators(con, period))
        return figures


COMPARED = re.compile(
    r"^(?P<figure>.+)\.(?P<kind>same_period|previous_period)\.(?P<part>base|change|change_percent)$"
)


def role_key(figure_id: str) -> str:
    """The independent figure a report's figure is compared by: the role in place of the
    kind (a commune office's figure against the district offices')."""
    parts = figure_id.split(".")
    if parts[0] in ("outputs", "counselling") and parts[1] in LOCAL_OFFICES:
        parts[1] = "local_office"
    return ".".join(parts)


def check_comparisons(figures: list[dict], now: dict, then: dict, kind: str = "same_period") -> int:
    """Assert that every base, change and percentage against the other period (`kind`: the
    same period a year earlier, or the previous one) in `figures` (figures.json's) is what
    `now` and `then` (`expected_role_figures` of the two periods) give; returns how many it
    checked."""
    checked = 0
    for figure in figures:
        found = COMPARED.match(figure["id"])
        if not found or found["kind"] != kind:
            continue
        key = role_key(found["figure"])
        empty = None if key.startswith(("indicator.", "completeness.")) else 0
        current, base = now.get(key, empty), then.get(key, empty)
        if found["part"] == "base":
            want = base
        elif found["part"] == "change":
            want = current - base
        else:
            want = (current - base) / base if base else None
        if want is None:
            assert figure["value"] is None, figure
        else:
            assert math.isclose(figure["value"], want, rel_tol=1e-9, abs_tol=1e-12), (figure, want)
        checked += 1
    return checked
