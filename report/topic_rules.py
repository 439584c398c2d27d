"""The topic rules of published items, measured: their precision and recall on the hand-labelled
examples (marts.rpt_topic_rule_quality), and the examples they get wrong
(marts.rpt_topic_rule_errors), as the department reads them in a terminal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from outreach.core.home import Home
from outreach.core.numbers import format_count, format_percent
from outreach.core.text import nfc
from outreach.core.warehouse import fetch_dicts, read_while_running
from report.status import format_columns

# the dbt models `outreach topic-rules` builds (with what they read) and reads
MODELS = ("rpt_topic_rule_quality", "rpt_topic_rule_errors")

_QUALITY = """
select topic_code, topic_label_vi, examples, expected, matched, true_positives,
       false_positives, false_negatives, precision, recall
from marts.rpt_topic_rule_quality
order by line_order
"""

_ERRORS = """
select error_kind, topic_code, topic_label_vi, example_id, headline, summary, expected_topics,
       matched_term
from marts.rpt_topic_rule_errors
order by error_kind desc, sort_order, example_id
"""

ERROR_KIND_LABELS = {
    "false_positive": "Quy tắc gán nhầm (false positive)",
    "false_negative": "Quy tắc bỏ sót (false negative)",
}


class NotBuilt(RuntimeError):
    """The warehouse has no tables of the topic rules yet."""


def _read(home: Home, query: str, warehouse: Path | None) -> list[dict]:
    try:
        return read_while_running(home, lambda con: fetch_dicts(con, query, []), warehouse)
    except (duckdb.CatalogException, duckdb.IOException) as exc:
        raise NotBuilt(
            f"{warehouse or home.warehouse} has no tables of the topic rules: run "
            "`outreach topic-rules` without --no-build"
        ) from exc


@dataclass(frozen=True)
class TopicRuleQuality:
    topic_code: str
    topic_label_vi: str
    examples: int
    expected: int
    matched: int
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float | None
    recall: float | None


@dataclass(frozen=True)
class TopicRuleError:
    error_kind: str
    topic_code: str
    topic_label_vi: str
    example_id: int
    headline: str
    summary: str | None
    expected_topics: str | None
    matched_term: str | None


def rule_quality(home: Home, warehouse: Path | None = None) -> list[TopicRuleQuality]:
    """Each topic of the rules, then all of them together (topic_code 'all')."""
    return [TopicRuleQuality(**row) for row in _read(home, _QUALITY, warehouse)]


def rule_errors(home: Home, warehouse: Path | None = None) -> list[TopicRuleError]:
    """The false positives, then the false negatives, by topic and example."""
    return [TopicRuleError(**row) for row in _read(home, _ERRORS, warehouse)]


def format_quality(rows: list[TopicRuleQuality]) -> str:
    """The table `outreach topic-rules` prints: counts, precision and recall as percentages."""
    header = [
        "Chủ đề",
        "Tin mẫu",
        "Gán nhãn",
        "Tìm thấy",
        "Đúng",
        "Nhầm",
        "Sót",
        "Độ chính xác",
        "Độ phủ",
    ]
    body = [
        [
            row.topic_label_vi,
            format_count(row.examples),
            format_count(row.expected),
            format_count(row.matched),
            format_count(row.true_positives),
            format_count(row.false_positives),
            format_count(row.false_negatives),
            format_percent(row.precision),
            format_percent(row.recall),
        ]
        for row in rows
    ]
    return format_columns(header, body)


def format_errors(errors: list[TopicRuleError]) -> str:
    """The examples the rules get wrong, by kind: each headline (its summary indented under it),
    the topic, what the reader gave it and, for a false positive, the term that found it."""
    if not errors:
        return "Quy tắc không gán nhầm, không bỏ sót tin mẫu nào."
    lines: list[str] = []
    for kind, label in ERROR_KIND_LABELS.items():
        of_kind = [error for error in errors if error.error_kind == kind]
        if not of_kind:
            continue
        lines.append(f"{label}: {format_count(len(of_kind))}")
        for error in of_kind:
            given = error.expected_topics.replace("|", ", ") if error.expected_topics else "không"
            found = f", từ khóa «{error.matched_term}»" if error.matched_term else ""
            lines.append(
                f"  [{error.example_id}] {error.topic_label_vi}{found} (người đọc gán: {given})"
            )
            lines.append(f"      {nfc(error.headline)}")
            if error.summary:
                lines.append(f"      {nfc(error.summary)}")
        lines.append("")
    return "\n".join(lines).rstrip()
