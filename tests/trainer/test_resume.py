"""Interrupted runs: a kill while a checkpoint is written, and a kill after the last checkpoint.

The first test kills a real ``trainer run`` process (SIGKILL) halfway through saving its
second checkpoint: the weights and optimizer are on disk, ``trainer_state.json`` is not.
The re-run takes over the dead run's lock, removes the half checkpoint, resumes from the
first one and trains exactly the recipe's steps.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from trainer.cli import app
from trainer.recipe import load_recipe, parse_recipe, recipe_to_dict
from trainer.stages import run_recipe

from .conftest import RECIPES

KILL_WHILE_SAVING = """
import json, os, signal, sys
import transformers
from trainer.recipe import load_recipe
from trainer.stages import run_recipe

save_rng_state = transformers.Trainer._save_rng_state

def killed_at_step_2(self, output_dir):  # after the weights and optimizer, before trainer_state.json
    if self.state.global_step == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return save_rng_state(self, output_dir)

transformers.Trainer._save_rng_state = killed_at_step_2
run_recipe(load_recipe(sys.argv[1]))
"""


def _one_stage_copy(tiny_run, run_dir, steps: int = 2) -> dict:
    """The tiny recipe's warm-up alone, in ``run_dir``, reusing the tiny run's model and data."""
    source, _, _ = tiny_run
    for part in ("tiny-model", "data"):
        shutil.copytree(source / part, run_dir / part)
    raw = recipe_to_dict(load_recipe(RECIPES / "tiny.yaml", output_dir=str(run_dir)))
    raw["stages"] = raw["stages"][:1]
    raw["stages"][0]["steps"] = steps
    return raw


def test_a_kill_while_a_checkpoint_is_written_resumes_from_the_previous_one(tiny_run, tmp_path):
    pytest.importorskip("trl")
    run_dir = tmp_path / "run"
    recipe = tmp_path / "one-stage.yaml"
    recipe.write_text(yaml.safe_dump(_one_stage_copy(tiny_run, run_dir)))
    killed = subprocess.run([sys.executable, "-c", KILL_WHILE_SAVING, str(recipe)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr[-2000:]
    stage = run_dir / "stages" / "warmup"
    assert (stage / "checkpoint-2" / "optimizer.pt").is_file() and not (stage / "checkpoint-2" / "trainer_state.json").exists()

    dead = json.loads((run_dir / ".lock").read_text())["pid"]  # the killed run still names itself
    rerun = CliRunner().invoke(app, ["run", str(recipe)])  # the same command, in this process
    assert rerun.exit_code == 0, rerun.output[-2000:]
    assert f"took over the lock of trainer run pid {dead} " in rerun.stderr
    assert "removed stages/warmup/checkpoint-2 (killed while it was being saved)" in rerun.stderr
    assert re.search(r"training 2 steps on \d+ rows from .*, resuming from checkpoint-1", rerun.stderr)
    assert json.loads((stage / "summary.json").read_text())["steps"] == 2
    steps = [json.loads(line)["step"] for line in (stage / "metrics.jsonl").read_text().splitlines()]
    assert steps[:2] == [1, 2] and set(steps) == {1, 2}  # step 1 logged once, step 2 by the re-run
    assert (stage / "final" / "model.safetensors").is_file() and not list(run_dir.rglob("*.tmp"))


def test_a_kill_after_the_last_checkpoint_trains_no_extra_step(tiny_run, tmp_path):
    """checkpoint-2 of a 2-step stage, no final/: the re-run saves it as final/ (transformers
    would otherwise train a third step)."""
    source, _, _ = tiny_run
    run_dir = tmp_path / "run"
    raw = _one_stage_copy(tiny_run, run_dir)
    shutil.copytree(source / "stages" / "warmup", run_dir / "stages" / "warmup",
                    ignore=shutil.ignore_patterns("final", "summary.json"))
    metrics = (run_dir / "stages" / "warmup" / "metrics.jsonl").read_text()
    lines = []
    summaries = run_recipe(parse_recipe(raw), log=lines.append)
    assert summaries[0]["steps"] == 2
    assert "stage warmup: checkpoint-2 already holds all 2 steps; saving checkpoint-2 as final/" in lines
    stage = run_dir / "stages" / "warmup"
    assert not (stage / "checkpoint-3").exists() and (stage / "metrics.jsonl").read_text() == metrics
    assert (stage / "final" / "model.safetensors").read_bytes() == (stage / "checkpoint-2" / "model.safetensors").read_bytes()


def test_with_eval_rows_a_finished_stage_takes_its_best_checkpoint_as_final(tmp_path):
    from trainer.stages import _best

    state = {"global_step": 6, "best_model_checkpoint": "/elsewhere/stages/s/checkpoint-4"}
    assert _best(tmp_path, state) == tmp_path / "checkpoint-4"  # named by the folder the run holds now
    assert _best(tmp_path, {"global_step": 6, "best_model_checkpoint": None}) == tmp_path / "checkpoint-6"
