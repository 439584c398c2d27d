"""One Markdown table for the benchmarks' lines: each measured against its floor, with the aim
(a ratio) and peak memory (aim: under 2 GiB for every line, or a line's own `peak_aim_mb`).

A line is a dict: `measure`, `seconds`, `peak_mb`, and optionally `floor`, `floor_seconds`,
`floor_peak_mb` and `aim` (a ratio to the floor); or, for a line without a floor, `aim_seconds`
(its seconds under that: a latency's aim) or `holds` (a property the run checked, true or
false: every upload landed once, say)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

PEAK_AIM_MB = 2 * 1024


def _aim(line: dict) -> str:
    if line.get("aim_seconds") is not None:
        return f"< {line['aim_seconds']:g} s"
    if "holds" in line:
        return "holds"
    aim = line.get("aim")
    peak = line.get("peak_aim_mb")
    memory = f", < {peak:g} MB" if peak is not None else ""
    if aim is None:
        return memory[2:]
    return (f"< {aim:.0%}" if aim < 1 else f"< {aim:g}x") + memory


def _met(line: dict) -> str:
    aim, floor = line.get("aim"), line.get("floor_seconds")
    memory = "yes" if line["peak_mb"] < line.get("peak_aim_mb", PEAK_AIM_MB) else "NO (memory)"
    absolute = line.get("aim_seconds")
    if absolute is not None or "holds" in line:
        met = line["seconds"] < absolute if absolute is not None else bool(line["holds"])
        return ("yes" if met else "NO") + ("" if memory == "yes" else ", NO (memory)")
    if aim is None or not floor:
        return memory if memory != "yes" else ""
    ratio_met = line["seconds"] / floor < aim
    return ("yes" if ratio_met else "NO") + ("" if memory == "yes" else ", NO (memory)")


def _ratio(line: dict) -> str:
    floor = line.get("floor_seconds")
    if not floor:
        return ""
    ratio = line["seconds"] / floor
    aim = line.get("aim")
    if aim is not None and aim < 1:
        return f"{ratio:.0%}"
    # beside an aim, two decimals: 2.03x is not "2.0x" when the aim is under 2x
    return f"{ratio:.2f}x" if aim is not None else f"{ratio:.1f}x"


def _seconds(value: float) -> str:
    # a latency under a second is not "0.1": two decimals there
    return f"{value:.2f}" if value < 1 else f"{value:.1f}"


def print_table(lines: list[dict]) -> None:
    print(
        "| measure | seconds | peak MB | floor | floor seconds | floor peak MB | ratio "
        "| aim | met |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |")
    for line in lines:
        floor_seconds = line.get("floor_seconds")
        floor_peak = line.get("floor_peak_mb")
        print(
            f"| {line['measure']} | {_seconds(line['seconds'])} | {line['peak_mb']:.0f} "
            f"| {line.get('floor', '')} "
            f"| {'' if floor_seconds is None else f'{floor_seconds:.1f}'} "
            f"| {'' if floor_peak is None else f'{floor_peak:.0f}'} "
            f"| {_ratio(line)} | {_aim(line)} | {_met(line)} |"
        )


def finish(lines: list[dict], json_path: Path | None, work: Path, keep: bool) -> None:
    """Write the lines for bench/summary.py (if asked), then keep or remove the work folder."""
    if json_path:
        json_path.write_text(json.dumps(lines, ensure_ascii=False, indent=1), encoding="utf-8")
    if keep:
        print(f"work folder kept: {work}", file=sys.stderr)
    else:
        shutil.rmtree(work)
