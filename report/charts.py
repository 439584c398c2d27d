"""The annex's charts, drawn with matplotlib (no screen needed) as PNG bytes for the .docx."""

from __future__ import annotations

import io
from datetime import date

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

FONT = "DejaVu Sans"  # has every Vietnamese letter
TOPIC_COLOURS = {
    "toi_pham": "#4c72b0",
    "ma_tuy": "#dd8452",
    "mua_ban_nguoi": "#c44e52",
    "khac": "#8c8c8c",
}
# completeness marks: (label, colour), in the order of the legend
STATUS_COLOURS = {
    "on_time": ("Đúng hạn", "#55a868"),
    "empty": ("Không phát sinh", "#a6d96a"),
    "late": ("Muộn", "#f0ad4e"),
    "rejected": ("Trả lại", "#d9534f"),
    "missing": ("Thiếu", "#7f0000"),
    "not_yet_due": ("Chưa đến hạn", "#d9d9d9"),
    "none": ("Không phải gửi", "#ffffff"),
}


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _nothing(message: str) -> bytes:
    figure, axes = plt.subplots(figsize=(6.3, 0.8))
    axes.axis("off")
    axes.text(0.5, 0.5, message, ha="center", va="center")
    return _png(figure)


def _style() -> None:
    plt.rcParams.update(
        {"font.family": FONT, "font.size": 8, "axes.spines.top": False, "axes.spines.right": False}
    )


def monthly_items_by_topic(
    months: list[date],
    topics: dict[str, str],
    quantities: dict[tuple[date, str], int],
    labels: list[str] | None = None,
) -> bytes:
    """Stacked bars: media items of all outlets per month (or per year: `labels`), by topic."""
    _style()
    figure, axes = plt.subplots(figsize=(6.3, 2.8))
    bottom = [0] * len(months)
    labels = labels or [f"T{month.month}/{month.year}" for month in months]
    for code, label in topics.items():
        heights = [quantities.get((month, code), 0) for month in months]
        # bars at positions, labelled after: "T1/2022" given as an x value reads to matplotlib as
        # a category that looks like a date, and it says so on every chart
        axes.bar(
            range(len(labels)),
            heights,
            bottom=bottom,
            label=label,
            color=TOPIC_COLOURS.get(code, "#999999"),
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_xticks(range(len(labels)), labels)
    axes.set_ylabel("Tin, bài, chương trình")
    axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    return _png(figure)


# the rows of one completeness chart: about a page at 160 mm wide; more rows are drawn as
# several charts of about equal size, one a page (a chart taller than the page is cut off by
# Word; the annex also shrinks a chart that would still be taller than its page)
MATRIX_ROWS = 60

# the country's chart: a province's share of the monthly reports due that came in (on time,
# late, or with nothing to report); (label, colour), in the order of the legend
SHARE_COLOURS = {
    "all": ("Đã nhận đủ", "#55a868"),
    "most": ("Nhận từ 90% đến dưới 100%", "#a6d96a"),
    "some": ("Nhận từ 70% đến dưới 90%", "#f0ad4e"),
    "few": ("Nhận dưới 70%", "#d9534f"),
    "not_yet_due": ("Chưa đến hạn", "#d9d9d9"),
    "none": ("Không phải gửi", "#ffffff"),
}


def share_mark(received: int, due: int, pending: int) -> str:
    """The key in SHARE_COLOURS of `received` reports of `due` (and `pending` not yet due)."""
    if not due:
        return "not_yet_due" if pending else "none"
    share = received / due
    return "all" if share >= 1 else "most" if share >= 0.9 else "some" if share >= 0.7 else "few"


def completeness_matrix(
    names: list[str],
    rows: list[str],
    months: list[date],
    status: dict[tuple[str, date], str],
    labels: list[str] | None = None,
    legend: dict[str, tuple[str, str]] = STATUS_COLOURS,
) -> list[bytes]:
    """Rows (sources, or the country's provinces) × months (or years: `labels`), each cell
    coloured by its key in `legend` (default: how that month's report came in; a year: its
    worst month), each row labelled with its name (`names`, in the order of `rows`). One image
    a page: more than MATRIX_ROWS rows are drawn as several charts, their rows shared out as
    evenly as they go (61 rows: 31 and 30)."""
    _style()
    if not rows:
        return [_nothing("Chưa có tháng nào đến hạn gửi báo cáo")]
    pieces = -(-len(rows) // MATRIX_ROWS)
    size = -(-len(rows) // pieces)
    return [
        _matrix(
            names[start : start + size], rows[start : start + size], months, status, labels, legend
        )
        for start in range(0, len(rows), size)
    ]


def _matrix(
    names: list[str],
    rows: list[str],
    months: list[date],
    status: dict[tuple[str, date], str],
    labels: list[str] | None,
    legend: dict[str, tuple[str, str]],
) -> bytes:
    keys = list(legend)
    grid = [[keys.index(status.get((row, month), "none")) for month in months] for row in rows]
    figure, axes = plt.subplots(figsize=(6.3, max(2.5, 0.22 * len(rows) + 1)))
    colours = ListedColormap([colour for _, colour in legend.values()])
    axes.imshow(grid, cmap=colours, vmin=0, vmax=len(keys) - 1, aspect="auto")
    axes.set_xticks(range(len(months)), labels or [f"T{m.month}" for m in months])
    axes.set_yticks(range(len(rows)), names, fontsize=7)
    axes.set_xticks([x - 0.5 for x in range(1, len(months))], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, len(rows))], minor=True)
    axes.grid(which="minor", color="white", linewidth=1)
    axes.tick_params(which="minor", length=0)
    used = {cell for line in grid for cell in line}
    axes.legend(
        handles=[
            Patch(facecolor=colour, edgecolor="#999999", label=label)
            for index, (label, colour) in enumerate(legend.values())
            if index in used
        ],
        fontsize=7,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1, 1),
    )
    return _png(figure)


def indicators_against_targets(
    labels: list[str], values: list[float | None], targets: list[float | None]
) -> bytes:
    """Each indicator's value as a bar, its target as a mark."""
    _style()
    if not labels:
        return _nothing("Chưa có kết quả chỉ tiêu cho kỳ này")
    figure, axes = plt.subplots(figsize=(6.3, 2.4))
    positions = range(len(labels))
    shown = [100 * (value or 0) for value in values]
    colours = [
        "#55a868" if target is None or (value or 0) >= target else "#d9534f"
        for value, target in zip(values, targets, strict=True)
    ]
    axes.barh(positions, shown, color=colours)
    for position, target in zip(positions, targets, strict=True):
        if target is not None:
            axes.plot(
                [100 * target] * 2, [position - 0.4, position + 0.4], color="black", linewidth=2
            )
    for position, value in zip(positions, shown, strict=True):
        axes.text(value + 1, position, f"{value:.1f}%".replace(".", ","), va="center")
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 115)
    axes.set_xlabel("% (vạch đen: chỉ tiêu)")
    return _png(figure)


# the series of the trend chart: (label, colour)
TREND_COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]


def trend(
    labels: list[str],
    panels: list[tuple[str, dict[str, list[float | None]], bool]],
    marker: tuple[float, str] | None = None,
) -> bytes:
    """Each panel's series over the periods `labels` (a panel: its title, its series by label,
    whether its values are shares, drawn as percentages); `marker` a dashed line at an
    x position (between two periods: .5) with its label, the date the 2025 reform took
    effect."""
    _style()
    if not labels or not panels:
        return _nothing("Chưa có số liệu các kỳ trước")
    figure, axes_list = plt.subplots(
        len(panels), 1, figsize=(6.3, 2.1 * len(panels)), sharex=True, squeeze=False
    )
    positions = list(range(len(labels)))
    for axes, (title, series, is_share) in zip(axes_list[:, 0], panels, strict=True):
        for number, (name, values) in enumerate(series.items()):
            shown = [
                None if value is None else (100 * value if is_share else value) for value in values
            ]
            axes.plot(
                positions,
                [float("nan") if value is None else value for value in shown],
                marker="o",
                markersize=3,
                color=TREND_COLOURS[number % len(TREND_COLOURS)],
                label=name,
            )
        axes.set_title(title, fontsize=8, loc="left")
        if is_share:
            axes.set_ylim(0, 105)
            axes.set_ylabel("%")
        else:
            axes.set_ylim(bottom=0)
        if marker is not None:
            axes.axvline(marker[0], color="#7f7f7f", linestyle="--", linewidth=1)
        axes.legend(fontsize=6.5, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    last = axes_list[-1, 0]
    last.set_xticks(positions, labels, fontsize=7)
    if marker is not None:
        # on the left of the line: the legends are on the right of the panels
        axes_list[0, 0].annotate(
            marker[1],
            xy=(marker[0], 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(-3, -2),
            textcoords="offset points",
            fontsize=6.5,
            color="#555555",
            va="top",
            ha="right",
        )
    figure.tight_layout()
    return _png(figure)
