"""Steps a stage trains, before any model loads; a stage that would train 0 steps is an error."""

from __future__ import annotations

import pytest

from trainer.errors import DataError
from trainer.recipe import parse_recipe
from trainer.run.steps import stage_steps, steps_per_pass


def _stage(**stage):
    recipe = parse_recipe({"model": {"path": "m"}, "grpo": {"prompts_per_step": 8, "group_size": 2},
                           "stage_schedule": "restart",  # epochs stages (continue needs steps)
                           "stages": [{"name": "s", "data": [{"path": "/d"}], **stage}]}, output_dir="/tmp/r")
    return recipe.stages[0]


def test_steps_follow_rows_prompts_per_step_and_epochs():
    assert steps_per_pass(100, 8) == 12 and steps_per_pass(100, 8, num_iterations=2) == 24
    assert stage_steps(_stage(epochs=1.5), 100) == 18
    assert stage_steps(_stage(epochs=1), 8) == 1
    assert stage_steps(_stage(steps=5), 8) == 5  # steps pass over the rows as often as needed


def test_a_stage_of_fewer_rows_than_one_step_names_the_counts():
    with pytest.raises(DataError, match=r"stage s: 6 rows do not fill one step of grpo.prompts_per_step = 8 prompts, so it would train 0 steps"):
        stage_steps(_stage(steps=2), 6)
    with pytest.raises(DataError, match=r"stage s: 7 rows do not fill one step"):
        stage_steps(_stage(epochs=3), 7)
    assert stage_steps(_stage(epochs=1e-6), 8) == 1  # a sliver of an epoch is still one step
