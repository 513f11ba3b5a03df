"""The paper's reward rule on hand-written cases, its variants, and the registry."""

from __future__ import annotations

import pytest

from trainer.errors import RecipeError
from trainer.rewards import (
    compute_score,
    compute_score_exact_match,
    compute_score_f1,
    compute_score_paper,
    reward_function,
    reward_names,
    score,
)
from trainer.rewards.answer import final_answer
from trainer.rewards.registry import register, scorer_for, unregister

# (completion, ground truth, reward): LoongRL Eq. 3 worked by hand; both containment rules agree
CONTAINMENT_CASES = [
    (r"\boxed{Paris}", ["Paris"], 1.0),
    (r"\boxed{paris.}", "Paris", 1.0),  # a string ground truth, punctuation and case ignored
    (r"\boxed{The Beatles}", ["Beatles"], 1.0),  # article removed
    (r"\boxed{Eiffel Tower in Paris}", ["Eiffel Tower"], 1.0),  # gold inside answer
    (r"\boxed{Tower}", ["Eiffel Tower"], 1.0),  # answer inside gold
    (r"\boxed{London}", ["Paris"], 0.0),
    (r"\boxed{NYC}", ["New York City", "NYC"], 1.0),  # an alias matches
    (r"\boxed{\text{Paris}}", ["Paris"], 1.0),  # LaTeX text wrapper
    (r"\boxed{a{b}c}", ["abc"], 1.0),  # nested braces stay whole
    (r"\boxed{London} then \boxed{Paris}", ["Paris"], 1.0),  # the last boxed answer counts
    (r"\boxed{Paris} then \boxed{London}", ["Paris"], 0.0),
    (r"<think>\boxed{Paris}</think> \boxed{London}", ["Paris"], 0.0),  # after </think> only
    (r"<think>\boxed{London}</think> so \boxed{Paris}", ["Paris"], 1.0),
    (r"<think>\boxed{Paris}</think> no answer", ["Paris"], 0.0),  # nothing boxed after </think>
    (r"<think> draft </think> <think> more </think> \boxed{Paris}", ["Paris"], 1.0),  # last </think>
    (r"\boxed{}", ["Paris"], 0.0),  # empty boxed
    (r"\boxed{The}", ["the Paris"], 0.0),  # normalises to empty: not contained in everything
    (r"\boxed{ . }", ["Paris"], 0.0),
    ("Paris", ["Paris"], 0.0),  # no boxed answer
    (r"\boxed{Paris", ["Paris"], 0.0),  # unclosed
    (r"\boxed {Paris}", ["Paris"], 1.0),
    (r"\boxed{Paris}", [], 0.0),  # no gold answers
    (r"\boxed{1912}", ["1912"], 1.0),
]


@pytest.mark.parametrize("completion, gold, expected", CONTAINMENT_CASES)
def test_both_containment_rules_match_hand_worked_table(completion, gold, expected):
    assert compute_score("keychain/hotpotqa", completion, gold) == expected
    assert compute_score_paper("keychain/hotpotqa", completion, gold) == expected


# (boxed answer, ground truth, containment, containment_paper): where the whole-word rule
# refuses what the paper's character rule lets a know-nothing answer farm
ATTACK_CASES = [
    ("n", ["Nolan"], 0.0, 1.0),  # one letter inside a word
    ("e", ["the Eiffel Tower"], 0.0, 1.0),
    ("7", ["1912"], 0.0, 0.0),
    ("1", ["1912"], 0.0, 1.0),  # a digit inside a year
    ("19", ["1912"], 0.0, 1.0),
    ("yes or no", ["yes"], 0.0, 1.0),  # a hedge over both yes/no answers
    ("yes or no", ["no"], 0.0, 1.0),
    ("yes", ["no"], 0.0, 0.0),
    ("Alu, Lilu (mythology), Demon Dice, Maha Sona", ["Lilu (mythology)"], 0.0, 1.0),  # titles joined
    ("Alu Lilu mythology Demon Dice Maha Sona", ["Lilu (mythology)"], 0.0, 1.0),  # ... without separators
    ("Paris or London", ["Paris"], 0.0, 1.0),
    ("Paris / London", ["Paris"], 0.0, 1.0),
    ("Kansas City; Dallas", ["Kansas City"], 0.0, 1.0),
    ("of", ["Bank of America"], 0.0, 1.0),  # a word covering less than half of the gold
    ("the city of Paris in France", ["Paris"], 0.0, 1.0),  # much longer than the gold
    ("in 1912", ["1912"], 0.0, 1.0),  # numbers compare exactly
    ("1912 or 1913", ["1912"], 0.0, 1.0),
    ("an", ["Anne"], 0.0, 0.0),  # an article alone is no answer
]

# where the whole-word rule scores 1: the paper's intent (Table 5) and sound normalisation
AGREE_CASES = [
    ("Eiffel", ["Eiffel Tower"], 1.0, 1.0),  # answer inside gold, half of its words
    ("the Eiffel Tower in Paris", ["Eiffel Tower"], 1.0, 1.0),  # gold inside answer, twice its words
    ("Beyoncé", ["Beyonce"], 1.0, 0.0),  # NFKD: accents fold
    ("Beyonce Knowles", ["Beyoncé Knowles"], 1.0, 0.0),
    ("O\u2019Neil", ["O'Neil"], 1.0, 0.0),  # curly quotes fold
    ("1,000", ["1000"], 1.0, 1.0),
    ("1000.0", ["1,000"], 1.0, 1.0),  # the paper's rule by luck: "1000" is inside "10000"
    ("1.5", ["15"], 0.0, 1.0),  # a decimal point is not deleted
    ("Yes.", ["yes"], 1.0, 1.0),
    ("Simon & Garfunkel", ["Simon and Garfunkel"], 1.0, 0.0),  # one separator each
    ("Lake Placid, New York", ["Lake Placid, New York"], 1.0, 1.0),  # the gold's own comma
    ("Lake Placid", ["Lake Placid, New York"], 1.0, 1.0),
    ("NOR", ["Norway", "NOR"], 1.0, 1.0),  # a separator word alone is a word
    ("B", ["B"], 1.0, 1.0),
    ("Kennedy", ["John F. Kennedy", "Kennedy"], 1.0, 1.0),  # the best alias counts
]


@pytest.mark.parametrize("answer, gold, sound, paper", ATTACK_CASES + AGREE_CASES)
def test_whole_word_containment_refuses_attacks_the_paper_rule_accepts(answer, gold, sound, paper):
    completion = f"<think>...</think> \\boxed{{{answer}}}"
    assert compute_score("plain/hotpotqa", completion, gold) == sound
    assert compute_score_paper("plain/hotpotqa", completion, gold) == paper


@pytest.mark.parametrize(
    "completion, gold, exact, f1",
    [
        (r"\boxed{Paris}", ["paris"], 1.0, 1.0),
        (r"\boxed{the Beatles band}", ["The Beatles"], 0.0, 2 / 3),
        (r"\boxed{New York City}", ["new york"], 0.0, 0.8),
        (r"\boxed{London}", ["Paris"], 0.0, 0.0),
        (r"\boxed{}", ["Paris"], 0.0, 0.0),
    ],
)
def test_exact_match_and_f1_variants(completion, gold, exact, f1):
    assert compute_score_exact_match("plain/musique", completion, gold) == exact
    assert compute_score_f1("plain/musique", completion, gold) == pytest.approx(f1)


def test_final_answer_unwraps_nested_text_wrappers():
    assert final_answer(r"\boxed{\text{New \textbf{York}}}") == "New York"
    assert final_answer("no answer") is None


def test_ground_truth_as_numpy_array_is_accepted():
    numpy = pytest.importorskip("numpy")
    assert compute_score("keychain/musique", r"\boxed{Paris}", numpy.array(["Paris", "City of Light"])) == 1.0


def test_trl_reward_function_reads_answers_or_reward_model():
    reward = reward_function("containment")
    completions = [[{"role": "assistant", "content": r"\boxed{Paris}"}], r"\boxed{Rome}"]
    kwargs = dict(prompts=["q", "q"], completions=completions, data_source=["keychain/hotpotqa", "plain/hotpotqa"])
    assert reward(answers=[["Paris"], ["Paris"]], **kwargs) == [1.0, 0.0]
    gold = {"style": "rule", "ground_truth": ["Rome"]}
    assert reward(reward_model=[gold, gold], **kwargs) == [0.0, 1.0]
    assert reward.__name__ == "containment"


def test_registry_resolves_exact_then_family_then_everything():
    register("demo_resolve", "*")(lambda text, gold: 0.0)
    register("demo_resolve", "math/*")(lambda text, gold: 1.0)
    register("demo_resolve", "math/dapo-math")(lambda text, gold: 2.0)
    try:
        assert score("demo_resolve", "math/dapo-math", "", []) == 2.0
        assert score("demo_resolve", "math/other", "", []) == 1.0
        assert score("demo_resolve", "choice/mathqa", "", []) == 0.0
    finally:
        unregister("demo_resolve")


def test_new_source_plugs_into_existing_reward_name():
    from trainer.rewards import registry

    previous = registry._REGISTRY["containment"].get("multivalue/*")  # the multivalue reward's, if loaded
    register("containment", "multivalue/*")(lambda text, gold: 0.5)
    try:
        assert compute_score("multivalue/hotpotqa", r"\boxed{x}", ["y"]) == 0.5
        assert compute_score("keychain/hotpotqa", r"\boxed{y}", ["y"]) == 1.0
    finally:
        registry._REGISTRY["containment"].pop("multivalue/*")
        if previous is not None:
            registry._REGISTRY["containment"]["multivalue/*"] = previous


def test_unknown_reward_or_source_is_a_one_line_error():
    with pytest.raises(RecipeError, match="not a registered reward; choose one of"):
        scorer_for("no_such_reward", "keychain/hotpotqa")
    with pytest.raises(RecipeError, match="no scorer for data_source 'nosuch/source'"):
        scorer_for("containment", "nosuch/source")
    assert {"containment", "containment_paper", "exact_match", "f1", "char_share"} <= set(reward_names())


def test_registry_import_does_not_pull_torch():
    import subprocess
    import sys

    code = "import sys, trainer.rewards.registry, trainer.rewards; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
