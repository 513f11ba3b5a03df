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

    ``use_cpu`` runs on CPU in float32 (no bf16), the tests' and laptops' setting. A stage
    with ``eval_rows`` evaluates and checkpoints every ``eval_steps`` and ends on its best
    checkpoint (``eval_reward``; ties go to the later one in ``hooks.py``).
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
        "use_bias_correction_kl": grpo.kl_estimator == "k3_bias_corrected",
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
        "logging_steps": grpo.logging_steps,
        "save_strategy": "steps",
        "save_steps": grpo.save_steps,
        "save_total_limit": grpo.save_total_limit,
        # every sampling setting explicit, none inherited from the model's generation_config.json
        "temperature": rollout.temperature,
        "top_p": rollout.top_p,
        "top_k": rollout.top_k,
        "repetition_penalty": 1.0,
        "report_to": list(recipe.report_to) or "none",
        "remove_unused_columns": False,  # the reward reads data_source and answers
        "use_vllm": rollout.engine == "vllm",
    }
    kwargs.update(_new_or_old_name(("warmup_ratio", "warmup_steps"), grpo.warmup_ratio))
    kwargs.update(_new_or_old_name(("activation_checkpointing", "gradient_checkpointing"), grpo.gradient_checkpointing))
    if stage.eval_rows is not None:
        kwargs.update(_eval_kwargs(stage, world_size))
    if stage.steps is not None:
        kwargs["max_steps"] = stage.steps
    else:
        kwargs["num_train_epochs"] = stage.epochs
    if rollout.engine == "vllm" and rollout.vllm_mode == "colocate":
        kwargs.update(
            vllm_mode="colocate",
            vllm_tensor_parallel_size=rollout.tensor_parallel_size,
            vllm_gpu_memory_utilization=rollout.gpu_memory_utilization,
            vllm_max_model_length=rollout.max_model_length,
            vllm_enable_sleep_mode=rollout.sleep_mode,
        )
    elif rollout.engine == "vllm":  # server: TP, memory share, length and sleep are the server's own flags
        kwargs["vllm_mode"] = "server"
        if rollout.server_url is not None:
            kwargs["vllm_server_base_url"] = rollout.server_url
    if rollout.engine == "vllm":
        kwargs["vllm_importance_sampling_correction"] = rollout.importance_sampling != "off"
        if rollout.importance_sampling != "off":
            kwargs["vllm_importance_sampling_mode"] = rollout.importance_sampling
            kwargs["vllm_importance_sampling_clip_max"] = rollout.importance_sampling_cap
    return kwargs


def _eval_kwargs(stage, world_size: int) -> dict[str, Any]:
    grpo = stage.grpo
    per_pass = grpo.per_device_batch_size * world_size
    if per_pass % grpo.group_size or (stage.eval_rows * grpo.group_size) % per_pass:
        raise RecipeError(
            f"stages.{stage.name}.eval_rows: {stage.eval_rows} rows x {grpo.group_size} completions must split into "
            f"whole groups over per_device_batch_size x {world_size} processes = {per_pass}; change eval_rows"
        )
    every = stage.eval_steps or grpo.save_steps
    return {
        "eval_strategy": "steps", "eval_steps": every, "save_steps": every,  # a checkpoint at every evaluation
        "per_device_eval_batch_size": grpo.per_device_batch_size,
        "metric_for_best_model": "reward", "greater_is_better": True, "load_best_model_at_end": True,
    }


def _new_or_old_name(names: tuple[str, str], value: Any) -> dict[str, Any]:
    """``{new: value}`` where this transformers has the new argument name, else ``{old: value}``.

    transformers 5 renamed ``gradient_checkpointing`` to ``activation_checkpointing`` (the old
    name warns) and dropped ``warmup_ratio`` (a float ``warmup_steps`` below 1 is a ratio).
    """
    from trl import GRPOConfig

    fields = {f.name for f in dataclasses.fields(GRPOConfig)}
    return {names[0]: value} if names[0] in fields else {names[1]: value}


def primed_template(template: str, prefix: str) -> str:
    """``template`` that starts the assistant turn with ``prefix`` after its generation prompt
    (as the LoongRL verl fork's ``qwen_orz_boxed`` template starts it with ``<think>``).

    Idempotent: a saved checkpoint keeps the primed template and the next stage reloads it.
    >>> primed_template("{{ x }}", "<think>") == primed_template(primed_template("{{ x }}", "<think>"), "<think>")
    True
    """
    suffix = "{%- if add_generation_prompt %}{{- " + repr(prefix) + " }}{%- endif %}"
    return template if template.endswith(suffix) else template + suffix


def build_trainer(model_path: str, reward_name: str, config_kwargs: dict[str, Any], dataset, callbacks=(),
                  eval_dataset=None, drop_equal_groups: bool = False, schedule: tuple[int, int] | None = None,
                  optimizer_from: str | None = None, progress_name: str = "train", assistant_prefix: str = ""):
    """A GRPO trainer over ``dataset`` (a ``datasets.Dataset`` of keychain columns).

    TRL's ``GRPOTrainer`` with keychain's hooks (``hooks.py``): equal-reward groups dropped,
    one schedule over the run (``schedule`` = steps before this stage, steps of the run),
    optimizer state from ``optimizer_from``. The console shows one progress bar (``console.py``).
    ``assistant_prefix`` (the recipe's ``model.assistant_prefix``): TRL renders every prompt
    with ``add_generation_prompt=True``, so the prefix goes into the tokenizer's chat
    template and every rollout starts after it.
    """
    from trl import GRPOConfig

    from .console import StageProgress, quiet_known_warnings
    from .hooks import KeychainGRPOTrainer
    from .rewards import reward_function
    from .rollouts.sampling import plain_generation_config

    quiet_known_warnings()
    processing_class = None
    if assistant_prefix:
        from transformers import AutoTokenizer

        processing_class = AutoTokenizer.from_pretrained(model_path, truncation_side="left", padding_side="left")
        processing_class.chat_template = primed_template(processing_class.chat_template, assistant_prefix)
    trainer = KeychainGRPOTrainer(
        model=model_path,
        reward_funcs=reward_function(reward_name),
        args=GRPOConfig(**config_kwargs),
        train_dataset=dataset,
        eval_dataset=eval_dataset,
        processing_class=processing_class,
        callbacks=list(callbacks),
        drop_equal_groups=drop_equal_groups,
        schedule=schedule,
        optimizer_from=optimizer_from,
    )
    # transformers fills every sampling field TRL leaves unset (min_p, typical_p, ...) from the
    # model's generation_config; a plain one keeps the HF rollouts to the recipe's settings
    trainer.model.generation_config = plain_generation_config(trainer.model.generation_config)
    StageProgress.replace_default(trainer, progress_name)
    return trainer
