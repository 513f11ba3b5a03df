"""Distractor padding: choose documents until the prompt reaches its token budget.

Each pool document is tokenized once (as a rendered passage plus separator) and its
count is reused by every row; a row's size is estimated from those counts and then
checked with an exact count of the prompt (``build.py``, ``exact.py``), which corrects
the estimate when tokens merge across document boundaries.

The fill is greedy over a seeded random order of the pool: a document is added when it
still fits, skipped otherwise; it stops when the slack is tiny, after ``MAX_MISSES``
documents in a row did not fit, or when the pool is exhausted. Every document gets a
random sort key when chosen, so the final order is a seeded shuffle that stays stable
when a document is later dropped to correct an overshoot. When the greedy fill ends
below the floor with a gap narrower than every candidate (small budgets: at 1K the 3%
window is 31 tokens, a biography 70-130), ``swap_into`` replaces one optional document
by a rejected one that closes the gap; rows the greedy fill completes are unchanged.

Example:
    >>> import random
    >>> costs = [50, 40, 30, 500]
    >>> fill = Fill(costs.__getitem__, budget=100)
    >>> fill.add_required([2], random.Random(0))  # the gold document, 30 tokens
    True
    >>> fill.grow(iter([3, 0, 1]), random.Random(1), target=100)
    >>> sorted(fill.doc_ids()), fill.tokens  # 500 did not fit; 30 + 50 = 80, then 40 did not
    ([0, 2], 80)
"""

from __future__ import annotations

import random
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence

from ..sources.records import Document
from .chains import key_strings
from .prompts import PromptTemplate
from .tokens import TokenCounter

MAX_MISSES = 64  # documents in a row that did not fit before the fill gives up
SMALL_SLACK = 4  # tokens; below this the fill is done


class DocumentCosts:
    """Token cost of each pool document as a passage, computed on first use and cached."""

    REFERENCE_INDEX = 100  # passages are numbered at render time; 100 is a typical width

    def __init__(self, documents: Sequence[Document], counter: TokenCounter, template: PromptTemplate) -> None:
        self._documents = documents
        self._counter = counter
        self._template = template
        self._costs: list[int] = [-1] * len(documents)
        self._bare: list[int] = [-1] * len(documents)
        self._deltas: list[int] = []  # position_delta by passage number, grown on demand
        self._reference: int | None = None  # tokens of the sample passage at REFERENCE_INDEX
        self._key_strings: dict[str, list[frozenset[str] | None]] = {}

    def passage(self, doc_id: int, index: int) -> str:
        document = self._documents[doc_id]
        return self._template.passage.format(index=index, title=document.title, body=document.body)

    def __call__(self, doc_id: int) -> int:
        cost = self._costs[doc_id]
        if cost < 0:
            text = self.passage(doc_id, self.REFERENCE_INDEX) + self._template.passage_separator
            cost = self._costs[doc_id] = self._counter.count(text)
        return cost

    def bare(self, doc_id: int) -> int:
        """Tokens of the passage without its separator (a pair may sit between the two)."""
        cost = self._bare[doc_id]
        if cost < 0:
            cost = self._bare[doc_id] = self._counter.count(self.passage(doc_id, self.REFERENCE_INDEX))
        return cost

    def position_delta(self, position: int) -> int:
        """Extra tokens of passage number ``position`` over the reference number's.

        Counted once per number on a sample passage: in cl100k every number below 1000
        is one token, but a small BPE may spend one token on "117" and two on "100".
        """
        deltas = self._deltas
        if len(deltas) <= position:
            sample = lambda index: self._template.passage.format(index=index, title="Title", body="Body.")  # noqa: E731
            if self._reference is None:
                self._reference = self._counter.count(sample(self.REFERENCE_INDEX))
            new = range(len(deltas), position + 1)
            deltas.extend(n - self._reference for n in self._counter.count_many([sample(i) for i in new]))
        return deltas[position]

    def key_strings(self, doc_ids: Iterable[int], key_format: str) -> set[str]:
        """Key-shaped strings in the titles and bodies of documents (almost always none)."""
        cache = self._key_strings.setdefault(key_format, [None] * len(self._documents))
        found: set[str] = set()
        for doc_id in doc_ids:
            strings = cache[doc_id]
            if strings is None:
                strings = cache[doc_id] = key_strings(self._documents[doc_id].text, key_format)
            if strings:
                found |= strings
        return found

    def prefetch(self, doc_ids: Iterable[int]) -> None:
        """Count several uncached documents in one batch call."""
        todo = [d for d in dict.fromkeys(doc_ids) if self._costs[d] < 0]
        if not todo:
            return
        suffix = self._template.passage_separator
        texts = [self.passage(d, self.REFERENCE_INDEX) + suffix for d in todo]
        for doc_id, cost in zip(todo, self._counter.count_many(texts)):
            self._costs[doc_id] = cost


class Chosen(NamedTuple):
    doc_id: int
    sort_key: float
    required: bool


class Fill:
    """The documents chosen for one row, with their estimated token total."""

    def __init__(self, cost: Callable[[int], int], budget: int, position_cost: Callable[[int], int] | None = None) -> None:
        self._cost = cost
        self._position_cost = position_cost or (lambda position: 0)
        self.budget = budget
        self._chosen: list[Chosen] = []
        self._ids: set[int] = set()
        self.tokens = 0
        self.rejected: list[int] = []  # candidates that did not fit, to retry after a correction
        self.exhausted = False
        self.changes = 0  # bumped on every add or drop, to tell whether a recount is needed

    def add_required(self, doc_ids: Sequence[int], rng: random.Random) -> bool:
        """Add documents that must be present (gold); False if they exceed the budget."""
        for doc_id in doc_ids:
            self._add(doc_id, rng, required=True)
        return self.tokens <= self.budget

    def fits(self, doc_id: int, target: int) -> bool:
        """Whether one more document (as the next passage number) stays within ``target``."""
        return self.tokens + self._cost(doc_id) + self._position_cost(len(self._chosen) + 1) <= target

    def add_if_fits(self, doc_ids: Sequence[int], rng: random.Random, target: int) -> None:
        """Add each document that still fits (the item's own distractors)."""
        for doc_id in doc_ids:
            if doc_id not in self._ids and self.fits(doc_id, target):
                self._add(doc_id, rng, required=False)

    def grow(self, candidates: Iterator[int], rng: random.Random, target: int) -> None:
        """Greedy fill from ``candidates`` (already filtered) up to ``target`` tokens."""
        retry, self.rejected = self.rejected, []
        for doc_id in retry:
            if self.fits(doc_id, target):
                self._add(doc_id, rng, required=False)
            else:
                self.rejected.append(doc_id)
        # The hot loop of a build (hundreds of candidates per row): locals, no calls to _add.
        cost, position_cost, chosen, ids, rejected = self._cost, self._position_cost, self._chosen, self._ids, self.rejected
        draw = rng.random
        tokens, misses, added = self.tokens, 0, 0
        while target - tokens > SMALL_SLACK and misses < MAX_MISSES:
            doc_id = next(candidates, None)
            if doc_id is None:
                self.exhausted = True
                break
            extra = cost(doc_id) + position_cost(len(chosen) + 1)
            if tokens + extra <= target:
                chosen.append(Chosen(doc_id, draw(), False))
                ids.add(doc_id)
                tokens += extra
                added += 1
                misses = 0
            else:
                rejected.append(doc_id)
                misses += 1
        self.tokens = tokens
        self.changes += added

    def swap_into(self, low: int, high: int) -> bool:
        """Replace one optional document by a rejected one so the total lands in [low, high].

        Whole documents can leave a gap smaller than any of them (at 1K, a 31-token window
        against 70-130-token biographies); one swap usually closes it. The newest optional
        document is tried first, the first rejected one that fits is taken.
        """
        for index in range(len(self._chosen) - 1, -1, -1):
            chosen = self._chosen[index]
            if chosen.required:
                continue
            base = self.tokens - self._cost(chosen.doc_id)
            for position, doc_id in enumerate(self.rejected):
                if doc_id not in self._ids and low <= base + self._cost(doc_id) <= high:
                    self._chosen[index] = Chosen(doc_id, chosen.sort_key, False)
                    self._ids.discard(chosen.doc_id)
                    self._ids.add(doc_id)
                    self.rejected[position] = chosen.doc_id
                    self.tokens = base + self._cost(doc_id)
                    self.changes += 1
                    return True
        return False

    def shrink(self, target: int) -> None:
        """Drop the most recently added optional documents until within ``target``."""
        for index in range(len(self._chosen) - 1, -1, -1):
            if self.tokens <= target:
                return
            if not self._chosen[index].required:
                self._remove(index)

    def drop_last_optional(self) -> bool:
        """Drop the most recently added optional document; False if there is none."""
        for index in range(len(self._chosen) - 1, -1, -1):
            if not self._chosen[index].required:
                self._remove(index)
                return True
        return False

    def ordered(self) -> list[int]:
        """Chosen documents in context order (by their random sort keys)."""
        return [c.doc_id for c in sorted(self._chosen, key=lambda c: (c.sort_key, c.doc_id))]

    def doc_ids(self) -> list[int]:
        return [c.doc_id for c in self._chosen]

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self._ids

    def _remove(self, index: int) -> None:
        self.tokens -= self._position_cost(len(self._chosen))  # the last number goes away
        chosen = self._chosen.pop(index)
        self._ids.discard(chosen.doc_id)
        self.tokens -= self._cost(chosen.doc_id)
        self.changes += 1

    def _add(self, doc_id: int, rng: random.Random, required: bool) -> None:
        self._chosen.append(Chosen(doc_id, rng.random(), required))
        self._ids.add(doc_id)
        self.tokens += self._cost(doc_id) + self._position_cost(len(self._chosen))
        self.changes += 1
