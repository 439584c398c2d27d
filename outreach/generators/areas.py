"""The administrative units a province reports in, before and after the 2025 reform, as dbt seeds.

    outreach areas --province 20            (rewrites the bundled seeds)
    outreach areas --province 20 --check    (exit 1 if they differ from what the packages give)

- Before 1 July 2025: the 2022 national catalogue (`data/reference/`, the General Statistics
  Office's list of 10/04/2022): the communes and districts of the province's predecessors.
- From 1 July 2025: the units of the `vietnam-provinces` package (34 provinces, 3,321 communes),
  with no district level.
- The succession of each old commune to its new one comes from `vietnamadminunits`' converter: an
  old commune split between several new ones has a row for each, the converter's default marked.
  The converter names units by keys of their names; they are joined to the codes of both lists, and
  the provinces' succession (63 to 34) likewise.

The two packages and the catalogue do not agree everywhere (a code one has and the other has
not, a name spelt two ways, a commune merged away before 2025 that has no successor). Every such
case is written to `data/reference/areas-disagreements.csv`, and the seeds say which source each
value comes from: nothing is reconciled silently.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TypedDict

from outreach.core.home import PROJECT_ROOT, SEEDS_DIR
from outreach.core.registry import read_seed
from outreach.core.text import fold, nfc

CATALOGUE = PROJECT_ROOT / "data" / "reference" / "vn_admin_units_2022-04-10.csv"
CATALOGUE_DATE = "2022-04-10"
DISAGREEMENTS = PROJECT_ROOT / "data" / "reference" / "areas-disagreements.csv"
BEFORE_FROM, BEFORE_TO = "2020-01-01", "2025-06-30"
REFORM_DATE = "2025-07-01"

UNITS_SEED = "ref_admin_units"
KEY_AREAS_SEED = "ref_key_area_communes"
COMMUNES_SEED = "ref_commune_succession"
PROVINCES_SEED = "ref_province_succession"


@dataclass(frozen=True)
class Unit:
    commune_code: str
    commune_name: str
    commune_type: str
    district_code: str
    district_name: str
    district_type: str
    province_code: str
    province_name: str
    province_type: str
    valid_from: str
    valid_to: str
    catalogue_date: str


@dataclass(frozen=True)
class CommuneSuccession:
    old_commune_code: str
    old_commune_name: str
    old_district_code: str
    old_province_code: str
    new_commune_code: str
    new_commune_name: str
    new_province_code: str
    is_split: bool  # the old commune went to more than one new commune
    is_default_successor: bool  # the one its figures follow (the converter's default)


@dataclass(frozen=True)
class ProvinceSuccession:
    old_province_code: str
    old_province_name: str
    new_province_code: str
    new_province_name: str
    succession_date: str = REFORM_DATE


@dataclass(frozen=True)
class Disagreement:
    kind: str
    code: str
    name: str
    detail: str


@dataclass
class Areas:
    province_code: str
    units: list[Unit]
    communes: list[CommuneSuccession]
    provinces: list[ProvinceSuccession]
    disagreements: list[Disagreement]


def _clean(value: str) -> str:
    # the catalogue and the packages have stray double spaces ("Xã  Hoàng Văn Thụ")
    return re.sub(r"\s+", " ", nfc(value)).strip()


def _name_key(name: str) -> str:
    """Names compared across sources: "Hoà" and "Hòa" (old and new tone placement) alike."""
    decomposed = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return fold("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


# --- the sources ------------------------------------------------------------------------------


def catalogue_rows(path: Path = CATALOGUE) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [
            {key: _clean(value) for key, value in row.items()} for row in csv.DictReader(handle)
        ]


def _current_provinces() -> list[dict]:
    """vietnam-provinces' provinces with their communes (after 1 July 2025)."""
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    return json.loads(Path(NESTED_DIVISIONS_JSON_PATH).read_text(encoding="utf-8"))


def _package_versions() -> dict[str, str]:
    from importlib.metadata import version

    import vietnam_provinces

    return {
        "vietnam-provinces": version("vietnam-provinces"),
        "vietnam-provinces data": vietnam_provinces.__data_version__,
        "vietnamadminunits": version("vietnamadminunits"),
    }


def _converter():
    """vietnamadminunits' converter tables and its two unit lists (before and after)."""
    from vietnamadminunits.converter import converter_2025
    from vietnamadminunits.database import get_data

    legacy = get_data(
        fields="provinceCode, province, districtCode, district, wardCode, ward, "
        "provinceKey, districtKey, wardKey",
        table="admin_units_legacy",
    )
    current = get_data(
        fields="provinceCode, province, wardCode, ward, provinceKey, wardKey", table="admin_units"
    )
    return converter_2025, legacy, current


_TYPES = {
    "tỉnh": "Tỉnh",
    "thành phố trung ương": "Thành phố",
    "xã": "Xã",
    "phường": "Phường",
    "đặc khu": "Đặc khu",
}


def _code(value: object, width: int) -> str:
    return str(value).zfill(width)


# --- building ---------------------------------------------------------------------------------


def build_areas(province_code: str, catalogue: list[dict[str, str]] | None = None) -> Areas:
    """The seeds of one province (its code after the reform) and the country's provinces."""
    catalogue = catalogue if catalogue is not None else catalogue_rows()
    converter, legacy, current = _converter()
    disagreements: list[Disagreement] = []
    provinces = _province_succession(converter, legacy, current, disagreements)
    old_provinces = sorted(
        {p.old_province_code for p in provinces if p.new_province_code == province_code}
    )
    if not old_provinces:
        raise ValueError(f"no province {province_code!r} after the 2025 reform")
    before = units_before(catalogue, old_provinces)
    after = units_after({province_code})
    communes = _commune_succession(
        province_code, old_provinces, converter, legacy, current, before, after, disagreements
    )
    disagreements.extend(_unit_disagreements(province_code, legacy, current, before, after))
    disagreements = sorted(set(disagreements), key=lambda d: (d.kind, d.code, d.name, d.detail))
    return Areas(province_code, before + after, communes, provinces, disagreements)


def units_after(province_codes: set[str] | None = None) -> list[Unit]:
    """The communes of these provinces (default: all 34) from 1 July 2025, vietnam-provinces'."""
    catalogue_date = _package_versions()["vietnam-provinces data"]
    units = []
    for province in _current_provinces():
        code = _code(province["code"], 2)
        if province_codes is not None and code not in province_codes:
            continue
        kind = _TYPES[province["division_type"]]
        units += [
            Unit(
                commune_code=_code(ward["code"], 5),
                commune_name=_clean(ward["name"]),
                commune_type=_TYPES[ward["division_type"]],
                district_code="",
                district_name="",
                district_type="",
                province_code=code,
                province_name=f"{kind} {province['name']}",
                province_type=kind,
                valid_from=REFORM_DATE,
                valid_to="",
                catalogue_date=catalogue_date,
            )
            for ward in province["wards"]
        ]
    return sorted(units, key=lambda unit: (unit.province_code, unit.commune_code))


def national_successions(catalogue: list[dict[str, str]]) -> list[CommuneSuccession]:
    """The succession of every old commune of the country to its new one (for a registry of
    the whole country; the disagreements are the bundled province's business)."""
    converter, legacy, current = _converter()
    provinces = _province_succession(converter, legacy, current, [])
    rows: list[CommuneSuccession] = []
    for new_code in sorted({p.new_province_code for p in provinces}):
        olds = sorted({p.old_province_code for p in provinces if p.new_province_code == new_code})
        rows += _commune_succession(
            new_code,
            olds,
            converter,
            legacy,
            current,
            units_before(catalogue, olds),
            units_after({new_code}),
            [],
        )
    return rows


def units_before(
    catalogue: list[dict[str, str]],
    province_codes: set[str] | list[str],
    valid_from: str = BEFORE_FROM,
) -> list[Unit]:
    """The communes of these provinces in the 2022 catalogue, valid from `valid_from` until the
    reform."""
    return [
        _unit_before(row, valid_from) for row in catalogue if row["province_code"] in province_codes
    ]


def _unit_before(row: dict[str, str], valid_from: str = BEFORE_FROM) -> Unit:
    return Unit(
        commune_code=row["commune_code"],
        commune_name=row["commune_name"],
        commune_type=row["commune_type"],
        district_code=row["district_code"],
        district_name=row["district_name"],
        district_type=row["district_type"],
        province_code=row["province_code"],
        province_name=row["province_name"],
        province_type=row["province_type"],
        valid_from=valid_from,
        valid_to=BEFORE_TO,
        catalogue_date=CATALOGUE_DATE,
    )


def _province_succession(
    converter, legacy: list[dict], current: list[dict], disagreements: list[Disagreement]
) -> list[ProvinceSuccession]:
    old_by_key = {row["provinceKey"]: (row["provinceCode"], row["province"]) for row in legacy}
    new_by_key = {row["provinceKey"]: (row["provinceCode"], row["province"]) for row in current}
    packaged = {_code(p["code"], 2): p for p in _current_provinces()}
    rows = []
    for new_key, old_keys in sorted(converter.DICT_PROVINCE.items()):
        new_code, new_name = new_by_key[new_key]
        if new_code not in packaged:
            disagreements.append(
                Disagreement(
                    "province_code_only_in_vietnamadminunits",
                    new_code,
                    new_name,
                    "vietnam-provinces has no province with this code",
                )
            )
        for old_key in old_keys:
            old_code, old_name = old_by_key[old_key]
            rows.append(ProvinceSuccession(old_code, _clean(old_name), new_code, _clean(new_name)))
    return sorted(rows, key=lambda row: (row.new_province_code, row.old_province_code))


def _commune_succession(
    province_code: str,
    old_provinces: list[str],
    converter,
    legacy: list[dict],
    current: list[dict],
    before: list[Unit],
    after: list[Unit],
    disagreements: list[Disagreement],
) -> list[CommuneSuccession]:
    province_key = next(
        row["provinceKey"] for row in current if row["provinceCode"] == province_code
    )
    legacy_by_key = {
        f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}": row for row in legacy
    }
    current_by_key = {row["wardKey"]: row for row in current if row["provinceKey"] == province_key}
    old_units = {unit.commune_code: unit for unit in before}
    new_units = {unit.commune_code: unit for unit in after}
    new_by_name = {_name_key(unit.commune_name): unit for unit in after}

    def new_unit(ward_key: str) -> Unit | None:
        row = current_by_key.get(ward_key)
        if row is None:
            return None
        unit = new_units.get(row["wardCode"])
        if unit is not None and _name_key(unit.commune_name) == _name_key(row["ward"]):
            return unit
        by_name = new_by_name.get(_name_key(row["ward"]))
        disagreements.append(
            Disagreement(
                "commune_code_differs",
                row["wardCode"],
                _clean(row["ward"]),
                f"vietnamadminunits code {row['wardCode']}; vietnam-provinces code "
                f"{by_name.commune_code if by_name else 'none'} for this name",
            )
        )
        return by_name

    pairs: dict[tuple[str, str], dict] = {}
    for new_key, old_keys in converter.DICT_PROVINCE_WARD_NO_DIVIDED[province_key].items():
        for old_key in old_keys:
            pairs[(old_key, new_key)] = {"split": False, "default": True}
    for old_key, options in converter.DICT_PROVINCE_WARD_DIVIDED.get(province_key, {}).items():
        for option in options:
            pairs[(old_key, option["newWardKey"])] = {
                "split": True,
                "default": bool(option["isDefaultNewWard"]),
            }
    split_olds = {old for (old, _), how in pairs.items() if how["split"]}
    rows = []
    for (old_key, new_key), how in pairs.items():
        old_row = legacy_by_key.get(old_key)
        new = new_unit(new_key)
        if old_row is None or new is None:
            disagreements.append(
                Disagreement(
                    "succession_unresolved", "", old_key, f"to {new_key}: a key neither list has"
                )
            )
            continue
        if old_row["provinceCode"] not in old_provinces:
            disagreements.append(
                Disagreement(
                    "predecessor_in_another_province",
                    old_row["wardCode"],
                    _clean(old_row["ward"]),
                    f"province {old_row['provinceCode']}, successor {new.commune_code}",
                )
            )
        old = old_units.get(old_row["wardCode"])
        if old is None:
            disagreements.append(
                Disagreement(
                    "commune_not_in_catalogue_2022",
                    old_row["wardCode"],
                    _clean(old_row["ward"]),
                    "vietnamadminunits has this commune before 2025; the 2022 catalogue has not",
                )
            )
        rows.append(
            CommuneSuccession(
                old_commune_code=old_row["wardCode"],
                old_commune_name=old.commune_name if old else _clean(old_row["ward"]),
                old_district_code=old_row["districtCode"],
                old_province_code=old_row["provinceCode"],
                new_commune_code=new.commune_code,
                new_commune_name=new.commune_name,
                new_province_code=province_code,
                is_split=old_key in split_olds,
                is_default_successor=how["default"] or old_key not in split_olds,
            )
        )
    succeeded = {row.old_commune_code for row in rows}
    for unit in before:
        if unit.commune_code not in succeeded:
            disagreements.append(
                Disagreement(
                    "no_successor",
                    unit.commune_code,
                    unit.commune_name,
                    "in the 2022 catalogue, not in vietnamadminunits' units before the reform "
                    "(merged before 2025): no successor",
                )
            )
    preceded = {row.new_commune_code for row in rows}
    for unit in after:
        if unit.commune_code not in preceded:
            disagreements.append(
                Disagreement(
                    "no_predecessor",
                    unit.commune_code,
                    unit.commune_name,
                    "no old commune goes to it",
                )
            )
    return sorted(rows, key=lambda row: (row.old_commune_code, row.new_commune_code))


def _unit_disagreements(
    province_code: str,
    legacy: list[dict],
    current: list[dict],
    before: list[Unit],
    after: list[Unit],
) -> list[Disagreement]:
    found = []
    theirs = {row["wardCode"]: row for row in current if row["provinceCode"] == province_code}
    ours = {unit.commune_code: unit for unit in after}
    for code in sorted(set(ours) - set(theirs)):
        found.append(
            Disagreement(
                "commune_only_in_vietnam_provinces",
                code,
                ours[code].commune_name,
                "vietnamadminunits has another code",
            )
        )
    for code in sorted(set(theirs) - set(ours)):
        found.append(
            Disagreement(
                "commune_only_in_vietnamadminunits",
                code,
                _clean(theirs[code]["ward"]),
                "vietnam-provinces has not",
            )
        )
    for code in sorted(set(ours) & set(theirs)):
        if ours[code].commune_name != _clean(theirs[code]["ward"]):
            found.append(
                Disagreement(
                    "commune_name_differs",
                    code,
                    ours[code].commune_name,
                    f"vietnamadminunits: {_clean(theirs[code]['ward'])}",
                )
            )
    return found


# --- key areas through the reform -------------------------------------------------------------

KEY_AREA_COLUMNS = [
    "commune_code",
    "commune_name",
    "at_risk_population",
    "valid_from",
    "valid_to",
    "is_demo_value",
    "derived_from",
]

# a new commune's key area as it is summed from those of the old communes going to it
_DerivedKeyArea = TypedDict(
    "_DerivedKeyArea", {"commune_name": str, "population": int, "demo": bool, "from": list[str]}
)


def derive_key_areas(key_areas: list[dict[str, str]], areas: Areas) -> list[dict[str, str]]:
    """The key areas with those of the new communes derived from the old ones.

    A new commune is a key area when an old key-area commune goes to it (to its default
    successor, for one split between several); its at-risk population is the sum of theirs, its
    rows marked as derived (`derived_from`) and demo values when any of theirs is. A key area
    the department has set itself after the reform (a row valid from the reform that is not
    derived) is kept as it is, and so is every row before the reform.
    """
    kept = [row for row in key_areas if not row.get("derived_from")]
    own_after = {row["commune_code"] for row in kept if row["valid_from"] >= REFORM_DATE}
    successor = {row.old_commune_code: row for row in areas.communes if row.is_default_successor}
    derived: dict[str, _DerivedKeyArea] = {}
    for row in key_areas:
        if row.get("derived_from") or not row["valid_to"] or row["valid_to"] >= REFORM_DATE:
            continue
        new = successor.get(row["commune_code"])
        if new is None or new.new_commune_code in own_after:
            continue
        entry = derived.setdefault(
            new.new_commune_code,
            {"commune_name": new.new_commune_name, "population": 0, "demo": False, "from": []},
        )
        entry["population"] += int(row["at_risk_population"])
        entry["demo"] = entry["demo"] or row["is_demo_value"] == "true"
        entry["from"].append(row["commune_code"])
    new_rows = [
        {
            "commune_code": code,
            "commune_name": entry["commune_name"],
            "at_risk_population": str(entry["population"]),
            "valid_from": REFORM_DATE,
            "valid_to": "",
            "is_demo_value": "true" if entry["demo"] else "false",
            "derived_from": "|".join(sorted(entry["from"])),
        }
        for code, entry in sorted(derived.items())
    ]
    return [
        {column: row.get(column, "") for column in KEY_AREA_COLUMNS} for row in [*kept, *new_rows]
    ]


def key_area_text(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=KEY_AREA_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# --- checks across the packages ---------------------------------------------------------------


def national_counts() -> dict[str, dict[str, int]]:
    """Communes per province after the reform, as each package gives them."""
    _, _, current = _converter()
    return {
        "vietnam-provinces": {_code(p["code"], 2): len(p["wards"]) for p in _current_provinces()},
        "vietnamadminunits": dict(Counter(row["provinceCode"] for row in current)),
    }


def predecessors_by_province() -> dict[str, set[str]]:
    """For each province after the reform, the old provinces its communes come from."""
    converter, legacy, current = _converter()
    by_key = {
        f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}": row["provinceCode"]
        for row in legacy
    }
    code_of = {row["provinceKey"]: row["provinceCode"] for row in current}
    found: dict[str, set[str]] = defaultdict(set)
    for province_key, wards in converter.DICT_PROVINCE_WARD_NO_DIVIDED.items():
        for old_keys in wards.values():
            found[code_of[province_key]].update(by_key[key] for key in old_keys if key in by_key)
    return dict(found)


# --- writing ----------------------------------------------------------------------------------


def _csv_text(rows: list, row_type) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=[f.name for f in fields(row_type)], lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: str(value).lower() if isinstance(value, bool) else value
                for key, value in asdict(row).items()
            }
        )
    return buffer.getvalue()


def write_rows(rows: list, row_type, path: Path) -> Path:
    """One seed of the areas: `Unit`, `CommuneSuccession` or `ProvinceSuccession` rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_csv_text(rows, row_type), encoding="utf-8")
    return path


def area_files(
    areas: Areas, seeds_dir: Path = SEEDS_DIR, disagreements: Path = DISAGREEMENTS
) -> dict[Path, str]:
    """Each file the areas are written to, with its text."""
    key_areas = seeds_dir / f"{KEY_AREAS_SEED}.csv"
    files = {}
    if key_areas.is_file():
        files[key_areas] = key_area_text(
            derive_key_areas(read_seed(seeds_dir, KEY_AREAS_SEED), areas)
        )
    return files | {
        seeds_dir / f"{UNITS_SEED}.csv": _csv_text(areas.units, Unit),
        seeds_dir / f"{COMMUNES_SEED}.csv": _csv_text(areas.communes, CommuneSuccession),
        seeds_dir / f"{PROVINCES_SEED}.csv": _csv_text(areas.provinces, ProvinceSuccession),
        disagreements: _csv_text(areas.disagreements, Disagreement),
    }


def write_areas(
    areas: Areas, seeds_dir: Path = SEEDS_DIR, disagreements: Path = DISAGREEMENTS
) -> list[Path]:
    written = []
    for path, text in area_files(areas, seeds_dir, disagreements).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_files(
    areas: Areas, seeds_dir: Path = SEEDS_DIR, disagreements: Path = DISAGREEMENTS
) -> list[Path]:
    """The files whose committed text differs from what the packages give now."""
    return [
        path
        for path, text in area_files(areas, seeds_dir, disagreements).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def summary(areas: Areas) -> str:
    before = sum(1 for unit in areas.units if unit.valid_to)
    after = len(areas.units) - before
    kinds = Counter(d.kind for d in areas.disagreements)
    versions = ", ".join(f"{name} {value}" for name, value in _package_versions().items())
    lines = [
        f"province {areas.province_code}: {before} communes until {BEFORE_TO}, {after} from "
        f"{REFORM_DATE}, {len(areas.communes)} successions; {len(areas.provinces)} "
        f"old-to-new provinces ({versions})"
    ]
    lines += [f"  disagreement: {kind} x{count}" for kind, count in sorted(kinds.items())]
    return "\n".join(lines)
