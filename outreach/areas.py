"""Extract one province's administrative units from the national catalogue into a dbt seed.

    python -m outreach.areas ../shared/reference/vn_admin_units_2022-04-10.csv --province 20 \
        > dbt_project/seeds/ref_admin_units.csv
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from ingest.text import nfc

SEED_COLUMNS = [
    "commune_code", "commune_name", "commune_type",
    "district_code", "district_name", "district_type",
    "province_code", "province_name", "province_type",
    "valid_from", "valid_to", "catalogue_date",
]


def _clean(value: str) -> str:
    # The catalogue has stray double spaces ("Xã  Hoàng Văn Thụ").
    return re.sub(r"\s+", " ", nfc(value)).strip()


def extract_units(rows: Iterable[dict[str, str]], province_code: str, *, valid_from: str,
                  valid_to: str, catalogue_date: str) -> Iterator[dict[str, str]]:
    for row in rows:
        if row["province_code"] != province_code:
            continue
        unit = {column: _clean(row[column]) for column in SEED_COLUMNS[:9]}
        unit.update(valid_from=valid_from, valid_to=valid_to, catalogue_date=catalogue_date)
        yield unit


def write_seed(units: Iterable[dict[str, str]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=SEED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for unit in units:
        writer.writerow(unit)
        count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogue", help="national catalogue CSV (vn_admin_units_*.csv)")
    parser.add_argument("--province", required=True, help="province code, e.g. 20 for Lạng Sơn")
    parser.add_argument("--valid-from", default="2020-01-01")
    parser.add_argument("--valid-to", default="2025-06-30",
                        help="last day the units are valid (district level abolished 2025-07-01)")
    parser.add_argument("--catalogue-date", default="2022-04-10")
    args = parser.parse_args(argv)
    with open(args.catalogue, encoding="utf-8-sig", newline="") as handle:
        units = extract_units(csv.DictReader(handle), args.province, valid_from=args.valid_from,
                              valid_to=args.valid_to, catalogue_date=args.catalogue_date)
        count = write_seed(units, sys.stdout)
    print(f"{count} communes written", file=sys.stderr)


if __name__ == "__main__":
    main()
