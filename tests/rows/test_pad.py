"""The greedy fill: required documents, targets, drops."""

from __future__ import annotations

import random

from keychain.rows.pad import Fill


def test_required_documents_that_exceed_the_budget_are_reported():
    fill = Fill([60, 50].__getitem__, budget=100)
    assert fill.add_required([0], random.Random(0))
    assert not fill.add_required([1], random.Random(0))


def test_grow_adds_what_fits_and_skips_what_does_not():
    costs = [30, 500, 40, 20, 10]
    fill = Fill(costs.__getitem__, budget=100)
    fill.grow(iter([1, 0, 2, 3, 4]), random.Random(0), target=100)
    assert sorted(fill.doc_ids()) == [0, 2, 3, 4] and fill.tokens == 100
    assert fill.rejected == [1] and not fill.exhausted


def test_shrink_drops_latest_optional_documents_only():
    costs = [50, 30, 30, 30]
    fill = Fill(costs.__getitem__, budget=200)
    fill.add_required([0], random.Random(0))
    fill.grow(iter([1, 2, 3]), random.Random(1), target=200)
    fill.shrink(target=85)
    assert fill.doc_ids() == [0, 1] and fill.tokens == 80
    fill.shrink(target=10)
    assert fill.doc_ids() == [0]  # the required document stays


def test_order_is_stable_when_a_document_is_dropped():
    costs = [10] * 10
    fill = Fill(costs.__getitem__, budget=1000)
    fill.grow(iter(range(10)), random.Random(3), target=1000)
    before = fill.ordered()
    fill.drop_last_optional()
    after = fill.ordered()
    assert after == [d for d in before if d != 9]


def test_swap_closes_a_gap_smaller_than_every_document():
    # budget 100, window [97, 100]: greedy takes 0 (40) and 1 (40), then 2 (30) does not fit: a
    # 20-token gap no document fills; swapping 1 for 3 (57) lands on 97.
    costs = [40, 40, 30, 57, 70]
    fill = Fill(costs.__getitem__, budget=100)
    fill.add_required([0], random.Random(0))
    fill.grow(iter([1, 2, 3, 4]), random.Random(1), target=100)
    assert fill.tokens == 80 and fill.rejected == [2, 3, 4]
    before = {c.doc_id: c.sort_key for c in fill._chosen}
    assert fill.swap_into(97, 100)
    assert fill.doc_ids() == [0, 3] and fill.tokens == 97
    assert fill.rejected == [2, 1, 4]  # the dropped document can come back later
    assert {c.doc_id: c.sort_key for c in fill._chosen}[3] == before[1]  # it takes the dropped one's place


def test_swap_never_drops_a_required_document_and_reports_failure():
    costs = [60, 10, 95]
    fill = Fill(costs.__getitem__, budget=100)
    fill.add_required([0], random.Random(0))
    fill.grow(iter([2]), random.Random(1), target=100)
    assert fill.doc_ids() == [0] and fill.rejected == [2]
    assert not fill.swap_into(97, 100)  # only the required document could make room
    assert fill.doc_ids() == [0] and fill.tokens == 60
