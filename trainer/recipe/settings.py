"""The recipe's sections that hold settings: ``model``, ``rollout``, ``grpo``, ``reward``.

Each is a frozen dataclass checked in ``__post_init__``; field metadata ``hint`` lists
names users reach for (``lr``, ``beta``, ``num_generations``) so an unknown key gets a
"did you mean" (``recipe.tree``), and ``parse`` converts a value once at the edge.

Example:
    >>> GRPOSettings(prompts_per_step=4, group_size=2).completions_per_step
    8
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import RecipeError

EXACT_DROP_LOSSES = ("dapo", "cispo", "vespo")  # loss normalised by num_items_in_batch (trainer/hooks.py)


def parse_length(value: Any) -> int:
    from keychain.config import parse_length
    from keychain.errors import KeychainError

    try:
        return parse_length(value)
    except KeychainError as error:
        raise RecipeError(str(error).replace("--len ", "")) from error


def _off(value: Any) -> Any:
    """YAML 1.1 reads a bare ``off`` as false."""
    return "off" if value is False else value


@dataclass(frozen=True)
class ModelConfig:
    path: str = field(metadata={"hint": ("id", "name", "model_name_or_path")})  # Hub id or local folder
    create_tiny: bool = False  # make a random 2-layer Qwen2 + BPE tokenizer at `path` when it is missing
    dtype: Literal["bfloat16", "float16", "float32", "auto"] = field(default="bfloat16", metadata={"hint": ("torch_dtype",)})
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2", "flash_attention_3"] | None = field(
        default=None, metadata={"hint": ("attention", "attn")}
    )
    # Text the assistant turn starts with, after the chat template's generation prompt:
    # "<think>" for rows built with keychain's --preset loongrl (the reference chat template
    # primes it), empty for the model's own template as it is.
    assistant_prefix: str = field(default="", metadata={"hint": ("think_prefix", "generation_prefix", "prefix")})

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
    top_k: int = 0  # 0 = off; every engine samples with exactly these three, nothing from the model folder
    # vLLM rollouts only: TRL's correction for the gap between vLLM's and the trainer's
    # token probabilities, weighting each token (token_*) or completion (sequence_*) by
    # trainer/vLLM probability ratios, truncated at the cap (*_truncate) or zeroed beyond it
    # (*_mask). vLLM reports probabilities after top-p, the trainer before, so with
    # top_p < 1 each token's ratio is the nucleus mass Z_t <= 1: TRL's default,
    # sequence_mask, multiplies a completion's loss by prod_t Z_t, which decays with length
    # (Z_t = 0.99 gives 0.33 at 128 tokens and 1e-18 at 4096). token_truncate keeps each
    # token's own ratio (no length decay) and caps it; off trusts vLLM's samples as on-policy.
    importance_sampling: Literal["off", "token_truncate", "token_mask", "sequence_truncate", "sequence_mask"] = field(
        default="token_truncate",
        metadata={"hint": ("vllm_importance_sampling_mode", "vllm_importance_sampling_correction", "is"), "parse": _off},
    )
    importance_sampling_cap: float = field(default=3.0, metadata={"hint": ("vllm_importance_sampling_clip_max", "is_cap")})

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
        if self.top_k < 0:
            raise RecipeError(f"top_k: 0 (off) or a positive number of tokens, got {self.top_k}")
        if self.importance_sampling_cap <= 1.0:
            raise RecipeError(f"importance_sampling_cap: a ratio above 1, got {self.importance_sampling_cap}")
        if self.server_url is not None and self.vllm_mode != "server":
            raise RecipeError("server_url: only used with vllm_mode: server; drop it or set vllm_mode: server")


@dataclass(frozen=True)
class GRPOSettings:
    """GRPO settings of one stage (the recipe's ``grpo`` section holds the defaults)."""

    group_size: int = field(default=8, metadata={"hint": ("num_generations", "n", "rollout_n")})  # completions per prompt
    kl_beta: float = field(default=0.001, metadata={"hint": ("beta", "kl_coef", "kl")})
    # Both are k3 = exp(ref - logp) - (ref - logp) - 1 per token. k3 is verl's low_var_kl,
    # what the paper used (verl also clamps it to [-10, 10]; TRL does not). k3_bias_corrected
    # is TRL's default (DeepSeek-V3.2): k3 times the ratio pi/pi_old, equal to 1 in value but
    # not in gradient, which adds k3 * grad(log pi) and makes the gradient that of the true
    # reverse KL rather than of k3's biased estimate.
    kl_estimator: Literal["k3", "k3_bias_corrected"] = field(default="k3", metadata={"hint": ("kl_loss_type", "use_bias_correction_kl")})
    # Groups whose completions all score the same carry no advantage; drop them from the
    # update as the paper's verl setup does (trainer/hooks.py). Needs loss_type dapo, cispo
    # or vespo, whose loss is normalised by the batch's token count.
    drop_equal_groups: bool = field(default=True, metadata={"hint": ("reward_rejection_sampling", "drop_zero_std")})
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
    max_prompt_length: int | None = field(default=None, metadata={"hint": ("max_prompt_tokens",), "parse": parse_length})
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
        if self.drop_equal_groups and self.loss_type not in EXACT_DROP_LOSSES:
            raise RecipeError(
                f"drop_equal_groups: needs loss_type {', '.join(EXACT_DROP_LOSSES)} (their loss is normalised by the "
                f"batch's tokens, so masked groups leave it exactly); got {self.loss_type}: set drop_equal_groups: false"
            )
        if self.save_total_limit is not None and self.save_total_limit < 1:
            raise RecipeError(f"save_total_limit: at least 1 (or null to keep all), got {self.save_total_limit}")

    @property
    def completions_per_step(self) -> int:
        return self.prompts_per_step * self.group_size


@dataclass(frozen=True)
class RewardConfig:
    name: str = field(default="containment", metadata={"hint": ("reward", "metric")})  # see trainer.rewards

    def __post_init__(self) -> None:
        from ..rewards import check_reward_name

        try:
            check_reward_name(self.name)
        except RecipeError as error:
            raise RecipeError(f"name: {error}") from error


