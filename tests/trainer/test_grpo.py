"""Recipe -> GRPOConfig: batch arithmetic and the vLLM options TRL documents."""

from __future__ import annotations

import pytest

from trainer.errors import RecipeError
from trainer.grpo import accumulation_steps, grpo_config_kwargs
from trainer.recipe import load_recipe

from .conftest import RECIPES


def test_accumulation_gives_prompts_times_group_per_step():
    assert accumulation_steps(512 * 8, 8, 8) == 64
    assert accumulation_steps(256 * 8, 4, 16) == 32
    with pytest.raises(RecipeError, match="not a multiple of"):
        accumulation_steps(12, 8, 1)


def test_14b_recipe_maps_to_trl_vllm_colocate_settings(tmp_path):
    recipe = load_recipe(RECIPES / "14b.yaml", output_dir=str(tmp_path))
    stage = recipe.stages[0]
    kwargs = grpo_config_kwargs(recipe, stage, str(tmp_path), world_size=8)
    assert kwargs["use_vllm"] and kwargs["vllm_mode"] == "colocate"
    assert kwargs["vllm_tensor_parallel_size"] == recipe.rollout.tensor_parallel_size
    assert kwargs["vllm_enable_sleep_mode"] is recipe.rollout.sleep_mode
    assert kwargs["num_generations"] == 8 and kwargs["beta"] == 0.001 and kwargs["epsilon"] == 0.2
    assert kwargs["temperature"] == 0.6 and kwargs["top_p"] == 0.95 and kwargs["max_completion_length"] == 4096
    completions = kwargs["per_device_train_batch_size"] * 8 * kwargs["gradient_accumulation_steps"]
    assert completions == 256 * 8 and kwargs["bf16"]


def test_tiny_recipe_config_is_accepted_by_trl(tmp_path):
    pytest.importorskip("trl")
    from trl import GRPOConfig

    recipe = load_recipe(RECIPES / "tiny.yaml", output_dir=str(tmp_path))
    config = GRPOConfig(**grpo_config_kwargs(recipe, recipe.stages[0], str(tmp_path), use_cpu=True))
    assert config.num_generations == 4 and not config.use_vllm and not config.bf16
    assert config.generation_batch_size == 8  # 2 prompts x 4 completions, one generation per step


def test_vllm_paths_run_only_where_vllm_and_a_gpu_exist(tmp_path):
    pytest.importorskip("vllm", reason="vLLM is not installed")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    from trainer.rollouts.generate import Sampling, sample_completions
    from trainer.tiny import create_tiny_model

    model = create_tiny_model(tmp_path / "tiny")
    out = sample_completions(str(model), [[{"role": "user", "content": "hi"}]], Sampling(n=2, max_new_tokens=8), "vllm")
    assert len(out[0]) == 2


def test_recipes_carry_the_papers_schedule(tmp_path):
    seven = load_recipe(RECIPES / "7b.yaml", output_dir=str(tmp_path))
    fourteen = load_recipe(RECIPES / "14b.yaml", output_dir=str(tmp_path))
    assert [(s.name, s.steps) for s in seven.stages] == [("warmup", 42), ("stage1", 168), ("stage2", 118)]
    assert [(s.name, s.steps) for s in fourteen.stages] == [("stage1", 168), ("stage2", 150)]
    configs = {stage.name: [source.path.rsplit("/", 1)[1] for source in stage.data] for stage in seven.stages}
    assert not any("keychain" in name for name in configs["warmup"]) and len(configs["warmup"]) == 7
    assert set(configs["warmup"]) < set(configs["stage1"]) and len(configs["stage1"]) == 10  # the whole Table-1 mix
    for recipe in (seven, fourteen):
        stage2 = recipe.stages[-1]
        assert stage2.mine.rollouts == 8 and stage2.mine.pass_rate_below == 1.0  # drop 8/8, keep the rest
        assert {p.rsplit("/", 1)[1].split("-")[1] for p in (s.path for s in stage2.data)} == {"plain", "keychain"}
        assert recipe.stages[-2].eval_rows and recipe.stage_schedule == "continue" and recipe.reward.name == "containment"
    assert seven.schedule("stage1") == (42, 328) and fourteen.schedule("stage2") == (168, 318)


def test_7b_maps_importance_sampling_kl_and_validation_to_trl(tmp_path):
    recipe = load_recipe(RECIPES / "7b.yaml", output_dir=str(tmp_path))
    kwargs = grpo_config_kwargs(recipe, recipe.stages[1], str(tmp_path), world_size=8)
    assert kwargs["vllm_importance_sampling_correction"] and kwargs["vllm_importance_sampling_mode"] == "token_truncate"
    assert kwargs["vllm_importance_sampling_clip_max"] == 3.0
    assert kwargs["use_bias_correction_kl"] is False  # k3 as verl's low_var_kl, not TRL's bias-corrected default
    assert kwargs["eval_steps"] == kwargs["save_steps"] == 20 and kwargs["load_best_model_at_end"]
    assert kwargs["metric_for_best_model"] == "reward" and kwargs["per_device_eval_batch_size"] == 2
    assert kwargs["activation_checkpointing"] is True and "gradient_checkpointing" not in kwargs  # no deprecated name
    off = load_recipe(RECIPES / "7b.yaml", ["rollout.importance_sampling=off", "grpo.kl_estimator=k3_bias_corrected"],
                      output_dir=str(tmp_path))
    kwargs = grpo_config_kwargs(off, off.stages[0], str(tmp_path), world_size=8)
    assert kwargs["vllm_importance_sampling_correction"] is False and kwargs["use_bias_correction_kl"] is True
    assert "eval_strategy" not in kwargs
    with pytest.raises(RecipeError, match=r"stages.stage1.eval_rows: 256 rows x 8 completions must split into whole groups"):
        grpo_config_kwargs(recipe, recipe.stages[1], str(tmp_path), world_size=1)  # 2 completions per pass
