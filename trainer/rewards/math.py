r"""Rewards of the short math rows: ``math`` (DAPO-Math) and ``choice`` (MathQA).

``math`` compares the boxed answer with the ground truth by mathematical equivalence,
with the ``math-verify`` library (imported on first use; ``pip install 'keychain[train]'``):
a list of candidates (``\boxed{2, 3}``) is a set and equals no single number.
``choice`` compares the option letter of the boxed answer with the correct letter: the
answer is one letter, optionally in parentheses and optionally followed by the option's
text (``\boxed{B}``, ``\boxed{(b)}``, ``\boxed{B) 15}``); naming two options (``A or B``,
``A) 5, B) 6``) has no letter. Both are also served under ``containment`` and
``containment_paper``, so one reward name scores a whole LoongRL mix.

Example:
    >>> choice(r"<think>15 km/h</think> \boxed{(b)}", ["B"])
    1.0
    >>> option_letter("C) 18"), option_letter("18"), option_letter("A or B"), option_letter("A) 5, B) 6")
    ('C', None, None, None)
"""

from __future__ import annotations

import re
from typing import Sequence

from .answer import final_answer
from .registry import register

_LETTER = re.compile(r"\s*(?:option\s+)?\(?([A-Ea-e])\)?(?:\s*[.):]\s*(.*))?", re.IGNORECASE | re.DOTALL)
_OPTION_MARK = re.compile(r"(?:^|[\s,;(])\(?[A-Ea-e]\)")  # "B)" or "(B)": the text names another option


def option_letter(answer: str) -> str | None:
    """The one option letter an answer names, or None (no letter, or more than one)."""
    match = _LETTER.fullmatch(answer.strip())
    if match is None or (match.group(2) and _OPTION_MARK.search(match.group(2))):
        return None
    return match.group(1).upper()


@register("choice", "choice/*")
@register("containment", "choice/*")
@register("containment_paper", "choice/*")
def choice(solution_str: str, ground_truth: Sequence[str]) -> float:
    answer = final_answer(solution_str)
    letter = None if answer is None else option_letter(answer)
    return 1.0 if letter is not None and letter in {g.strip().upper() for g in ground_truth} else 0.0


@register("math", "math/*")
@register("containment", "math/*")
@register("containment_paper", "math/*")
def math_equivalence(solution_str: str, ground_truth: Sequence[str]) -> float:
    r"""1.0 when the boxed answer equals a ground truth mathematically (``\frac12`` = ``0.5``)."""
    try:
        from math_verify import parse, verify
    except ImportError as error:
        raise ImportError("the math reward needs math-verify: pip install 'keychain[train]' (or pip install math-verify)") from error
    answer = final_answer(solution_str)
    if answer is None:
        return 0.0
    predicted = parse(f"\\boxed{{{answer}}}")
    return 1.0 if any(verify(parse(f"${gold}$"), predicted) for gold in ground_truth) else 0.0
