"""Answer metrics for QA rows: the paper's containment rule, exact match and token F1.

Each metric compares one predicted answer with the gold answers after SQuAD-style
normalisation (``keychain.text.normalize_answer``: lower case, punctuation and the
articles a/an/the removed, white space collapsed) and takes the best gold. A prediction
that normalises to the empty string scores 0: the empty string is contained in
everything.

Example:
    >>> containment("The Eiffel Tower", ["eiffel tower, Paris"]), exact_match("Paris!", ["paris"])
    (1.0, 1.0)
    >>> round(f1("New York City", ["new york"]), 3)
    0.8
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from keychain.text import normalize_answer


def containment(prediction: str, golds: Sequence[str]) -> float:
    """LoongRL Eq. 3: 1 when, for some gold, one normalised string contains the other."""
    answer = normalize_answer(prediction)
    if not answer:
        return 0.0
    for gold in golds:
        target = normalize_answer(gold)
        if target and (target in answer or answer in target):
            return 1.0
    return 0.0


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1 when the normalised prediction equals some normalised gold."""
    answer = normalize_answer(prediction)
    return 1.0 if answer and any(answer == normalize_answer(gold) for gold in golds) else 0.0


def f1(prediction: str, golds: Sequence[str]) -> float:
    """Best SQuAD token F1 over the golds (bag of normalised words)."""
    predicted = normalize_answer(prediction).split()
    if not predicted:
        return 0.0
    best = 0.0
    for gold in golds:
        expected = normalize_answer(gold).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best
