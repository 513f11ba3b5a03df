"""A stage's ``final/`` model, written whole, and its metrics kept in step with it.

``save_final`` saves the trained model and tokenizer under ``.final.tmp`` and renames it
into place, so ``final/`` is complete or absent. ``finish_from_checkpoint`` covers a run
killed after its last checkpoint but before ``final/``: that checkpoint already holds
every step the recipe asks for, so its weights and tokenizer become ``final/`` and no
step is trained again (resuming there would make transformers train one more).

Example: ``finish_from_checkpoint(Path("stages/s/checkpoint-2"), Path("stages/s/final"))``
copies ``model.safetensors``, ``config.json`` and the tokenizer files, not the optimizer.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import RunError
from .folder import WEIGHTS

# what a checkpoint holds besides the model: training state, not part of final/
TRAINING_STATE = ("optimizer.pt", "scheduler.pt", "scaler.pt", "trainer_state.json", "training_args.bin",
                  "latest", "zero_to_fp32.py", "rng_state")


def staging_of(final: Path) -> Path:
    return final.with_name(f".{final.name}.tmp")


def _swap_in(staging: Path, final: Path) -> None:
    shutil.rmtree(final, ignore_errors=True)
    os.replace(staging, final)


def save_final(trainer, final: Path) -> Path:
    """Save model and tokenizer under a temporary name, then rename: ``final/`` is whole."""
    staging = staging_of(final)
    if trainer.accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
    trainer.accelerator.wait_for_everyone()
    trainer.save_model(str(staging))  # every rank takes part (ZeRO-3 gathers), rank 0 writes
    if trainer.accelerator.is_main_process:
        trainer.processing_class.save_pretrained(str(staging))
        _swap_in(staging, final)
    trainer.accelerator.wait_for_everyone()
    return final


def finish_from_checkpoint(checkpoint: Path, final: Path) -> Path:
    """Make ``final/`` from a checkpoint that already holds the stage's last step."""
    if not any((checkpoint / name).is_file() for name in WEIGHTS):
        raise RunError(
            f"{checkpoint} holds the stage's last step but no consolidated weights (DeepSpeed without "
            "zero3_save_16bit_model, or sharded FSDP); convert it with its zero_to_fp32.py into "
            f"{final}, or delete {checkpoint} to train the last steps again"
        )
    staging = staging_of(final)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for item in checkpoint.iterdir():
        if item.is_file() and not item.name.startswith(TRAINING_STATE):
            shutil.copy2(item, staging / item.name)
    _swap_in(staging, final)
    return final


def trim_metrics(path: Path, step: int) -> int:
    """Drop metrics logged after ``step`` (where a resumed stage restarts) and lines cut
    short by a kill; return how many lines were dropped."""
    if not path.is_file():
        return 0
    kept, dropped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            dropped += 1
            continue
        if isinstance(entry, dict) and entry.get("step", 0) <= step:
            kept.append(line)
        else:
            dropped += 1
    path.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
    return dropped
