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
        # needle values compare exactly: a digit or a prefix of the value is not the value
        ("containment", "multikey/synthetic", r"\boxed{7}", ["1234567"], 0.0),
        ("containment", "multikey/synthetic", r"\boxed{123}", ["1234567"], 0.0),
        ("containment", "niah/pg19", r"\boxed{1,234,567}", ["1234567"], 1.0),
        ("containment", "niah/pg19", r"\boxed{1234567 or 7654321}", ["1234567"], 0.0),
        ("containment_paper", "multikey/synthetic", r"\boxed{7}", ["1234567"], 1.0),  # the paper's rule: hackable
        # multivalue: exactly the set of values
        ("containment", "multivalue/synthetic", r"\boxed{2222222; 1,111,111}", ["1111111", "2222222"], 1.0),
        ("containment", "multivalue/synthetic", r"\boxed{1111111, 2222222, 3333333}", ["1111111", "2222222"], 0.0),
        # choice: one option letter; naming two is no answer
        ("containment", "choice/mathqa", r"\boxed{A or B}", ["A"], 0.0),
        ("containment", "choice/mathqa", r"\boxed{A) 5, B) 6}", ["A"], 0.0),
        ("containment", "choice/mathqa", r"\boxed{\text{(B)}}", ["B"], 1.0),
        ("containment", "choice/mathqa", r"\boxed{Option b}", ["B"], 1.0),
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
    assert score("containment", "math/dapo-math", completion, [truth]) == expected


def test_a_list_of_candidates_is_no_math_answer():
    pytest.importorskip("math_verify")
    assert score("containment", "math/dapo-math", r"\boxed{11, 12, 13}", ["12"]) == 0.0
    assert score("containment", "math/dapo-math", r"\boxed{1,000}", ["1000"]) == 1.0


# one row of every task family of the LoongRL mix (paper Table 1): (data_source, right, wrong, gold)
MIX_ROWS = [
    ("keychain/hotpotqa", "Eiffel Tower", "e", ["the Eiffel Tower"]),
    ("plain/musique", "The Beatles", "Beatles or Stones", ["Beatles"]),
    ("keychain/2wiki", "yes", "yes or no", ["yes"]),
    ("multikey/pg19", "4821937", "7", ["4821937"]),
    ("niah/synthetic", "4821937", "482", ["4821937"]),
    ("multivalue/pg19", "1111111, 2222222", "1111111", ["2222222", "1111111"]),
    ("math/dapo-math", r"\frac{1}{2}", "1, 0.5", ["0.5"]),
    ("choice/mathqa", "(c)", "C or D", ["C"]),
]


@pytest.mark.parametrize("name", ["containment", "containment_paper"])
@pytest.mark.parametrize("source, right, wrong, gold", MIX_ROWS)
def test_one_reward_name_scores_every_task_of_the_mix(name, source, right, wrong, gold):
    pytest.importorskip("math_verify")
    assert score(name, source, f"<think>...</think> \\boxed{{{right}}}", gold) == 1.0
    if name == "containment":
        assert score(name, source, f"\\boxed{{{wrong}}}", gold) == 0.0
