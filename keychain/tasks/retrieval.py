"""Retrieval rows: needles hidden in a contiguous run of haystack text, at an exact length.

``NeedleBuilder.build`` reads straight through:

1. pick where the row's text starts in the haystack (a paragraph start, seeded);
2. draw the needles (``needles.py``) and count the fixed prompt and the needles once;
3. take as many haystack sentences as the budget allows, from per-sentence token counts
   cached for the whole build (a prefix sum and a bisection);
4. render: needles after sentence ends (random ones, or the one nearest the requested
   depth for ``niah``), count the prompt exactly once, correct the estimate and repeat
   while it overshoots or leaves slack, as KeyChain rows do (``rows/build.py``);
5. redraw the needles if a key or value string also occurs in the text.

So every row has ``0.97 * len <= n_tokens <= len``, like KeyChain rows.

Example: ``NeedleBuilder(haystack, spec, template, counter).build(0, NeedleItem("d050-00000", 0.5))``
returns a row whose only needle starts half way through the context.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass

from ..errors import BudgetError
from ..randomness import row_rng
from ..rows.prompts import PromptTemplate, messages, prompt_tokens
from ..rows.spec import FILL_FLOOR, KEY_ATTEMPTS, MAX_ROUNDS, Skip
from ..sources.records import SourceData
from .haystack import Haystack
from .needles import NeedleDraw, draw_needles
from .prompts import retrieval_frame
from .rows import task_row
from .spec import TaskSpec

ABILITY = "longcontext_retrieval"
DEFAULT_ROWS = 100  # rows per config (per depth for niah) when --num is not given
_COST_BLOCK = 256  # sentences counted per step while extending a row's prefix sums


@dataclass(frozen=True)
class NeedleItem:
    """One row to build: its id and, for niah, the requested needle depth (0..1)."""

    source_id: str
    depth: float | None = None


def needle_items(spec: TaskSpec, num: int | None) -> tuple[NeedleItem, ...]:
    """``num`` items, or ``num`` per depth for niah (depth-major: d000-00000, d000-00001, ...)."""
    rows = num or DEFAULT_ROWS
    if spec.depths is None:
        return tuple(NeedleItem(f"{n:06d}") for n in range(rows))
    return tuple(NeedleItem(f"d{round(100 * d):03d}-{n:05d}", d) for d in spec.depths for n in range(rows))


@dataclass
class _Rendered:
    prompt: list[dict[str, str]]
    context: str
    needles: list[str]  # in context order
    needle_starts: list[int]  # character offset of each, in the context
    n_tokens: int


class NeedleBuilder:
    """Builds retrieval rows of one spec over one haystack; holds the sentence-cost cache."""

    def __init__(self, haystack: Haystack, spec: TaskSpec, template: PromptTemplate, counter, num: int | None = None) -> None:
        self.haystack = haystack
        self.spec = spec
        self.template = template
        self.counter = counter
        self.source = SourceData(haystack.name, spec.split, needle_items(spec, num), (), {}, haystack.origin)
        self.min_tokens = math.ceil(FILL_FLOOR * spec.target_len)
        self.tolerance = max(8, spec.target_len // 200)
        self._starts = haystack.paragraph_starts()

    # ----------------------------------------------------------------- public
    def check_budget(self) -> None:
        """Raise a BudgetError when the haystack or the budget cannot hold any row."""
        spec, stack = self.spec, self.haystack
        sample = draw_needles(row_rng(spec.seed, spec.source, spec.split, "estimate", "needles"), spec.task, spec.needles, spec.key_format)
        overhead = self._fixed(sample) + self._needle_tokens(sample)
        if overhead >= self.min_tokens:
            raise BudgetError(
                f"--len {spec.target_len} cannot hold the prompt and {spec.needles} needles ({overhead} tokens); "
                "use a larger --len or fewer --needles"
            )
        total = sum(stack.costs(self.counter, 0, len(stack.pieces)))
        if total < spec.target_len - overhead:
            raise BudgetError(
                f"the {stack.name} haystack holds {total} tokens, less than the {spec.target_len - overhead} "
                "a row needs; pass more or longer --haystack files, or use a smaller --len"
            )

    def build(self, index: int, item: NeedleItem) -> dict | Skip:
        spec = self.spec

        def rng(purpose: str):
            return row_rng(spec.seed, spec.source, spec.split, f"{spec.task}:{item.source_id}", purpose)

        start = self._starts[int(rng("window").random() * len(self._starts))]
        avoid: frozenset[str] = frozenset()
        for attempt in range(KEY_ATTEMPTS):
            draw = draw_needles(rng("needles" if attempt == 0 else f"needles-retry{attempt}"), spec.task, spec.needles, spec.key_format, avoid)
            result = self._assemble(draw, start, item.depth, rng)
            if isinstance(result, Skip):
                return result
            clashes = clashing_strings(result.prompt, draw)
            if not clashes:
                return self._row(index, item, draw, result)
            avoid |= clashes
        return Skip("key_collision")

    # ---------------------------------------------------------------- private
    def _fixed(self, draw: NeedleDraw) -> int:
        before, after = retrieval_frame(self.spec.task, draw.asked)
        return prompt_tokens(self.counter, messages(self.template, before + after), self.template)

    def _needle_tokens(self, draw: NeedleDraw) -> int:
        return sum(self.counter.count_many([" " + text for text in draw.texts()]))

    def _assemble(self, draw: NeedleDraw, start: int, depth: float | None, rng) -> _Rendered | Skip:
        limit = self.spec.target_len
        fixed = self._fixed(draw) + self._needle_tokens(draw)
        prefix = [0]  # prefix[n] = estimated tokens of the first n sentences

        def sentences_within(target: int) -> int:
            most = len(self.haystack.pieces)
            while prefix[-1] <= target and len(prefix) <= most:
                block = self.haystack.costs(self.counter, start + len(prefix) - 1, min(_COST_BLOCK, most + 1 - len(prefix)))
                prefix.extend(list(itertools.accumulate(block, initial=prefix[-1]))[1:])
            return bisect.bisect_right(prefix, target) - 1

        offset, n, counted = 0, -1, None
        for _ in range(MAX_ROUNDS):
            wanted = sentences_within(limit - fixed - offset)
            if wanted == n:
                break
            n = wanted
            counted = self._render(draw, start, n, depth, rng)
            offset = counted.n_tokens - (fixed + prefix[n])
            if counted.n_tokens <= limit and limit - counted.n_tokens <= self.tolerance:
                break
        while counted.n_tokens > limit and n > 0:  # rare: estimates were off by more than a sentence
            n -= 1
            counted = self._render(draw, start, n, depth, rng)
        if counted.n_tokens > limit or counted.n_tokens < self.min_tokens:
            return Skip("underfilled")
        return counted

    def _render(self, draw: NeedleDraw, start: int, n: int, depth: float | None, rng) -> _Rendered:
        pieces = [self.haystack.piece(start + i) for i in range(n)]
        if pieces:
            pieces[0] = pieces[0].lstrip()
        texts = draw.texts()
        slots = place_needles(rng("place"), len(texts), [len(p) for p in pieces], depth)
        order = sorted(range(len(texts)), key=lambda i: (slots[i], i))
        parts, starts, offset, cursor = [], [], 0, 0
        for i in order:  # boundary b: before piece b (b = 0) or after piece b - 1
            chunk = "".join(pieces[cursor : slots[i]])
            parts.append(chunk)
            offset += len(chunk)
            cursor = slots[i]
            lead = "" if offset == 0 else " "
            starts.append(offset + len(lead))
            parts.append(lead + texts[i])
            offset += len(lead) + len(texts[i])
        rest = "".join(pieces[cursor:])
        if offset and rest and not rest[:1].isspace():
            rest = " " + rest  # a needle at depth 0 is followed by the text it precedes
        context = "".join(parts) + rest
        before, after = retrieval_frame(self.spec.task, draw.asked)
        prompt = messages(self.template, before + context + after)
        return _Rendered(prompt, context, [texts[i] for i in order], starts, prompt_tokens(self.counter, prompt, self.template))

    def _row(self, index: int, item: NeedleItem, draw: NeedleDraw, result: _Rendered) -> dict:
        length = max(1, len(result.context))
        asked = [s for s, text in zip(result.needle_starts, result.needles) if draw.asked in text]
        depths = [s / length for s in result.needle_starts]
        needle_depth = item.depth if item.depth is not None else (asked[0] / length if self.spec.task == "multikey" else None)
        return task_row(
            self.spec,
            index,
            item.source_id,
            result.prompt,
            result.n_tokens,
            draw.question,
            list(draw.answers),
            ability=ABILITY,
            needle_depth=needle_depth,
            needles=result.needles,
            needle_depths=depths,
        )


def place_needles(rng, count: int, piece_lengths: list[int], depth: float | None) -> list[int]:
    """A boundary (0..n: before sentence 0, ..., after sentence n-1) for each needle.

    With a depth, the boundary whose character offset is nearest ``depth`` of the text;
    otherwise distinct random boundaries while there are enough.

    Example:
        >>> import random
        >>> place_needles(random.Random(0), 1, [10, 10, 10, 10], 0.5)
        [2]
    """
    boundaries = len(piece_lengths) + 1
    if depth is not None:
        offsets = list(itertools.accumulate(piece_lengths, initial=0))
        goal = depth * offsets[-1]
        nearest = min(range(boundaries), key=lambda b: (abs(offsets[b] - goal), b))
        return [nearest] * count
    if boundaries >= count:
        return rng.sample(range(boundaries), count)
    return [rng.randrange(boundaries) for _ in range(count)]


def clashing_strings(prompt: list[dict[str, str]], draw: NeedleDraw) -> frozenset[str]:
    """Keys and values that occur in the prompt more often than their needles and question put them there."""
    text = "\n".join(m["content"] for m in prompt)
    expected = expected_counts(draw.keys, draw.values, draw.asked)
    return frozenset(s for s, n in expected.items() if text.count(s) != n)


def expected_counts(keys, values, asked: str) -> dict[str, int]:
    """How often each key and value must occur in a prompt: once per needle, the asked key once more.

    Example: ``expected_counts(["k", "k"], ["1", "2"], "k")`` -> ``{'k': 3, '1': 1, '2': 1}``
    """
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    counts[asked] = counts.get(asked, 0) + 1
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts
