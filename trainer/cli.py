"""``trainer``: run a recipe, check a machine for it, measure pass rates, evaluate. Wiring only.

Errors print ``error: <problem>; <fix>`` and exit non-zero (only the main process prints
under a launcher); ``TRAINER_DEBUG=1`` shows the traceback.

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
TEMPERATURE = typer.Option(0.6, "--temperature", help="Sampling temperature (paper: 0.6); 0 = greedy.")
TOP_P = typer.Option(0.95, "--top-p", help="Nucleus sampling (paper: 0.95).")
TOP_K = typer.Option(0, "--top-k", help="Top-k sampling; 0 = off.")
SEED = typer.Option(0, "--seed", help="Seed of sampling and of the row sample.")
ROWS = typer.Option(None, "--rows", help="Use a seeded sample of this many rows.")
ENGINE = typer.Option("auto", "--engine", help="auto (vLLM when installed with a GPU, else transformers), vllm, server or hf.")
TP = typer.Option(1, "--tp", help="vLLM tensor parallel size.")
SERVER_URL = typer.Option(None, "--server-url", help="vLLM server for --engine server (default http://0.0.0.0:8000).")
SETS = typer.Option([], "--set", help="Override a recipe key: grpo.learning_rate=2e-6, stages[1].steps=10.")


@app.command()
def run(
    recipe: Path = typer.Argument(..., help="Recipe YAML, e.g. recipes/tiny.yaml."),
    output_dir: Optional[str] = typer.Option(None, "--output-dir", help="Run folder (default: the recipe's output_dir)."),
    overrides: List[str] = SETS,
) -> None:
    """Train every unfinished stage of RECIPE; re-running resumes and skips finished work."""
    from .recipe import load_recipe
    from .stages import run_recipe

    resolved = load_recipe(recipe, overrides, output_dir)
    command = "trainer " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    summaries = run_recipe(resolved, command=command)
    from .launch.distributed import is_main

    if is_main():
        for summary in summaries:
            typer.echo(f"{summary['stage']}: {summary['steps']} steps, {summary['rows']} rows -> {summary['final']}")


@app.command()
def check(
    recipe: Path = typer.Argument(..., help="Recipe YAML, e.g. recipes/7b.yaml."),
    output_dir: Optional[str] = typer.Option(None, "--output-dir", help="Run folder the recipe would use (nothing is written)."),
    overrides: List[str] = SETS,
    num_processes: Optional[int] = typer.Option(None, "--num-processes", help="Processes of the planned launch (default: this launch, or the accelerate config's)."),
    accelerate_config: Optional[Path] = typer.Option(None, "--accelerate-config", help="accelerate config of the planned launch (DeepSpeed, FSDP)."),
) -> None:
    """Check this machine for RECIPE before anything loads: GPUs, packages, model, batch, memory."""
    from .preflight import collect, raise_failures
    from .recipe import load_recipe

    resolved = load_recipe(recipe, overrides, output_dir or "runs/check")
    report = collect(resolved, _planned_launch(num_processes, accelerate_config))
    typer.echo(report.table())
    raise_failures(report)
    typer.echo("ok: nothing found that would stop this run")


def _planned_launch(num_processes: Optional[int], accelerate_config: Optional[Path]):
    import yaml

    from keychain.text import YamlTooLarge, load_yaml

    from .errors import RecipeError
    from .launch.hardware import Launch

    launch = Launch.current()
    engine, processes, machines = launch.engine, launch.processes, 1
    if accelerate_config is not None:
        try:
            config = load_yaml(accelerate_config.read_text(encoding="utf-8")) or {}
        except YamlTooLarge as error:
            raise RecipeError(f"--accelerate-config {accelerate_config}: {error}") from error
        except (OSError, yaml.YAMLError) as error:
            raise RecipeError(f"--accelerate-config {accelerate_config}: unreadable ({type(error).__name__}); check the path") from error
        if not isinstance(config, dict):
            raise RecipeError(f"--accelerate-config {accelerate_config}: expected a mapping of accelerate settings; "
                              "write it with `accelerate config` or copy one from recipes/accelerate/")
        engine = {"DEEPSPEED": "deepspeed", "FSDP": "fsdp"}.get(str(config.get("distributed_type", "")).upper(), "ddp")
        processes = int(config.get("num_processes", processes))
        machines = max(1, int(config.get("num_machines", 1)))  # num_processes counts every machine's
    processes = num_processes if num_processes is not None else processes
    local = min(processes, launch.local_processes) if num_processes is None and accelerate_config is None else processes // machines
    return Launch(processes, local, engine)


def _sampling(n, max_new_tokens, temperature, top_p, top_k, seed, tp, server_url):
    from .errors import RecipeError
    from .rollouts.generate import Sampling

    if temperature < 0:
        raise RecipeError(f"--temperature {temperature}: must be 0 (greedy) or more")
    return Sampling(n=n, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, top_k=top_k, seed=seed,
                    tensor_parallel_size=tp, server_url=server_url)


def _rows(data: Path, limit: Optional[int], seed: int):
    import random

    import pyarrow as pa

    from .data import check_shards, read_rows, resolve_shard_sets
    from .launch.distributed import main_first, setup

    setup()
    main_first(lambda: check_shards(resolve_shard_sets(data)))  # hashed once, not once per process
    table, _ = read_rows(data, hashes=False)
    if limit is not None and limit < table.num_rows:
        picked = sorted(random.Random(f"{seed}:rows").sample(range(table.num_rows), limit))
        table = table.take(pa.array(picked, type=pa.int64()))
    return table


def _check_model_and_reward(model: str, reward: str) -> None:
    """The reward exists and the model can be found (fast and offline-aware), before any loading."""
    from .errors import ModelError
    from .launch.distributed import setup
    from .launch.hub import model_problem
    from .rewards import check_reward_name

    setup()
    check_reward_name(reward)
    problem = model_problem(model)
    if problem:
        raise ModelError(problem)


def _inputs(model: str, data: Path, reward: str, rows: Optional[int], seed: int):
    """The rows (shards checked against their manifests) once the model and reward are checked."""
    table = _rows(data, rows, seed)
    _check_model_and_reward(model, reward)
    return table


def _sample(model, table, sampling, reward, engine, label):
    from .passrate import pass_rates
    from .rollouts.progress import RowProgress

    with RowProgress(label, table.num_rows, sampling.n) as advance:
        return pass_rates(model, table, sampling, reward, engine, progress=advance)


@app.command()
def passrate(
    model: str = MODEL, data: Path = DATA,
    n: int = typer.Option(8, "--n", "-n", help="Completions per row (-n under torchrun, which takes --n for its own)."),
    keep: Optional[str] = typer.Option(None, "--keep", help="Keep rows with pass rate in LO:HI, e.g. 1/8:6/8."),
    out: Path = typer.Option(Path("passrate"), "--out", help="Output folder for the shard set with pass_rate."),
    reward: str = REWARD, max_new_tokens: int = MAX_NEW_TOKENS, temperature: float = TEMPERATURE, top_p: float = TOP_P,
    top_k: int = TOP_K, seed: int = SEED, rows: Optional[int] = ROWS, engine: str = ENGINE, tp: int = TP,
    server_url: Optional[str] = SERVER_URL,
    short: bool = typer.Option(False, "--short", help="The paper's difficulty filter: DATA is a source file, each question "
                               "asked with its gold documents only; writes the kept ids for keychain build --keep-ids."),
    source: Optional[str] = typer.Option(None, "--source", help="--short: the source DATA holds (hotpotqa, musique, 2wiki)."),
    split: str = typer.Option("train", "--split", help="--short: the split DATA holds."),
) -> None:
    """Per-row pass rates of MODEL on DATA, written as a shard set with a pass_rate column."""
    import pyarrow as pa

    sampling = _sampling(n, max_new_tokens, temperature, top_p, top_k, seed, tp, server_url)
    if short:
        return _passrate_short(model, data, source, split, n, keep, out, reward, sampling, seed, rows, engine)
    from .launch.distributed import is_main, main_first
    from .passrate import keep_mask, parse_keep, with_pass_rates, write_shard_set

    bounds = parse_keep(keep) if keep is not None else None
    table = _inputs(model, data, reward, rows, seed)
    rates, _ = _sample(model, table, sampling, reward, engine, "passrate")
    scored = with_pass_rates(table, rates)
    if bounds is not None:
        scored = scored.filter(pa.array(keep_mask(rates, *bounds)))
    identity = {"model": model, "data": str(data.absolute()), "n": n, "keep": keep, "reward": reward,
                "max_new_tokens": max_new_tokens, "temperature": temperature, "top_p": top_p, "top_k": top_k,
                "seed": seed, "rows": rows}
    version = main_first(lambda: write_shard_set(scored, out / f"{data.absolute().name}-passrate", identity))
    if is_main():
        solved = [sum(1 for rate in rates if round(rate * n) == k) for k in range(n + 1)]
        typer.echo(f"{len(rates)} rows, mean pass rate {sum(rates) / max(len(rates), 1):.3f}; rows by completions solved (0..{n}): {solved}")
        typer.echo(f"kept {scored.num_rows} rows -> {version}")


def _passrate_short(model, data: Path, source, split, n, keep, out: Path, reward, sampling, seed, rows, engine) -> None:
    from .errors import DataError
    from .launch.distributed import is_main
    from .passrate import keep_mask, parse_keep
    from .short import DEFAULT_KEEP, short_table, write_id_lists

    if source is None:
        raise DataError("--short needs --source, the source DATA holds (e.g. --source hotpotqa)")
    bounds = parse_keep(keep or DEFAULT_KEEP)
    _check_model_and_reward(model, reward)
    table, split = short_table(source, data, split, rows, seed)
    rates, _ = _sample(model, table, sampling, reward, engine, "passrate --short")
    kept = keep_mask(rates, *bounds)
    if not is_main():
        return
    kept_path, all_path = write_id_lists(out, f"{source}-{split}", table.column("id").to_pylist(), rates, n, kept)
    solved = [sum(1 for rate in rates if round(rate * n) == k) for k in range(n + 1)]
    typer.echo(f"{len(rates)} questions, gold documents only; solved by completions (0..{n}): {solved}")
    typer.echo(f"kept {sum(kept)} with pass rate in {keep or DEFAULT_KEEP} -> {kept_path} (every score: {all_path})")


@app.command("eval")
def evaluate(
    model: str = MODEL, data: Path = DATA,
    n: int = typer.Option(4, "--n", "-n", help="Completions per row (-n under torchrun, which takes --n for its own)."),
    out: Path = typer.Option(Path("eval"), "--out", help="Folder for eval.json, eval.png and generations.jsonl."),
    reward: str = REWARD, max_new_tokens: int = MAX_NEW_TOKENS, temperature: float = TEMPERATURE, top_p: float = TOP_P,
    top_k: int = TOP_K, seed: int = SEED, rows: Optional[int] = ROWS, engine: str = ENGINE, tp: int = TP,
    server_url: Optional[str] = SERVER_URL,
) -> None:
    """Mean pass@1 of MODEL on DATA by data_source and target_len: table, eval.json, eval.png, generations.jsonl."""
    from .evaluate import format_table, group_pass_at_1, write_report
    from .launch.distributed import is_main, main_first

    table = _inputs(model, data, reward, rows, seed)
    sampling = _sampling(n, max_new_tokens, temperature, top_p, top_k, seed, tp, server_url)
    rates, completions = _sample(model, table, sampling, reward, engine, "eval")
    groups = group_pass_at_1(table, rates)
    meta = {"model": model, "data": str(data), "n": n, "reward": reward, "max_new_tokens": max_new_tokens,
            "temperature": temperature, "top_p": top_p, "top_k": top_k, "seed": seed}
    paths = main_first(lambda: write_report(groups, out, meta, table, completions))
    if is_main():
        typer.echo(format_table(groups))
        typer.echo("wrote " + ", ".join(str(path) for path in paths))


def _app() -> None:
    """``app``, with an error another process already printed not printed again, and
    errors of other processes than the main one naming their rank."""
    from .launch.distributed import ElsewhereError, is_main, rank

    try:
        app()
    except ElsewhereError as error:
        sys.exit(error.exit_code)
    except TrainerError as error:
        if not is_main():
            error.args = (f"(rank {rank()}) {error}",)
        raise


def main() -> None:
    from .launch.distributed import end_launched_process, world_size

    try:
        run_with_one_line_errors(_app, TrainerError, "TRAINER_DEBUG", "re-run the same command to resume from the last checkpoint")
    except SystemExit as done:
        if world_size() > 1:  # under torchrun / accelerate launch: see end_launched_process
            end_launched_process(done.code)
        raise


if __name__ == "__main__":
    main()
