"""Sampling is explicit: nothing comes from the model folder, each row has its own seed, greedy works."""

from __future__ import annotations

import json
import shutil

import pytest

from trainer.rollouts.generate import Sampling, sample_completions
from trainer.rollouts.sampling import hf_generation_config, plain_generation_config

PROMPTS = [[{"role": "user", "content": f"Question {i}: who founded the company?"}] for i in range(3)]


@pytest.fixture(scope="module")
def leaky_model(tiny_run, tmp_path_factory):
    """The tiny model with a generation_config.json like Qwen2.5-Instruct's, only harsher."""
    run_dir, _, _ = tiny_run
    model = shutil.copytree(run_dir / "tiny-model", tmp_path_factory.mktemp("leaky") / "model")
    config = json.loads((model / "generation_config.json").read_text())
    config.update(top_k=1, repetition_penalty=1.3, no_repeat_ngram_size=2, min_p=0.5, typical_p=0.2, temperature=0.1)
    (model / "generation_config.json").write_text(json.dumps(config))
    return str(model)


def test_the_model_folders_generation_config_does_not_leak_into_sampling(leaky_model):
    sampling = Sampling(n=4, max_new_tokens=8, temperature=1.0, top_p=1.0)
    completions = sample_completions(leaky_model, PROMPTS[:1], sampling, "hf", keys=["a"])
    assert len(set(completions[0])) == 4  # top_k=1 from the folder would make all 4 the same


def test_a_rows_completions_do_not_depend_on_its_neighbours(leaky_model):
    sampling = Sampling(n=2, max_new_tokens=6, temperature=1.0, top_p=1.0, seed=3)
    together = sample_completions(leaky_model, PROMPTS, sampling, "hf", keys=["r0", "r1", "r2"])
    alone = sample_completions(leaky_model, PROMPTS[2:], sampling, "hf", keys=["r2"])
    assert together[2] == alone[0] and together[0] != together[1]


def test_greedy_is_one_completion_repeated_and_stable(leaky_model):
    greedy = Sampling(n=3, max_new_tokens=6, temperature=0)
    first = sample_completions(leaky_model, PROMPTS[:1], greedy, "hf", keys=["a"])
    again = sample_completions(leaky_model, PROMPTS[:1], Sampling(n=3, max_new_tokens=6, temperature=0, seed=9), "hf", keys=["b"])
    assert first == again and len(set(first[0])) == 1 and len(first[0]) == 3


def test_generation_configs_name_every_sampling_field():
    from transformers import GenerationConfig

    plain = plain_generation_config(GenerationConfig(eos_token_id=2, pad_token_id=0, top_k=20, repetition_penalty=1.05))
    assert (plain.eos_token_id, plain.pad_token_id, plain.top_k, plain.repetition_penalty) == (2, 0, None, None)
    config = hf_generation_config(Sampling(n=4, temperature=0.6, top_p=0.95, top_k=0), pad_token_id=0, eos_token_id=2)
    assert (config.do_sample, config.temperature, config.top_p, config.top_k, config.min_p) == (True, 0.6, 0.95, 0, 0.0)
    assert (config.repetition_penalty, config.no_repeat_ngram_size, config.typical_p) == (1.0, 0, 1.0)
    assert hf_generation_config(Sampling(temperature=0), 0, 2).do_sample is False


def test_trls_hf_rollouts_get_a_plain_generation_config(leaky_model, tmp_path):
    pytest.importorskip("trl")
    from datasets import Dataset

    from trainer.grpo import build_trainer, grpo_config_kwargs
    from trainer.recipe import parse_recipe

    recipe = parse_recipe({"model": {"path": leaky_model, "dtype": "float32"}, "rollout": {"engine": "hf", "top_k": 0},
                           "grpo": {"group_size": 2, "prompts_per_step": 1, "per_device_batch_size": 2},
                           "stages": [{"name": "s", "steps": 1, "data": [{"path": "/unused"}]}]}, output_dir=str(tmp_path))
    kwargs = grpo_config_kwargs(recipe, recipe.stages[0], str(tmp_path), use_cpu=True)
    dataset = Dataset.from_list([{"prompt": PROMPTS[0], "data_source": "plain/x", "answers": ["a"]}])
    trainer = build_trainer(leaky_model, "containment", kwargs, dataset)
    model_config = trainer.model.generation_config
    assert (model_config.top_k, model_config.min_p, model_config.typical_p, model_config.no_repeat_ngram_size) == (None,) * 4
    assert (trainer.generation_config.top_k, trainer.generation_config.repetition_penalty) == (0, 1.0)
