"""How many optimizer steps a stage trains, known before any model loads.

TRL's sampler deals the rows out in generation batches of ``prompts_per_step`` prompts
and drops a last partial batch, so one pass over ``rows`` rows is
``rows // prompts_per_step`` generation batches, each giving ``num_iterations`` optimizer
steps. A stage with ``steps: N`` trains N steps (passing over its rows as often as
needed); one with ``epochs: E`` trains ``ceil(E * steps per pass)``. A stage whose rows do
not fill one generation batch would train 0 steps (any number of epochs of nothing): that
is an error naming the counts.

Example: 100 rows, 8 prompts per step, epochs 1.5 -> 12 batches per pass -> 18 steps
(``stage_steps`` of such a stage == 18).
"""

from __future__ import annotations

import math

from ..errors import DataError


def steps_per_pass(rows: int, prompts_per_step: int, num_iterations: int = 1) -> int:
    return (rows // prompts_per_step) * num_iterations


def stage_steps(stage, rows: int) -> int:
    """Optimizer steps ``stage`` (a ``StageConfig``) trains on ``rows`` rows; never 0."""
    grpo = stage.grpo
    per_pass = steps_per_pass(rows, grpo.prompts_per_step, grpo.num_iterations)
    if per_pass == 0:
        raise DataError(
            f"stage {stage.name}: {rows} rows do not fill one step of grpo.prompts_per_step = {grpo.prompts_per_step} "
            f"prompts, so it would train 0 steps; lower prompts_per_step to {max(rows, 1)} or less, or give it more rows"
        )
    if stage.steps is not None:
        return stage.steps
    return math.ceil(stage.epochs * per_pass - 1e-9)  # at least 1: epochs > 0 and per_pass >= 1
