"""Before any row is written: which items a build uses, and whether the budget can work.

``plan_rows`` picks the items of a build in a seeded random order and screens out those
whose gold documents alone cannot fit (they are counted, never truncated); the result is
a pure function of the settings, so shard ``i`` always holds the same rows. The order is
shared by every task of a source, split and seed, and dealt into lanes: a build takes
only the positions of its lane (``BuildConfig.item_lane``: KeyChain the even ones, plain
the odd ones), so builds of different tasks never share an item, and only the ids of
``--keep-ids`` when given. Decoy questions still come from every item. ``check_budget``
turns impossible settings into one clear error before anything is written: a budget too
small for the prompt template and chains, too few decoy questions, or a pool too small to
fill the budget.

Example:
    >>> shard_slices(5, 2)
    [range(0, 2), range(2, 4), range(4, 5)]
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from ..errors import BudgetError
from ..randomness import LazyPermutation
from ..rows.build import RowBuilder
from ..rows.chains import format_pair, make_chains
from ..rows.spec import length_label

POOL_SAMPLE = 2000  # documents counted exactly to estimate a large pool's size


@dataclass
class Plan:
    items: list[int]  # indices into source.items, in row order
    skipped: Counter = field(default_factory=Counter)
    not_kept: int = 0  # items of the lane passed over because --keep-ids does not list them



def shard_slices(total: int, rows_per_shard: int) -> list[range]:
    return [range(start, min(total, start + rows_per_shard)) for start in range(0, total, rows_per_shard)] or [range(0)]


def overhead_estimate(builder: RowBuilder) -> int:
    """Tokens every row spends outside its documents: prompt frame plus chains in budget."""
    spec, source = builder.spec, builder.source
    first = source.items[0]
    if spec.padding == "context":  # the passages alone fill target_len - reserve
        return builder.spec.target_len - builder.budget
    if not spec.is_keychain:
        return builder.fixed_tokens(first.question, None)
    rng = random.Random(f"{spec.seed}:{spec.source}:{spec.split}:estimate")
    decoys = [q for q in dict.fromkeys(builder.questions) if q != first.question][: spec.chains - 1]
    chains = make_chains(rng, question=first.question, decoys=decoys, hops=spec.hops, key_format=spec.key_format)
    fixed = builder.fixed_tokens(first.question, chains.head_key)
    return fixed + (0 if spec.chains_outside_budget else sum(builder.pair_tokens([format_pair(*pair) for pair in chains.pairs()])))


def check_budget(builder: RowBuilder) -> int:
    """Raise a BudgetError for settings no row can satisfy; return the overhead estimate."""
    spec, source = builder.spec, builder.source
    label = length_label(spec.target_len)
    if not source.items:
        raise BudgetError(f"the {source.name} {source.split} split has no usable items; check the data")
    if spec.is_keychain:
        distinct = len(set(builder.questions))
        if distinct < spec.chains:
            raise BudgetError(
                f"{spec.chains} chains need {spec.chains - 1} decoy questions but {source.name} {source.split} "
                f"has only {distinct - 1} other distinct questions; pass --chains {max(1, distinct)} or fewer, or use more data"
            )
    overhead = overhead_estimate(builder)
    if overhead >= spec.target_len:
        what = f"the prompt template and {spec.chains} chains" if spec.is_keychain else "the prompt template"
        fix = "a larger --len or fewer --chains" if spec.is_keychain else "a larger --len"
        raise BudgetError(f"--len {label} cannot hold {what} ({overhead} tokens); use {fix}")
    documents = source.documents
    if len(documents) <= POOL_SAMPLE:
        builder.costs.prefetch(range(len(documents)))
        pool_tokens = sum(builder.costs(d) for d in range(len(documents)))
    else:
        sample = random.Random(f"{spec.source}:{spec.split}:pool-size").sample(range(len(documents)), POOL_SAMPLE)
        builder.costs.prefetch(sample)
        pool_tokens = sum(builder.costs(d) for d in sample) * len(documents) // POOL_SAMPLE
    needed = spec.target_len - overhead
    if pool_tokens < needed:
        raise BudgetError(
            f"the {source.name} {source.split} pool holds about {pool_tokens} tokens in {len(documents)} "
            f"documents, less than the {needed} a --len {label} row needs; use a smaller --len or more data"
        )
    return overhead


def plan_rows(
    builder: RowBuilder, num: int | None, overhead: int, lane: tuple[int, int] = (0, 1), keep: frozenset[str] | None = None
) -> Plan:
    """Up to ``num`` items of ``lane`` of the seeded order (those ``keep`` lists, when
    given) whose gold documents fit the budget."""
    spec, items = builder.spec, builder.source.items
    wanted = len(items) if num is None else num
    room = spec.target_len - overhead
    order = LazyPermutation(len(items), random.Random(f"{spec.seed}:{spec.source}:{spec.split}:select"))
    plan = Plan(items=[])
    position = -1
    while len(plan.items) < wanted and order.remaining:
        index, position = order.next(), position + 1
        if position % lane[1] != lane[0]:
            continue  # another task's item
        if keep is not None and items[index].source_id not in keep:
            plan.not_kept += 1
            continue
        gold = items[index].gold
        builder.costs.prefetch(gold)
        if sum(builder.costs(d) for d in gold) > room:
            plan.skipped["gold_too_long"] += 1
        else:
            plan.items.append(index)
    return plan
