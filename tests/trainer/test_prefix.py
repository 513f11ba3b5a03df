"""The assistant prefix (<think>) a recipe asks for reaches every prompt the model continues."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.grpo import build_trainer, grpo_config_kwargs, primed_template
from trainer.recipe import load_recipe

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
MESSAGES = [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    pytest.importorskip("trl")
    from trainer.tiny import create_tiny_model

    return create_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def test_the_recipe_names_the_prefix(tmp_path):
    recipe = load_recipe(RECIPES / "tiny.yaml", ["model.assistant_prefix=<think>"], str(tmp_path))
    assert recipe.model.assistant_prefix == "<think>"
    assert load_recipe(RECIPES / "tiny.yaml", output_dir=str(tmp_path)).model.assistant_prefix == ""


def test_a_primed_template_starts_the_assistant_turn_with_the_prefix(tiny_model):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    plain = tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    tokenizer.chat_template = primed_template(tokenizer.chat_template, "<think>")
    assert tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True) == plain + "<think>"
    assert tokenizer.apply_chat_template(MESSAGES, tokenize=False) == plain[: -len("<|im_start|>assistant\n")]
    assert primed_template(tokenizer.chat_template, "<think>") == tokenizer.chat_template  # a saved checkpoint is not primed twice


def test_hf_rollouts_write_the_prefix_once_whether_or_not_the_checkpoint_is_primed(tiny_model):
    """A trained checkpoint saves the primed template; sampling from it must not add a second <think>."""
    from transformers import AutoTokenizer

    from trainer.rollouts.generate import prompt_text

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    plain = tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    assert prompt_text(tokenizer, MESSAGES) == plain
    assert prompt_text(tokenizer, MESSAGES, "<think>") == plain + "<think>"
    tokenizer.chat_template = primed_template(tokenizer.chat_template, "<think>")  # as in every stage's final/
    assert prompt_text(tokenizer, MESSAGES, "<think>") == plain + "<think>"


def test_the_trainer_passes_the_prefix_through_when_the_recipe_asks(tiny_model, tmp_path):
    from datasets import Dataset

    recipe = load_recipe(RECIPES / "tiny.yaml", ["model.assistant_prefix=<think>"], str(tmp_path))
    kwargs = grpo_config_kwargs(recipe, recipe.stages[0], str(tmp_path / "stage"), use_cpu=True)
    dataset = Dataset.from_dict({"prompt": [MESSAGES], "data_source": ["plain/x"], "answers": [["a"]]})
    primed = build_trainer(str(tiny_model), "containment", kwargs, dataset, assistant_prefix=recipe.model.assistant_prefix)
    rendered = primed.processing_class.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    assert rendered.endswith("<|im_start|>assistant\n<think>")
    as_is = build_trainer(str(tiny_model), "containment", kwargs, dataset)
    assert as_is.processing_class.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True).endswith("assistant\n")
