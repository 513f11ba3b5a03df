"""``trainer``: run a recipe, measure pass rates, evaluate. Wiring only.

Errors print ``error: <problem>; <fix>`` and exit non-zero; ``TRAINER_DEBUG=1`` shows
the traceback.

Example: ``trainer run recipes/tiny.yaml --output-dir runs/tiny --set grpo.learning_rate=2e-5``
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer

from keychain.errors import run_with_one_line_errors

from .errors import TrainerError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="LoongRL multi-stage GRPO on keychain shards (TRL).")

# options shared by passrate and eval
MODEL = typer.Option(..., "--model", help="Model folder or Hub id.")
DATA = typer.Option(..., "--data", help="Keychain shards: output, config or version folder.")
REWARD = typer.Option("containment", "--reward", help="Reward name (trainer.rewards registry).")
MAX_NEW_TOKENS = typer.Option(4096, "--max-new-tokens", help="Tokens per completion.")
TEMPERATURE = typer.Option(0.6, "--temperature", help="Sampling temperature (paper: 0.6).")
TOP_P = typer.Option(0.95, "--top-p", help="Nucleus sampling (paper: 0.95).")
SEED = typer.Option(0, "--seed", help="Seed of sampling and of the row sample.")
ROWS = typer.Option(None, "--rows", help="Use a seeded sample of this many rows.")
ENGINE = typer.Option("auto", "--engine", help="auto (vLLM when installed with a GPU, else transformers), vllm or hf.")
TP = typer.Option(1, "--tp", help="vLLM tensor parallel size.")


@app.command()
def run(
    recipe: Path = typer.Argument(..., help="Recipe YAML, e.g. recipes/tiny.yaml."),
    output_dir: Optional[str] = typer.Option(None, "--output-dir", help="Run folder (default: the recipe's output_dir)."),
    overrides: List[str] = typer.Option([], "--set", help="Override a recipe key: grpo.learning_rate=2e-6, stages[1].steps=10."),
) -> None:
    """Train every unfinished stage of RECIPE; re-running resumes and skips finished work."""
    from .recipe import load_recipe
    from .stages import run_recipe

    resolved = load_recipe(recipe, overrides, output_dir)
    command = "trainer " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    summaries = run_recipe(resolved, command=command)
    for summary in summaries:
        typer.echo(f"{summary['stage']}: {summary['steps']} steps, {summary['rows']} rows -> {summary['final']}")


def _sampling(n: int, max_new_tokens: int, temperature: float, top_p: float, seed: int, tp: int):
    from .generate import Sampling

    return Sampling(n=n, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, seed=seed, tensor_parallel_size=tp)


def _rows(data: Path, limit: Optional[int], seed: int):
    import random

    import pyarrow as pa

    from .data import read_rows

    table, _ = read_rows(data)
    if limit is not None and limit < table.num_rows:
        picked = sorted(random.Random(f"{seed}:rows").sample(range(table.num_rows), limit))
        table = table.take(pa.array(picked, type=pa.int64()))
    return table


def _check_reward(name: str) -> None:
    from .rewards import check_reward_name

    check_reward_name(name)


@app.command()
def passrate(
    model: str = MODEL,
    data: Path = DATA,
    n: int = typer.Option(8, "--n", help="Completions per row."),
    keep: Optional[str] = typer.Option(None, "--keep", help="Keep rows with pass rate in LO:HI, e.g. 1/8:6/8."),
    out: Path = typer.Option(Path("passrate"), "--out", help="Output folder for the shard set with pass_rate."),
    reward: str = REWARD,
    max_new_tokens: int = MAX_NEW_TOKENS,
    temperature: float = TEMPERATURE,
    top_p: float = TOP_P,
    seed: int = SEED,
    rows: Optional[int] = ROWS,
    engine: str = ENGINE,
    tp: int = TP,
    short: bool = typer.Option(False, "--short", help="The paper's difficulty filter: DATA is a source file, each question "
                               "asked with its gold documents only; writes the kept ids for keychain build --keep-ids."),
    source: Optional[str] = typer.Option(None, "--source", help="--short: the source DATA holds (hotpotqa, musique, 2wiki)."),
    split: str = typer.Option("train", "--split", help="--short: the split DATA holds."),
) -> None:
    """Per-row pass rates of MODEL on DATA, written as a shard set with a pass_rate column."""
    import pyarrow as pa

    if short:
        return _passrate_short(model, data, source, split, n, keep, out, reward, _sampling(n, max_new_tokens, temperature, top_p, seed, tp),
                               seed, rows, engine)

    from .passrate import (
        keep_mask,
        parse_keep,
        pass_rates,
        with_pass_rates,
        write_shard_set,
    )

    bounds = parse_keep(keep) if keep is not None else None
    _check_reward(reward)
    table = _rows(data, rows, seed)
    sampling = _sampling(n, max_new_tokens, temperature, top_p, seed, tp)
    rates, _ = pass_rates(model, table, sampling, reward, engine)
    scored = with_pass_rates(table, rates)
    if bounds is not None:
        scored = scored.filter(pa.array(keep_mask(rates, *bounds)))
    identity = {"model": model, "data": str(data.absolute()), "n": n, "keep": keep, "reward": reward,
                "max_new_tokens": max_new_tokens, "temperature": temperature, "top_p": top_p, "seed": seed, "rows": rows}
    version = write_shard_set(scored, out / f"{data.absolute().name}-passrate", identity)
    solved = [sum(1 for rate in rates if round(rate * n) == k) for k in range(n + 1)]
    typer.echo(f"{len(rates)} rows, mean pass rate {sum(rates) / max(len(rates), 1):.3f}; rows by completions solved (0..{n}): {solved}")
    typer.echo(f"kept {scored.num_rows} rows -> {version}")


def _passrate_short(model, data: Path, source, split, n, keep, out: Path, reward, sampling, seed, rows, engine) -> None:
    from .errors import DataError
    from .passrate import keep_mask, parse_keep, pass_rates
    from .short import DEFAULT_KEEP, short_table, write_id_lists

    if source is None:
        raise DataError("--short needs --source, the source DATA holds (e.g. --source hotpotqa)")
    bounds = parse_keep(keep or DEFAULT_KEEP)
    _check_reward(reward)
    table, split = short_table(source, data, split, rows, seed)
    rates, _ = pass_rates(model, table, sampling, reward, engine)
    kept = keep_mask(rates, *bounds)
    kept_path, all_path = write_id_lists(out, f"{source}-{split}", table.column("id").to_pylist(), rates, n, kept)
    solved = [sum(1 for rate in rates if round(rate * n) == k) for k in range(n + 1)]
    typer.echo(f"{len(rates)} questions, gold documents only; solved by completions (0..{n}): {solved}")
    typer.echo(f"kept {sum(kept)} with pass rate in {keep or DEFAULT_KEEP} -> {kept_path} (every score: {all_path})")


@app.command("eval")
def evaluate(
    model: str = MODEL,
    data: Path = DATA,
    n: int = typer.Option(4, "--n", help="Completions per row."),
    out: Path = typer.Option(Path("eval"), "--out", help="Folder for eval.json and eval.png."),
    reward: str = REWARD,
    max_new_tokens: int = MAX_NEW_TOKENS,
    temperature: float = TEMPERATURE,
    top_p: float = TOP_P,
    seed: int = SEED,
    rows: Optional[int] = ROWS,
    engine: str = ENGINE,
    tp: int = TP,
) -> None:
    """Mean pass@1 of MODEL on DATA by data_source and target_len: table, eval.json, eval.png."""
    from .evaluate import format_table, group_pass_at_1, write_report
    from .passrate import pass_rates

    _check_reward(reward)
    table = _rows(data, rows, seed)
    rates, _ = pass_rates(model, table, _sampling(n, max_new_tokens, temperature, top_p, seed, tp), reward, engine)
    groups = group_pass_at_1(table, rates)
    typer.echo(format_table(groups))
    meta = {"model": model, "data": str(data), "n": n, "reward": reward, "max_new_tokens": max_new_tokens,
            "temperature": temperature, "top_p": top_p, "seed": seed}
    json_path, png_path = write_report(groups, out, meta)
    typer.echo(f"wrote {json_path} and {png_path}")


def main() -> None:
    run_with_one_line_errors(app, TrainerError, "TRAINER_DEBUG", "re-run the same command to resume from the last checkpoint")


if __name__ == "__main__":
    main()
