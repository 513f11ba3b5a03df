"""The GPU check: its schedule fits one H100 by the project's own checks, and its code path runs on CPU."""

from __future__ import annotations

from trainer.gpu_check import GPU, SMOKE, main, recipe
from trainer.launch.hardware import Gpu, Launch
from trainer.launch.memory_estimate import Shape
from trainer.preflight import collect
from trainer.recipe import parse_recipe


def test_the_gpu_schedule_passes_preflight_on_one_h100(tmp_path):
    resolved = parse_recipe(recipe(tmp_path, GPU, cpu=False, vllm=True))
    assert [stage.name for stage in resolved.stages] == ["warmup", "stage1", "stage2"]
    assert resolved.stages[0].grpo.max_prompt_length == 8192 and resolved.model.dtype == "bfloat16"
    assert resolved.stages[2].mine is not None and all(stage.grpo.gradient_checkpointing for stage in resolved.stages)
    report = collect(resolved, Launch(1, 1), [Gpu("NVIDIA H100 80GB HBM3", 80 * 10**9)])
    batch = [f.detail for f in report.findings if f.check == "batch"]
    assert batch == ["stage warmup: 4 prompts x 8 = 8 per pass x 1 processes x 4 accumulation"]
    config = {"hidden_size": GPU.hidden, "num_hidden_layers": GPU.layers, "intermediate_size": GPU.intermediate,
              "vocab_size": 1024, "num_attention_heads": GPU.heads, "num_key_value_heads": GPU.kv_heads,
              "tie_word_embeddings": True}
    assert 250e6 < Shape.from_config(config).parameters < 300e6  # "a few hundred million parameters"


def test_cpu_smoke_runs_the_three_stages_and_prints_the_report(tmp_path, capsys):
    assert main(["--cpu-smoke", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "gpu-check: vLLM parts skipped (no GPU); rollouts use transformers" in lines
    table = lines[lines.index(next(line for line in lines if line.startswith("stage "))):]
    assert [line.split()[0] for line in table[1:4]] == ["warmup", "stage1", "stage2"]
    assert all(line.split()[1] == str(SMOKE.steps) and float(line.split()[2]) > 0 for line in table[1:4])
    assert (tmp_path / "run" / "mined" / "stage2").is_dir() and lines[-1].startswith("gpu-check: done in ")
