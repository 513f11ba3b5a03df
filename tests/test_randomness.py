"""Seeded streams and lazy permutations."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter

from keychain.randomness import LazyPermutation, row_rng


def test_lazy_permutation_is_a_permutation():
    for n in (0, 1, 7, 100):
        drawn = list(LazyPermutation(n, random.Random(n)))
        assert sorted(drawn) == list(range(n))


def test_lazy_permutation_is_uniform_enough():
    first = Counter(LazyPermutation(5, random.Random(seed)).next() for seed in range(5000))
    assert set(first) == set(range(5)) and all(800 < count < 1200 for count in first.values())


def test_streams_are_independent_of_pythons_hash_seed():
    code = "from keychain.randomness import row_rng; print(row_rng(0, 'hotpotqa', 'train', 'x', 'docs').random())"
    values = {
        subprocess.run([sys.executable, "-c", code], env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, check=True).stdout
        for seed in ("1", "2", "3")
    }
    assert len(values) == 1
    assert float(values.pop()) == row_rng(0, "hotpotqa", "train", "x", "docs").random()


def test_purposes_give_different_streams():
    assert row_rng(0, "s", "train", "x", "docs").random() != row_rng(0, "s", "train", "x", "chains").random()


def test_take_draws_exactly_what_next_draws():
    for n, k in ((1, 5), (10, 3), (1000, 64), (7, 7)):
        one, batch = LazyPermutation(n, random.Random(n)), LazyPermutation(n, random.Random(n))
        singles = [one.next() for _ in range(min(k, n))]
        assert batch.take(k) == singles and batch.remaining == one.remaining
        assert sorted(batch.take(n) + singles) == list(range(n))
