"""Needles: seeded keys and values, distinct from each other and from the haystack.

A needle is one RULER sentence, ``One of the special magic numbers for <key> is: <value>.``
Keys are UUIDs (or 8 hex characters) drawn like KeyChain keys; values are 7-digit
numbers. ``multikey`` rows hold N needles with N keys and N values and ask for one key;
``multivalue`` rows hold N needles with one key and N values and ask for all of them;
``niah`` rows hold one needle.

Example:
    >>> import random
    >>> draw = draw_needles(random.Random(0), "multivalue", 3, "hex8")
    >>> len(set(draw.keys)), len(set(draw.values)), draw.answers == draw.values
    (1, 3, True)
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..rows.chains import draw_keys
from .prompts import needle_text, retrieval_question

VALUE_RANGE = (1_000_000, 10_000_000)  # 7-digit values, as RULER's "magic numbers"


@dataclass(frozen=True)
class NeedleDraw:
    """The needles of one row (in draw order), the key asked about and the answers."""

    keys: tuple[str, ...]  # one per needle (all equal in multivalue rows)
    values: tuple[str, ...]
    asked: str  # the key the question names
    answers: tuple[str, ...]
    question: str

    def texts(self) -> list[str]:
        return [needle_text(k, v) for k, v in zip(self.keys, self.values)]

    def strings(self) -> set[str]:
        """Keys and values: strings that must occur nowhere but in their needles and the question."""
        return set(self.keys) | set(self.values)


def draw_values(rng: random.Random, count: int, avoid: frozenset[str] = frozenset()) -> list[str]:
    values: list[str] = []
    seen = set(avoid)
    while len(values) < count:
        value = str(rng.randrange(*VALUE_RANGE))
        if value not in seen:
            seen.add(value)
            values.append(value)
    return values


def draw_needles(rng: random.Random, task: str, count: int, key_format: str, avoid: frozenset[str] = frozenset()) -> NeedleDraw:
    """The needles of one row of ``task``; no key or value is in ``avoid``."""
    if task == "multivalue":
        key = draw_keys(rng, 1, key_format, avoid)[0]
        values = draw_values(rng, count, avoid)
        return NeedleDraw((key,) * count, tuple(values), key, tuple(values), retrieval_question(task, key))
    keys = draw_keys(rng, count, key_format, avoid)
    values = draw_values(rng, count, avoid)
    asked = rng.randrange(count)
    return NeedleDraw(tuple(keys), tuple(values), keys[asked], (values[asked],), retrieval_question(task, keys[asked]))
