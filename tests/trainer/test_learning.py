"""The GRPO loop learns: with the char_share reward a random 2-layer model raises its reward.

The same code path as ``trainer run`` (recipe -> GRPOConfig -> GRPOTrainer with a
registry reward over keychain-style columns), on short prompts so 40 steps take seconds.
"""

from __future__ import annotations

import pytest

from trainer.recipe import parse_recipe

STEPS = 40


def test_char_share_reward_rises_over_40_steps(tmp_path):
    pytest.importorskip("trl")
    from datasets import Dataset

    from trainer.grpo import build_trainer, grpo_config_kwargs
    from trainer.tiny import create_tiny_model

    model = create_tiny_model(tmp_path / "tiny")
    recipe = parse_recipe(
        {
            "model": {"path": str(model), "dtype": "float32"},
            "rollout": {"engine": "hf"},
            "reward": {"name": "char_share"},
            "grpo": {"group_size": 8, "prompts_per_step": 1, "per_device_batch_size": 8, "kl_beta": 0.0,
                     "learning_rate": 1e-2, "lr_scheduler": "constant", "max_completion_length": 16,
                     "gradient_checkpointing": False, "save_steps": 1000},
            "stages": [{"name": "learn", "steps": STEPS, "data": [{"path": str(tmp_path)}]}],
        },
        output_dir=str(tmp_path / "run"),
    )
    rows = [{"prompt": [{"role": "user", "content": f"Write something, number {i}."}],
             "data_source": "synthetic/smoke", "answers": ["e"]} for i in range(64)]
    kwargs = grpo_config_kwargs(recipe, recipe.stages[0], str(tmp_path / "run"), use_cpu=True)
    trainer = build_trainer(str(model), "char_share", kwargs, Dataset.from_list(rows))
    trainer.train()
    rewards = [entry["reward"] for entry in trainer.state.log_history if "reward" in entry]
    first, last = sum(rewards[:5]) / 5, sum(rewards[-5:]) / 5
    print(f"char_share reward: first 5 steps {first:.3f}, last 5 steps {last:.3f}")
    assert len(rewards) == STEPS
    assert last > first + 0.1
