"""One source item -> one row: chains, padding to the exact budget, the prompt, metadata.

``RowBuilder.build`` reads straight through:

1. draw the chains (keychain rows): head key, true chain, decoy chains, their pairs;
2. count the fixed cost (system prompt, instructions) and each pair's tokens;
3. fill documents to the budget from token counts cached per document;
4. render the passages with the pairs after random sentence ends, count the prompt
   exactly (summed from cached pieces where the tokenizer allows, ``exact.py``), and
   correct the estimate while it overshoots or leaves slack; with ``padding="context"``
   (the reference scripts' way) the passages alone are counted against
   ``target_len - CONTEXT_RESERVE`` and the chains are added afterwards;
5. check that no key string occurs anywhere it should not, and emit the row.

Every random choice comes from a per-row RNG stream (``randomness.row_rng``), so a row
is a pure function of (spec, source, item): byte-identical across runs and workers.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterator

from ..randomness import LazyPermutation, row_rng
from ..sources.records import QAItem, SourceData
from .chains import (
    KeyChains,
    format_pair,
    key_strings,
    make_chains,
    pick_decoys,
    place_pairs,
)
from .context import RenderedContext, count_slots, render_context
from .exact import PieceCounter
from .pad import DocumentCosts, Fill
from .prompts import PromptTemplate, messages, prompt_frame, prompt_tokens
from .spec import (
    ABILITY,
    CONTEXT_RESERVE,
    FILL_FLOOR,
    KEY_ATTEMPTS,
    MAX_ROUNDS,
    RowSpec,
    Skip,
    length_label,
)
from .tokens import TokenCounter

_PREFETCH = 32


@dataclass
class _Assembly:
    """The result of one attempt at a row."""

    prompt: list[dict[str, str]]
    context: RenderedContext
    ordered: list[int]  # pool ids of the passages, in context order
    emitted: list[int]  # pair ids in the order they appear in the context
    n_tokens: int  # the whole prompt's tokens; the context's alone while padding by context
    context_tokens: int | None = None  # the padded passages' tokens (padding="context")


class RowBuilder:
    """Builds rows of one spec from one source; holds the per-document token cache."""

    def __init__(self, source: SourceData, spec: RowSpec, template: PromptTemplate, counter: TokenCounter,
                 costs: DocumentCosts | None = None) -> None:
        self.source = source
        self.spec = spec
        self.template = template
        self.counter = counter
        # Shared between the lengths of one build: a document costs the same at 4K and 128K.
        self.costs = costs or DocumentCosts(source.documents, counter, template)
        self.questions = [item.question for item in source.items]
        self.label = length_label(spec.target_len)
        self.context_padding = spec.padding == "context"  # the fill counts the passages alone (reference scripts)
        self.budget = spec.target_len - CONTEXT_RESERVE if self.context_padding else spec.target_len
        self.min_tokens = math.ceil(FILL_FLOOR * self.budget)
        self.tolerance = max(8, self.budget // 200)  # stop correcting below 0.5% slack
        self._titles = [document.title for document in source.documents]
        self._frame_keys: frozenset[str] | None = None
        pieces = PieceCounter(counter, self.costs, template.passage, template.passage_separator)
        self._pieces = pieces if pieces.usable else None  # None: count every prompt whole
        self._check_counts = os.environ.get("KEYCHAIN_CHECK_COUNTS", "") not in ("", "0")

    # ----------------------------------------------------------------- public
    def build(self, index: int, item: QAItem) -> dict | Skip:
        spec = self.spec

        def rng(purpose: str):
            return row_rng(spec.seed, spec.source, spec.split, item.source_id, purpose)

        if not spec.is_keychain:
            result = self._assemble(item, None, rng)
            return result if isinstance(result, Skip) else self._row(index, item, None, [], result)
        avoid: frozenset[str] = frozenset()
        for attempt in range(KEY_ATTEMPTS):
            chain_rng = rng("chains" if attempt == 0 else f"chains-retry{attempt}")
            decoys = pick_decoys(chain_rng, self.questions, item.question, spec.chains - 1)
            chains = make_chains(
                chain_rng, question=item.question, decoys=decoys, hops=spec.hops, key_format=spec.key_format, avoid=avoid
            )
            pairs = chains.pairs()
            order = list(range(len(pairs)))
            rng("pair-order").shuffle(order)
            pair_texts = [format_pair(*pairs[i]) for i in order]
            # Pair ids (positions in pair_texts) of the true chain's pairs, in chain order.
            true_pair_ids = [order.index(i) for i in range(spec.hops)]
            result = self._assemble(item, (chains, pairs, pair_texts), rng)
            if isinstance(result, Skip):
                return result
            clashes = self._key_clashes(result, chains)
            if not clashes:
                return self._row(index, item, chains, true_pair_ids, result)
            avoid = avoid | clashes
        return Skip("key_collision")

    def fixed_tokens(self, question: str, head_key: str | None) -> int:
        """Tokens of the prompt with no passages (system prompt, frame, instruction)."""
        before, after = self.template.user_frame(
            self.spec.task, question=question, head_key=head_key, key_format=self.spec.key_format
        )
        prompt = messages(self.template, before + after)
        frame = self._frame(prompt)
        if frame is None:
            return prompt_tokens(self.counter, prompt, self.template)
        # The same cached pieces the exact count sums, so the frame is tokenized once per row.
        return frame.fixed + self._pieces.frame_tokens(frame.prefix + before, after + frame.suffix)

    def _frame(self, prompt: list[dict[str, str]]):
        return prompt_frame(self.counter, prompt, self.template) if self._pieces is not None else None

    def pair_tokens(self, pair_texts: list[str]) -> list[int]:
        """Tokens of each pair as written into the context (``" " + pair`` after a sentence); their
        sum is the pairs' share of the budget (exact where the tokenizer splits at the pairs' edges)."""
        return self.counter.count_many([" " + text for text in pair_texts]) if pair_texts else []

    # ---------------------------------------------------------------- private
    def _candidates(self, item: QAItem, rng) -> Iterator[int]:
        """Pool documents in a seeded random order, minus the item's own and same-titled ones."""
        titles = self._titles
        own = set(item.gold) | set(item.others)
        own_titles = {titles[d] for d in own}
        permutation = LazyPermutation(len(titles), rng)
        while permutation.remaining:
            block = [d for d in permutation.take(_PREFETCH) if d not in own and titles[d] not in own_titles]
            self.costs.prefetch(block)
            yield from block

    def _assemble(self, item: QAItem, keychain, rng) -> _Assembly | Skip:
        """Choose and render the passages so the prompt lands within the budget."""
        spec, limit, by_context = self.spec, self.budget, self.context_padding
        chains, pairs, pair_texts = keychain if keychain else (None, [], [])
        pairs_in_budget = bool(pair_texts) and not spec.chains_outside_budget
        pair_tokens = self.pair_tokens(pair_texts)
        pairs_cost = sum(pair_tokens) if pairs_in_budget else 0
        head_key = chains.head_key if chains else None
        fixed = 0 if by_context else self.fixed_tokens(item.question, head_key)
        before, after = self.template.user_frame(
            spec.task, question=item.question, head_key=head_key, key_format=spec.key_format
        )

        fill = Fill(self.costs, budget=limit - fixed - pairs_cost, position_cost=self.costs.position_delta)
        order_rng = rng("order")
        self.costs.prefetch(item.gold + item.others)
        if not fill.add_required(item.gold, order_rng):
            return Skip("gold_too_long")
        fill.add_if_fits(item.others, order_rng, target=fill.budget)
        candidates = self._candidates(item, rng("pool"))

        def render(with_pairs: bool, whole: bool = True) -> _Assembly:
            return self._render(fill, pair_texts if with_pairs else [], pair_tokens, rng, before, after, whole)

        def measure() -> _Assembly:  # what the budget counts: the prompt, or the passages alone
            return render(False, whole=False) if by_context else render(pairs_in_budget)

        offset = 0  # exact count minus estimate, learned from the last exact count
        counted, counted_at = None, -1
        for _ in range(MAX_ROUNDS):
            target = fill.budget - offset
            fill.shrink(target)
            fill.grow(candidates, order_rng, target)
            if fill.changes == counted_at:
                break  # nothing changed since the last exact count
            counted, counted_at = measure(), fill.changes
            offset = counted.n_tokens - (fixed + pairs_cost + fill.tokens)
            if counted.n_tokens <= limit and limit - counted.n_tokens <= self.tolerance:
                break
        while counted.n_tokens > limit:  # rare: estimates were off by more than a document
            if not fill.drop_last_optional():
                return Skip("gold_too_long")
            counted = measure()
        if counted.n_tokens < self.min_tokens:  # a gap narrower than every candidate (small budgets)
            offset = counted.n_tokens - (fixed + pairs_cost + fill.tokens)
            low, high = self.min_tokens - fixed - pairs_cost - offset, limit - fixed - pairs_cost - offset
            quarter = (high - low) // 4  # aim inside the window: the estimate is off by a few tokens
            if fill.swap_into(low + quarter, high - quarter) or fill.swap_into(low, high):
                counted = measure()
        if counted.n_tokens < self.min_tokens or counted.n_tokens > limit:
            return Skip("pool_exhausted" if fill.exhausted else "underfilled")
        if by_context:  # the reference scripts' order: pad the passages, then add the chains
            full = render(bool(pair_texts))
            full.context_tokens = counted.n_tokens
            return full
        if pair_texts and spec.chains_outside_budget:
            return render(True)  # the reference scripts' behaviour: chains on top of the budget
        return counted

    def _count(self, prompt: list[dict[str, str]], before: str, after: str, context: RenderedContext,
               ordered: list[int], emitted: list[int], pair_texts: list[str], pair_tokens: list[int]) -> int:
        """The prompt's exact token count: summed from cached pieces when the tokenizer allows."""
        # The chat template's text around the user message (none for tiktoken), counted with it.
        frame = self._frame(prompt)
        if frame is None:
            return prompt_tokens(self.counter, prompt, self.template)
        user = self._pieces.count_user(
            frame.prefix + before, context, ordered, [len(pair_texts[p]) for p in emitted],
            [pair_tokens[p] for p in emitted], after + frame.suffix,
        )
        return self._checked(frame.fixed + user, lambda: prompt_tokens(self.counter, prompt, self.template))

    def _checked(self, summed: int, whole) -> int:  # ``summed``, compared with ``whole()`` under KEYCHAIN_CHECK_COUNTS
        if self._check_counts and (counted := whole()) != summed:
            raise AssertionError(f"summed count {summed} != whole count {counted}: a junction rule is wrong")
        return summed

    def _count_passages(self, context: RenderedContext, ordered: list[int]) -> int:
        """The passages' exact count alone (padding by context), summed where the tokenizer allows."""
        if self._pieces is None:  # no summing: counted whole
            return self.counter.count(context.text)
        whole = lambda: getattr(self.counter, "encode_count", self.counter.count)(context.text)  # noqa: E731  (the tokenizer itself)
        return self._checked(self._pieces.count_user("", context, ordered, [], [], ""), whole)

    def _render(self, fill: Fill, pair_texts: list[str], pair_tokens: list[int], rng, before: str, after: str,
                whole: bool = True) -> _Assembly:
        """The passages with their pairs, and the prompt's exact count (``whole=False``: the
        passages' count alone, no prompt made)."""
        documents = self.source.documents
        ordered = fill.ordered()
        chosen = [documents[d] for d in ordered]
        by_slot: dict[int, list[int]] = {}
        if pair_texts:
            slots = place_pairs(rng("place"), len(pair_texts), count_slots(chosen))
            for pair_id, slot in enumerate(slots):
                by_slot.setdefault(slot, []).append(pair_id)
        context = render_context(
            self.template, chosen, {slot: [pair_texts[p] for p in ids] for slot, ids in by_slot.items()}
        )
        emitted = [p for slot in sorted(by_slot) for p in by_slot[slot]]
        if not whole:
            return _Assembly([], context, ordered, emitted, self._count_passages(context, ordered))
        prompt = messages(self.template, before + context.text + after)
        n_tokens = self._count(prompt, before, after, context, ordered, emitted, pair_texts, pair_tokens)
        return _Assembly(prompt, context, ordered, emitted, n_tokens)

    def _key_clashes(self, result: _Assembly, chains: KeyChains) -> frozenset[str]:
        """Keys whose string also occurs outside their own pairs and the instruction.

        The prompt is made of the frame, the passages and the pairs, joined by white
        space and punctuation that no key contains, so a key occurs elsewhere exactly
        when it occurs in one of those parts; passages' key-shaped strings are cached.
        """
        spec = self.spec
        if self._frame_keys is None:
            # The frame as it reads without the head key (which it names legitimately).
            before, after = self.template.user_frame(spec.task, question="", head_key="", key_format=spec.key_format)
            self._frame_keys = key_strings("\n".join((self.template.system, before, after)), spec.key_format)
        elsewhere = self.costs.key_strings(result.ordered, spec.key_format)
        elsewhere |= self._frame_keys | key_strings("\n".join(chains.ends), spec.key_format)
        return frozenset(key for key in chains.all_keys() if key in elsewhere)

    def _row(self, index: int, item: QAItem, chains: KeyChains | None, true_pair_ids: list[int], result: _Assembly) -> dict:
        spec = self.spec
        documents = self.source.documents
        context = result.context
        length = max(1, len(context.text))
        position_of = {doc_id: i for i, doc_id in enumerate(result.ordered)}
        row = {
            "id": f"{spec.source}-{spec.split}-{spec.task}-{self.label}-{item.source_id}",
            "data_source": f"{spec.task}/{spec.source}",
            "prompt": result.prompt,
            "ability": ABILITY,
            "reward_model": {"style": "rule", "ground_truth": list(item.answers)},
            "extra_info": {"split": spec.split, "index": index},
            "source": spec.source,
            "source_id": item.source_id,
            "question": item.question,
            "answers": list(item.answers),
            "question_type": item.question_type,
            "qa_hops": item.qa_hops,
            "task": spec.task,
            "target_len": spec.target_len,
            "n_tokens": result.n_tokens,
            "context_tokens": result.context_tokens,
            "tokenizer": spec.tokenizer,
            "seed": spec.seed,
            "num_docs": len(result.ordered),
            "gold_titles": [documents[d].title for d in item.gold],
            "gold_docs": [documents[d].text for d in item.gold],
            "gold_depths": [context.doc_starts[position_of[d]] / length for d in item.gold],
            "head_key": None,
            "chain_keys": None,
            "hops": None,
            "num_chains": None,
            "chain_depths": None,
        }
        if chains is not None:
            start_of = dict(zip(result.emitted, context.pair_starts))
            row.update(
                head_key=chains.head_key,
                chain_keys=list(chains.true_keys),
                hops=spec.hops,
                num_chains=len(chains.keys),
                chain_depths=[start_of[p] / length for p in true_pair_ids],
            )
        return row
