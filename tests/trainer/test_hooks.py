"""keychain's hooks on TRL's GRPOTrainer (trainer/hooks.py), on the tiny model on CPU.

- A generation batch with one group whose rewards are all equal gives the gradient of the
  same batch without that group (and TRL's own batch a different one: the test can fail).
- A step whose groups are all equal leaves the weights where they were (Adam's momentum
  would otherwise move them).
- Ties of the validation reward go to the later checkpoint.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest

pytest.importorskip("trl")
torch = pytest.importorskip("torch")

from datasets import Dataset  # noqa: E402
from transformers import TrainerCallback  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

from trainer.hooks import KeychainGRPOTrainer  # noqa: E402
from trainer.tiny import create_tiny_model  # noqa: E402

G = 4  # completions per prompt


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(create_tiny_model(tmp_path_factory.mktemp("hooks") / "tiny"))


def _reward(prompts, completions, completion_ids, trainer_state=None, **_):
    """Prompt "same": every completion scores 1; others: a score that differs per completion."""
    scores = []
    for prompt, ids in zip(prompts, completion_ids):
        if prompt[-1]["content"] == "same" or (trainer_state is not None and trainer_state.global_step >= 1):
            scores.append(1.0)
        else:
            scores.append(float(sum(ids) % 101) / 100)
    return scores


def _trainer(model, tmp_path, drop: bool, prompts: str, steps: int = 1, beta: float = 0.05, lr: float = 1e-6):
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"), use_cpu=True, bf16=False, per_device_train_batch_size=G * len(prompts),
        num_generations=G, gradient_accumulation_steps=1, max_completion_length=12, beta=beta, loss_type="dapo",
        report_to="none", activation_checkpointing=False, shuffle_dataset=False, seed=1, max_steps=steps,
        learning_rate=lr, lr_scheduler_type="constant", save_strategy="no", logging_steps=1,
    )
    dataset = Dataset.from_list([{"prompt": [{"role": "user", "content": text}]} for text in prompts])
    return KeychainGRPOTrainer(model=model, reward_funcs=_reward, args=args, train_dataset=dataset, drop_equal_groups=drop)


class Snapshot(TrainerCallback):
    """The model's weights after every optimizer step."""

    def __init__(self) -> None:
        self.weights = {}

    def on_step_end(self, args, state, control, model=None, **kwargs):
        self.weights[state.global_step] = torch.cat([p.detach().flatten().clone() for p in model.parameters()])


def _gradient(trainer, inputs):
    trainer.model.zero_grad()
    trainer._compute_loss(trainer.model, inputs).backward()
    return torch.cat([p.grad.flatten() for p in trainer.model.parameters() if p.grad is not None])


def test_a_group_of_equal_rewards_leaves_the_update(tiny_model, tmp_path):
    trainer = _trainer(tiny_model, tmp_path, drop=True, prompts=["same", "vary"])
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    with torch.no_grad():  # move the policy off the reference so the KL term has a gradient
        for parameter in trainer.model.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    batch = [{"prompt": [{"role": "user", "content": text}]} for text in ("same", "vary") for _ in range(G)]

    torch.manual_seed(0)
    trl_own = GRPOTrainer._generate_and_score_completions(trainer, copy.deepcopy(batch))
    torch.manual_seed(0)
    hooked = trainer._generate_and_score_completions(copy.deepcopy(batch))
    assert torch.equal(trl_own["completion_ids"], hooked["completion_ids"])  # the same samples
    assert trainer._metrics["train"]["frac_groups_dropped"][-1] == 0.5
    assert hooked["completion_mask"][:G].sum() == 0 and torch.equal(hooked["completion_mask"][G:], trl_own["completion_mask"][G:])

    kept = {key: value[G:] if torch.is_tensor(value) and value.dim() > 0 else value for key, value in trl_own.items()}
    kept["num_items_in_batch"] = trl_own["completion_mask"][G:].sum()  # the batch without the equal group
    without, masked, unmasked = _gradient(trainer, kept), _gradient(trainer, hooked), _gradient(trainer, trl_own)
    assert torch.allclose(masked, without, atol=1e-6, rtol=1e-4)
    assert (unmasked - without).abs().max() > 100 * (masked - without).abs().max()  # TRL alone dilutes the update


@pytest.mark.parametrize("drop", [True, False])
def test_a_step_whose_groups_are_all_equal_does_not_move_the_weights(tiny_model, tmp_path, drop):
    """Step 1 learns; from step 2 on every reward is 1 (``_reward`` reads the trainer state)."""
    trainer = _trainer(tiny_model, tmp_path, drop=drop, prompts=["vary", "also"], steps=2, beta=0.0, lr=1e-3)
    snapshot = Snapshot()
    trainer.add_callback(snapshot)
    trainer.train()
    dropped = [entry["frac_groups_dropped"] for entry in trainer.state.log_history if "frac_groups_dropped" in entry]
    assert dropped == ([0.0, 1.0] if drop else [0.0, 0.0])
    moved = (snapshot.weights[2] - snapshot.weights[1]).abs().max().item()
    assert (moved == 0.0) if drop else (moved > 0.0)  # without the hook, Adam's momentum moves them


def test_best_validation_reward_ties_go_to_the_later_step():
    fake = SimpleNamespace(args=SimpleNamespace(metric_for_best_model="reward"),
                           state=SimpleNamespace(best_metric=None, best_global_step=None, global_step=0))
    for step, value, new_best in [(2, 0.25, True), (4, 0.5, True), (6, 0.25, False), (8, 0.5, True)]:
        fake.state.global_step = step
        assert KeychainGRPOTrainer._determine_best_metric(fake, {"eval_reward": value}, None) is new_best
    assert fake.state.best_global_step == 8 and fake.state.best_metric == 0.5
