"""``keychain show``: one row, laid out for a person to read.

It prints the question and answers, the true chain from the head key to the question
with where each pair sits, where each gold document sits, a one-line map of the context
(G = gold document, 1..H = true-chain pairs), and excerpts of the prompt with the true
chain's keys highlighted.

Example:
    >>> position_map([0.0, 0.5], [0.25, 0.99], width=20)
    'G····1····G········2'
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..errors import VerifyError
from ..store.versions import MANIFEST, shard_file
from .row_checks import context_of
from .verify import row_settings, version_dirs


def position_map(gold_depths: list[float], chain_depths: list[float], width: int = 48) -> str:
    cells = ["·"] * width
    for depth in gold_depths:
        cells[min(width - 1, int(depth * width))] = "G"
    for step, depth in enumerate(chain_depths, start=1):
        cells[min(width - 1, int(depth * width))] = str(step) if step < 10 else "+"
    return "".join(cells)


def pick_version(out: Path, config: str | None) -> Path:
    """The newest complete version of ``config``, or of the first config in ``out``."""
    versions = version_dirs(out / config if config else out)
    first_config = min(version.parent for version in versions)
    return [version for version in versions if version.parent == first_config][-1]


def read_row(version: Path, index: int) -> tuple[dict, dict]:
    manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    total = manifest["counts"]["built"]
    if not 0 <= index < total:
        raise VerifyError(f"--row {index} is out of range; {version} has rows 0..{total - 1}")
    for shard in manifest["shards"]:
        if index < shard["rows"]:
            table = pq.read_table(shard_file(version, shard["file"])).slice(index, 1)
            return table.to_pylist()[0], manifest
        index -= shard["rows"]
    raise VerifyError(f"row {index} not found in {version}; run keychain verify")


def _excerpt(text: str, center: int, radius: int) -> tuple[str, int]:
    start = max(0, center - radius)
    return text[start : center + radius], start


def _highlight(snippet: str, keys: list[str], question: str) -> Text:
    text = Text(snippet)
    for key in keys:
        text.highlight_words([key], style="bold yellow")
    if question:
        text.highlight_words([json.dumps(question, ensure_ascii=False)[1:-1]], style="bold green")
    return text


def short_key(key: str) -> str:
    """A key cut to its first 9 characters where it is long: ``'4cc66601-…'`` for a UUID.

    Example: ``short_key("4cc66601-0b6e-4c2a-9d5b-2f1c0e6a7b88")`` -> ``'4cc66601-…'``;
    ``short_key("4cc66601")`` -> ``'4cc66601'``
    """
    return key if len(key) <= 12 else key[:9] + "…"


def chain_table(row: dict) -> Table:
    """The true chain, one pair per line: full key, its depth, and what it maps to.

    A pair maps to the next line's key (shown short, it is written out on that line) or,
    last, to the question; so the table fits 80 columns with 36-character UUIDs.
    """
    table = Table(title=f"true chain: {row['hops']} hops among {row['num_chains']} chains")
    table.add_column("step", justify="right")
    table.add_column("key", no_wrap=True)
    table.add_column("depth", justify="right", no_wrap=True)
    table.add_column("maps to")
    keys = row["chain_keys"]
    for step, (key, depth) in enumerate(zip(keys, row["chain_depths"]), start=1):
        target = Text(short_key(keys[step])) if step < len(keys) else Text(row["question"], style="green")
        table.add_row(str(step), Text(key, style="bold yellow"), f"{depth:.1%}", target)
    return table


def render_row(row: dict, manifest: dict, console: Console, index: int, version: Path) -> None:
    template, _ = row_settings(row, manifest)
    user, context = context_of(row, template)
    fill = row["n_tokens"] / row["target_len"]
    head = Table.grid(padding=(0, 2))
    head.add_row("row", f"{index} of {manifest['counts']['built']}  ({version})")
    head.add_row("id", row["id"])
    head.add_row("task", f"{row['task']}  source {row['source']} ({row['source_id']}), {row['question_type'] or '-'}")
    passages = f", {row['num_docs']} passages" if row.get("num_docs") is not None else ""  # haystack and math rows have none
    head.add_row("length", f"{row['n_tokens']} / {row['target_len']} tokens ({fill:.1%}), {row['tokenizer']}{passages}")
    head.add_row("question", Text(row["question"], style="bold green"))
    head.add_row("answers", " | ".join(row["answers"]))
    console.print(Panel(head, title="keychain show", expand=False))

    if row["task"] == "keychain":
        console.print(chain_table(row))

    if row.get("needles") or not row["gold_titles"]:  # retrieval and math rows: keychain/tasks/show.py
        from ..tasks.show import render_needles

        if row.get("needles"):
            render_needles(row, console)
        else:
            console.print(Text(next(m["content"] for m in row["prompt"] if m["role"] == "user")))
        return
    gold = Table(title="gold documents")
    gold.add_column("title")
    gold.add_column("depth", justify="right")
    for title, depth in zip(row["gold_titles"], row["gold_depths"]):
        gold.add_row(title, f"{depth:.1%}")
    console.print(gold)
    console.print("context map, start to end (G gold document, 1..n true-chain pairs):")
    console.print(f"[{position_map(row['gold_depths'], row['chain_depths'] or [])}]", markup=False)

    keys = row["chain_keys"] or []
    console.rule("prompt excerpts")
    console.print(Text(user[:400] + " …", style="dim"))
    if keys and row["chain_depths"]:
        offset = user.find(context) if context in user else 0
        first = offset + round(row["chain_depths"][0] * len(context))
        snippet, _ = _excerpt(user, first, 240)
        console.print(Text("… ", style="dim") + _highlight(snippet, keys, row["question"]) + Text(" …", style="dim"))
    console.print(_highlight("… " + user[-500:], keys, ""))


def show(out: Path, row_index: int = 0, config: str | None = None, console: Console | None = None) -> None:
    console = console or Console()
    if not Path(out).exists():
        raise VerifyError(f"{out}: no such folder; pass the --out folder of a build")
    version = pick_version(Path(out), config)
    row, manifest = read_row(version, row_index)
    render_row(row, manifest, console, row_index, version)
