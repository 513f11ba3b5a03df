"""Every field read from a source is type-checked (issue 14, items 1 and 3).

A lone string where a list of aliases is expected is one alias; a number (or anything
else) where text is expected makes the record a counted skip named ``<field>_not_text``
(it used to be dropped as ``no_answer``, or split into characters); empty gold documents
and repeated ids are counted skips; documents shaped like KeyChain pairs never reach the
pool.
"""

from __future__ import annotations

import random

import pytest

from keychain.errors import InputError
from keychain.rows.chains import find_pairs, format_pair, new_key
from keychain.sources import dapo_math, hotpotqa, mathqa, musique, twowiki
from keychain.sources.assemble import PAIR_LIKE, ItemDraft, assemble
from keychain.sources.fields import answer_list, not_text
from keychain.sources.records import Document

from .test_hotpotqa import bridge_record, comparison_record
from .test_musique import three_hop_record, two_hop_record


@pytest.mark.parametrize(
    ("answer", "aliases", "expected"),
    [
        ("G. Stanley Hall", "Christiania", ("G. Stanley Hall", "Christiania")),  # not 'C', 'h', 'r', ...
        ("Oslo", ["Oslo", "", "Christiania"], ("Oslo", "Christiania")),
        ("Oslo", None, ("Oslo",)),
        (1887, [], "answer_not_text"),
        ("Oslo", ["Christiania", 1624], "answer_aliases_not_text"),
        ("Oslo", {"alias": "Christiania"}, "answer_aliases_not_text"),
        (None, ["Oslo"], ("Oslo",)),
    ],
)
def test_answer_list_known_answers(answer, aliases, expected):
    assert answer_list(answer, aliases) == expected


def test_not_text_names_the_first_field_that_is_there_but_not_a_string():
    assert not_text(question="Who?", answer=1887, type=3) == "answer_not_text"
    assert not_text(question="Who?", type=None) is None
    assert not_text(question=["Who?"]) == "question_not_text"


def test_musique_string_alias_is_one_alias_and_numbers_are_counted_skips():
    records = [
        two_hop_record(answer="G. Stanley Hall", answer_aliases="Christiania"),
        three_hop_record(id="3hop1__1", answer=1887),
        three_hop_record(id="3hop1__2", question=42),
        three_hop_record(id="3hop1__3", answer_aliases=["Oslo", 7]),
        three_hop_record(id="3hop1__4", answerable="False"),  # text, which would read as true
        three_hop_record(id="3hop1__5", paragraphs=[{**p, "paragraph_text": 5} for p in three_hop_record()["paragraphs"]]),
    ]
    data = musique.records_to_source(records, "train", {}, "m.jsonl")
    assert [item.answers for item in data.items] == [("G. Stanley Hall", "Christiania")]
    assert data.skipped == {
        "answer_aliases_not_text": 1, "answer_not_text": 1, "answerable_not_bool": 1,
        "paragraph_not_text": 1, "question_not_text": 1,
    }


def test_hotpotqa_and_2wiki_numbers_where_text_is_expected_are_counted_skips():
    records = [
        bridge_record(),
        comparison_record(_id="n1", answer=1990),
        comparison_record(_id="n2", type=2),
        comparison_record(_id="n3", context=[[5, ["Sleet is wet."]], ["Hail", ["Hail is ice."]]]),
        comparison_record(_id="n4", context=[["Sleet", ["Sleet is wet.", 7]]]),
        comparison_record(_id="n5", supporting_facts=[[3, 0]]),
    ]
    data = hotpotqa.records_to_source(records, "train", {}, "h.json")
    assert [item.source_id for item in data.items] == ["h1"]
    assert data.skipped == {"answer_not_text": 1, "context_not_text": 2, "supporting_facts_not_text": 1, "type_not_text": 1}
    wiki = {**bridge_record(), "type": "compositional", "evidences": [], "answer": 12}
    with pytest.raises(InputError, match=r"no usable records \(skipped answer_not_text=1\)"):
        twowiki.records_to_source([wiki], "train", {}, "dev.json")


def test_math_sources_count_numbers_where_text_is_expected():
    good = {"Problem": "what is 5 + 7 ?", "options": "a ) 12 , b ) 15", "correct": "a"}
    data = mathqa.records_to_source(
        [good, {**good, "correct": 1}, {**good, "Problem": 5.0}, {**good, "options": 12}], "train", {}, "m.json"
    )
    assert len(data.items) == 1 and data.skipped == {"Problem_not_text": 1, "correct_not_text": 1, "options_not_text": 1}
    prompt = [{"role": "user", "content": dapo_math.DAPO_PREFIX + "Find x." + dapo_math.DAPO_SUFFIX}]
    dapo = dapo_math.records_to_source(
        [{"prompt": prompt, "reward_model": {"ground_truth": "3"}}, {"prompt": prompt, "reward_model": {"ground_truth": 3}}],
        "train", {}, "d.parquet",
    )
    assert len(dapo.items) == 1 and dapo.skipped == {"ground_truth_not_text": 1}


def test_math_sources_count_null_fields_as_skips():
    good = {"Problem": "what is 5 + 7 ?", "options": "a ) 12 , b ) 15", "correct": "a"}
    records = [good, {**good, "correct": None}, {**good, "Problem": None}, {**good, "options": None}, {**good, "category": None}]
    data = mathqa.records_to_source(records, "train", {}, "m.json")
    assert len(data.items) == 2 and data.skipped == {"no_answer": 1, "no_question": 1, "options_not_text": 1}
    prompt = [{"role": "user", "content": dapo_math.DAPO_PREFIX + "Find x." + dapo_math.DAPO_SUFFIX}]
    dapo = dapo_math.records_to_source(
        [{"prompt": prompt, "reward_model": {"ground_truth": "3"}},
         {"prompt": [{"role": "user", "content": None}], "reward_model": {"ground_truth": "3"}},
         {"prompt": [{"role": "user", "content": None}], "reward_model": {"ground_truth": "4"}},
         {"prompt": [{"role": "user", "content": "Find y."}], "reward_model": {"ground_truth": None}}],
        "train", {}, "d.parquet",
    )
    assert len(dapo.items) == 1 and dapo.skipped == {"no_question": 2, "no_answer": 1}


def gold_doc(text: str) -> Document:
    return Document("Fog", (text,))


def test_empty_gold_and_repeated_ids_are_counted_skips():
    drafts = [
        ItemDraft("q1", "Who wrote Fog?", ("Ann",), (gold_doc("Fog is by Ann."),), ()),
        ItemDraft("q1", "Who wrote Fog again?", ("Ann",), (gold_doc("Fog is by Ann."),), ()),
        ItemDraft("q2", "Who wrote Rain?", ("Bo",), (Document("Rain", ("  ",)),), ()),
    ]
    data = assemble("demo", "train", {}, drafts, "demo.json")
    assert [item.source_id for item in data.items] == ["q1"]
    assert data.skipped == {"duplicate_id": 1, "empty_gold": 1}


def test_pair_like_documents_are_left_out_and_pair_like_gold_skips_the_item():
    pair = format_pair("0c2f3a4b-5d6e-4f70-8192-a3b4c5d6e7f8", "Where was Ann born?")
    hex_pair = ' {"1f0a9c3e": "x"}.'
    clean, dirty, dirty_hex = gold_doc("Fog is by Ann."), Document("Rain", ("Rain.", " " + pair)), Document("Sleet", ("S.", hex_pair))
    drafts = [
        ItemDraft("q1", "Who wrote Fog?", ("Ann",), (clean,), (dirty, dirty_hex, Document("Hail", ("Hail.",)))),
        ItemDraft("q2", "What is Rain?", ("wet",), (dirty,), ()),
    ]
    data = assemble("demo", "train", {}, drafts, "demo.json")
    assert [item.source_id for item in data.items] == ["q1"]
    assert [data.documents[d].title for d in data.items[0].others] == ["Hail"]
    assert data.skipped == {"pair_like_text": 1} and data.documents_excluded == {"pair_like_text": 2}
    assert all(not PAIR_LIKE.search(d.text) for d in data.documents)


def test_pair_like_covers_every_pair_verify_can_find():
    """PAIR_LIKE (sources) is written out apart from find_pairs (rows): they must agree."""
    rng = random.Random(0)
    for _ in range(500):
        key_format = rng.choice(["uuid", "hex8"])
        text = "x. " + format_pair(new_key(rng, key_format), rng.choice(["q?", 'say "hi"', "\\boxed{}"])) + " y."
        assert find_pairs(text, key_format) and PAIR_LIKE.search(text)
        assert not PAIR_LIKE.search(text.replace('{"', '{ "'))
