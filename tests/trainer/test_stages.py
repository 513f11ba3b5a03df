"""recipes/tiny.yaml end to end on CPU: a checkpoint per stage, mining, resume, skipping."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from trainer.cli import app

from .conftest import RECIPES


def test_tiny_run_writes_checkpoint_per_stage_and_mined_shards(tiny_run):
    run_dir, summaries, _ = tiny_run
    assert [s["stage"] for s in summaries] == ["warmup", "stage1", "stage2"]
    for summary in summaries:
        stage_dir = run_dir / "stages" / summary["stage"]
        assert summary["steps"] == 2
        assert (stage_dir / "final" / "model.safetensors").is_file()
        assert (stage_dir / "final" / "tokenizer.json").is_file()
        assert (stage_dir / "checkpoint-2").is_dir()
        metrics = [json.loads(line) for line in (stage_dir / "metrics.jsonl").read_text().splitlines()]
        assert [m["step"] for m in metrics if "reward" in m] == [1, 2]
    resolved = yaml.safe_load((run_dir / "recipe.yaml").read_text())
    assert resolved["output_dir"] == str(run_dir) and resolved["stages"][2]["grpo"]["group_size"] == 4
    mined = summaries[2]["mined"]
    assert mined["pool"] == 8 and mined["kept"] == 8  # a random model solves nothing: every row is hard
    version = run_dir / "mined" / "stage2" / "mined-stage2" / "v1"
    table = pq.read_table(version / "train-00000-of-00001.parquet")
    assert table.num_rows == 8 and "pass_rate" in table.column_names and "chain_keys" in table.column_names
    assert json.loads((version / "manifest.json").read_text())["counts"]["built"] == 8


def test_second_run_skips_finished_stages(tiny_run):
    run_dir, summaries, _ = tiny_run
    before = (run_dir / "stages" / "stage2" / "final" / "model.safetensors").stat().st_mtime_ns
    result = CliRunner().invoke(app, ["run", str(RECIPES / "tiny.yaml"), "--output-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert (run_dir / "stages" / "stage2" / "final" / "model.safetensors").stat().st_mtime_ns == before
    assert "stage2: 2 steps, 8 rows" in result.output


def test_run_of_another_recipe_in_the_same_folder_is_refused(tiny_run):
    run_dir, _, _ = tiny_run
    result = CliRunner().invoke(
        app, ["run", str(RECIPES / "tiny.yaml"), "--output-dir", str(run_dir), "--set", "seed=1"]
    )
    assert result.exit_code != 0
    assert "holds a run of another recipe (seed: 0 -> 1)" in str(result.exception)


def test_interrupted_stage_resumes_from_its_last_checkpoint(tiny_run, tmp_path):
    """A stage left with checkpoint-2 and no summary, now asked for 3 steps, trains step 3 only."""
    import shutil

    from trainer.recipe import load_recipe, parse_recipe, recipe_to_dict
    from trainer.stages import run_recipe

    run_dir, _, _ = tiny_run
    copy = tmp_path / "run"
    for part in ("tiny-model", "data", "stages/warmup/checkpoint-2"):
        shutil.copytree(run_dir / part, copy / part)
    raw = recipe_to_dict(load_recipe(RECIPES / "tiny.yaml", output_dir=str(copy)))
    raw["stages"] = raw["stages"][:1]
    raw["stages"][0]["steps"] = 3
    lines = []
    summaries = run_recipe(parse_recipe(raw), log=lines.append)
    assert summaries[0]["steps"] == 3
    assert any("resuming from checkpoint-2" in line for line in lines)
    steps = [json.loads(line)["step"] for line in (copy / "stages" / "warmup" / "metrics.jsonl").read_text().splitlines()]
    assert steps[0] == 3  # steps 1 and 2 were not trained again


def test_stages_continue_one_cosine_and_the_adam_moments(tiny_run):
    """stage_schedule continue (the default): 3 stages x 2 steps follow one cosine over 6 steps,
    and each stage's optimizer starts from the previous stage's last checkpoint."""
    import math

    import torch

    run_dir, summaries, _ = tiny_run
    rates = []
    for summary in summaries:
        metrics = [json.loads(line) for line in (run_dir / "stages" / summary["stage"] / "metrics.jsonl").read_text().splitlines()]
        rates += [m["learning_rate"] for m in metrics if "learning_rate" in m]
    assert rates == [pytest.approx(1e-5 * 0.5 * (1 + math.cos(math.pi * step / 6))) for step in range(6)]
    assert summaries[0]["started_from"]["optimizer"] is None
    for before, summary in zip(summaries, summaries[1:]):
        assert summary["started_from"]["optimizer"] == before["checkpoint"] == str(run_dir / "stages" / before["stage"] / "checkpoint-2")
    steps = [torch.load(run_dir / "stages" / s["stage"] / "checkpoint-2" / "optimizer.pt", weights_only=True)["state"][0]["step"].item()
             for s in summaries]
    assert steps == [2, 4, 6]  # Adam's step count (and moments) carried across stages
