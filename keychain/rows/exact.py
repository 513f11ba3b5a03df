"""A prompt's exact token count summed from cached pieces, for additive tokenizers.

Counting a 16K prompt from scratch costs as much as tokenizing it; the passages in it
were all counted before (each pool document once, as a passage with its separator), and
the KeyChain pairs once per row. When the tokenizer is additive (``tokens.junction_splits``:
cl100k splits "…\\n\\n" + "Passage 7:" and "…end." + " {pair}" exactly where a piece ends),
the user message's count is the sum of its pieces' counts:

    before | passage 1 + sep | passage 2 + sep | ... | last passage | after

A passage's count is its cached count, corrected for its number (``head_count``), plus
the counts of the pairs inside it. Wherever a junction is not provably a split (a pair
right before a blank line, a title starting with a space, the last passage before the
instruction), the pieces on both sides are merged and that stretch is counted exactly.
So the result always equals counting the whole message; ``KEYCHAIN_CHECK_COUNTS=1``
(set by the test suite) recounts every prompt whole and fails loudly if it ever did not.

Example: with a stand-in tokenizer that counts characters (every junction splits),
    >>> class Chars:
    ...     def count(self, text): return len(text)
    >>> pieces = [Piece(0, 5, 5), Piece(5, 9, None), Piece(9, 12, 3)]
    >>> sum_pieces(Chars(), "ab.\\n\\nPas x y", pieces, lambda left, right: True)
    12
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

from .context import RenderedContext
from .pad import DocumentCosts
from .tokens import TokenCounter, junction_splits


class Piece(NamedTuple):
    start: int  # offset in the message text
    end: int
    tokens: int | None  # known count, or None: count the text


def sum_pieces(
    counter, text: str, pieces: Sequence[Piece], splits: Callable[[str, str], bool] = junction_splits
) -> int:
    """Sum piece counts, merging neighbours across every junction that does not split."""
    total = 0
    run_start, run_tokens = None, 0
    for piece in pieces:
        if piece.start == piece.end:
            continue
        if run_start is not None and not splits(text[piece.start - 1 : piece.start], text[piece.start : piece.start + 2]):
            run_tokens = None  # merged: count the joined stretch
        else:
            if run_start is not None:
                total += run_tokens if run_tokens is not None else counter.count(text[run_start:piece.start])
            run_start, run_tokens = piece.start, 0
        if run_tokens is not None:
            run_tokens = None if piece.tokens is None else run_tokens + piece.tokens
    if run_start is not None:
        total += run_tokens if run_tokens is not None else counter.count(text[run_start:])
    return total


class PieceCounter:
    """Exact counts of user messages built from cached passage and pair counts."""

    REFERENCE_INDEX = DocumentCosts.REFERENCE_INDEX

    def __init__(self, counter: TokenCounter, costs: DocumentCosts, passage_template: str, separator: str) -> None:
        self.counter = counter
        self.costs = costs
        self.head_template = passage_head(passage_template)
        self.separator = separator
        self._frames: dict[str, int] = {}  # before/after texts recur across rows
        self._heads: list[str] = []  # passage heads by number ("Passage 7:\n")
        self._deltas: list[int] = []  # tokens of head k minus the reference head's
        self._title_splits: dict[int, bool] = {}  # per document: head | title junction splits
        if self.usable:
            first = self.head_template.format(index=1)
            # Passages end with the separator and start with a head: one check for all joins.
            self._between = junction_splits(separator, first[:2]) and junction_splits(separator, self._head(100)[:2])
            self._reference = counter.count(self._head(self.REFERENCE_INDEX))

    @property
    def usable(self) -> bool:
        return self.counter.additive and self.head_template is not None

    def _head(self, index: int) -> str:
        heads = self._heads
        while len(heads) <= index:
            heads.append(self.head_template.format(index=len(heads)))
        return heads[index]

    def head_delta(self, index: int) -> int:
        deltas = self._deltas
        while len(deltas) <= index:
            deltas.append(self.counter.count(self._head(len(deltas))) - self._reference)
        return deltas[index]

    def frame_count(self, text: str) -> int:
        cached = self._frames.get(text)
        if cached is None:
            if len(self._frames) > 4096:
                self._frames.clear()
            cached = self._frames[text] = self.counter.count(text)
        return cached

    def tail(self, after: str) -> str:
        """The part of ``after`` counted on its own: without a leading separator when the
        last passage can carry it (its cached count includes one), else all of it."""
        sep = self.separator
        if after.startswith(sep) and junction_splits(sep, after[len(sep) : len(sep) + 2]):
            return after[len(sep) :]
        return after

    def frame_tokens(self, before: str, after: str) -> int:
        """The user message's tokens outside the passages, as ``count_user`` sums them."""
        return self.frame_count(before) + self.frame_count(self.tail(after))

    def count_user(
        self,
        before: str,
        context: RenderedContext,
        ordered: Sequence[int],
        pair_lengths: Sequence[int],
        pair_tokens: Sequence[int],
        after: str,
    ) -> int:
        """Tokens of ``before + context.text + after``; pairs given in context order.

        Runs of passages whose count is known become one piece; a passage with a
        junction that does not split becomes a piece to count. A pair right before a
        separator is counted with it (the passage then costs its separator-less count).
        """
        body = context.text
        sep = self.separator
        text = before + body + after
        shift = len(before)
        n = len(ordered)
        # The last passage has no separator of its own; when the text after the passages
        # starts with one (the default "\n\n" + instruction), it reads like any other.
        tail_sep = n > 0 and len(self.tail(after)) < len(after)
        ends = [shift + s for s in context.doc_starts[1:]]
        ends.append(shift + len(body) + (len(sep) if tail_sep else 0))
        pair_starts = context.pair_starts
        n_pairs = len(pair_starts)
        costs, deltas, count = self.costs, self._deltas, self.counter.count
        reference_tail = self._head(self.REFERENCE_INDEX)[-1]
        pieces = [Piece(0, shift, self.frame_count(before))]
        run_start, run_tokens = shift, 0
        next_pair = 0
        start = shift
        for k in range(n):
            doc_id, end = ordered[k], ends[k]
            if k + 1 >= len(deltas):
                self.head_delta(k + 1)
            tokens = costs(doc_id) + deltas[k + 1]
            known = self._title_splits.get(doc_id)
            if known is None:
                head = self._head(k + 1)
                after_head = text[start + len(head) : start + len(head) + 2]
                known = self._title_splits[doc_id] = junction_splits(head, after_head) and junction_splits(
                    reference_tail, after_head
                )
            known = known and (k < n - 1 or tail_sep)
            while next_pair < n_pairs and shift + pair_starts[next_pair] < end:
                brace = shift + pair_starts[next_pair]  # the pair is " " + the text from here
                close = brace + pair_lengths[next_pair]
                known = known and junction_splits(text[brace - 2], text[brace - 1 : brace + 1])
                if close == end - len(sep) and known:  # " " + pair + separator: one piece
                    tokens += count(text[brace - 1 : end]) - costs(doc_id) + costs.bare(doc_id)
                else:
                    known = known and junction_splits(text[close - 1], text[close : close + 2])
                    tokens += pair_tokens[next_pair]
                next_pair += 1
            if known and self._between:
                run_tokens += tokens
            else:
                if run_start < start:
                    pieces.append(Piece(run_start, start, run_tokens))
                pieces.append(Piece(start, end, tokens if known else None))
                run_start, run_tokens = end, 0
            start = end
        if run_start < start:
            pieces.append(Piece(run_start, start, run_tokens))
        pieces.append(Piece(start, len(text), self.frame_count(text[start:])))
        return sum_pieces(self.counter, text, pieces)


def passage_head(passage_template: str) -> str | None:
    """The part of a passage template before its title, when it holds the only ``{index}``.

    >>> passage_head("Passage {index}:\\n{title}\\n{body}")
    'Passage {index}:\\n'
    >>> passage_head("{title} ({index})\\n{body}") is None
    True
    """
    title = passage_template.find("{title}")
    body = passage_template.find("{body}")
    if title < 0 or body < title:
        return None
    head = passage_template[:title]
    rest = passage_template[title:]
    if "{index}" not in head or "{index}" in rest or head.count("{") != 1:
        return None
    return head
