"""``trainer run``: the stage schedule, each stage starting from the previous one's model.

``run_recipe`` reads top to bottom: check the machine (``preflight``), then on the main
process only (the others wait): own the run folder (lock), claim it (resolved recipe),
clean what a killed run left, make the tiny model and missing shards. Then for each
stage: skip it when its ``summary.json`` exists, else check and load its data, hold out
its validation slice (``eval_rows``), mine hard rows when it has ``mine:`` (rows split
across processes), train with TRL from the previous stage's ``final/`` (resuming from the
last complete checkpoint), save ``final/``, write the summary last and release the
trainer's memory before the next stage. With ``eval_rows`` the stage's ``final/`` is its
best checkpoint by validation reward (ties: the later); the summary records which
checkpoint ``final/`` holds, and with ``stage_schedule: continue`` the next stage takes
that checkpoint's optimizer state and continues the run's one schedule.

Example: stages warmup, stage1 (eval_rows), stage2 (mine) -> stage1 starts from
``stages/warmup/final``; stage2 mines with and starts from ``stages/stage1/final``, the
best stage-1 checkpoint, named in ``stages/stage1/summary.json`` (``checkpoint``).
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .data import (
    TRAIN_COLUMNS,
    StageData,
    ensure_built,
    hold_out,
    load_stage_data,
    resolve_shard_sets,
)
from .errors import ModelError
from .launch.distributed import barrier, is_main, main_first, setup, world_size
from .launch.hub import agree_offline
from .recipe import Recipe, recipe_to_dict
from .run.finals import finish_from_checkpoint, save_final, trim_metrics
from .run.folder import (
    RunFolder,
    checkpoint_state,
    last_complete_checkpoint,
    write_json,
)
from .run.steps import stage_steps
from .shard_check import verify_shard_sets

Log = Callable[[str], None]


def _print(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def on_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


def run_recipe(recipe: Recipe, command: str = "trainer run", log: Log = _print, check: bool = True) -> list[dict]:
    """Run every unfinished stage of ``recipe``; return the per-stage summaries."""
    from .console import quiet_known_warnings

    setup()
    log = log if is_main() else (lambda line: None)
    if check:
        from .preflight import run_preflight

        main_first(lambda: run_preflight(recipe, log=log))
    agree_offline()  # the other processes load tokenizers and models the way the main one checked
    run = RunFolder(recipe.output_dir)
    with contextlib.ExitStack() as owned:
        main_first(lambda: _prepare(recipe, run, command, owned, log))
        quiet_known_warnings()  # after the checks, so a refused start stays one line
        start = Start(recipe.model.path)
        summaries = []
        for stage in recipe.stages:
            summary = run.stage_summary(stage.name)
            if summary is not None:
                log(f"stage {stage.name}: finished earlier ({summary['steps']} steps), skipped")
            else:
                summary = run_stage(recipe, stage, run, start, log)
            summaries.append(summary)
            start = Start(summary["final"], summary.get("checkpoint"))
        main_first(lambda: write_json(run.root / "summary.json", {"stages": summaries}))
    return summaries


def _prepare(recipe: Recipe, run: RunFolder, command: str, owned: contextlib.ExitStack, log: Log) -> None:
    """Main process: lock, claim and clean the folder, make the tiny model and missing data."""
    lock = owned.enter_context(run.lock())
    for line in ([lock.note] if lock.note else []) + [run.claim(recipe_to_dict(recipe))] + run.clean():
        if line:
            log(line)
    if recipe.model.create_tiny:
        from .tiny import create_tiny_model

        create_tiny_model(recipe.model.path, seed=recipe.seed)
    for stage in recipe.stages:
        for source in stage.data:
            ensure_built(source, command, log)


@dataclass(frozen=True)
class Start:
    """Where a stage starts: the model folder, and the checkpoint (optimizer state) it came from."""

    model: str
    checkpoint: str | None = None


def run_stage(recipe: Recipe, stage, run: RunFolder, start: Start, log: Log) -> dict:
    """Mine (when asked), train and save one stage; return its summary."""
    started = time.perf_counter()
    stage_dir = run.stage_dir(stage.name)
    model_path = start.model
    main_first(lambda: verify_shard_sets(stage.name, [found for source in stage.data for found in resolve_shard_sets(source.path)],
                                         run.root / ".cache" / "shard-sha256.json", log))
    data = load_stage_data(stage, tokenizer=recipe.model.path, seed=recipe.seed)  # stages keep the tokenizer
    for source in data.sources:
        log(f"stage {stage.name}: {source.line()}")
    eval_table = None
    if stage.eval_rows is not None:
        train_table, eval_table = hold_out(data.table, stage.eval_rows, f"{recipe.seed}:{stage.name}:eval")
        data = StageData(train_table, data.sources)
        log(f"stage {stage.name}: {eval_table.num_rows} rows held out for validation every "
            f"{stage.eval_steps or stage.grpo.save_steps} steps")
    mined = None
    if stage.mine is not None:
        from .mining import mine_stage

        table, mined = mine_stage(recipe, stage, data.table, model_path, run, _engine(recipe), log)
        log(f"stage {stage.name}: {mined.line()}")
        data = StageData(table, data.sources)
    target = main_first(lambda: stage_steps(stage, data.rows))  # an error is printed once
    held_out = None if eval_table is None else eval_table.column("id").to_pylist()
    main_first(lambda: write_json(stage_dir / "data.json", {**data.summary(), "steps": target, "eval_ids": held_out,
                                                            "mined": None if mined is None else vars(mined)}))

    optimizer_from = _optimizer_source(recipe, stage, start, log)
    resume, skipped = last_complete_checkpoint(stage_dir)
    for path in skipped:
        log(f"stage {stage.name}: {path.name} is incomplete (killed while saving); skipped")
    state = checkpoint_state(resume) if resume is not None else None
    if state is not None and state["global_step"] >= target:
        done = _best(stage_dir, state) if eval_table is not None else resume
        log(f"stage {stage.name}: {resume.name} already holds all {target} steps; saving {done.name} as final/")
        final = main_first(lambda: finish_from_checkpoint(done, run.final(stage.name)))
        history, steps = state.get("log_history", []), state["global_step"]
        best = str(done) if eval_table is not None else None
        best_step, best_metric = state.get("best_global_step"), state.get("best_metric")
    else:
        trainer = _trainer(recipe, stage, stage_dir, model_path, data, eval_table, optimizer_from, log)
        log(f"stage {stage.name}: training {target} steps on {data.rows} rows from {model_path}"
            + (f", resuming from {resume.name}" if resume else ""))
        main_first(lambda: trim_metrics(stage_dir / "metrics.jsonl", state["global_step"] if state else 0))
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
        final = save_final(trainer, run.final(stage.name))
        history, steps = trainer.state.log_history, trainer.state.global_step
        best = trainer.state.best_model_checkpoint if eval_table is not None else None
        best_step, best_metric = trainer.state.best_global_step, trainer.state.best_metric
        from .run.memory import release_trainer

        release_trainer(trainer)
        del trainer
    rewards = [entry["reward"] for entry in history if "reward" in entry]
    evals = [{"step": entry["step"], "eval_reward": entry["eval_reward"]} for entry in history if "eval_reward" in entry]
    summary = {
        "stage": stage.name,
        "steps": steps,
        "rows": data.rows,
        "mined": None if mined is None else {"pool": mined.pool, "kept": mined.kept, "shard_set": mined.shard_set},
        "reward_first": rewards[0] if rewards else None,
        "reward_last": rewards[-1] if rewards else None,
        "eval": None if eval_table is None else {"rows": eval_table.num_rows, "rewards": evals, "best_step": best_step,
                                                 "best_eval_reward": best_metric},
        "started_from": {"model": model_path, "optimizer": optimizer_from},
        "seconds": round(time.perf_counter() - started, 1),
        "final": str(final),
        "checkpoint": best or str(stage_dir / f"checkpoint-{steps}"),  # what final/ holds
        "processes": world_size(),
    }
    main_first(lambda: write_json(stage_dir / "summary.json", summary))
    best_line = "" if best is None else f"; final/ is {Path(best).name} (best eval_reward {best_metric:.3f})"
    log(f"stage {stage.name}: done, {summary['steps']} steps, reward {summary['reward_first']} -> "
        f"{summary['reward_last']}, {summary['seconds']} s{best_line}")
    return summary


def _best(stage_dir: Path, state: dict) -> Path:
    """The checkpoint transformers chose as best (by validation reward), in this stage folder."""
    best = state.get("best_model_checkpoint")
    return stage_dir / Path(best).name if best else stage_dir / f"checkpoint-{state['global_step']}"


def _optimizer_source(recipe: Recipe, stage, start: Start, log: Log) -> str | None:
    """The checkpoint whose optimizer state the stage continues (stage_schedule continue)."""
    if recipe.stage_schedule != "continue" or start.checkpoint is None:
        return None
    from .hooks import has_optimizer_state

    if not has_optimizer_state(start.checkpoint):
        log(f"stage {stage.name}: {start.checkpoint} holds no optimizer state (deleted?); Adam moments restart")
        return None
    return start.checkpoint


def _engine(recipe: Recipe) -> str:
    if recipe.rollout.engine == "hf":
        return "hf"
    return "server" if recipe.rollout.vllm_mode == "server" else "vllm"


def _trainer(recipe: Recipe, stage, stage_dir: Path, model_path: str, data: StageData, eval_table, optimizer_from, log: Log):
    from datasets import Dataset

    from .console import MetricsLog
    from .grpo import build_trainer, grpo_config_kwargs
    from .launch.hardware import attention_implementation

    use_cpu = on_cpu()
    kwargs = grpo_config_kwargs(recipe, stage, str(stage_dir), world_size(), use_cpu=use_cpu)
    attention, note = attention_implementation(recipe.model.attn_implementation, cuda=not use_cpu)
    if note:  # flash attention only where flash-attn runs, else sdpa with this line
        log(note)
        kwargs["model_init_kwargs"]["attn_implementation"] = attention
    dataset = Dataset(data.training_columns())
    eval_dataset = None if eval_table is None else Dataset(eval_table.select(list(TRAIN_COLUMNS)))
    barrier()  # every process has its data before the trainer's collectives start
    try:
        return build_trainer(
            model_path, recipe.reward.name, kwargs, dataset, [MetricsLog(stage_dir / "metrics.jsonl", stage.name)],
            eval_dataset=eval_dataset, drop_equal_groups=stage.grpo.drop_equal_groups,
            schedule=recipe.schedule(stage.name), optimizer_from=optimizer_from, progress_name=stage.name,
            assistant_prefix=recipe.model.assistant_prefix,
        )
    except OSError as error:
        raise ModelError(f"cannot load model {model_path} ({str(error).splitlines()[0]}); check model.path") from error
