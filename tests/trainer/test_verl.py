"""verl reads keychain shards and scores them with trainer.rewards (runs where verl is installed).

verl is not a dependency: its pins (transformers < 5.11, tensordict <= 0.10) clash with the
train extra's. Here it ran with ``pip install --no-deps verl==0.9.1`` plus tensordict,
omegaconf, hydra-core, codetiming, pylatexenc and dill; the README's test command skips it.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from keychain.config import BuildConfig
from keychain.run.pipeline import build
from keychain.run.progress import LineReporter

rl_dataset = pytest.importorskip("verl.utils.dataset.rl_dataset", reason="verl is not installed (see the module docstring)")


def _dataset(shards, tokenizer, tmp_path, max_prompt_length):
    from omegaconf import OmegaConf

    config = OmegaConf.create({"max_prompt_length": max_prompt_length, "filter_overlong_prompts": True, "truncation": "error",
                               "cache_dir": str(tmp_path / "verl-cache"), "filter_overlong_prompts_workers": 1})
    return rl_dataset.RLHFDataset([str(s) for s in shards], tokenizer, config)


def test_rlhf_dataset_loads_loongrl_rows_and_the_custom_reward_scores_them(tmp_path, qwen_tokenizer):
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer
    from verl.trainer.ppo.reward import get_custom_reward_fn

    config = BuildConfig(source="synthetic", lengths=(4096,), num=4, preset="loongrl", tokenizer=qwen_tokenizer, out=str(tmp_path / "out"))
    [result] = build(config, command="test", reporter=LineReporter(open(tmp_path / "log", "w"), 3600))
    shards = sorted(result.path.glob("*.parquet"))
    rows = [row for shard in shards for row in pq.read_table(shard).to_pylist()]
    tokenizer = AutoTokenizer.from_pretrained(qwen_tokenizer)
    # verl renders with the model's template and add_generation_prompt=True: n_tokens less the <think> the preset primes
    rendered = [tokenizer.apply_chat_template(r["prompt"], add_generation_prompt=True, tokenize=False) for r in rows]
    verl_lengths = [len(tokenizer(text, add_special_tokens=False)["input_ids"]) for text in rendered]
    assert verl_lengths == [r["n_tokens"] - 1 for r in rows] and min(verl_lengths) > 4096
    assert len(_dataset(shards, tokenizer, tmp_path, 4096)) == 0  # a 4K prompt cap drops every row: chains are outside
    dataset = _dataset(shards, tokenizer, tmp_path, max(verl_lengths))
    assert len(dataset) == 4 and [dataset[i]["index"] for i in range(4)] == [r["extra_info"]["index"] for r in rows]

    reward = get_custom_reward_fn(OmegaConf.create(
        {"reward": {"custom_reward_function": {"path": "pkg://trainer.rewards", "name": "compute_score"}}}))
    item = dataset[0]
    right = rf"<think>followed the chain</think> \boxed{{{rows[0]['answers'][0]}}}"
    scores = [reward(data_source=item["data_source"], solution_str=text, ground_truth=item["reward_model"]["ground_truth"],
                     extra_info=item["extra_info"]) for text in (right, r"<think>?</think> \boxed{no idea}")]
    assert scores == [1.0, 0.0]


def test_every_index_of_a_mix_is_unique_in_verl(tmp_path):
    from pathlib import Path

    from transformers import AutoTokenizer

    from keychain.mix import load_recipe, mix

    recipe = Path(__file__).resolve().parents[2] / "recipes" / "data" / "demo.yaml"
    result = mix(load_recipe(recipe, tmp_path / "demo", scale=0.25), tmp_path / "demo", command="test")
    from trainer.tiny import create_tiny_model

    tokenizer = AutoTokenizer.from_pretrained(create_tiny_model(tmp_path / "tiny"))
    dataset = _dataset(sorted(result.path.glob("*.parquet")), tokenizer, tmp_path, 10**6)
    indices = [dataset[i]["index"] for i in range(len(dataset))]
    assert len(dataset) == result.rows and sorted(indices) == list(range(result.rows))
