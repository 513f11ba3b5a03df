r"""Wording of the retrieval and math prompts (the KeyChain wording is in ``keychain/rows/prompts.py``).

The retrieval prompts follow RULER's needle-in-a-haystack templates; the system prompt is
the build template's (``--template`` can change it), so every task asks for reasoning in
``<think> </think>`` and the answer in ``\boxed{}``.

Example:
    >>> needle_text("k1", "1234567")
    'One of the special magic numbers for k1 is: 1234567.'
    >>> retrieval_frame("multivalue", "k1")[1].endswith("What are all the special magic numbers for k1 mentioned in the provided text?")
    True
"""

from __future__ import annotations

NEEDLE = "One of the special magic numbers for {key} is: {value}."
NEEDLE_PATTERN = r"One of the special magic numbers for (\S+) is: (\d+)\."
RETRIEVAL_INTRO = (
    "Some special magic numbers are hidden within the following text. Make sure to "
    "memorize it. I will quiz you about the numbers afterwards.\n"
)
QUESTION_ONE = "What is the special magic number for {key} mentioned in the provided text?"
QUESTION_ALL = "What are all the special magic numbers for {key} mentioned in the provided text?"
MATH_USER = "{problem}\n\nPlease reason step by step, and put your final answer within \\boxed{{}}."
CHOICE_USER = (
    "{problem}\n\nAnswer with the letter of the correct option within \\boxed{{}}, e.g. \\boxed{{A}}."
)


def needle_text(key: str, value: str) -> str:
    return NEEDLE.format(key=key, value=value)


def retrieval_question(task: str, key: str) -> str:
    return (QUESTION_ALL if task == "multivalue" else QUESTION_ONE).format(key=key)


def retrieval_frame(task: str, key: str) -> tuple[str, str]:
    """The user message around the haystack: (text before, text after)."""
    return RETRIEVAL_INTRO, "\n\n" + retrieval_question(task, key)
