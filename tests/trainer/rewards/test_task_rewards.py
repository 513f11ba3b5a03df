"""Rewards of the retrieval and math rows, on hand-written completions (no torch)."""

from __future__ import annotations

import pytest

from trainer.rewards import score


@pytest.mark.parametrize(
    "name, source, completion, truth, expected",
    [
        ("containment", "multikey/synthetic", r"<think>it is 7</think> \boxed{4821937}", ["4821937"], 1.0),
        ("containment", "niah/pg19", r"\boxed{4821938}", ["4821937"], 0.0),
        ("exact_match", "niah/synthetic", r"\boxed{4821937}", ["4821937"], 1.0),
        ("multivalue", "multivalue/synthetic", r"\boxed{1111111, 2222222 and 3333333}", ["3333333", "1111111", "2222222"], 1.0),
        ("multivalue", "multivalue/synthetic", r"\boxed{1111111, 2222222}", ["3333333", "1111111", "2222222"], 0.0),
        ("containment", "multivalue/synthetic", r"\boxed{11111112, 2222222}", ["1111111", "2222222"], 0.0),
        ("choice", "choice/mathqa", r"<think>B is 15</think> \boxed{(b)}", ["B"], 1.0),
        ("choice", "choice/mathqa", r"\boxed{C) 18}", ["B"], 0.0),
        ("choice", "choice/mathqa", r"\boxed{15}", ["B"], 0.0),
    ],
)
def test_task_rewards_on_hand_written_cases(name, source, completion, truth, expected):
    assert score(name, source, completion, truth) == expected


@pytest.mark.parametrize(
    "completion, truth, expected",
    [
        (r"<think>...</think> \boxed{\frac{1}{2}}", "0.5", 1.0),
        (r"\boxed{12}", "12", 1.0),
        (r"\boxed{2\sqrt{2}}", "\\sqrt{8}", 1.0),
        (r"\boxed{13}", "12", 0.0),
        ("no boxed answer: 12", "12", 0.0),
    ],
)
def test_math_reward_checks_equivalence(completion, truth, expected):
    pytest.importorskip("math_verify")
    assert score("math", "math/dapo-math", completion, [truth]) == expected
