r"""The final answer of a completion: the last ``\boxed{...}`` after the last ``</think>``.

Braces are matched, so nested groups stay whole, and LaTeX text wrappers such as
``\text{...}`` are unwrapped, so ``\boxed{\text{Paris}}`` answers ``Paris``. A completion
without a complete ``\boxed{}`` (none at all, or a last one cut off before its closing
brace) has no answer.

Example:
    >>> final_answer(r"<think> \boxed{draft} </think> so \boxed{\text{Paris}}")
    'Paris'
    >>> final_answer(r"\boxed{a{b}c} then \boxed{d}")
    'd'
    >>> final_answer(r"\boxed{unclosed") is None
    True
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

THINK_END = "</think>"
_BOXED = re.compile(r"\\boxed\s*\{")
_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|textit|texttt|textrm|mathrm|mathbf|mathit|mbox|emph|operatorname)\s*\{([^{}]*)\}")


def answer_region(text: str) -> str:
    """The text after the last ``</think>``, or all of it when there is none."""
    cut = text.rfind(THINK_END)
    return text if cut < 0 else text[cut + len(THINK_END) :]


def last_boxed(text: str) -> str | None:
    r"""Content of the last ``\boxed{...}`` with balanced braces; None when absent or unclosed."""
    starts = [match.end() for match in _BOXED.finditer(text)]
    if not starts:
        return None
    start = starts[-1]
    depth = 1
    for position in range(start, len(text)):
        char = text[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start:position]
    return None


def unwrap_latex(text: str) -> str:
    r"""``\text{New \textbf{York}}`` -> ``New York``: text wrappers removed, innermost first."""
    previous = None
    while previous != text:
        previous, text = text, _TEXT_WRAPPER.sub(r"\1", text)
    return text


def final_answer(completion: str) -> str | None:
    """The answer a completion gives, before normalisation; None when it gives none."""
    boxed = last_boxed(answer_region(completion))
    return None if boxed is None else unwrap_latex(boxed)


def answer_scorer(metric: Callable[[str, Sequence[str]], float]) -> Callable[[str, Sequence[str]], float]:
    """A scorer ``(solution_str, golds)`` applying ``metric`` to the final answer (0 without one)."""

    def scorer(solution_str: str, ground_truth: Sequence[str]) -> float:
        answer = final_answer(solution_str)
        return 0.0 if answer is None else metric(answer, ground_truth)

    scorer.__name__ = f"answer_{metric.__name__}"
    return scorer
