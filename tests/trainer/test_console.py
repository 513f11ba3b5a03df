"""Training output: one progress display per stage, known upstream warnings once, no dicts."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from types import SimpleNamespace

import pytest

pytest.importorskip("transformers")

from trainer.console import StageProgress  # noqa: E402


def _state(step: int, max_steps: int = 168) -> SimpleNamespace:
    return SimpleNamespace(global_step=step, max_steps=max_steps, is_world_process_zero=True)


def test_progress_off_a_terminal_is_a_line_every_interval_and_one_at_the_end():
    stream = io.StringIO()
    progress = StageProgress("stage1", stream=stream, interval_s=0.0)
    progress.on_train_begin(None, _state(0, 3), None)
    for step in (1, 2, 3):
        progress.on_step_end(None, _state(step, 3), None)
        logs = {"loss": 0.0, "reward": 0.25 * step, "kl": 0.001 * step, "frac_groups_dropped": 0.5, "learning_rate": 1e-6}
        progress.on_log(None, _state(step, 3), None, logs=logs)
    progress.on_log(None, _state(3, 3), None, logs={"eval_reward": 0.5, "eval_loss": 0.0})
    progress.on_train_end(None, _state(3, 3), None)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("stage1: step 1/3 | reward 0.250 | kl 0.0010 | ") and " s/step | dropped 50%" in lines[0]
    assert lines[-1].startswith("stage1: step 3/3 | reward 0.750 | kl 0.0030 | ") and lines[-1].endswith("| eval_reward 0.500")
    assert len(lines) == 4 and not any("{" in line for line in lines)  # no logged dicts


def test_progress_shows_only_on_the_main_process():
    stream = io.StringIO()
    progress = StageProgress("stage1", stream=stream, interval_s=0.0)
    state = SimpleNamespace(global_step=0, max_steps=2, is_world_process_zero=False)
    progress.on_train_begin(None, state, None)
    progress.on_log(None, state, None, logs={"reward": 1.0})
    progress.on_train_end(None, state, None)
    assert stream.getvalue() == ""


def test_known_upstream_warnings_are_noted_once_and_then_ignored():
    code = (
        "import warnings\n"
        "from trainer.console import quiet_known_warnings\n"
        "for _ in range(3):\n"
        "    quiet_known_warnings()\n"
        "    with warnings.catch_warnings():\n"  # transformers and accelerate mutate filters like this
        "        warnings.simplefilter('default')\n"
        "    warnings.warn('`is_gradient_checkpointing` is deprecated and will be removed in v6.', FutureWarning)\n"
        "    warnings.warn('`gradient_checkpointing_enable` is deprecated and will be removed in v6.', FutureWarning)\n"
    )
    result = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.count("warning (once): TRL 1.16 calls transformers' deprecated") == 1
    assert "FutureWarning" not in result.stderr


def test_a_stage_trainer_has_one_progress_display_and_no_deprecated_argument(tmp_path):
    pytest.importorskip("trl")
    from datasets import Dataset
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from trainer.grpo import build_trainer, grpo_config_kwargs
    from trainer.recipe import load_recipe
    from trainer.tiny import create_tiny_model

    from .conftest import RECIPES

    recipe = load_recipe(RECIPES / "tiny.yaml", output_dir=str(tmp_path))
    kwargs = grpo_config_kwargs(recipe, recipe.stages[0], str(tmp_path / "out"), use_cpu=True)
    model = create_tiny_model(tmp_path / "tiny")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = build_trainer(str(model), "containment", kwargs, Dataset.from_list([{"prompt": "hi", "data_source": "plain/x"}]),
                                progress_name="warmup")
    kinds = [type(callback) for callback in trainer.callback_handler.callbacks]
    assert StageProgress in kinds and ProgressCallback not in kinds and PrinterCallback not in kinds
    assert not [w for w in caught if "deprecated" in str(w.message)], [str(w.message) for w in caught]
