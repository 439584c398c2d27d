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


MATRIX_BAND = 128  # rows of the completeness matrix drawn as one image


def completeness_matrix(
    names: list[str],
    sources: list[str],
    months: list[date],
    status: dict[tuple[str, date], str],
    labels: list[str] | None = None,
) -> bytes:
    """Sources × months (or years: `labels`), each cell coloured by how that month's report
    came in (a year: its worst month); each row labelled with the source's name (`names`, in
    the order of `sources`)."""
    _style()
    if not sources:
        return _nothing("Chưa có tháng nào đến hạn gửi báo cáo")
    keys = list(STATUS_COLOURS)
    grid = [
        [keys.index(status.get((source, month), "none")) for month in months] for source in sources
    ]
    height = max(2.5, 0.22 * len(sources) + 1)
    figure, axes = plt.subplots(figsize=(6.3, height))
    colours = ListedColormap([colour for _, colour in STATUS_COLOURS.values()])

    def draw(rows: list[list[int]], extent: tuple[float, float, float, float] | None) -> None:
        axes.imshow(rows, cmap=colours, vmin=0, vmax=len(keys) - 1, aspect="auto", extent=extent)

    if len(sources) <= MATRIX_BAND:
        draw(grid, None)
    else:
        # in bands of rows, each placed where its rows are: matplotlib scales an image to the
        # chart's pixels in float64 RGBA, 2.3 GB for the country's 3,000 sources drawn at once;
        # band by band the same pixels cost a few MB each
        rows, columns = len(sources), len(months)
        for start in range(0, rows, MATRIX_BAND):
            end = min(rows, start + MATRIX_BAND)
            draw(grid[start:end], (-0.5, columns - 0.5, end - 0.5, start - 0.5))
        axes.set_xlim(-0.5, columns - 0.5)  # the limits a single image gives
        axes.set_ylim(rows - 0.5, -0.5)
    axes.set_xticks(range(len(months)), labels or [f"T{m.month}" for m in months])
    axes.set_yticks(range(len(sources)), names, fontsize=7)
    axes.set_xticks([x - 0.5 for x in range(1, len(months))], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, len(sources))], minor=True)
    axes.grid(which="minor", color="white", linewidth=1)
    axes.tick_params(which="minor", length=0)
    used = {cell for row in grid for cell in row}
    axes.legend(
        handles=[
            Patch(facecolor=colour, edgecolor="#999999", label=label)
            for index, (label, colour) in enumerate(STATUS_COLOURS.values())
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
