"""Submissions at national scale: the local offices and the provincial outlets of the country.

Until June 2025 every district office of the national catalogue of 2022 (`data/reference/`) and
two outlets per province (63); from July 2025, after the reform, a commune office for each of the
3,321 communes of `vietnam-provinces` and one merged outlet per province (34), which succeeds the
outlets of the provinces it was made of. The central press throughout. Written to a seeds folder
of its own, so the Lạng Sơn demo and the national scale never mix; ingest is pointed at it with
`Reference.load(seeds_dir)`.
"""

from __future__ import annotations

import csv
import random
import shutil
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from outreach.core.home import PROJECT_ROOT, SEEDS_DIR
from outreach.core.registry import Reference, read_seed
from outreach.generators.areas import (
    BEFORE_FROM,
    COMMUNES_SEED,
    PROVINCES_SEED,
    REFORM_DATE,
    CommuneSuccession,
    Unit,
    catalogue_rows,
    national_successions,
    units_after,
    units_before,
    write_rows,
)
from outreach.generators.sample_files import (
    LABEL_HEADER,
    LOCAL_TZ,
    MACHINE_HEADER,
    Planted,
    Row,
    SampleResult,
    cells_of,
    csv_bytes,
    sent_at,
    write_file,
    xlsx_bytes,
)

CATALOGUE = PROJECT_ROOT / "data" / "reference" / "vn_admin_units_2022-04-10.csv"
SHARED_SEEDS = [
    "ref_topics.csv",
    "ref_topic_terms.csv",
    "ref_topic_examples.csv",
    "ref_output_types.csv",
    "ref_indicators.csv",
    "ref_key_area_communes.csv",
    "ref_validation_rules.csv",
    f"{PROVINCES_SEED}.csv",
    "ref_source_kinds.csv",
]
# the central press offices, registered where their head office is (Hà Nội)
CENTRAL_OFFICES = [
    ("TW-TTXVN", "Thông tấn xã Việt Nam"),
    ("TW-VTV", "Đài Truyền hình Việt Nam"),
    ("TW-VOV", "Đài Tiếng nói Việt Nam"),
    ("TW-NHANDAN", "Báo Nhân Dân"),
    ("TW-QDND", "Báo Quân đội nhân dân"),
    ("TW-CAND", "Báo Công an nhân dân"),
    ("TW-PLVN", "Báo Pháp luật Việt Nam"),
    ("TW-TTVH", "Báo Văn hóa"),
]
CENTRAL_PROVINCE = "01"
CSV_STYLES = ["csv_utf8", "csv_semicolon_bom", "csv_cp1258", "csv_machine"]
SOURCE_COLUMNS = [
    "source_code",
    "source_name",
    "source_kind",
    "province_code",
    "district_code",
    "commune_code",
    "valid_from",
    "valid_to",
    "predecessor_codes",
    "submits_monthly",
    "reporters_on_beat",
    "contact_name",
    "contact_email",
    "contact_phone",
    "is_demo_contact",
    "delivery_method",
    "delivery_location",
    "delivery_secret_env",
]


@dataclass(frozen=True)
class NationalSource:
    code: str
    kind: str
    district_code: str | None
    communes: tuple[str, ...]


def write_national_seeds(
    seeds_dir: Path,
    catalogue: Path = CATALOGUE,
    since: str = BEFORE_FROM,
    *,
    current_only: bool = False,
) -> list[NationalSource]:
    """A seeds folder for the whole country; returns the sources it registers. The units and
    sources before the reform are registered from `since` (a sample of earlier years: from its
    first year). `current_only`: the country as it is since the reform, as if it had always been
    so (its communes, offices and outlets from `since`, none before the reform): a longer
    history at today's scale, for the benchmarks."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    rows = catalogue_rows(catalogue)
    provinces = sorted({row["province_code"]: row["province_name"] for row in rows}.items())
    units = [] if current_only else units_before(rows, {code for code, _ in provinces}, since)
    after = units_after()
    if current_only:
        after = [replace(unit, valid_from=since) for unit in after]
        provinces = []  # no outlet before the reform
    since_reform = since if current_only else REFORM_DATE
    write_rows(units + after, Unit, seeds_dir / "ref_admin_units.csv")
    write_rows(
        [] if current_only else national_successions(rows),
        CommuneSuccession,
        seeds_dir / f"{COMMUNES_SEED}.csv",
    )
    communes: dict[str, list[str]] = {}
    district_names = {}
    for unit in units:
        communes.setdefault(unit.district_code, []).append(unit.commune_code)
        district_names[unit.district_code] = (unit.district_name, unit.province_code)
    sources: list[NationalSource] = []
    registry = []
    for province_code, province_name in provinces:
        for prefix, kind, name in (
            ("BAO", "Báo", "outlet_provincial"),
            ("PTTH", "Đài Phát thanh và Truyền hình", "outlet_provincial"),
        ):
            code = f"{prefix}-{province_code}"
            registry.append(
                _registry_row(
                    code,
                    f"{kind} {_short(province_name)}",
                    name,
                    province_code,
                    "",
                    reporters="10",
                    valid_from=since,
                    valid_to=_day_before(REFORM_DATE),
                )
            )
            sources.append(NationalSource(code, name, None, ()))
    # after the reform, each province's newspaper and radio-TV are one agency, which succeeds
    # the outlets of every province it was made of
    successions = read_seed(SEEDS_DIR, PROVINCES_SEED)
    new_provinces = sorted({(unit.province_code, unit.province_name) for unit in after})
    for province_code, province_name in new_provinces:
        olds = sorted(
            row["old_province_code"]
            for row in successions
            if row["new_province_code"] == province_code
        )
        code = f"BPTTH-{province_code}"
        registry.append(
            _registry_row(
                code,
                f"Báo và Phát thanh, Truyền hình {_short(province_name)}",
                "outlet_provincial",
                province_code,
                "",
                reporters="20",
                valid_from=since_reform,
                predecessors=""
                if current_only
                else "|".join(f"{prefix}-{old}" for old in olds for prefix in ("BAO", "PTTH")),
            )
        )
        sources.append(NationalSource(code, "outlet_provincial", None, ()))
    for code, name in CENTRAL_OFFICES:
        registry.append(
            _registry_row(
                code, name, "outlet_central", CENTRAL_PROVINCE, "", reporters="5", valid_from=since
            )
        )
        sources.append(NationalSource(code, "outlet_central", None, ()))
    # none in today's registry alone: it has no unit before the reform
    for district_code, (district_name, province_code) in sorted(district_names.items()):
        code = f"PVHTT-{district_code}"
        registry.append(
            _registry_row(
                code,
                f"Phòng Văn hóa và Thông tin {district_name}",
                "district",
                province_code,
                district_code,
                reporters="",
                valid_from=since,
                valid_to=_day_before(REFORM_DATE),
            )
        )
        sources.append(
            NationalSource(code, "district", district_code, tuple(communes[district_code]))
        )
    for unit in after:
        code = f"XA-{unit.commune_code}"
        kind = unit.commune_type.lower()
        bare = unit.commune_name.removeprefix(unit.commune_type).strip()
        row = _registry_row(
            code,
            f"Phòng Văn hóa - Xã hội {kind} {bare}",
            "commune",
            unit.province_code,
            "",
            reporters="",
            valid_from=since_reform,
        )
        registry.append({**row, "commune_code": unit.commune_code})
        sources.append(NationalSource(code, "commune", None, (unit.commune_code,)))
    with open(seeds_dir / "ref_sources.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SOURCE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(registry)
    for name in SHARED_SEEDS:
        shutil.copy(SEEDS_DIR / name, seeds_dir / name)
    # no outlet's site is known at national scale: the feeds' registry, empty (its header only)
    with open(SEEDS_DIR / "ref_outlet_feeds.csv", encoding="utf-8", newline="") as handle:
        header = handle.readline()
    (seeds_dir / "ref_outlet_feeds.csv").write_text(header, encoding="utf-8")
    if current_only:  # the key areas as they are since the reform, from `since` too
        key_areas = seeds_dir / "ref_key_area_communes.csv"
        with open(key_areas, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            fields, kept = reader.fieldnames or [], list(reader)
        with open(key_areas, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(
                {**row, "valid_from": since} for row in kept if row["valid_from"] >= REFORM_DATE
            )
    return sources


def _short(province_name: str) -> str:
    return province_name.removeprefix("Tỉnh ").removeprefix("Thành phố ")


def _day_before(day: str) -> str:
    return f"{date.fromisoformat(day) - timedelta(days=1)}"


def _registry_row(
    code,
    name,
    kind,
    province_code,
    district_code,
    *,
    reporters,
    valid_from: str = BEFORE_FROM,
    valid_to: str = "",
    predecessors: str = "",
) -> dict:
    return {
        "source_code": code,
        "source_name": name,
        "source_kind": kind,
        "province_code": province_code,
        "district_code": district_code,
        "commune_code": "",
        "predecessor_codes": predecessors,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "submits_monthly": "true",
        "reporters_on_beat": reporters,
        "contact_name": "Đầu mối báo cáo",
        "contact_email": f"{code.lower()}@demo.example",
        "contact_phone": "",
        "is_demo_contact": "true",
        "delivery_method": "inbox",
        "delivery_location": "",
        "delivery_secret_env": "",
    }


def _rows(rng: random.Random, source: NationalSource, month: date) -> list[Row]:
    last_day = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)

    def day() -> date:
        return month.replace(day=rng.randint(1, last_day.day))

    topics = ["toi_pham", "ma_tuy", "mua_ban_nguoi", "khac"]
    if source.kind == "commune":  # a commune office: a district's kinds of work, smaller
        rows = [
            Row(day(), topic, "truyen_thanh_co_so", rng.randint(5, 300))
            for topic in rng.sample(topics[:3], k=rng.randint(2, 3))
        ]
        rows += [
            Row(day(), rng.choice(topics), kind, rng.randint(1, 4))
            for kind in ("xe_luu_dong", "bang_zon")
        ]
        for _ in range(rng.randint(0, 3)):
            rows.append(
                Row(
                    day(),
                    rng.choice(topics[:3]),
                    rng.choice(["tu_van", "chieu_phim"]),
                    1,
                    commune_code=source.communes[0],
                    people=rng.randint(20, 200),
                )
            )
        return sorted(rows, key=lambda row: row.day)
    if source.kind == "district":
        rows = [
            Row(day(), topic, "truyen_thanh_co_so", rng.randint(10, 1500))
            for topic in rng.sample(topics[:3], k=rng.randint(2, 3))
        ]
        rows += [
            Row(day(), rng.choice(topics), kind, rng.randint(1, 12))
            for kind in ("xe_luu_dong", "bang_zon", "phat_thanh")
        ]
        for _ in range(rng.randint(2, 8)):
            rows.append(
                Row(
                    day(),
                    rng.choice(topics[:3]),
                    rng.choice(["tu_van", "chieu_phim"]),
                    1,
                    commune_code=rng.choice(source.communes),
                    people=rng.randint(20, 400),
                )
            )
        return sorted(rows, key=lambda row: row.day)
    return sorted(
        (
            Row(
                day(),
                rng.choice(topics),
                rng.choice(["tin_bai", "anh", "phong_su", "truyen_hinh", "mang_xa_hoi"]),
                1,
                title="Tin tuyên truyền",
                url="https://demo.example/bai",
            )
            for _ in range(rng.randint(8, 25))
        ),
        key=lambda row: row.day,
    )


# how often, per source-month, the national sample plants each kind of problem
MISSING_SHARE, LATE_SHARE, CORRECTION_SHARE, BROKEN_SHARE = 0.02, 0.05, 0.01, 0.005


def generate_national(
    years: list[int],
    inbox: Path,
    seeds_dir: Path,
    *,
    seed: int = 1,
    xlsx_share: float = 0.0,
    provinces: set[str] | None = None,
    plant_problems: bool = True,
    current_only: bool = False,
) -> SampleResult:
    """Write one file per source per month of the given years into `inbox`.

    The registry covers the whole country; `provinces` (codes) limits the files written. A
    source writes only the months its registry entry is active (district offices and the two
    outlets of each old province until June 2025, commune offices and the merged outlets from
    July 2025), and only months whose files have all been sent by now. With `plant_problems`,
    as in the demo: months never sent, late files, corrections `_r2` of an accepted first
    version, and broken files. `current_only`: today's registry as if it had always been so
    (`write_national_seeds`).
    """
    since = min(BEFORE_FROM, f"{min(years)}-01-01")
    sources = write_national_seeds(seeds_dir, since=since, current_only=current_only)
    reference = Reference.load(seeds_dir)
    inbox.mkdir(parents=True, exist_ok=True)
    result = SampleResult()
    # a year still under way: only the months whose files have all been sent by now
    now = datetime.now(LOCAL_TZ)
    for source in sources:
        registered = reference.sources[source.code]
        if provinces is not None and registered.province_code not in provinces:
            continue
        rng = random.Random(f"national:{seed}:{source.code}")  # the same, whatever is skipped
        style = rng.choice(CSV_STYLES)
        for year in years:
            for month_number in range(1, 13):
                month = date(year, month_number, 1)
                if not registered.is_active(month) or sent_at(random.Random(0), month, 10) > now:
                    continue
                _write_month(
                    rng, source, month, style, reference, inbox, result, xlsx_share, plant_problems
                )
    return result


def _write_month(
    rng: random.Random,
    source: NationalSource,
    month: date,
    style: str,
    reference: Reference,
    inbox: Path,
    result: SampleResult,
    xlsx_share: float,
    plant_problems: bool,
) -> None:
    rows = _rows(rng, source, month)
    as_xlsx = rng.random() < xlsx_share
    problem = rng.random() if plant_problems else 1.0
    label = f"{month:%Y-%m}"
    if problem < MISSING_SHARE:
        result.planted.append(Planted("never_submitted", source.code, label, None))
        return

    def render(rows: list[Row]) -> tuple[str, bytes]:
        if as_xlsx:
            cells = [cells_of(row, "xlsx_plain", source.code, reference) for row in rows]
            return "xlsx", xlsx_bytes(MACHINE_HEADER, cells, "xlsx_plain", "", "")
        header = MACHINE_HEADER if style == "csv_machine" else LABEL_HEADER
        cells = [cells_of(row, style, source.code, reference) for row in rows]
        return "csv", csv_bytes(header, cells, style)

    extension, data = render(rows)
    name = f"{source.code}_{label}.{extension}"
    sent = sent_at(rng, month, rng.randint(1, 9))
    problem -= MISSING_SHARE
    if problem < LATE_SHARE:
        sent = sent_at(rng, month, rng.randint(15, 40))
        result.planted.append(Planted("late", source.code, label, name))
    elif problem < LATE_SHARE + CORRECTION_SHARE:
        first = [Row(**{**vars(row), "quantity": row.quantity * 10}) for row in rows]
        write_file(inbox, name, render(first)[1], sent, result)
        name, sent = f"{source.code}_{label}_r2.{extension}", sent + timedelta(days=5)
        result.planted.append(Planted("correction", source.code, label, name))
    elif problem < LATE_SHARE + CORRECTION_SHARE + BROKEN_SHARE:
        data = (
            data[: len(data) // 2] + b"\x00\x01 hai muoi"
            if extension == "csv"
            else data[: len(data) // 2]
        )
        result.planted.append(Planted("broken_file", source.code, label, name))
    write_file(inbox, name, data, sent, result)
