"""Answer metrics for QA rows: whole-word containment (the default), the paper's literal
character rule, exact match and token F1.

Each compares one predicted answer with the gold answers and takes the best gold.
Normalisation is SQuAD's made Unicode-aware (``normalize.py``: ``Beyoncé`` = ``Beyonce``,
``1,000`` = ``1000``). A prediction that normalises to nothing scores 0.

``containment`` keeps LoongRL's intent (Eq. 3, Table 5: the answer matches when either
contains the other) but compares whole words, so no answer that knows nothing about the
item can farm it. For a gold answer G and a prediction P (normalised words; a list
separator is ``,`` ``;`` ``/`` ``&`` or the word or/and/vs/...):

1. P's words equal G's words -> 1.
2. G is yes/no, a number or one character, or P is a number or one character: only 1.
   counts (``\\boxed{7}`` never matches ``1234567``, ``yes or no`` never matches ``yes``).
3. P holds more list separators than G -> 0: a hedge or a list (``Paris or London``,
   ``Paris, London``, every passage title joined).
4. G's words occur as a run in P's, and P has at most twice G's words -> 1
   (``the Eiffel Tower in Paris`` answers ``Eiffel Tower``; longer answers score 0).
5. P's words occur as a run in G's and cover at least half of them -> 1
   (``Eiffel`` answers ``Eiffel Tower``; ``of`` does not answer ``Bank of America``).

Measured on the 200 real HotpotQA and MuSiQue items (``benchmarks/reward_attacks.py``):
no letter, digit, ``yes or no``, list of titles or gold fragment scores on more than 2%
of items, and every gold answer scores 1. ``containment_paper`` is the literal rule
(normalised character containment either way, empty answers excluded): a boxed ``n``
scores on 61% of those items, so it is kept for reproducing the paper only.

Example:
    >>> containment("the Eiffel Tower in Paris", ["Eiffel Tower"]), containment("Eiffel", ["Eiffel Tower"])
    (1.0, 1.0)
    >>> containment("n", ["Nolan"]), containment_paper("n", ["Nolan"])
    (0.0, 1.0)
    >>> containment("yes or no", ["yes"]), containment("Beyoncé", ["Beyonce"]), containment("1,000", ["1000"])
    (0.0, 1.0, 1.0)
    >>> exact_match("Paris!", ["paris"]), round(f1("New York City", ["new york"]), 3)
    (1.0, 0.8)
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from keychain.text import normalize_answer

from .normalize import Answer, is_number, normalize, parse

YES_NO = frozenset({"yes", "no"})


def _exact_only(words: tuple[str, ...]) -> bool:
    """Answers that only an exact match may score: yes/no, a number, one character."""
    return len(words) == 1 and (words[0] in YES_NO or is_number(words[0]) or len(words[0]) == 1)


def _has_run(words: tuple[str, ...], run: tuple[str, ...]) -> bool:
    size = len(run)
    return any(words[start : start + size] == run for start in range(len(words) - size + 1))


def word_match(predicted: Answer, gold: Answer) -> bool:
    """Rules 1-5 of the module docstring for one gold answer."""
    p, g = predicted.words, gold.words
    if not p or not g:
        return False
    if p == g:
        return predicted.separators <= gold.separators
    if _exact_only(g) or _exact_only(p) or predicted.separators > gold.separators:
        return False
    if _has_run(p, g):
        return len(p) <= 2 * len(g)
    return _has_run(g, p) and 2 * len(p) >= len(g)


def containment(prediction: str, golds: Sequence[str]) -> float:
    """Whole-word containment either way, with hedges, lists and long answers rejected."""
    predicted = parse(prediction)
    return 1.0 if any(word_match(predicted, parse(gold)) for gold in golds) else 0.0


def containment_paper(prediction: str, golds: Sequence[str]) -> float:
    """LoongRL Eq. 3 literally: one SQuAD-normalised string contains the other (characters).

    Hackable (a one-letter answer is contained in most golds); for reproduction only.
    """
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
    answer = normalize(prediction)
    return 1.0 if answer and any(answer == normalize(gold) for gold in golds) else 0.0


def f1(prediction: str, golds: Sequence[str]) -> float:
    """Best SQuAD token F1 over the golds (bag of normalised words)."""
    predicted = normalize(prediction).split()
    if not predicted:
        return 0.0
    best = 0.0
    for gold in golds:
        expected = normalize(gold).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best
