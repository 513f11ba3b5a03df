r"""Rewards of the retrieval rows (``keychain build --task multikey|multivalue|niah``).

``multikey`` and ``niah`` rows have one answer (the asked key's value), so the QA rewards
(``containment``, ``exact_match``, ``f1``) score them as they score KeyChain rows.
``multivalue`` rows have 20 answers, all of which must be in the boxed answer: the
``multivalue`` reward, also served under ``containment`` so a recipe's default reward
scores the whole LoongRL mix.

Example:
    >>> all_values(r"<think>...</think> \boxed{1234567, 7654321}", ["7654321", "1234567"])
    1.0
    >>> all_values(r"\boxed{1234567}", ["7654321", "1234567"])
    0.0
"""

from __future__ import annotations

import re
from typing import Sequence

from . import (  # this module is imported by the package's plugin loader, after both exist
    _qa_scorer,
    qa,
)
from .answer import final_answer
from .registry import register

SINGLE_ANSWER_SOURCES = ("multikey/*", "niah/*")

for _name, _metric in (("containment", qa.containment), ("exact_match", qa.exact_match), ("f1", qa.f1)):
    register(_name, *SINGLE_ANSWER_SOURCES)(_qa_scorer(_metric))


@register("multivalue", "multivalue/*")
@register("containment", "multivalue/*")
def all_values(solution_str: str, ground_truth: Sequence[str]) -> float:
    """1.0 when every value occurs in the boxed answer as a whole number, else 0.0."""
    answer = final_answer(solution_str)
    if answer is None or not ground_truth:
        return 0.0
    found = set(re.findall(r"\d+", answer))
    return 1.0 if all(value in found for value in ground_truth) else 0.0
