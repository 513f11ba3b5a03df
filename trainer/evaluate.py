"""``trainer eval``: mean pass@1 by ``data_source`` and ``target_len``: a table, JSON, PNG and the generations.

pass@1 of a row is the mean reward of its ``n`` sampled completions (its pass rate);
a group's pass@1 is the mean over its rows. The plot draws accuracy against prompt
length, one line per data source.

Example: rows (keychain/hotpotqa, 16384) with pass rates 0.5 and 1.0 ->
``{"data_source": "keychain/hotpotqa", "target_len": 16384, "rows": 2, "pass_at_1": 0.75}``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyarrow as pa

from .run.folder import write_json


def group_pass_at_1(table: pa.Table, rates: list[float]) -> list[dict]:
    """One entry per (data_source, target_len), sorted by source then length."""
    groups: dict[tuple[str, int], list[float]] = defaultdict(list)
    keys = zip(table.column("data_source").to_pylist(), table.column("target_len").to_pylist(), strict=True)
    for (source, length), rate in zip(keys, rates, strict=True):
        groups[(source, int(length))].append(rate)
    return [
        {"data_source": source, "target_len": length, "rows": len(values), "pass_at_1": sum(values) / len(values)}
        for (source, length), values in sorted(groups.items())
    ]


def format_table(groups: list[dict]) -> str:
    """A plain-text table with an overall row weighted by rows."""
    from keychain.rows.spec import length_label

    lines = [f"{'data_source':<28} {'len':>6} {'rows':>6} {'pass@1':>7}"]
    for group in groups:
        lines.append(f"{group['data_source']:<28} {length_label(group['target_len']):>6} {group['rows']:>6} {group['pass_at_1']:>7.3f}")
    total = sum(group["rows"] for group in groups)
    overall = sum(group["pass_at_1"] * group["rows"] for group in groups) / total if total else 0.0
    lines.append(f"{'all':<28} {'':>6} {total:>6} {overall:>7.3f}")
    return "\n".join(lines)


def plot_by_length(groups: list[dict], path: Path, title: str) -> None:
    """pass@1 against prompt length, one line per data source.

    Each source has its own marker and line style and is nudged sideways a little
    (lengths are a log scale), so sources with equal scores stay visible side by side.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from keychain.rows.spec import length_label

    sources = sorted({group["data_source"] for group in groups})
    styles = [("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", "-"), ("P", "--")]
    figure, axis = plt.subplots(figsize=(6, 4))
    for number, source in enumerate(sources):
        points = [(g["target_len"], g["pass_at_1"]) for g in groups if g["data_source"] == source]
        nudge = 2 ** (0.04 * (number - (len(sources) - 1) / 2))  # a few percent of an octave
        marker, line = styles[number % len(styles)]
        axis.plot([p[0] * nudge for p in points], [p[1] for p in points], marker=marker, linestyle=line,
                  markerfacecolor="none" if number % 2 else None, label=source)
    lengths = sorted({group["target_len"] for group in groups})
    axis.set_xscale("log", base=2)
    axis.set_xticks(lengths, [length_label(n) for n in lengths])
    axis.minorticks_off()
    axis.set_xlabel("prompt length (tokens)")
    axis.set_ylabel("pass@1")
    axis.set_ylim(-0.02, 1.02)
    axis.set_title(title, fontsize=10)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def model_label(model: str, parts: int = 4) -> str:
    """A model or data path as the plot names it: its last ``parts`` parts (a Hub id whole).

    Example: ``model_label("runs/tiny/stages/stage2/final")`` -> ``'tiny/stages/stage2/final'``
    (not just ``final``, the name every stage's output shares).
    """
    return "/".join(Path(model).parts[-parts:])


def generation_lines(table: pa.Table, completions: list[list[str]], reward_name: str) -> list[dict]:
    """One record per row: id, source, length, gold answers, each completion and its reward."""
    from .rewards import score

    columns = [table.column(name).to_pylist() for name in ("id", "data_source", "target_len", "answers")]
    records = []
    for (row_id, source, length, answers), texts in zip(zip(*columns), completions, strict=True):
        rewards = [score(reward_name, source, text, answers) for text in texts]
        records.append({"id": row_id, "data_source": source, "target_len": length, "answers": answers,
                        "pass_rate": sum(rewards) / len(rewards) if rewards else 0.0,
                        "completions": texts, "rewards": rewards})
    return records


def write_report(groups: list[dict], out: Path, meta: dict, table: pa.Table | None = None,
                 completions: list[list[str]] | None = None) -> tuple[Path, ...]:
    """``eval.json``, ``eval.png`` and (with the rows' completions) ``generations.jsonl`` in ``out``."""
    import json

    from keychain.store.files import write_bytes_atomic

    out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out / "eval.json", out / "eval.png"
    write_json(json_path, {**meta, "groups": groups})
    title = f"pass@1 of {model_label(meta['model'])}\non {model_label(meta['data'])}, {meta['n']} completions per row"
    plot_by_length(groups, png_path, title)
    if table is None or completions is None:
        return json_path, png_path
    lines = generation_lines(table, completions, meta["reward"])
    jsonl = out / "generations.jsonl"
    write_bytes_atomic(jsonl, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8"))
    return json_path, png_path, jsonl
