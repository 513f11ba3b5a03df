"""KeyChain construction, insertion and resolution, with a hand-worked known answer."""

from __future__ import annotations

import random
import re

import pytest

from keychain.errors import BudgetError
from keychain.rows.chains import (
    KeyChains,
    draw_keys,
    find_pairs,
    format_pair,
    key_occurrences,
    make_chains,
    pick_decoys,
    place_pairs,
    resolve_chain,
)
from keychain.rows.context import render_context
from keychain.rows.prompts import PromptTemplate
from keychain.sources.records import Document


def test_pairs_of_two_chains_by_hand():
    chains = KeyChains(keys=(("a1", "a2", "a3"), ("b1", "b2", "b3")), ends=("Real?", "Decoy?"))
    assert chains.head_key == "a1"
    assert chains.true_keys == ("a1", "a2", "a3")
    assert chains.pairs() == [
        ("a1", "a2"),
        ("a2", "a3"),
        ("a3", "Real?"),
        ("b1", "b2"),
        ("b2", "b3"),
        ("b3", "Decoy?"),
    ]


def test_pair_is_json_with_escaped_quotes_and_a_period():
    assert format_pair("k", 'Who wrote "Dune"?') == '{"k": "Who wrote \\"Dune\\"?"}.'
    assert format_pair("k", "Café?") == '{"k": "Café?"}.'


def test_chain_insertion_and_resolution_known_answer():
    """Insert three pairs at slots 0, 2 and 2 of two documents, by hand."""
    documents = [
        Document("Alpha", ("Alpha one.", " Alpha two.")),
        Document("Beta", ("Beta one.",)),
    ]
    pairs = {
        0: [format_pair("k1", "k2")],
        2: [format_pair("k2", 'Is "x" real?'), format_pair("k9", "Other?")],
    }
    context = render_context(PromptTemplate(), documents, pairs)
    expected = (
        "Passage 1:\nAlpha\nAlpha one. {\"k1\": \"k2\"}. Alpha two.\n\n"
        "Passage 2:\nBeta\nBeta one. {\"k2\": \"Is \\\"x\\\" real?\"}. {\"k9\": \"Other?\"}."
    )
    assert context.text == expected
    assert context.doc_starts == [0, expected.index("Passage 2")]
    assert context.pair_starts == [expected.index('{"k1"'), expected.index('{"k2"'), expected.index('{"k9"')]
    mapping = {"k1": "k2", "k2": 'Is "x" real?', "k9": "Other?"}
    assert resolve_chain(mapping, "k1", limit=5) == (["k1", "k2"], 'Is "x" real?')


def test_find_pairs_reads_back_what_was_inserted():
    rng = random.Random(3)
    keys = draw_keys(rng, 3, "uuid")
    question = 'Q with {braces} and "quotes"?'
    text = "One. " + format_pair(keys[0], keys[1]) + " Two. " + format_pair(keys[1], question)
    found = find_pairs(text, "uuid")
    assert [(p.key, p.value) for p in found] == [(keys[0], keys[1]), (keys[1], 'Q with {braces} and "quotes"?')]
    assert text[found[0].start : found[0].end] == format_pair(keys[0], keys[1])
    assert find_pairs(text, "hex8") == []


def test_resolve_chain_stops_on_broken_or_cyclic_chains():
    assert resolve_chain({"a": "b"}, "x", limit=3) == ([], None)
    assert resolve_chain({"a": "b", "b": "a"}, "a", limit=4) == (["a", "b", "a", "b"], None)


def test_keys_are_distinct_uuid4_or_hex8():
    rng = random.Random(0)
    uuids = draw_keys(rng, 500, "uuid")
    assert len(set(uuids)) == 500
    assert all(len(k) == 36 and k[14] == "4" and k[19] in "89ab" for k in uuids)
    hexes = draw_keys(rng, 500, "hex8", avoid=frozenset({"00000000"}))
    assert len(set(hexes)) == 500 and all(re.fullmatch(r"[0-9a-f]{8}", k) for k in hexes)


def test_same_rng_seed_gives_same_chains():
    def chains(seed):
        return make_chains(random.Random(seed), question="Q?", decoys=["D1?", "D2?"], hops=4, key_format="uuid")

    assert chains("s") == chains("s")
    assert chains("s") != chains("t")
    built = chains("s")
    assert len(built.keys) == 3 and all(len(c) == 4 for c in built.keys)
    assert built.ends == ("Q?", "D1?", "D2?")


def test_decoys_are_distinct_and_never_the_own_question():
    questions = ["A?", "B?", "A?", "C?", "Own?", "D?"]
    for seed in range(20):
        decoys = pick_decoys(random.Random(seed), questions, "Own?", 4)
        assert sorted(decoys) == ["A?", "B?", "C?", "D?"]
    with pytest.raises(BudgetError, match="--chains 5 or fewer"):
        pick_decoys(random.Random(0), questions, "Own?", 5)


def test_pairs_go_to_distinct_slots_while_there_are_enough():
    rng = random.Random(1)
    slots = place_pairs(rng, 10, 50)
    assert len(set(slots)) == 10 and all(0 <= s < 50 for s in slots)
    crowded = place_pairs(rng, 10, 3)
    assert len(crowded) == 10 and set(crowded) <= {0, 1, 2}
    with pytest.raises(BudgetError):
        place_pairs(rng, 1, 0)


def test_key_occurrences_counts_hex8_inside_longer_hex_runs():
    text = 'x deadbeef1 {"deadbeef": "q"}. 12345678'
    counts = key_occurrences(text, "hex8")
    assert counts["deadbeef"] == 2 and counts["eadbeef1"] == 1 and counts["12345678"] == 1
    uuid_text = "a e3e70682-c209-4cac-a29f-6fbed82c07cd b"
    assert key_occurrences(uuid_text, "uuid") == {"e3e70682-c209-4cac-a29f-6fbed82c07cd": 1}
