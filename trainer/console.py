"""What training prints: one progress display per stage, metrics in ``metrics.jsonl``.

TRL's trainer prints every logged dict on stdout (transformers' ``ProgressCallback``)
beside tqdm bars on stderr. Here a stage shows one display on stderr, on the main
process only: a tqdm bar on a terminal, else a plain line every ``interval_s`` seconds
and at the end, each with the step, reward, KL, seconds per step, the share of groups
dropped for equal rewards and the last validation reward. Every logged value goes to
``metrics.jsonl`` (``MetricsLog``). Upstream warnings the run cannot act on (TRL calling
transformers' deprecated gradient-checkpointing methods at every generation) are shown
once per process instead of at every generation.

Example (not a terminal): ``stage1: step 4/168 | reward 0.312 | kl 0.0004 | 41.2 s/step |
dropped 25% | eval_reward 0.281``
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import IO

from transformers import TrainerCallback

KNOWN_WARNINGS = (  # (message pattern, what to show once instead)
    (r"`(is_gradient_checkpointing|gradient_checkpointing_enable|gradient_checkpointing_disable)` is deprecated",
     "TRL 1.16 calls transformers' deprecated `is_gradient_checkpointing` and `gradient_checkpointing_enable/disable` "
     "around every generation (use `*activation_checkpointing*`); shown once per run, not per generation"),
)
_SHOWN = (("reward", "reward", ".3f"), ("kl", "kl", ".4f"), ("frac_groups_dropped", "dropped", ".0%"),
          ("eval_reward", "eval_reward", ".3f"))
_ORDER = ("reward", "kl", "seconds", "frac_groups_dropped", "eval_reward")


_noted = False


def quiet_known_warnings() -> None:
    """Show each known upstream warning once per launch, and no loading/saving bars.

    Python's ``"once"`` action does not hold: the registry it keeps is cleared whenever
    a warnings filter changes, which transformers and accelerate do around every
    checkpoint. So the known warnings are noted here once and then ignored (the filter is
    installed again on every call: ``catch_warnings`` blocks drop filters added inside them).
    """
    global _noted
    from transformers.utils import logging

    logging.disable_progress_bar()  # "Loading weights" and "Writing model shards" bars, per checkpoint
    for pattern, note in KNOWN_WARNINGS:
        if not _noted and os.environ.get("RANK", "0") == "0":  # once per launch, not once per process
            print(f"warning (once): {note}", file=sys.stderr, flush=True)
        warnings.filterwarnings("ignore", message=pattern, category=FutureWarning)
    _noted = True


class StageProgress(TrainerCallback):
    """One progress display for a stage (see the module docstring)."""

    def __init__(self, name: str, stream: IO[str] | None = None, interval_s: float = 10.0) -> None:
        self.name, self.stream, self.interval_s = name, stream or sys.stderr, interval_s
        self.values: dict[str, float] = {}
        self.bar = None
        self.active = False
        self.printed: tuple[int, int] | None = None  # (step, values) of the last plain line

    @classmethod
    def replace_default(cls, trainer, name: str) -> "StageProgress":
        """Swap transformers' progress and printer callbacks for one ``StageProgress``."""
        from transformers.trainer_callback import PrinterCallback, ProgressCallback

        trainer.remove_callback(ProgressCallback)
        trainer.remove_callback(PrinterCallback)
        progress = cls(name)
        trainer.add_callback(progress)
        return progress

    def on_train_begin(self, args, state, control, **kwargs):
        self.active = state.is_world_process_zero
        if not self.active:
            return
        self.total, self.first = state.max_steps, state.global_step
        self.began = self.last_line = time.perf_counter()
        if self.stream.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, initial=self.first, desc=self.name, file=self.stream, dynamic_ncols=True)

    def on_step_end(self, args, state, control, **kwargs):
        if not self.active:
            return
        self.step = state.global_step
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self.active or not logs:
            return
        self.step = state.global_step
        self.values.update({key: logs[key] for key, _, _ in _SHOWN if isinstance(logs.get(key), (int, float))})
        if self.bar is not None:
            self.bar.set_postfix_str(self.summary(with_step=False), refresh=False)
        elif time.perf_counter() - self.last_line >= self.interval_s:
            self._line()

    def on_train_end(self, args, state, control, **kwargs):
        if not self.active:
            return
        self.step = state.global_step
        if self.bar is not None:
            self.bar.set_postfix_str(self.summary(with_step=False))
            self.bar.close()
        elif self.printed != (self.step, len(self.values)):
            self._line()

    def summary(self, with_step: bool = True) -> str:
        """``step 4/168 | reward 0.312 | kl 0.0004 | 41.2 s/step | dropped 25% | eval_reward 0.281``."""
        step = getattr(self, "step", self.first)
        shown = {key: f"{label} {format(self.values[key], spec)}" for key, label, spec in _SHOWN if key in self.values}
        if step > self.first:
            shown["seconds"] = f"{(time.perf_counter() - self.began) / (step - self.first):.1f} s/step"
        parts = [f"step {step}/{self.total}"] if with_step else []
        return " | ".join(parts + [shown[key] for key in _ORDER if key in shown])

    def _line(self) -> None:
        self.last_line, self.printed = time.perf_counter(), (self.step, len(self.values))
        print(f"{self.name}: {self.summary()}", file=self.stream, flush=True)


class MetricsLog(TrainerCallback):
    """Appends every logged dict (step and stage added) to ``metrics.jsonl``, main process only."""

    def __init__(self, path: Path, stage: str) -> None:
        self.path, self.stage = path, stage

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"stage": self.stage, "step": state.global_step, **logs}) + "\n")
