"""``trainer check`` / the checks ``trainer run`` starts with: device, packages, model, batch, memory."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from trainer.grpo import grpo_config_kwargs
from trainer.launch.hardware import Gpu, Launch, attention_implementation, vllm_range
from trainer.launch.hub import model_problem
from trainer.launch.memory_estimate import Shape
from trainer.preflight import collect, server_command
from trainer.recipe import load_recipe

from .conftest import RECIPES

QWEN7B = {"hidden_size": 3584, "num_hidden_layers": 28, "intermediate_size": 18944, "vocab_size": 152064,
          "num_attention_heads": 28, "num_key_value_heads": 4, "tie_word_embeddings": False}
H100 = [Gpu("NVIDIA H100 80GB HBM3", 80 * 10**9)] * 8


def _7b(tmp_path, *overrides):
    model = tmp_path / "qwen7b"
    model.mkdir(exist_ok=True)
    (model / "config.json").write_text(json.dumps(QWEN7B))  # its shape, no weights: nothing is loaded
    return load_recipe(RECIPES / "7b.yaml", [f"model.path={model}", *overrides], str(tmp_path / "run"))


def _by_check(report) -> dict:
    return {f.check: f for f in report.findings}


def test_7b_on_this_cpu_machine_fails_in_one_line_naming_the_missing_gpu():
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = subprocess.run([sys.executable, "-m", "trainer.cli", "check", str(RECIPES / "7b.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: device: no CUDA GPU is visible")
    assert "device     fail" in result.stdout  # the table lists every finding


def test_7b_on_eight_h100s_passes_batch_and_memory(tmp_path):
    report = collect(_7b(tmp_path), Launch(8, 8, "deepspeed"), H100)
    checks = _by_check(report)
    assert checks["device"].status == "ok" and "8 x NVIDIA H100" in checks["device"].detail
    assert checks["batch"].detail.endswith("512 prompts x 8 = 2 per pass x 8 processes x 256 accumulation")
    assert dict(report.memory)["model"] == "7,615.6M parameters"
    assert checks["memory"].status == "ok"


def test_the_readmes_server_mode_launch_passes_and_the_old_one_does_not(tmp_path):
    good = collect(_7b(tmp_path, "rollout.vllm_mode=server"), Launch(4, 4, "deepspeed"), H100[:4])
    assert not [f for f in good.failures if f.check not in ("vllm", "deepspeed")]  # absent on this machine
    assert _by_check(good)["batch"].detail.endswith("= 2 per pass x 4 processes x 512 accumulation")
    recipe = _7b(tmp_path, "rollout.vllm_mode=server")
    rollout = recipe.rollout
    assert server_command(recipe).endswith(f"--tensor_parallel_size {rollout.tensor_parallel_size} --gpu_memory_utilization "
                                           f"{rollout.gpu_memory_utilization} --max_model_len {rollout.max_model_length}")
    kwargs = grpo_config_kwargs(recipe, recipe.stages[0], str(tmp_path), world_size=4)
    colocate_only = {"vllm_tensor_parallel_size", "vllm_gpu_memory_utilization", "vllm_max_model_length", "vllm_enable_sleep_mode"}
    assert kwargs["vllm_mode"] == "server" and not colocate_only & set(kwargs)  # TRL ignores them in server mode
    old = collect(_7b(tmp_path, "rollout.vllm_mode=server", "grpo.per_device_batch_size=4"), Launch(6, 6), H100[:6])
    assert any("not a multiple of per_device_batch_size x 6 processes = 24" in f.detail for f in old.failures)


def test_a_bad_accelerate_config_is_one_line(tmp_path):
    config = tmp_path / "accelerate.yaml"
    for text, says in (("- just\n- a list\n", "expected a mapping of accelerate settings"),
                       ("num_processes: [\n", "unreadable (ParserError)")):
        config.write_text(text)
        result = subprocess.run([sys.executable, "-m", "trainer.cli", "check", str(RECIPES / "tiny.yaml"),
                                 "--accelerate-config", str(config)], capture_output=True, text=True)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(f"error: --accelerate-config {config}: ") and says in result.stderr


def test_a_two_machine_accelerate_config_plans_its_processes_per_machine(tmp_path):
    from trainer.cli import _planned_launch

    config = tmp_path / "two-nodes.yaml"
    config.write_text("distributed_type: DEEPSPEED\nnum_machines: 2\nnum_processes: 16\n")
    launch = _planned_launch(None, config)
    assert (launch.processes, launch.local_processes, launch.engine, launch.nodes) == (16, 8, "deepspeed", 2)
    assert not [f for f in collect(_7b(tmp_path), launch, H100).failures if f.check in ("device", "batch")]


def test_more_processes_than_gpus_or_a_tp_size_that_does_not_divide_them_fails(tmp_path):
    too_many = collect(_7b(tmp_path), Launch(8, 8), H100[:4])
    assert "8 processes on this node but 4 GPUs visible" in _by_check(too_many)["processes"].detail
    tp3 = collect(_7b(tmp_path, "rollout.tensor_parallel_size=3"), Launch(8, 8), H100)
    assert _by_check(tp3)["tensor parallel"].status == "fail"


def test_a_vllm_share_too_small_for_the_weights_fails(tmp_path):
    recipe = _7b(tmp_path, "rollout.gpu_memory_utilization=0.1")
    report = collect(recipe, Launch(8, 8, "deepspeed"), H100)
    assert f"cannot hold the weights and one {recipe.rollout.max_model_length}-token sequence" in _by_check(report)["memory"].detail


def test_memory_estimate_known_answers():
    shape = Shape.from_config(QWEN7B)
    assert shape.parameters == 7_615_616_512  # Qwen2.5-7B's published 7.61B
    assert shape.kv_bytes_per_token == 28 * 4 * 128 * 2 * 2 == 57344


def test_vllm_pin_is_the_range_trl_declares():
    extras = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    low, high = vllm_range()
    assert f"vllm>={low},<={high}" in extras["vllm"] and "keychain[vllm]" in extras["gpu"]
    assert any(dep.startswith("deepspeed") for dep in extras["gpu"])
    assert not any(dep.startswith(("vllm", "deepspeed")) for dep in extras["train"])  # CPU-installable


def test_flash_attention_falls_back_to_sdpa_with_a_line():
    assert attention_implementation("flash_attention_2", flash_importable=True, cuda=True) == ("flash_attention_2", None)
    name, note = attention_implementation("flash_attention_2", flash_importable=False, cuda=True)
    assert name == "sdpa" and "needs the flash-attn package" in note
    assert attention_implementation("sdpa", cuda=False) == ("sdpa", None)


def test_model_sources_are_checked_without_a_download(tmp_path):
    assert "no config.json" in model_problem(str(tmp_path))
    assert model_problem(str(tmp_path / "missing" / "a" / "b")).endswith("no such folder; check the path")
    offline = model_problem("nope")  # the tests run with KEYCHAIN_OFFLINE=1
    assert offline.startswith("model nope: not a local folder and not in the Hugging Face cache, and the Hub is offline")


def test_eval_of_a_model_that_is_nowhere_is_one_line(tiny_run, tmp_path):
    run_dir, _, _ = tiny_run
    result = subprocess.run([sys.executable, "-m", "trainer.cli", "eval", "--model", "nope", "--data", str(run_dir / "data"),
                             "--out", str(tmp_path / "eval")], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "hf download nope" in result.stderr and not (tmp_path / "eval").exists()
