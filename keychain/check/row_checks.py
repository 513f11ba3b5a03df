"""The invariants every built row must satisfy, checked from the row alone.

``check_row`` recomputes what it can from a row and returns the problems it finds:

* ``n_tokens`` equals a fresh count with the row's tokenizer, and fits the budget
  (``<= target_len`` unless chains were put outside it, ``>= 97%`` of it); a row padded
  by context (``context_tokens`` set) has its passages recounted instead, within
  ``target_len - 128`` and ``>= 97%`` of that;
* answers are non-empty and equal ``reward_model.ground_truth``;
* every gold document is present verbatim once the KeyChain pairs are taken out,
  and gold/chain depths point at the right place;
* KeyChain rows: following keys from ``head_key`` reaches exactly the row's question in
  ``hops`` steps along ``chain_keys``; every key occurs once as a key; each chain ends
  at a question, the row's question ends exactly one chain and the others end at other
  questions; no key string occurs anywhere else in the prompt;
* plain rows hold no KeyChain pairs;
* each answer occurs in the gold documents where the source is extractive (yes/no and
  comparison answers are reported, not failed).

``check.verify`` runs these over every row of every complete version under a folder.

Example:
    >>> check_names = [name for name, _ in CHECKS]
    >>> "chain_resolves" in check_names and "n_tokens_fresh" in check_names
    True
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from ..rows.chains import FoundPair, find_pairs, key_occurrences, resolve_chain
from ..rows.prompts import PromptTemplate, prompt_tokens
from ..rows.spec import CONTEXT_RESERVE, FILL_FLOOR
from ..rows.tokens import TokenCounter
from ..store.schema import SCHEMA
from ..tasks import RETRIEVAL_TASKS, TASK_SOURCES, UNPADDED_TASKS
from ..tasks.checks import TASK_CHECKS, check_task_row
from ..text import normalize_answer

CHECKS = [
    ("schema", "columns and types match the schema"),
    ("n_tokens_fresh", "n_tokens (and context_tokens) equal a fresh count"),
    ("budget", "n_tokens within the budget and >= 97% of it (padded by context: context_tokens, budget len - 128)"),
    ("answers", "answers non-empty and equal to reward_model.ground_truth"),
    ("unique_id", "row ids are unique"),
    ("gold_present", "every gold document present verbatim"),
    ("depths", "gold and chain depths point at their text"),
    ("chain_resolves", "head key leads to the question in hops steps"),
    ("keys_unique", "every key occurs once as a key and nowhere else"),
    ("chain_ends", "the question ends one chain, the others end at other questions"),
    ("plain_clean", "plain rows hold no KeyChain pairs"),
    ("answer_in_gold", "answers occur in the gold documents (extractive sources)"),
    *TASK_CHECKS,  # retrieval and math rows: keychain/tasks/checks.py
]
COMMON_CHECKS = ("schema", "n_tokens_fresh", "budget", "answers", "unique_id")
# The checks a task's rows go through beyond the common ones (verify shows only these).
TASK_CHECK_NAMES = {
    "keychain": ("gold_present", "depths", "chain_resolves", "keys_unique", "chain_ends", "answer_in_gold"),
    "plain": ("gold_present", "depths", "plain_clean", "answer_in_gold"),
    **{task: ("needles_found", "needles_unique", "needle_depth", "answers_in_context") for task in RETRIEVAL_TASKS},
    "math": (),
    "choice": ("answers_in_context",),
}
YES_NO = {"yes", "no"}
_WORD = re.compile(r"[^\W_]+")
_ARTICLES = {"a", "an", "the"}


@dataclass
class RowReport:
    row_id: str
    problems: list[tuple[str, str]] = field(default_factory=list)  # (check, detail)
    notes: list[tuple[str, str]] = field(default_factory=list)  # reported, not failed

    def fail(self, check: str, detail: str) -> None:
        self.problems.append((check, detail))


def applicable_checks(tasks) -> list[tuple[str, str]]:
    """(name, description) of the checks rows of ``tasks`` go through, in ``CHECKS`` order;
    every check for an unknown task or none.

    Example: ``[n for n, _ in applicable_checks({"math"})]`` ->
    ``['schema', 'n_tokens_fresh', 'budget', 'answers', 'unique_id']``
    """
    if not tasks or any(task not in TASK_CHECK_NAMES for task in tasks):
        return list(CHECKS)
    names = set(COMMON_CHECKS).union(*(TASK_CHECK_NAMES[task] for task in tasks))
    return [(name, description) for name, description in CHECKS if name in names]


def key_format_of(key: str) -> str:
    return "hex8" if len(key) == 8 else "uuid"


def context_span(row: dict, template: PromptTemplate) -> tuple[str, int, int]:
    """(user message, start, end) of the passages block in it, per the row's template;
    the whole message when it does not have the template's frame."""
    user = next((m["content"] for m in row["prompt"] if m["role"] == "user"), "")
    key_format = key_format_of(row["head_key"]) if row.get("head_key") else None
    before, after = template.user_frame(row["task"], question=row["question"], head_key=row.get("head_key"), key_format=key_format)
    if not (user.startswith(before) and user.endswith(after)) or len(before) + len(after) > len(user):
        return user, 0, len(user)
    return user, len(before), len(user) - len(after)


def context_of(row: dict, template: PromptTemplate) -> tuple[str, str]:
    """(user message, passages block) of a row, using the template it was built with."""
    user, start, end = context_span(row, template)
    return user, user[start:end]


def strip_pairs(text: str, key_format: str, pairs: list[FoundPair] | None = None, offset: int = 0) -> str:
    """``text`` with every inserted ``" {"key": "value"}."`` removed.

    ``pairs`` (found in a text that holds ``text`` at ``offset``) saves searching again.
    """
    pieces, last = [], 0
    found = find_pairs(text, key_format) if pairs is None else pairs
    for pair in found:
        start, end = pair.start - offset, pair.end - offset
        if start < 0 or end > len(text):
            continue
        start = start - 1 if start > 0 and text[start - 1] == " " else start
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def check_row(
    row: dict, counter: TokenCounter | None, template: PromptTemplate, chains_outside_budget: bool = False,
    fresh: int | None = None,
) -> RowReport:
    """Every check of one row; ``counter=None`` leaves out the fresh token count (the
    build's own pre-write check, whose count was just taken); ``fresh`` is that count
    when it was taken beforehand (verify counts whole prompts in batches)."""
    report = RowReport(str(row.get("id")))
    missing = [name for name in SCHEMA.names if name not in row and name != "context_tokens"]  # new in schema 3
    if missing:
        report.fail("schema", f"missing columns {missing}")
        return report

    if counter is None:
        fresh = row["n_tokens"]
    elif fresh is None:
        fresh = prompt_tokens(counter, row["prompt"], template.assistant_prefix)
    if fresh != row["n_tokens"]:
        report.fail("n_tokens_fresh", f"n_tokens {row['n_tokens']} but a fresh count gives {fresh}")
    by_context = row.get("context_tokens") is not None  # padded like the reference scripts
    what, budget = ("context_tokens", row["target_len"] - CONTEXT_RESERVE) if by_context else ("n_tokens", row["target_len"])
    if (by_context or not chains_outside_budget) and row[what] > budget:
        report.fail("budget", f"{what} {row[what]} > {budget}")
    if row[what] < math.ceil(FILL_FLOOR * budget) and row["task"] not in UNPADDED_TASKS:
        report.fail("budget", f"{what} {row[what]} < {FILL_FLOOR:.0%} of {budget}")

    answers = row["answers"] or []
    if not answers or any(not a for a in answers):
        report.fail("answers", "answers empty")
    if answers != (row["reward_model"] or {}).get("ground_truth"):
        report.fail("answers", "answers differ from reward_model.ground_truth")
    if row["task"] in TASK_SOURCES:
        check_task_row(row, report)
        return report

    user, start, end = context_span(row, template)
    context = user[start:end]
    keychain = row["task"] == "keychain"
    key_format = key_format_of(row["head_key"]) if keychain and row.get("head_key") else "uuid"
    pairs = find_pairs(user, key_format) if keychain else []
    plain_context = strip_pairs(context, key_format, pairs, start) if keychain else context
    if by_context and counter is not None and counter.count(plain_context) != row["context_tokens"]:
        report.fail("n_tokens_fresh", f"context_tokens {row['context_tokens']} but a fresh count gives {counter.count(plain_context)}")
    _check_gold(row, context, plain_context, report)
    if keychain:
        _check_chains(row, pairs, context, key_format, report)
    else:
        if find_pairs(user, "uuid") or find_pairs(user, "hex8"):
            report.fail("plain_clean", "a plain row holds KeyChain pairs")
    _check_answer_in_gold(row, report)
    return report


def _check_gold(row: dict, context: str, plain_context: str, report: RowReport) -> None:
    titles, docs, depths = row["gold_titles"] or [], row["gold_docs"] or [], row["gold_depths"] or []
    if not docs or len(titles) != len(docs) or len(depths) != len(docs):
        report.fail("gold_present", f"{len(docs)} gold docs, {len(titles)} titles, {len(depths)} depths")
        return
    for title, doc, depth in zip(titles, docs, depths):
        body = doc[len(title) + 1 :] if doc.startswith(title + "\n") else doc
        if title not in plain_context or body not in plain_context:
            report.fail("gold_present", f"gold document {title!r} not found verbatim")
        start = round(depth * len(context))
        if not 0.0 <= depth <= 1.0 or title not in context[start : start + len(title) + 64]:
            report.fail("depths", f"gold depth {depth:.4f} does not point at {title!r}")


def _check_chains(row: dict, pairs: list[FoundPair], context: str, key_format: str, report: RowReport) -> None:
    head, chain_keys, hops = row["head_key"], row["chain_keys"] or [], row["hops"]
    as_key = Counter(p.key for p in pairs)
    repeated = [k for k, n in as_key.items() if n > 1]
    if repeated:
        report.fail("keys_unique", f"{len(repeated)} keys occur more than once as a key")
    mapping = {p.key: p.value for p in pairs}
    path, end = resolve_chain(mapping, head, limit=(hops or 0) + 1)
    if end != row["question"] or path != chain_keys or len(path) != hops:
        report.fail("chain_resolves", f"from the head key: {len(path)} steps to {str(end)[:60]!r}")
    values = set(mapping.values())
    heads = [k for k in mapping if k not in values]
    ends = []
    for start in heads:
        chain_path, chain_end = resolve_chain(mapping, start, limit=(hops or 0) + 1)
        if chain_end is None or len(chain_path) != hops:
            report.fail("chain_ends", f"chain from {start} does not end at a question after {hops} steps")
        ends.append(chain_end)
    if len(heads) != row["num_chains"]:
        report.fail("chain_ends", f"{len(heads)} chains found, num_chains says {row['num_chains']}")
    if ends.count(row["question"]) != 1:
        report.fail("chain_ends", f"the question ends {ends.count(row['question'])} chains, expected 1")
    if len(set(ends)) != len(ends):
        report.fail("chain_ends", "two chains end at the same question")
    found = key_occurrences("\n".join(m["content"] for m in row["prompt"]), key_format)
    for key in mapping:
        expected = 1 + (key in values) + (key == head)
        if found.get(key, 0) != expected:
            report.fail("keys_unique", f"key {key} occurs {found.get(key, 0)} times, expected {expected}")
            break
    if head not in mapping:
        report.fail("chain_resolves", "the head key starts no pair")
    for key, depth in zip(chain_keys, row["chain_depths"] or []):
        start = round(depth * len(context))
        if not context.startswith('{"' + key + '"', start):
            report.fail("depths", f"chain depth {depth:.4f} does not point at the pair of {key}")
            break


def _words(text: str) -> str:
    """" norway s capital " for "Norway's capital": lower-case words, padded for whole-word search."""
    return " " + " ".join(w for w in _WORD.findall(text.lower()) if w not in _ARTICLES) + " "


def _check_answer_in_gold(row: dict, report: RowReport) -> None:
    """An answer occurs in the gold text: case-insensitive substring, or the same words."""
    answers = [a for a in row["answers"] or [] if _words(a).strip()]
    first = (row["answers"] or [""])[0]
    if normalize_answer(first) in YES_NO:
        report.notes.append(("answer_in_gold", f"yes/no answer {first!r} is not a span"))
        return
    gold = " ".join(row["gold_docs"] or [])
    gold_lower, gold_words = " ".join(gold.lower().split()), _words(gold)
    if any(" ".join(a.lower().split()) in gold_lower or _words(a) in gold_words for a in answers):
        return
    kind = (row.get("question_type") or "").lower()
    if "comparison" in kind:
        report.notes.append(("answer_in_gold", f"{kind} answer {first!r} is not a span"))
    else:
        report.fail("answer_in_gold", f"no answer ({first!r}) occurs in the gold documents")
