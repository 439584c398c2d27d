"""The part of the report writer that sets a figure against another period.

`Comparing._change` takes the marts' comparison of a printed figure (rpt_period_comparisons) and
records it in figures.json; `report.comparisons` words it. The body compares each figure with the
same period a year earlier; the annex lists them again, also against the previous period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from report.comparisons import SAME_PERIOD, Change, measure_key
from report.figures import Lineage, of_months

if TYPE_CHECKING:
    from report.figures import FigureBook, ReportData

ROLE_LABELS = {
    "outlet_central": "các cơ quan báo chí Trung ương thường trú",
    "outlet_provincial": "các cơ quan báo chí của tỉnh",
    "local_office": "cấp huyện, cấp xã",
    "all": "các đơn vị",
}


class Comparing:
    data: ReportData
    book: FigureBook
    # every figure compared with the same period a year earlier: its measure in the marts,
    # whether it is a rate, and the rows it counts by role (the annex compares each with the
    # previous period too)
    compared: dict[str, tuple[str, bool, Lineage | None]]

    def _against(self, kind: str = SAME_PERIOD) -> str:
        """How the other period is named: "cùng kỳ năm 2025", "quý IV năm 2025"."""
        period = self.data.period
        return period.base_label_vi if kind == SAME_PERIOD else period.previous.label_vi

    def _compared_code(self, kind: str) -> str:
        period = self.data.period
        return (period.base if kind == SAME_PERIOD else period.previous).code

    def _change(
        self,
        figure_id: str,
        key: str,
        *,
        kind: str = SAME_PERIOD,
        is_rate: bool = False,
        lineage: Lineage | None = None,
    ) -> Change | None:
        """The printed figure `figure_id` against the other period (the mart's measure `key`),
        recorded in figures.json with the files of both periods (`lineage`: the rows it counts
        by role, default the figure's own); None when the warehouse has no report of the other
        period (then nothing is compared, and the report says so once)."""
        if not self.data.has_compared_data(kind):
            return None
        change = Change.of(
            self.data.comparisons[kind].get(key), self._against(kind), is_rate=is_rate
        )
        self.book.compare(
            figure_id,
            change,
            kind,
            current=self.data.period.code,
            compared=self._compared_code(kind),
            lineage=lineage,
        )
        self.compared.setdefault(figure_id, (key, is_rate, lineage))
        return change

    def _compared_value(self, key: str) -> float:
        """A measure's value in the period compared with (0 when it had none)."""
        row = self.data.comparisons.get(SAME_PERIOD, {}).get(key)
        return (row["compared_value"] or 0) if row else 0

    def _role(self, kind: str) -> str | None:
        """The role a group's figures are compared by (its kind, or the local offices), when it
        is the only group of the period with that role; None when several share it (both
        local kinds in 2025: they are compared together, `_role_summary`)."""
        role = next(g["source_role"] for g in self.data.groups if g["source_kind"] == kind)
        return role if len(self._kinds_of(role)) == 1 else None

    def _completeness_note(self, role: str) -> str:
        """Beside a role's comparison, when the other period was less completely reported: how
        many of the monthly reports due each period received, so that a rise that only
        reflects more reports received is not read as more work done ("" otherwise)."""
        key = measure_key("reporting_rate", role)
        row = self.data.comparisons.get(SAME_PERIOD, {}).get(key)
        if not self.data.has_compared_data(SAME_PERIOD) or not row:
            return ""
        if not row["is_compared_less_complete"]:
            return ""
        figure = f"completeness.role.{role}.reporting_rate"
        current = self.book.percent(
            figure,
            f"Tỷ lệ báo cáo tháng đã nhận của {ROLE_LABELS.get(role, role)}",
            row["current_value"],
            source=of_months(source_role=role) if role != "all" else of_months(),
        )
        change = self._change(figure, key, is_rate=True)
        assert change is not None  # the other period has data: checked above
        against = self._against()
        return (
            f"{against} nhận được {change.base_text()} số báo cáo tháng phải gửi, kỳ này "
            f"{current}, nên một phần chênh lệch so với {against} là do nhận được nhiều báo "
            "cáo hơn"
        )

    def _kinds_of(self, role: str | None) -> set[str]:
        """The kinds of source of the period's groups with this role."""
        return {group["source_kind"] for group in self.data.groups if group["source_role"] == role}
