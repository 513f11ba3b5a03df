r"""Rewards of the retrieval rows (``keychain build --task multikey|multivalue|niah``).

Needle values are compared exactly: a part of a value, or a list of values, is wrong.

- ``multikey`` and ``niah`` rows have one answer (the asked key's value). ``containment``
  scores them by normalised equality (``1,234,567`` = ``1234567``; ``\boxed{7}`` and
  ``\boxed{123}`` score 0 against ``1234567``); ``containment_paper`` keeps the paper's
  character containment; ``exact_match`` and ``f1`` score them as QA rows.
- ``multivalue`` rows have 20 answers: the boxed answer must hold exactly the set of
  values, in any order and with any separators (the ``multivalue`` reward, also served
  under ``containment`` and ``containment_paper``): a missing or an extra value scores 0.

Example:
    >>> all_values(r"<think>...</think> \boxed{1234567, 7654321}", ["7654321", "1234567"])
    1.0
    >>> all_values(r"\boxed{1234567}", ["7654321", "1234567"]), all_values(r"\boxed{1234567, 7654321, 1111111}", ["7654321", "1234567"])
    (0.0, 0.0)
"""

from __future__ import annotations

from typing import Sequence

from . import qa
from .answer import answer_scorer, final_answer
from .normalize import is_number, normalize, parse
from .registry import register

SINGLE_ANSWER_SOURCES = ("multikey/*", "niah/*")

for _name, _metric in (("containment", qa.exact_match), ("containment_paper", qa.containment_paper),
                       ("exact_match", qa.exact_match), ("f1", qa.f1)):
    register(_name, *SINGLE_ANSWER_SOURCES)(answer_scorer(_metric))


@register("multivalue", "multivalue/*")
@register("containment", "multivalue/*")
@register("containment_paper", "multivalue/*")
def all_values(solution_str: str, ground_truth: Sequence[str]) -> float:
    """1.0 when the boxed answer's numbers are exactly the gold values, else 0.0."""
    answer = final_answer(solution_str)
    if answer is None or not ground_truth:
        return 0.0
    found = {word for word in parse(answer).words if is_number(word)}
    return 1.0 if found == {normalize(value) for value in ground_truth} else 0.0
