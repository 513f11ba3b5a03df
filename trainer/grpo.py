"""Recipe settings -> TRL ``GRPOConfig`` and a ``GRPOTrainer`` for one stage.

TRL is the GRPO engine (loss, advantages, KL, vLLM rollouts and weight sync, DeepSpeed
and FSDP through accelerate); this module only translates names. One optimizer step
sees ``prompts_per_step * group_size`` completions: ``per_device_batch_size``
completions per forward pass on each of ``world_size`` processes, accumulated over
``gradient_accumulation_steps``, all generated in one batch (TRL's
``steps_per_generation`` defaults to the accumulation, so each step is on-policy).

Example: 512 prompts x 8 completions on 8 GPUs x 8 per pass -> 4096 / 64 = 64
accumulation steps (``accumulation_steps(512 * 8, 8, 8) == 64``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import RecipeError


def accumulation_steps(completions_per_step: int, per_device_batch_size: int, world_size: int) -> int:
    """Gradient accumulation so one optimizer step sees exactly ``completions_per_step``."""
    per_pass = per_device_batch_size * world_size
    if completions_per_step % per_pass:
        raise RecipeError(
            f"grpo.prompts_per_step x group_size = {completions_per_step} completions per step is not a multiple of "
            f"per_device_batch_size x {world_size} processes = {per_pass}; change one of them"
        )
    return completions_per_step // per_pass


def grpo_config_kwargs(recipe, stage, output_dir: str, world_size: int = 1, use_cpu: bool = False) -> dict[str, Any]:
    """``GRPOConfig`` keyword arguments for ``stage`` of ``recipe`` (a pure mapping).

    ``use_cpu`` runs on CPU in float32 (no bf16), the tests' and laptops' setting.
    """
    grpo, rollout, model = stage.grpo, recipe.rollout, recipe.model
    bf16 = model.dtype == "bfloat16" and not use_cpu
    init_kwargs: dict[str, Any] = {"dtype": "float32" if use_cpu else model.dtype}
    if model.attn_implementation is not None:
        init_kwargs["attn_implementation"] = model.attn_implementation
    kwargs: dict[str, Any] = {
        "output_dir": output_dir,
        "seed": recipe.seed,
        "data_seed": recipe.seed,
        "use_cpu": use_cpu,
        "bf16": bf16,
        "fp16": model.dtype == "float16" and not use_cpu,
        "model_init_kwargs": init_kwargs,
        "num_generations": grpo.group_size,
        "beta": grpo.kl_beta,
        "epsilon": grpo.clip_epsilon,
        "epsilon_high": grpo.clip_epsilon_high,
        "loss_type": grpo.loss_type,
        "scale_rewards": grpo.scale_rewards,
        "learning_rate": grpo.learning_rate,
        "lr_scheduler_type": grpo.lr_scheduler,
        "weight_decay": grpo.weight_decay,
        "max_grad_norm": grpo.max_grad_norm,
        "per_device_train_batch_size": grpo.per_device_batch_size,
        "gradient_accumulation_steps": accumulation_steps(
            grpo.completions_per_step, grpo.per_device_batch_size, world_size
        ),
        "num_iterations": grpo.num_iterations,
        "max_completion_length": grpo.max_completion_length,
        "gradient_checkpointing": grpo.gradient_checkpointing,
        "logging_steps": grpo.logging_steps,
        "save_strategy": "steps",
        "save_steps": grpo.save_steps,
        "save_total_limit": grpo.save_total_limit,
        "temperature": rollout.temperature,
        "top_p": rollout.top_p,
        "report_to": list(recipe.report_to) or "none",
        "remove_unused_columns": False,  # the reward reads data_source and answers
        "use_vllm": rollout.engine == "vllm",
    }
    kwargs.update(_warmup(grpo.warmup_ratio))
    if stage.steps is not None:
        kwargs["max_steps"] = stage.steps
    else:
        kwargs["num_train_epochs"] = stage.epochs
    if rollout.engine == "vllm":
        kwargs.update(
            vllm_mode=rollout.vllm_mode,
            vllm_tensor_parallel_size=rollout.tensor_parallel_size,
            vllm_gpu_memory_utilization=rollout.gpu_memory_utilization,
            vllm_max_model_length=rollout.max_model_length,
            vllm_enable_sleep_mode=rollout.sleep_mode,
        )
        if rollout.server_url is not None:
            kwargs["vllm_server_base_url"] = rollout.server_url
    return kwargs


def _warmup(ratio: float) -> dict[str, Any]:
    """transformers 5 reads a float ``warmup_steps`` below 1 as a ratio; 4.x has ``warmup_ratio``."""
    from trl import GRPOConfig

    names = {f.name for f in dataclasses.fields(GRPOConfig)}
    return {"warmup_ratio": ratio} if "warmup_ratio" in names else {"warmup_steps": ratio}


def build_trainer(model_path: str, reward_name: str, config_kwargs: dict[str, Any], dataset, callbacks=()):
    """A TRL ``GRPOTrainer`` over ``dataset`` (a ``datasets.Dataset`` of keychain columns)."""
    from trl import GRPOConfig, GRPOTrainer

    from .rewards import reward_function

    return GRPOTrainer(
        model=model_path,
        reward_funcs=reward_function(reward_name),
        args=GRPOConfig(**config_kwargs),
        train_dataset=dataset,
        callbacks=list(callbacks),
    )
