"""How a report states a figure against another period, as Vietnamese reports word it.

"tăng 13 tin, bài (tăng 36,1%) so với cùng kỳ năm 2025", "giảm 5,2 điểm phần trăm so với mức
40,6% của cùng kỳ năm 2025", "bằng cùng kỳ năm 2025", and, from a base of zero, no percentage:
"tăng 7 buổi so với cùng kỳ năm 2025 (mới phát sinh)". The numbers are the mart's
(`rpt_period_comparisons`, of the marts): nothing here computes a change, it only words one.
"""

from __future__ import annotations

from dataclasses import dataclass

from outreach.core.numbers import format_count, format_decimal, format_percent, format_share

MINUS = "\u2212"  # a minus sign, not a hyphen: a line never breaks between it and its number

SAME_PERIOD = "same_period"  # "so với cùng kỳ" (a phase: the phase before)
PREVIOUS_PERIOD = "previous_period"  # "so với kỳ trước"
# how a sentence names the level of local government a kind of local office belongs to
LEVEL_LABELS = {"district": "cấp huyện", "commune": "cấp xã"}


def measure_key(
    measure: str,
    role: str = "all",
    group: str = "all",
    output_type: str = "all",
    topic: str = "all",
) -> str:
    """The key of a measure in the marts (`fct_period_measures.measure_key`)."""
    return f"{measure}:{role}:{group}:{output_type}:{topic}"


@dataclass(frozen=True)
class Change:
    """One figure against one other period: its value then, the change, the change as a share
    (a count compared with more than nothing), and how the other period is named."""

    against: str  # "cùng kỳ năm 2025", "quý IV năm 2025", "năm 2024", "giai đoạn 2016–2020"
    is_rate: bool
    current: float | None
    compared: float | None
    change: float | None
    ratio: float | None

    @classmethod
    def of(cls, row: dict | None, against: str, *, is_rate: bool) -> Change:
        """The mart's row; a count without one is 0 on both sides (nothing either time)."""
        if row is None:
            return cls(against, is_rate, None if is_rate else 0, None if is_rate else 0, 0, None)
        return cls(
            against,
            is_rate,
            row["current_value"],
            row["compared_value"],
            row["change_value"],
            row["change_ratio"],
        )

    @property
    def is_comparable(self) -> bool:
        return self.compared is not None and self.change is not None

    @property
    def is_same(self) -> bool:
        if not self.is_comparable:
            return False
        if self.is_rate:
            return format_decimal(self.change * 100) == "0,0"  # type: ignore[operator]
        return self.change == 0

    @property
    def is_new(self) -> bool:
        """A count that was nothing then and is something now ("mới phát sinh")."""
        return not self.is_rate and self.compared == 0 and bool(self.change)

    def _direction(self) -> str:
        return "tăng" if (self.change or 0) > 0 else "giảm"

    def phrase(self, unit: str = "") -> str:
        """The comparison as a sentence says it, after the figure."""
        unit = f" {unit}" if unit else ""
        if not self.is_comparable:
            return f"chưa có số liệu {self.against} để so sánh"
        if self.is_same:
            if self.is_rate:
                return f"bằng mức {format_percent(self.compared)} của {self.against}"
            return f"bằng {self.against}"
        if self.is_rate:
            points = format_decimal(abs(self.change) * 100)  # type: ignore[arg-type]
            return (
                f"{self._direction()} {points} điểm phần trăm so với mức "
                f"{format_percent(self.compared)} của {self.against}"
            )
        amount = format_count(int(abs(self.change)))  # type: ignore[arg-type]
        if self.is_new:
            return f"tăng {amount}{unit} so với {self.against} (mới phát sinh)"
        direction, share = self._direction(), format_share(self.ratio or 0)
        return f"{direction} {amount}{unit} ({direction} {share}) so với {self.against}"

    def change_text(self) -> str:
        """The change alone, signed: "+5", "−2", "0", "+5,2 điểm phần trăm"."""
        if not self.is_comparable:
            return "-"
        change = self.change or 0
        sign = "+" if change > 0 else MINUS if change < 0 else ""
        if self.is_rate:
            points = format_decimal(abs(change) * 100)
            return f"{sign if points != '0,0' else ''}{points} điểm phần trăm"
        return f"{sign}{format_count(int(abs(change)))}"

    def share_text(self) -> str:
        """A count's change as a share of the other period's: "+12,8%", "−8,0%", "0,0%";
        "mới phát sinh" from nothing; "-" for a rate or nothing to compare."""
        if self.is_new:
            return "mới phát sinh"
        if self.is_rate or not self.is_comparable or self.ratio is None:
            return "-"
        sign = "+" if self.ratio > 0 else MINUS if self.ratio < 0 else ""
        share = format_share(self.ratio)
        return f"{sign if share != '0,0%' else ''}{share}"

    def note(self, *, in_table: bool = False) -> str:
        """The comparison in a few characters, in brackets after a figure of a list or in a
        table: "+5; +12,8%", "−2; −8,0%", "bằng cùng kỳ năm 2025" ("0" in a table), "+7; mới
        phát sinh", "+5,2 điểm %"."""
        if not self.is_comparable:
            return "-"
        if self.is_same:
            return "0" if in_table else f"bằng {self.against}"
        if self.is_rate:
            return self.change_text().replace("điểm phần trăm", "điểm %")
        return f"{self.change_text()}; {self.share_text()}"

    def base_text(self) -> str:
        """The other period's value as a table shows it."""
        if self.compared is None:
            return "-"
        if self.is_rate:
            return format_percent(self.compared)
        return format_count(int(self.compared))


def documents_compared(change: Change) -> str:
    """The directive documents against the other period, as the sentence after the one that
    counts them: "Số văn bản ban hành tăng 1 văn bản (tăng 50,0%) so với cùng kỳ năm 2025.",
    "Số văn bản ban hành bằng cùng kỳ năm 2025."; where one of the two periods issued none, what
    the other did ("Cùng kỳ năm 2025 đã ban hành 2 văn bản.", "Cùng kỳ năm 2025 cũng không ban
    hành văn bản nào.", "Cùng kỳ năm 2025 không ban hành văn bản nào.")."""
    then = change.against[:1].upper() + change.against[1:]
    if not change.current:
        if change.compared:
            return f"{then} đã ban hành {change.base_text()} văn bản."
        return f"{then} cũng không ban hành văn bản nào."
    if change.is_new:
        return f"{then} không ban hành văn bản nào."
    return f"Số văn bản ban hành {change.phrase('văn bản')}."


def levels_vi(kinds: str | None) -> str:
    """ "district|commune" as "cấp huyện và cấp xã"."""
    names = [LEVEL_LABELS.get(kind, kind) for kind in (kinds or "").split("|") if kind]
    return " và ".join(names)
