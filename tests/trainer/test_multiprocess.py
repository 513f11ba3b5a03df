"""Two real processes (torchrun, gloo on CPU): the whole tiny recipe, and eval split across ranks.

These are the slow tests of the trainer (about a minute together on 2 cores): each starts
``python -m torch.distributed.run --standalone --nproc_per_node 2`` like a user would.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trainer.cli import app

from .conftest import RECIPES

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
MINED = "mined/stage2/mined-stage2/v1/train-00000-of-00001.parquet"


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_processes_finish_every_stage_after_a_failed_start(tiny_run, tmp_path):
    pytest.importorskip("trl")
    run_dir = tmp_path / "X"
    recipe = str(RECIPES / "tiny.yaml")
    # a start that fails after claiming the folder: no stage's rows fill a step of 32 prompts
    failed = subprocess.run([sys.executable, "-m", "trainer.cli", "run", recipe, "--output-dir", str(run_dir),
                             "--set", "grpo.prompts_per_step=32", "--set", "grpo.per_device_batch_size=128"],
                            capture_output=True, text=True)
    assert failed.returncode == 2, failed.stderr
    assert failed.stderr.splitlines()[-1].startswith("error: stage warmup: ")
    assert "would train 0 steps" in failed.stderr and (run_dir / "recipe.yaml").is_file()

    done = subprocess.run(TORCHRUN + ["-m", "trainer.cli", "run", recipe, "--output-dir", str(run_dir),
                                      "--set", "grpo.per_device_batch_size=4"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "replaced the recipe of a start that never trained (grpo.per_device_batch_size: 128 -> 4" in done.stderr
    one_dir, _, _ = tiny_run
    assert sorted(p.name for p in (run_dir / "stages").iterdir()) == ["stage1", "stage2", "warmup"]
    for stage in ("warmup", "stage1", "stage2"):
        summary = json.loads((run_dir / "stages" / stage / "summary.json").read_text())
        assert summary["steps"] == 2 and summary["processes"] == 2
        assert (run_dir / "stages" / stage / "final" / "model.safetensors").is_file()
        # the tiny model earns no reward, so no gradient: 1 and 2 processes end with the same weights
        assert _sha(run_dir / "stages" / stage / "final" / "model.safetensors") == \
            _sha(one_dir / "stages" / stage / "final" / "model.safetensors")
    two, one = pq.read_table(run_dir / MINED), pq.read_table(one_dir / MINED)
    ids = two.column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 8  # every pooled row mined exactly once
    assert ids == one.column("id").to_pylist()
    assert two.column("pass_rate").to_pylist() == one.column("pass_rate").to_pylist()
    assert not (run_dir / ".lock").read_text()  # released on exit


def test_eval_over_two_processes_writes_what_one_process_writes(tiny_run, tmp_path):
    """Each row is sampled once, by one rank, from its own seed: the generations are the same bytes."""
    pytest.importorskip("trl")
    run_dir, _, _ = tiny_run
    args = ["eval", "--model", str(run_dir / "stages" / "stage2" / "final"), "--data", str(run_dir / "data"),
            "-n", "3", "--rows", "5", "--max-new-tokens", "6", "--reward", "char_share", "--engine", "hf"]
    one = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "one")])  # this process: one rank
    two = subprocess.run(TORCHRUN + ["-m", "trainer.cli", *args, "--out", str(tmp_path / "two")], capture_output=True, text=True)
    assert one.exit_code == 0 and two.returncode == 0, two.stderr[-3000:]
    lines = (tmp_path / "two" / "generations.jsonl").read_text().splitlines()
    assert len(lines) == 5 and all(len(json.loads(line)["completions"]) == 3 for line in lines)
    assert any(json.loads(line)["pass_rate"] > 0 for line in lines)  # char_share scores random text
    assert (tmp_path / "two" / "generations.jsonl").read_bytes() == (tmp_path / "one" / "generations.jsonl").read_bytes()
    assert json.loads((tmp_path / "two" / "eval.json").read_text())["groups"] == \
        json.loads((tmp_path / "one" / "eval.json").read_text())["groups"]
    assert two.stdout.count("all ") == 1  # the table printed once, by the main process


def test_two_processes_learn_from_a_reward_that_varies(tmp_path):
    """The run above earns no reward, so its weights never move; here ``char_share`` scores
    every completion differently: gradients flow across both ranks, every stage's weights
    move, and each mined row is still scored once."""
    pytest.importorskip("trl")
    run_dir = tmp_path / "Y"
    done = subprocess.run(TORCHRUN + ["-m", "trainer.cli", "run", str(RECIPES / "tiny.yaml"), "--output-dir", str(run_dir),
                                      "--set", "grpo.per_device_batch_size=4", "--set", "reward.name=char_share"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    start = run_dir / "tiny-model" / "model.safetensors"
    for stage in ("warmup", "stage1", "stage2"):
        final = run_dir / "stages" / stage / "final" / "model.safetensors"
        assert _sha(final) != _sha(start), f"{stage}: the weights did not move"
        start = final
        steps = [json.loads(line) for line in (run_dir / "stages" / stage / "metrics.jsonl").read_text().splitlines()]
        trained = [s for s in steps if "grad_norm" in s]
        assert len(trained) == 2 and all(s["grad_norm"] > 0 and s.get("frac_groups_dropped", 0.0) < 1 for s in trained)
    ids = pq.read_table(run_dir / MINED).column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 8
