"""The GRPO loop learns: with the char_share reward a random 2-layer model raises its reward.

The same code path as ``trainer run`` (recipe -> GRPOConfig -> keychain's GRPOTrainer with
a registry reward over keychain-style columns), on short prompts, with a KL penalty
against the starting model: the reward rises while the logged KL leaves zero, and no
logged value is NaN.
"""

from __future__ import annotations

import math

import pytest

from trainer.recipe import parse_recipe

STEPS = 40


def test_char_share_reward_rises_over_40_steps_with_a_moving_kl(tmp_path):
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
            "grpo": {"group_size": 8, "prompts_per_step": 1, "per_device_batch_size": 8, "kl_beta": 0.02,
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
    history = [entry for entry in trainer.state.log_history if "reward" in entry]
    rewards, kls = [entry["reward"] for entry in history], [entry["kl"] for entry in history]
    first, last = sum(rewards[:5]) / 5, sum(rewards[-5:]) / 5
    print(f"char_share reward: first 5 steps {first:.3f}, last 5 steps {last:.3f}; kl step 1 {kls[0]:.2e}, last 5 steps {kls[-5:]}")
    assert len(rewards) == STEPS
    assert last > first + 0.1
    assert kls[0] == 0.0 and min(kls[-5:]) > 1e-4  # the policy starts at the reference and moves away
    assert all(math.isfinite(value) for entry in history for value in entry.values() if isinstance(value, float))
