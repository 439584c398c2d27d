"""The demo's monthly activity: what each source did in a month, as rows of its file (the
provincial outlets' and the central press's items, the district and commune offices'
grassroots activities, the key-area communes' counselling), deterministic for a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from outreach.core.home import SEEDS_DIR
from outreach.core.periods import Period, month_end
from outreach.core.registry import Reference, Source, read_seed
from outreach.generators.sample_files import Row

TITLES = {
    "toi_pham": [
        "Công an tỉnh ra quân tấn công, trấn áp tội phạm dịp Tết",
        "Cảnh giác với thủ đoạn lừa đảo chiếm đoạt tài sản qua mạng",
        "Bảo đảm an ninh trật tự khu vực cửa khẩu",
    ],
    "ma_tuy": [
        "Triệt phá đường dây vận chuyển ma túy qua biên giới",
        "Xây dựng xã, phường không có tệ nạn ma túy",
        "Hưởng ứng Tháng hành động phòng, chống ma túy",
    ],
    "mua_ban_nguoi": [
        "Cảnh giác trước thủ đoạn mua bán người qua biên giới",
        "Giải cứu phụ nữ bị lừa bán sang nước ngoài",
        "Tuyên truyền phòng, chống mua bán người cho đồng bào vùng cao",
    ],
    "khac": [
        "Ngày hội toàn dân bảo vệ an ninh Tổ quốc",
        "Phong trào toàn dân bảo vệ an ninh Tổ quốc ở cơ sở",
    ],
}
DOMAINS = {
    "BAO-LS": "baolangson.example",
    "PTTH-LS": "langsontv.example",
    "BPTTH-LS": "baolangson.example",
}


@dataclass(frozen=True, order=True)
class KeyArea:
    """A key-area commune for the months it is one (the reform reused commune codes)."""

    code: str
    valid_from: str
    valid_to: str
    population: int

    def is_valid_in(self, month: date) -> bool:
        return self.valid_from[:7] <= f"{month:%Y-%m}" and (
            not self.valid_to or f"{month:%Y-%m-%d}" <= self.valid_to
        )


class MonthlyActivity:
    """The rows of each source's months of a period, drawn from one random stream."""

    def __init__(
        self, period: Period, seed: int, reference: Reference, key_areas: list[KeyArea]
    ) -> None:
        self.period = period
        self.rng = random.Random(f"{seed}:{period.code}")
        self.seed = seed
        self.reference = reference
        # the units valid at the period's start (commune codes were reused by the 2025 reform)
        self.communes = reference.communes_on(period.start)
        self.key_areas = sorted(key_areas)
        self.months = period.months
        # which key-area communes get direct counselling this period (I1) and how much of
        # each at-risk population the period's activities reach (I3)
        self.counselled = set(self.rng.sample(self.key_areas, k=round(len(self.key_areas) * 0.45)))
        self.coverage = {
            area: self.rng.uniform(0.88, 1.0)
            if area in self.counselled
            else self.rng.uniform(0.62, 0.8)
            for area in self.key_areas
        }
        # each office's usual number of loudspeaker broadcasts per topic and month: a district's,
        # then (after the reform) a commune's, about a sixth of it
        levels = random.Random(f"{seed}:{period.code}:levels")
        self.loudspeaker_level = {
            district: levels.randint(60, 250)
            for district in sorted(
                {c.district_code for c in self.communes.values() if c.district_code}
            )
        }
        after = reference.communes_on(period.months[-1])
        self.loudspeaker_level.update(
            {
                code: levels.randint(10, 45)
                for code in sorted(after)
                if not after[code].district_code
            }
        )

    def month_rows(
        self,
        source: Source,
        month: date,
        *,
        trafficking: bool = True,
        loudspeaker_factor: int = 1,
        empty: bool = False,
    ) -> list[Row]:
        """A source's month as drawn: a district office's, a commune office's, or an outlet's
        items (none in an outlet's `empty` report); `trafficking=False`: none on human
        trafficking, `loudspeaker_factor`: loudspeaker broadcasts that many times the usual."""
        if source.kind == "district":
            assert source.district_code is not None  # a district office has its district
            return self.district_rows(
                source.district_code,
                month,
                trafficking=trafficking,
                loudspeaker_factor=loudspeaker_factor,
            )
        if source.kind == "commune":
            assert source.commune_code is not None  # a commune office has its commune
            return self.commune_rows(
                source.commune_code,
                month,
                trafficking=trafficking,
                loudspeaker_factor=loudspeaker_factor,
            )
        if empty:
            return []
        rows = self.outlet_rows(
            source.code,
            month,
            trafficking=trafficking,
            provincial=source.kind == "outlet_provincial",
        )
        return rows + self.training_rows(source.code, month)

    def key_areas_in(self, month: date) -> list[KeyArea]:
        return [area for area in self.key_areas if area.is_valid_in(month)]

    # --- rows -------------------------------------------------------------------------------

    def _day(self, month: date) -> date:
        return month.replace(day=self.rng.randint(1, month_end(month).day))

    def outlet_rows(
        self, source_code: str, month: date, *, trafficking: bool, provincial: bool
    ) -> list[Row]:
        rows: list[Row] = []
        if provincial:
            count = self.rng.randint(8, 14)
            types = (
                ["tin_bai", "tin_bai", "anh", "phong_su", "mang_xa_hoi"]
                if source_code == "BAO-LS"
                else ["truyen_hinh", "phat_thanh", "phong_su", "tin_bai", "mang_xa_hoi"]
            )
        else:
            count = self.rng.randint(1, 3)
            types = ["tin_bai", "tin_bai", "anh", "phong_su"]
        topics = ["toi_pham", "ma_tuy", "mua_ban_nguoi", "khac"]
        weights = [3, 3, 3, 1] if trafficking else [3, 3, 0, 1]
        chosen = [self.rng.choices(topics, weights)[0] for _ in range(count)]
        if provincial and trafficking and "mua_ban_nguoi" not in chosen:
            chosen[0] = "mua_ban_nguoi"
        for number, topic in enumerate(chosen, start=1):
            domain = DOMAINS.get(source_code, f"{source_code.lower()}.example")
            rows.append(
                Row(
                    day=self._day(month),
                    topic=topic,
                    output_type=self.rng.choice(types),
                    quantity=1,
                    title=self.rng.choice(TITLES[topic]),
                    url=f"https://{domain}/{month:%Y/%m}/bai-{number:03d}",
                )
            )
        return sorted(rows, key=lambda row: row.day)

    def training_rows(self, source_code: str, month: date) -> list[Row]:
        reporters = _reporters(source_code)
        if not reporters or month != self.months[min(2, len(self.months) - 1)]:
            return []
        return [
            Row(
                day=month.replace(day=18),
                topic="mua_ban_nguoi",
                output_type="tap_huan",
                quantity=1,
                people=reporters,
                note="Lớp tập huấn kỹ năng tuyên truyền do Sở TT&TT tổ chức",
            )
        ]

    def district_rows(
        self,
        district_code: str,
        month: date,
        *,
        trafficking: bool = True,
        loudspeaker_factor: int = 1,
    ) -> list[Row]:
        """A district office's month: loudspeaker broadcasts on each topic at the district's
        usual level, vehicle runs, banners, radio, film screenings, counselling."""
        rng = self.rng
        level = self.loudspeaker_level[district_code]
        topics = ["toi_pham", "ma_tuy", "mua_ban_nguoi"] if trafficking else ["toi_pham", "ma_tuy"]
        rows = [
            Row(
                self._day(month),
                topic,
                "truyen_thanh_co_so",
                round(level * rng.uniform(0.85, 1.15)) * loudspeaker_factor * _campaign(month),
            )
            for topic in topics
        ]
        rows.append(
            Row(
                self._day(month),
                "mua_ban_nguoi" if trafficking and rng.random() < 0.5 else "ma_tuy",
                "xe_luu_dong",
                rng.randint(1, 4),
            )
        )
        if rng.random() < 0.7:
            rows.append(
                Row(
                    self._day(month),
                    rng.choice(["toi_pham", "ma_tuy", "khac"]),
                    "bang_zon",
                    rng.randint(2, 12),
                )
            )
        rows.append(
            Row(
                self._day(month),
                rng.choice(["toi_pham", "ma_tuy"]),
                "phat_thanh",
                rng.randint(1, 6),
            )
        )
        key_codes = {area.code for area in self.key_areas_in(month)}
        local = [
            code
            for code, commune in self.reference.communes_on(month).items()
            if commune.district_code == district_code and code not in key_codes
        ]
        rows.append(
            Row(
                self._day(month),
                "ma_tuy",
                "chieu_phim",
                1,
                commune_code=rng.choice(local),
                people=rng.randint(60, 250),
            )
        )
        if rng.random() < 0.4:
            rows.append(
                Row(
                    self._day(month),
                    "toi_pham",
                    "tu_van",
                    1,
                    commune_code=rng.choice(local),
                    people=rng.randint(30, 120),
                )
            )
        rows += self._key_area_rows(district_code, month)
        return sorted(rows, key=lambda row: (row.day, row.output_type))

    def commune_rows(
        self,
        commune_code: str,
        month: date,
        *,
        trafficking: bool = True,
        loudspeaker_factor: int = 1,
    ) -> list[Row]:
        """A commune office's month (after the reform): the district's kinds of activity at a
        commune's scale, all in its own commune."""
        rng = self.rng
        level = self.loudspeaker_level[commune_code]
        topics = ["toi_pham", "ma_tuy", "mua_ban_nguoi"] if trafficking else ["toi_pham", "ma_tuy"]
        rows = [
            Row(
                self._day(month),
                topic,
                "truyen_thanh_co_so",
                round(level * rng.uniform(0.85, 1.15)) * loudspeaker_factor * _campaign(month),
            )
            for topic in topics
        ]
        if rng.random() < 0.6:
            rows.append(
                Row(
                    self._day(month),
                    "mua_ban_nguoi" if trafficking and rng.random() < 0.5 else "ma_tuy",
                    "xe_luu_dong",
                    rng.randint(1, 2),
                )
            )
        if rng.random() < 0.5:
            rows.append(
                Row(
                    self._day(month),
                    rng.choice(["toi_pham", "ma_tuy", "khac"]),
                    "bang_zon",
                    rng.randint(1, 4),
                )
            )
        key_codes = {area.code for area in self.key_areas_in(month)}
        if commune_code not in key_codes and rng.random() < 0.5:
            rows.append(
                Row(
                    self._day(month),
                    "ma_tuy",
                    "chieu_phim",
                    1,
                    commune_code=commune_code,
                    people=rng.randint(40, 180),
                )
            )
        if commune_code not in key_codes and rng.random() < 0.3:
            rows.append(
                Row(
                    self._day(month),
                    "toi_pham",
                    "tu_van",
                    1,
                    commune_code=commune_code,
                    people=rng.randint(20, 80),
                )
            )
        rows += self._key_area_rows(None, month, commune_code)
        # a commune's page on social media (Zalo, Facebook), which the district offices did not
        # have: drawn apart, so that the rest of the month is what it was without it
        social = random.Random(f"{self.seed}:{commune_code}:{month:%Y-%m}:social")
        if social.random() < 0.3:
            rows.append(
                Row(
                    month.replace(day=social.randint(1, 28)),
                    social.choice(["toi_pham", "ma_tuy", "mua_ban_nguoi"]),
                    "mang_xa_hoi",
                    social.randint(1, 3),
                )
            )
        return sorted(rows, key=lambda row: (row.day, row.output_type))

    def _key_area_rows(
        self, district_code: str | None, month: date, commune_code: str | None = None
    ) -> list[Row]:
        """Trafficking activities in key-area communes, spread so each reaches its coverage:
        a district's key areas, or a commune office's own commune if it is one."""
        rows = []
        units = self.reference.communes_on(month)
        for area in self.key_areas_in(month):
            code = area.code
            if commune_code is not None and code != commune_code:
                continue
            if district_code is not None and units[code].district_code != district_code:
                continue
            target = round(area.population * self.coverage[area])
            # two activities per commune in the months of the period it is a key area in,
            # in months fixed by the commune's code
            months = [m for m in self.months if area.is_valid_in(m)]
            index = months.index(month)
            slots = [int(code) % len(months), (int(code) // 7 + 3) % len(months)]
            if slots[0] == slots[1]:
                slots[1] = (slots[1] + 1) % len(months)
            if index not in slots:
                continue
            share = target // 2 if index == slots[0] else target - target // 2
            output_type = "tu_van" if area in self.counselled else "chieu_phim"
            rows.append(
                Row(
                    self._day(month),
                    "mua_ban_nguoi",
                    output_type,
                    1,
                    commune_code=code,
                    people=share,
                )
            )
        return rows


def _campaign(month: date) -> int:
    """July, the month of the national day against human trafficking (30 July), runs twice as
    many loudspeaker broadcasts (the outlier model expects it: campaign_factor)."""
    return 2 if month.month == 7 else 1


def _reporters(source_code: str) -> int | None:
    for row in read_seed(SEEDS_DIR, "ref_sources"):
        if row["source_code"] == source_code and row["reporters_on_beat"]:
            return int(row["reporters_on_beat"])
    return None


def key_areas_of(period: Period) -> list[KeyArea]:
    """The key-area communes of the period, with their at-risk populations."""
    return [
        KeyArea(
            row["commune_code"],
            row["valid_from"],
            row["valid_to"],
            int(row["at_risk_population"]),
        )
        for row in read_seed(SEEDS_DIR, "ref_key_area_communes")
        if row["valid_from"] <= f"{period.end}"
        and (not row["valid_to"] or row["valid_to"] >= f"{period.start}")
    ]
