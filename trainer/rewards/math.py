r"""Rewards of the short math rows: ``math`` (DAPO-Math) and ``choice`` (MathQA).

``math`` compares the boxed answer with the ground truth by mathematical equivalence,
with the ``math-verify`` library (imported on first use; ``pip install 'keychain[train]'``).
``choice`` compares the option letter in the boxed answer (``\boxed{B}``, ``\boxed{(b)}``,
``\boxed{B) 15}``) with the correct letter. A recipe training on math rows names these
rewards (``containment`` has no scorer for them).

Example:
    >>> choice(r"<think>15 km/h</think> \boxed{(b)}", ["B"])
    1.0
    >>> option_letter("C) 18"), option_letter("18")
    ('C', None)
"""

from __future__ import annotations

import re
from typing import Sequence

from .answer import final_answer
from .registry import register

_LETTER = re.compile(r"^\s*\(?([A-Ea-e])\)?(?:[\s.):]|$)")


def option_letter(answer: str) -> str | None:
    match = _LETTER.match(answer)
    return match.group(1).upper() if match else None


@register("choice", "choice/*")
def choice(solution_str: str, ground_truth: Sequence[str]) -> float:
    answer = final_answer(solution_str)
    letter = None if answer is None else option_letter(answer)
    return 1.0 if letter is not None and letter in {g.strip().upper() for g in ground_truth} else 0.0


@register("math", "math/*")
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
