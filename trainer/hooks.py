"""The small hooks keychain adds to TRL's ``GRPOTrainer``, each where TRL 1.16 has no knob.

1. **Groups whose rewards are all equal leave the update** (``drop_equal_groups``), as
   verl's reward rejection sampling drops them in the paper's setup. TRL gives them zero
   advantage but keeps their tokens in the ``dapo`` loss denominator (the active tokens of
   the whole generation batch) and under the KL term, which shrinks every real update by
   the share of such groups. After TRL has scored a generation batch, their rows are
   masked like padding (completion mask 0, stored log-probs 0, importance ratio 1) and
   ``num_items_in_batch`` is recounted, so the loss equals the one computed without those
   rows. That holds for the loss types normalised by ``num_items_in_batch`` (dapo, cispo,
   vespo); the recipe refuses the others. A batch with nothing left takes no step (the
   learning rate is 0 for it). ``frac_groups_dropped`` is logged every step.
2. **One learning-rate schedule over the whole run** (``stage_schedule: continue``): the
   stage's scheduler is the run's schedule over every stage's steps, shifted by the steps
   of the stages before it, so warm-up happens once and one cosine spans the run.
3. **Optimizer state carried over** (``stage_schedule: continue``): the Adam moments of
   the checkpoint the stage starts from are loaded with transformers' own loader (plain
   PyTorch and FSDP; DeepSpeed through its engine), while the learning rate and every
   other hyper-parameter stay this stage's.
4. **Best checkpoint, ties to the later**: transformers keeps the first of equal
   ``eval_reward`` values; here a later equal value wins.

Example: 4 groups of 8, 2 with rewards all 0 -> ``frac_groups_dropped`` 0.5 and the dapo
gradient equals the gradient of the batch holding only the 2 other groups.
"""

from __future__ import annotations

import functools
import os

import torch
from torch.optim.lr_scheduler import LambdaLR
from transformers import TrainerCallback
from trl import GRPOTrainer
from trl.trainer.utils import nanstd

from .recipe.settings import EXACT_DROP_LOSSES

_LOGPS = ("old_per_token_logps", "ref_per_token_logps", "sampling_per_token_logps")


def equal_groups(rewards_per_func: torch.Tensor, weights: torch.Tensor, group_size: int) -> torch.Tensor:
    """(groups,) bool: the group's summed rewards are all equal (or all unscorable).

    ``rewards_per_func`` is TRL's gathered (completions, reward functions) table; the test
    is TRL's own ``frac_reward_zero_std`` test, per group.
    """
    rewards = (rewards_per_func * weights.to(rewards_per_func.device).unsqueeze(0)).nansum(dim=1)
    rewards[torch.isnan(rewards_per_func).all(dim=1)] = torch.nan
    std = nanstd(rewards.view(-1, group_size), dim=1)
    return torch.isclose(std, torch.zeros_like(std)) | torch.isnan(std)


def drop_rows(output: dict, keep: torch.Tensor) -> dict:
    """Mask the rows where ``keep`` (B, 1) is False as padding, in place; returns ``output``.

    TRL scores padding with log-prob 0, so stored log-probs of dropped rows become 0 too
    (else ``exp(0 - old)`` can overflow and ``inf * 0`` gives NaN) and their importance
    ratio 1; ``torch.where``, not a product, because sampling log-probs may hold NaN.
    """
    mask = output["completion_mask"]
    output["completion_mask"] = mask * keep.to(mask.dtype)
    if output.get("tool_mask") is not None:
        output["tool_mask"] = output["tool_mask"] * keep.to(output["tool_mask"].dtype)
    for key in _LOGPS:
        if output.get(key) is not None:
            output[key] = torch.where(keep, output[key], torch.zeros_like(output[key]))
    if output.get("importance_sampling_ratio") is not None:
        ratio = output["importance_sampling_ratio"]
        output["importance_sampling_ratio"] = torch.where(keep, ratio, torch.ones_like(ratio))
    return output


class _NoStepWithoutTokens(TrainerCallback):
    """Learning rate 0 for an optimizer step whose batch kept no tokens (the scheduler's next
    step restores it), so Adam's momentum does not move the weights on an empty update."""

    def __init__(self, trainer: "KeychainGRPOTrainer") -> None:
        self.trainer = trainer

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        if self.trainer.nothing_kept:
            for group in self.trainer.optimizer.param_groups:
                group["lr"] = 0.0


class _CarryOptimizer(TrainerCallback):
    """At the start of a stage that does not resume, load the previous stage's optimizer state."""

    def __init__(self, trainer: "KeychainGRPOTrainer") -> None:
        self.trainer = trainer

    def on_train_begin(self, args, state, control, **kwargs):
        if self.trainer.optimizer_from is not None and state.global_step == 0:
            self.trainer.carry_optimizer_state()


class KeychainGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` with the hooks of the module docstring.

    ``drop_equal_groups``: mask groups with equal rewards out of the update.
    ``schedule``: (steps before this stage, steps of the whole run) or None for TRL's own.
    ``optimizer_from``: a checkpoint folder whose optimizer state this stage starts from.
    """

    def __init__(self, *args, drop_equal_groups: bool = False, schedule: tuple[int, int] | None = None,
                 optimizer_from: str | None = None, **kwargs) -> None:
        self.drop_equal_groups = drop_equal_groups
        self.schedule = schedule
        self.optimizer_from = optimizer_from
        self.nothing_kept = False
        super().__init__(*args, **kwargs)
        if drop_equal_groups and self.loss_type not in EXACT_DROP_LOSSES:
            raise ValueError(f"drop_equal_groups needs loss_type {', '.join(EXACT_DROP_LOSSES)}, got {self.loss_type}")
        self.add_callback(_NoStepWithoutTokens(self))
        self.add_callback(_CarryOptimizer(self))

    # 1. equal-reward groups --------------------------------------------------------------
    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        self._rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self._rewards_per_func

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if not self.model.training:  # evaluation scores every group
            return output
        if not self.drop_equal_groups:
            self._metrics["train"]["frac_groups_dropped"].append(0.0)
            return output
        equal = equal_groups(self._rewards_per_func, self.reward_weights, self.num_generations)
        rows = output["completion_mask"].size(0)
        start = self.accelerator.process_index * rows  # TRL's own process slice of the global batch
        keep = (~equal).repeat_interleave(self.num_generations)[start : start + rows]
        drop_rows(output, keep.to(output["completion_mask"].device).unsqueeze(1))
        loss_mask = output["completion_mask"]
        if output.get("tool_mask") is not None:
            loss_mask = loss_mask * output["tool_mask"]
        output["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()  # every rank takes part
        self.nothing_kept = bool(output["num_items_in_batch"].item() == 0)
        self._metrics["train"]["frac_groups_dropped"].append(equal.float().mean().item())
        return output

    # 2. one schedule over the run ---------------------------------------------------------
    def create_scheduler(self, num_training_steps: int, optimizer=None):
        if self.lr_scheduler is None and self.schedule is not None:
            offset, total = self.schedule
            run = super().create_scheduler(total, optimizer)  # TRL/transformers' schedule for the whole run
            self.lr_scheduler = LambdaLR(run.optimizer, [functools.partial(_shifted, step, offset) for step in run.lr_lambdas])
        return super().create_scheduler(num_training_steps, optimizer)

    # 3. optimizer state of the previous stage ---------------------------------------------
    def carry_optimizer_state(self) -> None:
        """Load ``optimizer_from``'s optimizer state; keep this stage's hyper-parameters and schedule.

        transformers loads optimizer state only when resuming, so ``_CarryOptimizer`` calls
        this at the start of a stage that is not resuming, once the optimizer exists.
        """
        own = [{key: value for key, value in group.items() if key != "params"} for group in self.optimizer.param_groups]
        schedule = self.lr_scheduler.state_dict()
        if self.is_deepspeed_enabled:  # pragma: no cover - DeepSpeed is not installed on the test machine
            self.model_wrapped.load_checkpoint(self.optimizer_from, load_module_strict=False, load_optimizer_states=True,
                                               load_lr_scheduler_states=False)
        else:
            self._load_optimizer_and_scheduler(self.optimizer_from)  # transformers' loader (plain and FSDP)
        for group, settings in zip(self.optimizer.param_groups, own):
            group.update(settings)  # this stage's learning rate, weight decay, betas
        self.lr_scheduler.load_state_dict(schedule)

    # 4. best checkpoint: ties to the later -------------------------------------------------
    def _determine_best_metric(self, metrics, trial) -> bool:
        value = metrics.get("eval_reward")
        if value is None or self.args.metric_for_best_model is None:
            return super()._determine_best_metric(metrics, trial)
        if self.state.best_metric is None or value >= self.state.best_metric:
            self.state.best_metric = value
            self.state.best_global_step = self.state.global_step
            return True
        return False


def _shifted(step_lambda, offset: int, step: int) -> float:
    return step_lambda(step + offset)


def has_optimizer_state(checkpoint: str) -> bool:
    """The checkpoint holds an optimizer state transformers (or DeepSpeed) can load."""
    names = os.listdir(checkpoint) if os.path.isdir(checkpoint) else []
    return "optimizer.pt" in names or "optimizer.bin" in names or any(name.startswith("global_step") for name in names)
