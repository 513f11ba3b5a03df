"""``trainer run``: the stage schedule, each stage starting from the previous one's model.

``run_recipe`` reads top to bottom: claim the run folder (resolved recipe), make the
tiny model and missing shards when the recipe asks, then for each stage: skip it when
its ``summary.json`` exists, else load and filter its data, hold out its validation
slice (``eval_rows``), mine hard rows when it has ``mine:``, train with TRL from the
previous stage's ``final/`` (resuming from the stage's last checkpoint after an
interruption), save ``final/`` and write the summary last. With ``eval_rows`` the stage's
``final/`` is its best checkpoint by validation reward (ties: the later); the summary
records which checkpoint ``final/`` holds, and with ``stage_schedule: continue`` the next
stage takes that checkpoint's optimizer state and continues the run's one schedule.

Example: stages warmup, stage1 (eval_rows), stage2 (mine) -> stage1 starts from
``stages/warmup/final``; stage2 mines with and starts from ``stages/stage1/final``, the
best stage-1 checkpoint, named in ``stages/stage1/summary.json`` (``checkpoint``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .data import TRAIN_COLUMNS, StageData, ensure_built, hold_out, load_stage_data
from .errors import ModelError
from .recipe import Recipe, recipe_to_dict
from .run_folder import RunFolder, write_json

Log = Callable[[str], None]


def _print(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def world_size() -> int:
    """Processes of this launch (accelerate/torchrun set WORLD_SIZE; 1 when run directly)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def on_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


def run_recipe(recipe: Recipe, command: str = "trainer run", log: Log = _print) -> list[dict]:
    """Run every unfinished stage of ``recipe``; return the per-stage summaries."""
    from .console import quiet_known_warnings

    quiet_known_warnings()
    run = RunFolder(recipe.output_dir)
    run.claim(recipe_to_dict(recipe))
    if recipe.model.create_tiny:
        from .tiny import create_tiny_model

        create_tiny_model(recipe.model.path, seed=recipe.seed)
    for stage in recipe.stages:
        for source in stage.data:
            ensure_built(source, command, log)

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
    write_json(run.root / "summary.json", {"stages": summaries})
    return summaries


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
    held_out = None if eval_table is None else eval_table.column("id").to_pylist()
    write_json(stage_dir / "data.json", {**data.summary(), "mined": None if mined is None else vars(mined),
                                         "eval_ids": held_out})

    optimizer_from = _optimizer_source(recipe, stage, start, log)
    trainer = _trainer(recipe, stage, stage_dir, model_path, data, eval_table, optimizer_from)
    resume = _last_checkpoint(stage_dir)
    log(f"stage {stage.name}: training on {data.rows} rows from {model_path}"
        + (f", resuming from {resume.name}" if resume else ""))
    _trim_metrics(stage_dir / "metrics.jsonl", resume)
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    final = _save_final(trainer, run.final(stage.name))
    state = trainer.state
    rewards = [entry["reward"] for entry in state.log_history if "reward" in entry]
    evals = [{"step": entry["step"], "eval_reward": entry["eval_reward"]} for entry in state.log_history if "eval_reward" in entry]
    best = state.best_model_checkpoint if eval_table is not None else None
    summary = {
        "stage": stage.name,
        "steps": state.global_step,
        "rows": data.rows,
        "mined": None if mined is None else {"pool": mined.pool, "kept": mined.kept, "shard_set": mined.shard_set},
        "reward_first": rewards[0] if rewards else None,
        "reward_last": rewards[-1] if rewards else None,
        "eval": None if eval_table is None else {"rows": eval_table.num_rows, "rewards": evals, "best_step": state.best_global_step,
                                                 "best_eval_reward": state.best_metric},
        "started_from": {"model": model_path, "optimizer": optimizer_from},
        "seconds": round(time.perf_counter() - started, 1),
        "final": str(final),
        "checkpoint": best or str(stage_dir / f"checkpoint-{state.global_step}"),  # what final/ holds
    }
    if trainer.accelerator.is_main_process:
        write_json(stage_dir / "summary.json", summary)
    best_line = "" if best is None else f"; final/ is {Path(best).name} (best eval_reward {state.best_metric:.3f})"
    log(f"stage {stage.name}: done, {summary['steps']} steps, reward {summary['reward_first']} -> "
        f"{summary['reward_last']}, {summary['seconds']} s{best_line}")
    return summary


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
    return "vllm" if recipe.rollout.engine == "vllm" else "hf"


def _trainer(recipe: Recipe, stage, stage_dir: Path, model_path: str, data: StageData, eval_table, optimizer_from):
    from datasets import Dataset

    from .console import MetricsLog
    from .grpo import build_trainer, grpo_config_kwargs

    kwargs = grpo_config_kwargs(recipe, stage, str(stage_dir), world_size(), use_cpu=on_cpu())
    dataset = Dataset(data.training_columns())
    eval_dataset = None if eval_table is None else Dataset(eval_table.select(list(TRAIN_COLUMNS)))
    try:
        return build_trainer(
            model_path, recipe.reward.name, kwargs, dataset, [MetricsLog(stage_dir / "metrics.jsonl", stage.name)],
            eval_dataset=eval_dataset, drop_equal_groups=stage.grpo.drop_equal_groups,
            schedule=recipe.schedule(stage.name), optimizer_from=optimizer_from, progress_name=stage.name,
            assistant_prefix=recipe.model.assistant_prefix,
        )
    except OSError as error:
        raise ModelError(f"cannot load model {model_path} ({str(error).splitlines()[0]}); check model.path") from error


def _last_checkpoint(stage_dir: Path) -> Path | None:
    if not stage_dir.is_dir():
        return None
    from transformers.trainer_utils import get_last_checkpoint

    last = get_last_checkpoint(str(stage_dir))
    return Path(last) if last else None


def _checkpoint_step(checkpoint: Path | None) -> int:
    return int(checkpoint.name.rsplit("-", 1)[1]) if checkpoint else 0


def _trim_metrics(path: Path, resume: Path | None) -> None:
    """Drop metrics logged after the checkpoint a resumed stage restarts from."""
    if not path.is_file():
        return
    step = _checkpoint_step(resume)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if json.loads(line).get("step", 0) <= step]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _save_final(trainer, final: Path) -> Path:
    """Save model and tokenizer under a temporary name, then rename: ``final/`` is whole."""
    staging = final.with_name(final.name + ".tmp")
    if trainer.accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
    trainer.save_model(str(staging))  # every rank takes part (ZeRO-3 gathers), rank 0 writes
    if trainer.accelerator.is_main_process:
        trainer.processing_class.save_pretrained(str(staging))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
    trainer.accelerator.wait_for_everyone()
    return final
