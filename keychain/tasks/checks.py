"""Verify checks of retrieval and math rows, run by ``verify.check_row`` after the common ones.

The common checks (schema, fresh ``n_tokens``, budget, answers equal ground truth, unique
ids) apply to every task; math rows have no fill floor. On top:

* ``needles_found``: each recorded needle occurs exactly once, and the text holds no
  other needle sentence;
* ``needles_unique``: keys (multikey) and values are distinct, and each key and value
  occurs in the prompt only in its needles (and the asked key once more, in the question);
* ``needle_depth``: each needle depth points at its needle; a niah needle sits within
  ``DEPTH_TOLERANCE`` of the requested depth;
* ``answers_in_context``: the answers are exactly the values of the asked key's needles,
  or an option letter of the question (choice rows).

Example:
    >>> [name for name, _ in TASK_CHECKS][:2]
    ['needles_found', 'needles_unique']
"""

from __future__ import annotations

import re

from . import RETRIEVAL_TASKS
from .prompts import NEEDLE_PATTERN, RETRIEVAL_INTRO
from .retrieval import expected_counts

DEPTH_TOLERANCE = 0.03  # niah: needle position vs requested depth, share of the context
TASK_CHECKS = [
    ("needles_found", "each needle occurs once, no other needle (retrieval)"),
    ("needles_unique", "keys and values distinct, nowhere else in the prompt (retrieval)"),
    ("needle_depth", "needle depths point at their needle; niah within 3% of the request"),
    ("answers_in_context", "answers = the asked key's values, or an option letter (choice)"),
]
_NEEDLE = re.compile(NEEDLE_PATTERN)
_OPTION_LINE = re.compile(r"^([A-Z])\) ", re.MULTILINE)


def check_task_row(row: dict, report) -> None:
    if row["task"] in RETRIEVAL_TASKS:
        _check_retrieval(row, report)
    elif row["task"] == "choice":
        letters = _OPTION_LINE.findall(row["question"])
        if len(row["answers"]) != 1 or row["answers"][0] not in letters:
            report.fail("answers_in_context", f"answer {row['answers']} is not one of the options {letters}")


def _check_retrieval(row: dict, report) -> None:
    user = next((m["content"] for m in row["prompt"] if m["role"] == "user"), "")
    question = row["question"]
    suffix = "\n\n" + question
    if not (user.startswith(RETRIEVAL_INTRO) and user.endswith(suffix)):
        report.fail("needles_found", "the user message is not the retrieval frame around the question")
        return
    context = user[len(RETRIEVAL_INTRO) : len(user) - len(suffix)]
    needles = row["needles"] or []
    found = [m.group(0) for m in _NEEDLE.finditer(context)]
    if sorted(found) != sorted(needles) or not needles:
        report.fail("needles_found", f"{len(found)} needle sentences in the text, {len(needles)} recorded")
    for needle in needles:
        if context.count(needle) != 1:
            report.fail("needles_found", f"needle {needle[:50]!r} occurs {context.count(needle)} times")
            break
    pairs = [_NEEDLE.fullmatch(n).groups() for n in needles if _NEEDLE.fullmatch(n)]
    keys, values = [k for k, _ in pairs], [v for _, v in pairs]
    asked = next((k for k in dict.fromkeys(keys) if k in question), None)
    distinct_keys = len(set(keys)) == (1 if row["task"] == "multivalue" else len(keys))
    if not distinct_keys or len(set(values)) != len(values):
        report.fail("needles_unique", f"{len(set(keys))} distinct keys and {len(set(values))} distinct values in {len(pairs)} needles")
    if asked is not None:
        text = "\n".join(m["content"] for m in row["prompt"])
        for string, count in expected_counts(keys, values, asked).items():
            if text.count(string) != count:
                report.fail("needles_unique", f"{string} occurs {text.count(string)} times in the prompt, expected {count}")
                break
    wanted = [v for k, v in pairs if k == asked]
    if asked is None or sorted(wanted) != sorted(row["answers"]):
        report.fail("answers_in_context", f"answers {row['answers'][:3]} are not the values of the asked key's needles")
    depths = row["needle_depths"] or []
    if len(depths) != len(needles):
        report.fail("needle_depth", f"{len(depths)} depths for {len(needles)} needles")
        return
    for needle, depth in zip(needles, depths):
        if not context.startswith(needle, round(depth * len(context))):
            report.fail("needle_depth", f"depth {depth:.4f} does not point at {needle[:40]!r}")
            break
    if row["task"] == "niah":
        requested = row["needle_depth"]
        if requested is None or not depths or abs(depths[0] - requested) > DEPTH_TOLERANCE:
            report.fail("needle_depth", f"needle at {depths[0] if depths else None}, requested {requested}")
