"""Vietnamese number and date conventions: 1.234 and 80,5%; "ngày 15 tháng 6 năm 2022"."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal


def format_count(value: int) -> str:
    return f"{int(value):,}".replace(",", ".")


def format_percent(fraction: float | None) -> str:
    """0.805 -> '80,5%'; 1.0 -> '100%'; None -> 'chưa tính được'."""
    if fraction is None:
        return "chưa tính được"
    rounded = round(fraction * 100, 1)
    if rounded == int(rounded):
        return f"{format_count(int(rounded))}%"
    whole, decimal = f"{rounded:.1f}".split(".")
    return f"{format_count(int(whole))},{decimal}%"


def format_date_long(day: date) -> str:
    """Nghị định 30/2020: a day below 10 and the months 1 and 2 take a leading zero."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def format_date_short(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def format_decimal(value: float, places: int = 1) -> str:
    """5.25 -> '5,3', -0.04 -> '0,0', 1234.56 -> '1.234,6': always `places` decimals, rounded
    half up as people round (on the number as written, not its binary value)."""
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)
    whole, _, decimal = f"{abs(rounded):f}".partition(".")
    return f"{'-' if rounded < 0 else ''}{format_count(int(whole))},{decimal}"


def format_share(fraction: float) -> str:
    """0.361 -> '36,1%', 0.5 -> '50,0%': a change as a share of what it is compared with,
    always with one decimal (the sign is the caller's: 'tăng', 'giảm')."""
    return f"{format_decimal(abs(fraction) * 100)}%"
