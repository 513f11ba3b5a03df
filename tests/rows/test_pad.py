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
