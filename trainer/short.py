"""``trainer passrate --short``: the paper's difficulty filter on source questions.

Each source question is asked with its gold documents only (``keychain.rows.short``),
``n`` completions are sampled and scored by the recipe's reward on ``plain/<source>``,
and the questions solved ``k`` times with ``k/n`` in the keep range (default 1/8 to 6/8,
as the paper) are written as an id list that ``keychain build --keep-ids`` reads:

    OUT/<source>-<split>-keep-ids.jsonl      {"id": ..., "solved": k, "n": n} per kept question
    OUT/<source>-<split>-short-passrate.jsonl  the same line for every question scored

Example: solved counts [0, 3, 8, 6] of 8 with keep 1/8:6/8 -> the 2nd and 4th ids are kept.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa

from .errors import DataError

DEFAULT_KEEP = "1/8:6/8"


def short_table(source: str, data: Path, split: str, rows: int | None, seed: int) -> tuple[pa.Table, str]:
    """One row per source question (``id``, ``prompt``, ``data_source``, ``answers``), and
    the split's name as keychain records it (``dev`` -> ``validation``)."""
    from keychain.errors import KeychainError
    from keychain.rows.prompts import PromptTemplate
    from keychain.rows.short import short_prompt
    from keychain.sources import SourceRequest, load_source
    from keychain.sources.splits import canonical_split

    try:
        split = canonical_split(source, split)
        loaded = load_source(source, SourceRequest(split=split, data_files=(data,)))
    except KeychainError as error:
        raise DataError(str(error)) from error
    items = list(loaded.items)
    if rows is not None and rows < len(items):
        items = [items[i] for i in sorted(random.Random(f"{seed}:short-rows").sample(range(len(items)), rows))]
    template = PromptTemplate()
    return pa.table({
        "id": [item.source_id for item in items],
        "prompt": [short_prompt(template, loaded, item) for item in items],
        "data_source": [f"plain/{source}"] * len(items),
        "answers": [list(item.answers) for item in items],
    }), split


def write_id_lists(out: Path, stem: str, ids: list[str], rates: list[float], n: int, keep: list[bool]) -> tuple[Path, Path]:
    """The kept ids and every scored id, as JSON lines (written whole, then renamed)."""
    from keychain.store.files import write_bytes_atomic

    lines = [{"id": i, "solved": round(rate * n), "n": n} for i, rate in zip(ids, rates)]
    kept_path, all_path = out / f"{stem}-keep-ids.jsonl", out / f"{stem}-short-passrate.jsonl"
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path, chosen in ((all_path, lines), (kept_path, [line for line, k in zip(lines, keep) if k])):
            write_bytes_atomic(path, "".join(json.dumps(line) + "\n" for line in chosen).encode("utf-8"))
    except OSError as error:
        raise DataError(f"cannot write {out} ({error.strerror}); choose another --out") from error
    return kept_path, all_path
