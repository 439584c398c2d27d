"""The demo's register of directive documents: the department's list of the documents it issued
each month (DANH MỤC VĂN BẢN CHỈ ĐẠO), one workbook a month it issued any, sent on the month's
last day."""

from __future__ import annotations

import random
from datetime import date, datetime
from pathlib import Path

from outreach.core.periods import Period
from outreach.core.registry import Reference
from outreach.generators.sample_files import (
    DIRECTIVE_HEADER,
    TOPIC_LABELS,
    SampleResult,
    sent_at,
    write_file,
    xlsx_bytes,
)

# the directive documents of the real 2022-H1 report (its footnote 1)
DIRECTIVES_2022_H1 = [
    (
        "31/STTTT-TTBCXB",
        date(2022, 1, 7),
        "Tuyên truyền xử lý hành vi hành hại, xâm hại trẻ em",
        "toi_pham",
    ),
    (
        "179/STTTT-TTBCXB",
        date(2022, 1, 21),
        "Tuyên truyền phòng, chống tham nhũng, tiêu cực, lãng phí; "
        "“Ngày hội toàn dân bảo vệ an ninh Tổ quốc”",
        "khac",
    ),
    (
        "253/STTTT-TTBCXB",
        date(2022, 2, 9),
        "Tuyên truyền công tác xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc năm 2022",
        "khac",
    ),
    (
        "695/STTTT-TTBCXB",
        date(2022, 4, 13),
        "Tuyên truyền phòng, chống tội phạm ma túy; mua bán, tàng trữ, vận chuyển vũ khí, "
        "vật liệu nổ và công cụ hỗ trợ",
        "ma_tuy",
    ),
    (
        "1085/STTTT-TTBCXB",
        date(2022, 5, 30),
        "Tuyên truyền Kế hoạch “Tháng hành động phòng, chống ma túy” năm 2022",
        "ma_tuy",
    ),
]


def write_directives(
    period: Period,
    inbox: Path,
    rng: random.Random,
    reference: Reference,
    months_sent: list[date],
    result: SampleResult,
) -> None:
    """Write the register of each month of `months_sent` in which the department issued
    documents; the department is whichever is registered for the month."""
    by_month: dict[date, list[tuple[str, date, str, str]]] = {}
    for document in _directives_for(period, rng):
        by_month.setdefault(document[1].replace(day=1), []).append(document)
    for month, documents in sorted(by_month.items()):
        if month not in months_sent:
            continue
        issuer = _department_on(reference, month)
        if issuer is None:  # before the registry's first month: nobody to issue them
            continue
        file_name = f"VANBAN_{issuer}_{month:%Y-%m}.xlsx"
        write_file(
            inbox,
            file_name,
            _render_directives(documents, month, reference, issuer),
            sent_at(rng, month, 0),
            result,
        )


def _render_directives(
    documents: list[tuple[str, date, str, str]],
    month: date,
    reference: Reference,
    issuer: str = "STTTT",
) -> bytes:
    cells = [
        [number, datetime(day.year, day.month, day.day), summary, TOPIC_LABELS[topic]]
        for number, day, summary, topic in documents
    ]
    title = f"DANH MỤC VĂN BẢN CHỈ ĐẠO THÁNG {month.month}/{month.year}"
    return xlsx_bytes(DIRECTIVE_HEADER, cells, "xlsx_titled", title, reference.sources[issuer].name)


def _directives_for(period: Period, rng: random.Random) -> list[tuple[str, date, str, str]]:
    if period.code == "2022-H1":
        return DIRECTIVES_2022_H1
    documents, number = [], 30 + period.first_month.month * 150
    for month in period.months[::2]:
        number += rng.randint(80, 200)
        topic = rng.choice(["toi_pham", "ma_tuy", "mua_ban_nguoi"])
        symbol = "STTTT-TTBCXB" if month < date(2025, 3, 1) else "SVHTTDL-QLBC"
        documents.append(
            (
                f"{number}/{symbol}",
                month.replace(day=rng.randint(3, 25)),
                f"Tuyên truyền {TOPIC_LABELS[topic].lower()} tháng {month.month}",
                topic,
            )
        )
    return documents


def _department_on(reference: Reference, month: date) -> str | None:
    """The department registered for the month: who issues the directive documents."""
    return next(
        (
            source.code
            for source in reference.sources.values()
            if source.kind == "department" and source.is_active(month)
        ),
        None,
    )
