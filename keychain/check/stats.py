"""Statistics of a built config and the terminal table ``keychain stats`` prints.

``compute_stats(rows, manifest)`` is a pure function of the rows (only the columns in
``STAT_COLUMNS`` are read, never the prompts) and the version's manifest; the plots of
the same numbers are drawn by ``keychain.check.plots``.

Example:
    >>> summarize([3, 1, 2, 10])
    {'min': 1, 'median': 2.5, 'max': 10}
    >>> distribution(["bridge", "comparison", "bridge", None])
    {'bridge': 2, 'comparison': 1, 'n/a': 1}
    >>> format_distribution({4: 6, 3: 2}, 8)
    '4: 6 (75%), 3: 2 (25%)'
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

import pyarrow.parquet as pq

from ..store.folder import Published

STAT_COLUMNS = (
    "n_tokens",
    "target_len",
    "num_docs",
    "hops",
    "qa_hops",
    "question_type",
    "answers",
    "num_chains",
    "gold_depths",
    "chain_depths",
    "task",
    "needle_depth",  # this and the next: schema version 2 only (retrieval, math, mixes)
    "needle_depths",
)


def summarize(values: Iterable[float]) -> dict | None:
    """min, median and max; None when there are no values."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def distribution(values: Iterable[Any]) -> dict:
    """Counts of each value, most common first (ties in order of the value); None is "n/a"."""
    counts = Counter("n/a" if v is None else v for v in values)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))))


def format_distribution(counts: dict, total: int) -> str:
    return ", ".join(f"{value}: {n} ({100 * n / total:.0f}%)" for value, n in counts.items()) if total else "-"


def known(counts: dict) -> bool:
    """Whether a distribution holds anything but "n/a" (a row that does not apply)."""
    return any(value != "n/a" for value in counts)


def config_tasks(manifest: dict) -> tuple[str, ...]:
    """The tasks of a version's rows: its task, or a mix's component tasks."""
    config = manifest.get("config", {})
    return tuple(config.get("tasks") or [config.get("task", "keychain")])


def answer_words(answers: list[str] | None) -> int:
    """Words of the first accepted answer: ``["Bob Dylan"]`` -> 2."""
    return len(answers[0].split()) if answers else 0


@dataclass(frozen=True)
class ConfigStats:
    """What ``keychain stats`` shows for one config version."""

    config_name: str
    version: str
    task: str
    tokenizer: str
    target_len: int  # tokens of prompt budget
    rows: int
    n_tokens: dict | None
    fill: dict | None  # n_tokens / target_len
    num_docs: dict | None
    num_chains: dict | None  # None for plain rows
    answer_words: dict | None
    hops: dict  # keys per chain -> rows
    qa_hops: dict  # source reasoning hops -> rows
    question_types: dict
    n_tokens_values: tuple[int, ...]
    gold_depths: tuple[float, ...]  # every gold document of every row, 0 = start of context
    chain_depths: tuple[tuple[float, ...], ...]  # per row: depth of pair 1..hops of the true chain
    needles: dict | None = None  # needles per row (retrieval rows)
    needle_depths: tuple[float, ...] = ()  # every needle of every row, 0 = start of context
    requested_depths: dict | None = None  # niah: requested needle depth (0..1) -> rows
    tasks: tuple[str, ...] = ("keychain",)  # the rows' tasks (a mix has several)


def compute_stats(rows: Iterable[dict], manifest: dict) -> ConfigStats:
    rows = list(rows)
    config = manifest.get("config", {})
    target_len = int(config.get("target_len") or (rows[0]["target_len"] if rows else 0))
    n_tokens = [row["n_tokens"] for row in rows]
    keychain = "keychain" in config_tasks(manifest)
    needles = [row.get("needle_depths") for row in rows if row.get("needle_depths") is not None]
    requested = [row["needle_depth"] for row in rows if row.get("task") == "niah" and row.get("needle_depth") is not None]
    return ConfigStats(
        config_name=manifest["config_name"],
        version=manifest["version"],
        task=config.get("task", ""),
        tokenizer=config.get("tokenizer", ""),
        target_len=target_len,
        rows=len(rows),
        n_tokens=summarize(n_tokens),
        fill=summarize(n / target_len for n in n_tokens) if target_len else None,
        num_docs=summarize(row["num_docs"] for row in rows),
        num_chains=summarize(row["num_chains"] for row in rows) if keychain else None,
        answer_words=summarize(answer_words(row["answers"]) for row in rows),
        hops=distribution(row["hops"] for row in rows if row["hops"] is not None) if keychain else {},
        qa_hops=distribution(row["qa_hops"] for row in rows),
        question_types=distribution(row["question_type"] for row in rows),
        n_tokens_values=tuple(n_tokens),
        gold_depths=tuple(d for row in rows for d in row["gold_depths"] or ()),
        chain_depths=tuple(tuple(row["chain_depths"]) for row in rows if row["chain_depths"]) if keychain else (),
        needles=summarize(len(depths) for depths in needles),
        needle_depths=tuple(d for depths in needles for d in depths),
        requested_depths=dict(sorted(Counter(requested).items())) or None,
        tasks=config_tasks(manifest),
    )


def read_stat_rows(published: Published) -> list[dict]:
    """The ``STAT_COLUMNS`` of every row of a version (the prompts are not read)."""
    rows: list[dict] = []
    for path in published.shard_paths():
        present = set(pq.read_schema(path).names)  # schema version 1 has no needle columns
        rows.extend(pq.read_table(path, columns=[c for c in STAT_COLUMNS if c in present]).to_pylist())
    return rows


def stats_of(published: Published) -> ConfigStats:
    return compute_stats(read_stat_rows(published), published.manifest)


def _span(summary: dict | None, fmt: str = "{:,.0f}") -> str:
    if not summary:
        return "-"
    return " / ".join(fmt.format(summary[k]) for k in ("min", "median", "max"))


def stats_table(stats: ConfigStats):
    """A rich table: one statistic per line."""
    from rich.table import Table

    table = Table(
        title=f"{stats.config_name} {stats.version}: {stats.rows} rows, budget {stats.target_len:,} tokens",
        caption="ranges are min / median / max; distributions are value: rows (share)",
    )
    table.add_column("statistic")
    table.add_column("value")
    table.add_row("rows", f"{stats.rows:,}")
    table.add_row(f"prompt tokens ({stats.tokenizer})", _span(stats.n_tokens))
    table.add_row("fill ratio (tokens / budget)", _span(stats.fill, "{:.2%}"))
    if stats.num_docs:
        table.add_row("documents per row", _span(stats.num_docs))
    if stats.num_chains:
        table.add_row("chains per row", _span(stats.num_chains))
        table.add_row("hops (keys per chain)", format_distribution(stats.hops, stats.rows))
    if stats.needles:
        table.add_row("needles per row", _span(stats.needles))
    if stats.requested_depths:
        by_percent = {f"{depth:.0%}": rows for depth, rows in stats.requested_depths.items()}
        table.add_row("requested needle depth", format_distribution(by_percent, stats.rows))
    for label, counts in (("source reasoning hops", stats.qa_hops), ("question type", stats.question_types)):
        if known(counts):  # rows without the field (retrieval, math) are left out, not "n/a 100%"
            table.add_row(label, format_distribution(counts, stats.rows))
    table.add_row("answer length (words)", _span(stats.answer_words, "{:g}"))
    return table
