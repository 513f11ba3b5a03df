"""Constant answers on the real HotpotQA and MuSiQue samples (benchmarks/reward_attacks.py).

The default reward must not let an answer that knows nothing about the item score: no
letter, digit, ``yes or no``, list of the item's passage titles or fragment of any gold
answer scores on more than 2% of the 200 items, while every gold answer scores 1. The
paper's literal rule keeps its measured weakness (kept for reproduction only).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "reward_attacks.py"


@pytest.fixture(scope="module")
def attacks():
    spec = importlib.util.spec_from_file_location("reward_attacks", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def items(attacks, shared_data):
    return attacks.load_items(shared_data)


def test_no_constant_answer_scores_on_more_than_2_percent_of_real_items(attacks, items):
    assert len(items) == 200
    table = {row[0]: row[1] for row in attacks.attack_table("containment", items)}
    for label, share in table.items():
        if label.startswith(("the true answer", "each gold answer", "needle 7-digit value: the value")):
            assert share == 1.0, label
        elif not label.startswith(("`yes` (", "`no` (")):  # honest guesses at the yes/no base rate
            assert share <= 0.02, (label, share)


def test_paper_rule_is_farmed_by_one_letter(attacks, items):
    table = {row[0]: row[1] for row in attacks.attack_table("containment_paper", items)}
    assert table["`n`"] == pytest.approx(0.61) and table["every passage title, joined by ', '"] == pytest.approx(0.19)
    assert table["needle 7-digit value: its last digit"] == 1.0
