"""The recipe's data and stage sections, and the ``Recipe`` that holds them all.

Example:
    >>> MineConfig(rollouts=8, pass_rate_below=1.0).rollouts
    8
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import RecipeError
from .settings import (
    GRPOSettings,
    ModelConfig,
    RewardConfig,
    RolloutConfig,
    parse_length,
)

_STAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class BuildSpec:
    """``keychain build`` settings that make a data entry's shards when they are missing."""

    len: int = field(metadata={"parse": parse_length, "hint": ("length", "target_len", "lengths")})
    source: str = "synthetic"
    task: str = "keychain"
    num: int | None = None
    seed: int = 0
    split: str = "train"
    tokenizer: str = "cl100k_base"
    hops: int | None = None
    chains: int | None = None
    key_format: str | None = None

    def __post_init__(self) -> None:
        self.build_config("/tmp")  # keychain checks its own settings; errors become recipe errors

    def build_config(self, out: str):
        from keychain.config import BuildConfig
        from keychain.errors import KeychainError

        try:
            return BuildConfig(
                source=self.source, lengths=(self.len,), task=self.task, split=self.split, num=self.num,
                seed=self.seed, tokenizer=self.tokenizer, hops=self.hops, chains=self.chains,
                key_format=self.key_format, out=out,
            )
        except KeychainError as error:
            raise RecipeError(f"{error}".replace("--", "")) from error


@dataclass(frozen=True)
class DataSource:
    """One shard set: a keychain output folder, one of its config folders, or a version folder."""

    path: str
    weight: float | None = field(default=None, metadata={"hint": ("ratio", "share", "mix")})  # share of the stage mix
    rows: int | None = field(default=None, metadata={"hint": ("max_rows", "cap", "limit", "num")})  # at most this many rows
    build: BuildSpec | None = None  # make the shards with keychain when `path` holds no finished version

    def __post_init__(self) -> None:
        if self.weight is not None and self.rows is not None:
            raise RecipeError("weight: give a weight or a row cap, not both")
        if self.weight is not None and self.weight <= 0:
            raise RecipeError(f"weight: must be above 0, got {self.weight}")
        if self.rows is not None and self.rows < 1:
            raise RecipeError(f"rows: must be at least 1, got {self.rows}")
        if self.build is not None:
            expected = self.build.build_config(str(Path(self.path).parent)).config_name(self.build.len)
            if Path(self.path).name != expected:
                raise RecipeError(
                    f"path: must end in {expected}, the config folder keychain writes for this build "
                    f"(e.g. {Path(self.path).parent / expected})"
                )


@dataclass(frozen=True)
class MineConfig:
    """Hard-example mining before a stage: keep rows the current model does not always solve."""

    rollouts: int = field(default=8, metadata={"hint": ("n", "samples", "num_rollouts")})  # completions per row
    pass_rate_below: float = field(default=1.0, metadata={"hint": ("threshold", "max_pass_rate", "below")})
    max_rows: int | None = field(default=None, metadata={"hint": ("rows", "limit")})  # rows of the pool to score

    def __post_init__(self) -> None:
        if self.rollouts < 1:
            raise RecipeError(f"rollouts: must be at least 1, got {self.rollouts}")
        if not 0.0 < self.pass_rate_below <= 1.0:
            raise RecipeError(f"pass_rate_below: a pass rate in (0, 1], got {self.pass_rate_below} (1.0 drops rows solved every time)")
        if self.max_rows is not None and self.max_rows < 1:
            raise RecipeError(f"max_rows: must be at least 1, got {self.max_rows}")


@dataclass(frozen=True)
class StageConfig:
    name: str
    data: tuple[DataSource, ...]
    grpo: GRPOSettings  # merged: the recipe's grpo section with this stage's overrides
    steps: int | None = field(default=None, metadata={"hint": ("max_steps",)})
    epochs: float | None = field(default=None, metadata={"hint": ("num_train_epochs", "epoch")})
    mine: MineConfig | None = None
    # a validation slice: this many rows of the stage's data, held out from training and
    # scored every eval_steps (default: grpo.save_steps); a checkpoint is saved at every
    # evaluation and the stage's final/ is the best one (ties: the later)
    eval_rows: int | None = field(default=None, metadata={"hint": ("validation_rows", "eval_size", "holdout")})
    eval_steps: int | None = field(default=None, metadata={"hint": ("eval_every", "validation_steps")})

    def __post_init__(self) -> None:
        if self.eval_rows is not None and self.eval_rows < 1:
            raise RecipeError(f"eval_rows: must be at least 1 (or left out), got {self.eval_rows}")
        if self.eval_steps is not None and (self.eval_steps < 1 or self.eval_rows is None):
            raise RecipeError("eval_steps: a step count of at least 1, and only with eval_rows (the rows to score)")
        if not _STAGE_NAME.match(self.name):
            raise RecipeError(f"name: {self.name!r} must be letters, digits, '_', '-' or '.' (it names a folder)")
        if not self.data:
            raise RecipeError("data: empty; list at least one shard set")
        if (self.steps is None) == (self.epochs is None):
            raise RecipeError("steps: give exactly one of steps or epochs")
        if self.steps is not None and self.steps < 1:
            raise RecipeError(f"steps: must be at least 1, got {self.steps}")
        if self.epochs is not None and self.epochs <= 0:
            raise RecipeError(f"epochs: must be above 0, got {self.epochs}")
        weighted = [source.weight is not None for source in self.data]
        if any(weighted) and not all(weighted):
            raise RecipeError("data: give every entry a weight, or none (row caps and weights do not mix)")


@dataclass(frozen=True)
class Recipe:
    model: ModelConfig
    stages: tuple[StageConfig, ...]
    output_dir: str
    rollout: RolloutConfig = RolloutConfig()
    grpo: GRPOSettings = GRPOSettings()
    reward: RewardConfig = RewardConfig()
    seed: int = 0
    report_to: tuple[str, ...] = ()  # TRL/transformers loggers (wandb, tensorboard); metrics.jsonl is always written
    # continue: one learning-rate schedule over every stage's steps (warm-up once) and Adam
    # moments carried from the checkpoint a stage starts from; restart: each stage anew
    stage_schedule: Literal["continue", "restart"] = field(default="continue", metadata={"hint": ("schedule", "lr_schedule")})

    def __post_init__(self) -> None:
        if not self.stages:
            raise RecipeError("stages: empty; list at least one stage")
        if self.stage_schedule == "continue":
            for i, stage in enumerate(self.stages):
                if stage.steps is None:
                    raise RecipeError(
                        f"stages[{i}].epochs: stage_schedule continue spans the run's steps, so every stage needs "
                        "steps; give steps or set stage_schedule: restart"
                    )
        names = [stage.name for stage in self.stages]
        for name in names:
            if names.count(name) > 1:
                raise RecipeError(f"stages: the name {name!r} is used twice; stage names name folders and must differ")
        if self.rollout.max_model_length is not None:
            for i, stage in enumerate(self.stages):
                prompt = stage.grpo.max_prompt_length
                if prompt is not None and prompt + stage.grpo.max_completion_length > self.rollout.max_model_length:
                    need = prompt + stage.grpo.max_completion_length
                    raise RecipeError(
                        f"rollout.max_model_length: {self.rollout.max_model_length} tokens cannot hold stages[{i}]'s "
                        f"prompts ({prompt}) plus completions ({stage.grpo.max_completion_length}); raise it to {need}"
                    )

    def schedule(self, name: str) -> tuple[int, int] | None:
        """(steps of the stages before ``name``, steps of the run) with stage_schedule continue."""
        if self.stage_schedule != "continue":
            return None
        steps = [stage.steps for stage in self.stages]
        return sum(steps[: [stage.name for stage in self.stages].index(name)]), sum(steps)

    def stage(self, name: str) -> StageConfig:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise RecipeError(f"no stage named {name!r}; the recipe has {', '.join(s.name for s in self.stages)}")
