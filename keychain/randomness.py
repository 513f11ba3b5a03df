"""Seeded randomness: one RNG stream per row and purpose, and lazy permutations.

Every random choice of a row comes from ``random.Random`` seeded with a string made of
the seed, the source, the split and the item id, plus the purpose of the stream, so
changing the number of chains never changes which documents a row gets. String seeds
go through SHA-512 inside ``random.Random`` and never through Python's salted ``hash()``.

Example:
    >>> rng = row_rng(0, "hotpotqa", "train", "5a7a", "docs")
    >>> perm = LazyPermutation(5, rng)
    >>> sorted(perm.take(5))
    [0, 1, 2, 3, 4]
"""

from __future__ import annotations

import random
from typing import Iterator


def row_rng(seed: int, source: str, split: str, item_id: str, purpose: str) -> random.Random:
    return random.Random(f"{seed}:{source}:{split}:{item_id}:{purpose}")


class LazyPermutation:
    """A uniformly random permutation of ``range(n)``, drawn one element at a time.

    A sparse Fisher-Yates shuffle: the first k draws cost O(k) time and memory whatever
    ``n`` is, so a row can draw 100 distractors from a pool of a million documents
    without shuffling the pool.
    """

    def __init__(self, n: int, rng: random.Random) -> None:
        self._n = n
        self._rng = rng
        self._swapped: dict[int, int] = {}
        self._drawn = 0

    def __iter__(self) -> Iterator[int]:
        while self._drawn < self._n:
            yield self.next()

    def next(self) -> int:
        if self._drawn >= self._n:
            raise StopIteration
        i = self._drawn
        # random() * span is uniform to within 2**-53: indistinguishable for any pool
        # size here, and several times cheaper than randrange in pure Python.
        j = i + int(self._rng.random() * (self._n - i))
        value_j = self._swapped.get(j, j)
        self._swapped[j] = self._swapped.get(i, i)
        self._swapped.pop(i, None)
        self._drawn += 1
        return value_j

    def take(self, k: int) -> list[int]:
        """The next ``k`` draws (fewer at the end): ``next()`` inlined, the same values."""
        n, i = self._n, self._drawn
        stop = min(n, i + k)
        draw, swapped = self._rng.random, self._swapped
        get, pop = swapped.get, swapped.pop
        out = []
        while i < stop:
            j = i + int(draw() * (n - i))
            out.append(get(j, j))
            swapped[j] = get(i, i)
            pop(i, None)
            i += 1
        self._drawn = i
        return out

    @property
    def remaining(self) -> int:
        return self._n - self._drawn
