"""The recipe: what to train, on what, in which stages. Parsed and checked once, here.

A recipe is YAML nested by section (``model``, ``rollout``, ``grpo``, ``reward``,
``stages``, ``output_dir``, ``seed``); unknown keys are rejected with their full path
and a suggestion. ``grpo`` holds the defaults of every stage; a stage's own ``grpo``
overrides single keys, and the resolved recipe stores each stage's merged settings.
``--set grpo.learning_rate=2e-6`` (or ``stages[1].steps=10``, ``stages.stage2.steps=10``)
edits the raw YAML before it is checked. The text ``{output_dir}`` in any string is
replaced by the run folder, so a recipe can keep its model and data inside the run.

Paths become absolute here (relative to the working directory), so the resolved
recipe written into the run folder means the same thing from anywhere.

Example:
    >>> recipe = parse_recipe({"model": {"path": "Qwen/Qwen2.5-7B-Instruct"},
    ...     "stages": [{"name": "one", "steps": 2, "data": [{"path": "/data/x"}],
    ...                 "grpo": {"learning_rate": "2e-6"}}]}, output_dir="/runs/a")
    >>> recipe.stages[0].grpo.learning_rate, recipe.grpo.learning_rate, recipe.stages[0].grpo.group_size
    (2e-06, 1e-06, 8)
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from .config_tree import from_dict, to_plain
from .errors import RecipeError

OUTPUT_DIR_PLACEHOLDER = "{output_dir}"
_STAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SET_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


def _parse_length(value: Any) -> int:
    from keychain.config import parse_length
    from keychain.errors import KeychainError

    try:
        return parse_length(value)
    except KeychainError as error:
        raise RecipeError(str(error).replace("--len ", "")) from error


@dataclass(frozen=True)
class ModelConfig:
    path: str = field(metadata={"hint": ("id", "name", "model_name_or_path")})  # Hub id or local folder
    create_tiny: bool = False  # make a random 2-layer Qwen2 + BPE tokenizer at `path` when it is missing
    dtype: Literal["bfloat16", "float16", "float32", "auto"] = field(default="bfloat16", metadata={"hint": ("torch_dtype",)})
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2", "flash_attention_3"] | None = field(
        default=None, metadata={"hint": ("attention", "attn")}
    )

    def __post_init__(self) -> None:
        if not self.path:
            raise RecipeError("path: empty; give a Hub model id or a local folder")


@dataclass(frozen=True)
class RolloutConfig:
    engine: Literal["vllm", "hf"] = "vllm"  # hf = transformers' generate (CPU, or GPU without vLLM)
    vllm_mode: Literal["colocate", "server"] = field(default="colocate", metadata={"hint": ("mode",)})
    tensor_parallel_size: int = field(default=1, metadata={"hint": ("tp", "tp_size", "vllm_tensor_parallel_size")})
    gpu_memory_utilization: float = field(default=0.3, metadata={"hint": ("vllm_gpu_memory_utilization",)})  # share of each GPU vLLM may take (colocate)
    max_model_length: int | None = field(default=None, metadata={"hint": ("max_model_len", "vllm_max_model_length")})  # tokens, prompt + completion
    sleep_mode: bool = field(default=False, metadata={"hint": ("vllm_enable_sleep_mode", "enable_sleep_mode")})
    server_url: str | None = field(default=None, metadata={"hint": ("vllm_server_base_url", "base_url")})  # server mode
    temperature: float = 1.0
    top_p: float = 1.0

    def __post_init__(self) -> None:
        if self.tensor_parallel_size < 1:
            raise RecipeError(f"tensor_parallel_size: must be at least 1, got {self.tensor_parallel_size}")
        if not 0.0 < self.gpu_memory_utilization <= 1.0:
            raise RecipeError(f"gpu_memory_utilization: a share of GPU memory in (0, 1], got {self.gpu_memory_utilization}")
        if self.max_model_length is not None and self.max_model_length < 1:
            raise RecipeError(f"max_model_length: must be a positive token count, got {self.max_model_length}")
        if self.temperature <= 0:
            raise RecipeError(f"temperature: must be above 0 (GRPO needs varied samples), got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise RecipeError(f"top_p: must lie in (0, 1], got {self.top_p}")
        if self.server_url is not None and self.vllm_mode != "server":
            raise RecipeError("server_url: only used with vllm_mode: server; drop it or set vllm_mode: server")


@dataclass(frozen=True)
class GRPOSettings:
    """GRPO settings of one stage (the recipe's ``grpo`` section holds the defaults)."""

    group_size: int = field(default=8, metadata={"hint": ("num_generations", "n", "rollout_n")})  # completions per prompt
    kl_beta: float = field(default=0.001, metadata={"hint": ("beta", "kl_coef", "kl")})
    clip_epsilon: float = field(default=0.2, metadata={"hint": ("epsilon", "clip_ratio", "clip")})
    clip_epsilon_high: float | None = field(default=None, metadata={"hint": ("epsilon_high",)})  # None: = clip_epsilon
    # dapo = token-level mean over the whole batch (verl's default token-mean aggregation)
    loss_type: Literal["grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo"] = "dapo"
    scale_rewards: Literal["group", "batch", "none"] = "group"  # advantage = (r - mean) / std within the group
    learning_rate: float = field(default=1e-6, metadata={"hint": ("lr",)})
    lr_scheduler: Literal["cosine", "linear", "constant", "constant_with_warmup", "cosine_with_min_lr"] = field(
        default="cosine", metadata={"hint": ("lr_scheduler_type", "schedule", "scheduler")}
    )
    warmup_ratio: float = field(default=0.0, metadata={"hint": ("warmup", "warmup_steps", "lr_warmup_steps_ratio")})
    weight_decay: float = 0.0
    max_grad_norm: float = field(default=1.0, metadata={"hint": ("grad_clip", "clip_grad_norm", "gradient_clipping")})
    prompts_per_step: int = field(default=512, metadata={"hint": ("batch_size", "train_batch_size")})
    per_device_batch_size: int = field(default=8, metadata={"hint": ("per_device_train_batch_size", "micro_batch_size")})  # completions
    num_iterations: int = field(default=1, metadata={"hint": ("ppo_epochs", "mu")})  # updates per generation batch
    max_completion_length: int = field(default=4096, metadata={"hint": ("max_response_length", "max_new_tokens")})
    max_prompt_length: int | None = field(default=None, metadata={"hint": ("max_prompt_tokens",), "parse": _parse_length})
    gradient_checkpointing: bool = True
    logging_steps: int = 1
    save_steps: int = 20  # optimizer steps between checkpoints (resume points)
    save_total_limit: int | None = 2  # checkpoints kept per stage (each holds optimizer state)

    def __post_init__(self) -> None:
        positive = ("group_size", "prompts_per_step", "per_device_batch_size", "num_iterations",
                    "max_completion_length", "logging_steps", "save_steps")
        for name in positive:
            if getattr(self, name) < 1:
                raise RecipeError(f"{name}: must be at least 1, got {getattr(self, name)}")
        if self.group_size < 2:
            raise RecipeError(f"group_size: must be at least 2 (advantages compare completions of one prompt), got {self.group_size}")
        if self.kl_beta < 0:
            raise RecipeError(f"kl_beta: must be 0 (no reference model) or more, got {self.kl_beta}")
        if self.clip_epsilon <= 0:
            raise RecipeError(f"clip_epsilon: must be above 0, got {self.clip_epsilon}")
        if self.learning_rate <= 0:
            raise RecipeError(f"learning_rate: must be above 0, got {self.learning_rate}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise RecipeError(f"warmup_ratio: a share of the stage's steps in [0, 1), got {self.warmup_ratio}")
        if self.save_total_limit is not None and self.save_total_limit < 1:
            raise RecipeError(f"save_total_limit: at least 1 (or null to keep all), got {self.save_total_limit}")

    @property
    def completions_per_step(self) -> int:
        return self.prompts_per_step * self.group_size


@dataclass(frozen=True)
class RewardConfig:
    name: str = field(default="containment", metadata={"hint": ("reward", "metric")})  # see trainer.rewards

    def __post_init__(self) -> None:
        from .rewards import check_reward_name

        try:
            check_reward_name(self.name)
        except RecipeError as error:
            raise RecipeError(f"name: {error}") from error


@dataclass(frozen=True)
class BuildSpec:
    """``keychain build`` settings that make a data entry's shards when they are missing."""

    len: int = field(metadata={"parse": _parse_length, "hint": ("length", "target_len", "lengths")})
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

    def __post_init__(self) -> None:
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

    def __post_init__(self) -> None:
        if not self.stages:
            raise RecipeError("stages: empty; list at least one stage")
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

    def stage(self, name: str) -> StageConfig:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise RecipeError(f"no stage named {name!r}; the recipe has {', '.join(s.name for s in self.stages)}")


# ---------------------------------------------------------------------------------------
# Loading


def load_recipe(path: str | Path, overrides: list[str] = (), output_dir: str | None = None) -> Recipe:
    """Read a recipe file, apply ``--set`` overrides, check it, and return it resolved."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RecipeError(f"{path}: cannot read the recipe ({error.strerror}); check the path") from error
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise RecipeError(f"{path}{where}: not valid YAML ({getattr(error, 'problem', error)}); fix the recipe") from error
    if not isinstance(raw, dict):
        raise RecipeError(f"{path}: a recipe is a mapping with model, stages, ...; got {type(raw).__name__}")
    for assignment in overrides:
        apply_override(raw, assignment)
    return parse_recipe(raw, output_dir=output_dir)


def parse_recipe(raw: dict, output_dir: str | None = None) -> Recipe:
    """A checked ``Recipe`` from raw YAML data; ``output_dir`` overrides the recipe's own."""
    raw = copy.deepcopy(raw)
    chosen = output_dir if output_dir is not None else raw.get("output_dir")
    if chosen is None:
        raise RecipeError("output_dir: missing; pass --output-dir DIR or set output_dir in the recipe")
    if not isinstance(chosen, str) or not chosen:
        raise RecipeError(f"output_dir: expected a folder path, got {chosen!r}")
    run_dir = str(Path(chosen).expanduser().absolute())
    raw["output_dir"] = run_dir
    raw = _substitute(raw, run_dir)

    stages = raw.get("stages")
    if not isinstance(stages, list):
        raise RecipeError(f"stages: expected a list of stages, got {type(stages).__name__ if stages is not None else 'nothing'}")
    defaults = raw.get("grpo") or {}
    from_dict(GRPOSettings, defaults, "grpo")  # report errors of the defaults at their own path first
    for i, stage in enumerate(stages):
        if isinstance(stage, dict):
            own = stage.get("grpo") or {}
            if not isinstance(own, dict):
                raise RecipeError(f"stages[{i}].grpo: expected a mapping of overrides, got {type(own).__name__}")
            for key in own:
                if key not in _field_names(GRPOSettings):
                    from_dict(GRPOSettings, {key: own[key]}, f"stages[{i}].grpo")  # raises with a suggestion
            stage["grpo"] = {**defaults, **own}
    return _absolute_paths(from_dict(Recipe, raw, ""))


def _field_names(cls) -> set[str]:
    from dataclasses import fields

    return {f.name for f in fields(cls)}


def _substitute(value: Any, run_dir: str) -> Any:
    if isinstance(value, str):
        return value.replace(OUTPUT_DIR_PLACEHOLDER, run_dir)
    if isinstance(value, list):
        return [_substitute(item, run_dir) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, run_dir) for key, item in value.items()}
    return value


def _absolute(path: str) -> str:
    return str(Path(path).expanduser().absolute())


def _looks_local(name: str) -> bool:
    """A local folder (existing, or written as a path) rather than a Hub id or encoding name."""
    return name.startswith((".", "/", "~")) or Path(name).expanduser().exists()


def _absolute_paths(recipe: Recipe) -> Recipe:
    model = recipe.model
    if model.create_tiny or _looks_local(model.path):
        model = replace(model, path=_absolute(model.path))
    stages = []
    for stage in recipe.stages:
        data = []
        for source in stage.data:
            build = source.build
            if build is not None and _looks_local(build.tokenizer):
                build = replace(build, tokenizer=_absolute(build.tokenizer))
            data.append(replace(source, path=_absolute(source.path), build=build))
        stages.append(replace(stage, data=tuple(data)))
    return replace(recipe, model=model, stages=tuple(stages))


def apply_override(raw: dict, assignment: str) -> None:
    """Apply ``a.b[2].c=value`` (value read as YAML) to the raw recipe, in place.

    ``stages.NAME.key=value`` addresses a stage by name.
    """
    key, sep, text = assignment.partition("=")
    if not sep or not key.strip():
        raise RecipeError(f"--set {assignment!r}: write it as section.key=value, e.g. grpo.learning_rate=2e-6")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError as error:
        raise RecipeError(f"--set {assignment!r}: the value is not valid YAML; quote it") from error
    parts = key.strip().split(".")
    node: Any = raw
    trail = ""
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        match = _SET_PART.match(part)
        if match is None:
            raise RecipeError(f"--set {assignment!r}: {part!r} is not a key; use names like grpo.learning_rate or stages[1].steps")
        name, index = match.group(1), match.group(2)
        if isinstance(node, list):  # stages.NAME.key: a stage chosen by its name
            chosen = [item for item in node if isinstance(item, dict) and item.get("name") == name]
            if not chosen:
                names = ", ".join(str(item.get("name")) for item in node if isinstance(item, dict))
                raise RecipeError(f"--set {assignment!r}: no stage named {name!r}; the recipe has {names}")
            node, trail = chosen[0], f"{trail}.{name}"
            if last:
                raise RecipeError(f"--set {assignment!r}: name a key inside the stage, e.g. {key}.steps=10")
            continue
        if not isinstance(node, dict):
            raise RecipeError(f"--set {assignment!r}: {trail or 'the recipe'} is not a section")
        trail = f"{trail}.{name}" if trail else name
        if index is not None:
            items = node.get(name)
            if not isinstance(items, list) or int(index) >= len(items):
                count = len(items) if isinstance(items, list) else 0
                raise RecipeError(f"--set {assignment!r}: {trail} has {count} entries; index from 0 to {count - 1}")
            trail = f"{trail}[{index}]"
            if last:
                items[int(index)] = value
                return
            node = items[int(index)]
            continue
        if last:
            node[name] = value
            return
        if name not in node or node[name] is None:
            node[name] = {}
        node = node[name]


def recipe_to_dict(recipe: Recipe) -> dict:
    return to_plain(recipe)


def dump_recipe(recipe: Recipe) -> str:
    """The resolved recipe as YAML: every default filled in, every stage's grpo merged."""
    return yaml.safe_dump(recipe_to_dict(recipe), sort_keys=False, allow_unicode=True)
