"""Row building: exact lengths, invariants over every row, determinism, edge cases."""

from __future__ import annotations

import dataclasses
import math

import pytest

from keychain.check.verify import verify_rows
from keychain.config import BuildConfig
from keychain.rows import chains as chains_module
from keychain.rows.build import RowBuilder
from keychain.rows.prompts import PromptTemplate
from keychain.rows.spec import FILL_FLOOR, Skip

from ..fixtures import make_source


def builder_for(source, length, counter, **settings):
    config = BuildConfig(source=source.name, lengths=(length,), **settings)
    return RowBuilder(source, config.spec(length), PromptTemplate(), counter)


def build_all(builder, items=None):
    items = builder.source.items if items is None else items
    return [builder.build(i, item) for i, item in enumerate(items)]


@pytest.mark.parametrize("length", [4096, 16384])
@pytest.mark.parametrize("task", ["keychain", "plain"])
def test_every_row_fits_its_budget_exactly_and_verifies(tiny_source, counter, length, task):
    rows = build_all(builder_for(tiny_source, length, counter, task=task))
    assert not [r for r in rows if isinstance(r, Skip)]
    for row in rows:
        assert math.ceil(FILL_FLOOR * length) <= row["n_tokens"] <= length
        assert row["n_tokens"] == counter.count_prompt(row["prompt"])
    assert verify_rows(rows) == []


def test_rows_at_128k_fit_and_verify(big_source, counter):
    builder = builder_for(big_source, 131072, counter)
    rows = build_all(builder, big_source.items[:3])
    for row in rows:
        assert math.ceil(0.97 * 131072) <= row["n_tokens"] <= 131072
        assert row["num_chains"] == 128
    assert verify_rows(rows) == []


def test_same_spec_gives_identical_rows_and_another_seed_differs(tiny_source, counter):
    first = build_all(builder_for(tiny_source, 4096, counter))
    again = build_all(builder_for(tiny_source, 4096, counter))
    other = build_all(builder_for(tiny_source, 4096, counter, seed=1))
    assert first == again
    assert [r["prompt"] for r in first] != [r["prompt"] for r in other]


def test_row_order_does_not_change_a_row(tiny_source, counter):
    """A row is a pure function of its item: building items in another order changes nothing."""
    builder = builder_for(tiny_source, 4096, counter)
    forward = {r["id"]: r["prompt"] for r in build_all(builder)}
    backward_builder = builder_for(tiny_source, 4096, counter)
    items = list(reversed(tiny_source.items))
    backward = {}
    for item in items:
        row = backward_builder.build(0, item)
        backward[row["id"]] = row["prompt"]
    assert forward == backward


def test_keychain_columns_describe_the_true_chain(tiny_source, counter):
    row = builder_for(tiny_source, 4096, counter, hops=3, chains=5).build(7, tiny_source.items[7])
    assert row["hops"] == 3 and row["num_chains"] == 5 and len(row["chain_keys"]) == 3
    assert row["head_key"] == row["chain_keys"][0]
    assert row["head_key"] in row["prompt"][-1]["content"][-200:]  # named by the instruction
    assert row["data_source"] == "keychain/hotpotqa" and row["extra_info"] == {"split": "train", "index": 7}
    assert row["answers"] == row["reward_model"]["ground_truth"] == ["code-7"]
    assert len(row["gold_depths"]) == 2 and all(0 <= d <= 1 for d in row["gold_depths"])


def test_default_chains_scale_with_length(tiny_source, counter):
    assert builder_for(tiny_source, 4096, counter).spec.chains == 4
    assert builder_for(tiny_source, 16384, counter).spec.chains == 16


def test_hex8_keys(tiny_source, counter):
    rows = build_all(builder_for(tiny_source, 4096, counter, key_format="hex8"), tiny_source.items[:10])
    assert all(len(r["head_key"]) == 8 for r in rows)
    assert verify_rows(rows) == []


def test_chains_outside_budget_reproduce_the_reference_overflow(tiny_source, counter):
    inside = builder_for(tiny_source, 4096, counter).build(0, tiny_source.items[0])
    outside = builder_for(tiny_source, 4096, counter, chains_outside_budget=True).build(0, tiny_source.items[0])
    assert outside["n_tokens"] > 4096 >= inside["n_tokens"]
    assert verify_rows([outside], chains_outside_budget=True) == []
    assert verify_rows([outside])  # the in-budget check rejects it


def test_gold_documents_that_cannot_fit_are_skipped_not_truncated(counter):
    source = make_source(n_items=6, n_docs=50)
    long_gold = source.documents[source.items[0].gold[0]]
    huge = dataclasses.replace(long_gold, sentences=long_gold.sentences * 400)
    documents = list(source.documents)
    documents[source.items[0].gold[0]] = huge
    source = dataclasses.replace(source, documents=tuple(documents))
    result = builder_for(source, 4096, counter).build(0, source.items[0])
    assert result == Skip("gold_too_long")


def test_a_pool_that_runs_dry_skips_the_row(counter):
    source = make_source(n_items=5, n_docs=8)
    result = builder_for(source, 16384, counter, task="plain").build(0, source.items[0])
    assert result == Skip("pool_exhausted")


def test_a_key_that_occurs_in_a_document_is_redrawn(tiny_source, counter, monkeypatch):
    """Force the first key drawn to be a string that a document contains."""
    builder = builder_for(tiny_source, 4096, counter, key_format="hex8")
    clash = "0badc0de"
    document = tiny_source.documents[tiny_source.items[0].gold[0]]
    patched = dataclasses.replace(document, sentences=(document.sentences[0], f" The hex {clash} appears here."))
    documents = list(tiny_source.documents)
    documents[tiny_source.items[0].gold[0]] = patched
    source = dataclasses.replace(tiny_source, documents=tuple(documents))
    builder = builder_for(source, 4096, counter, key_format="hex8")
    real_new_key = chains_module.new_key
    calls = {"n": 0}

    def first_key_clashes(rng, key_format):
        calls["n"] += 1
        return clash if calls["n"] == 1 else real_new_key(rng, key_format)

    monkeypatch.setattr(chains_module, "new_key", first_key_clashes)
    row = builder.build(0, source.items[0])
    assert clash not in row["chain_keys"]
    assert verify_rows([row]) == []


@pytest.mark.parametrize("task", ["keychain", "plain"])
def test_context_padding_fills_len_minus_128_with_passages_then_adds_the_chains(big_source, counter, task):
    from keychain.rows.prompts import LOONGRL_TEMPLATE
    from keychain.rows.spec import CONTEXT_RESERVE

    length = 16384
    config = BuildConfig(source="hotpotqa", lengths=(length,), task=task, preset="loongrl")
    builder = RowBuilder(big_source, config.spec(length), LOONGRL_TEMPLATE, counter)
    rows = build_all(builder, big_source.items[:4])
    room = length - CONTEXT_RESERVE
    for row in rows:
        user = row["prompt"][1]["content"]
        assert math.ceil(FILL_FLOOR * room) <= row["context_tokens"] <= room
        # n_tokens: the whole prompt (tiktoken: message contents) plus the <think> the assistant turn starts with
        assert row["n_tokens"] == counter.count_prompt(row["prompt"]) + counter.count("<think>")
        if task == "keychain":
            assert row["num_chains"] == 64 and len(row["head_key"]) == 8 and row["hops"] == 4
            assert user.endswith(f"starting from {row['head_key']}.")  # the authors' wording: bare head key
            assert row["n_tokens"] > length  # the chains come on top, as in the reference scripts
        else:
            assert row["n_tokens"] <= length + 200  # the frame alone on top of len - 128
    assert verify_rows(rows, LOONGRL_TEMPLATE) == []
    assert build_all(builder, big_source.items[:4]) == rows


def test_verify_recounts_the_padded_context(big_source, counter):
    from keychain.rows.prompts import LOONGRL_TEMPLATE

    config = BuildConfig(source="hotpotqa", lengths=(4096,), preset="loongrl")
    row = RowBuilder(big_source, config.spec(4096), LOONGRL_TEMPLATE, counter).build(0, big_source.items[0])
    [report] = verify_rows([{**row, "context_tokens": row["context_tokens"] - 3}], LOONGRL_TEMPLATE)
    assert [check for check, _ in report.problems] == ["n_tokens_fresh"]
    [report] = verify_rows([{**row, "context_tokens": 4096}], LOONGRL_TEMPLATE)
    assert {check for check, _ in report.problems} == {"n_tokens_fresh", "budget"}


def test_a_count_mismatch_counts_the_whole_prompt_once():
    calls = []

    def whole() -> int:  # the tokenizer's whole count: expensive at 128K, so once
        calls.append(1)
        return 7

    checking = type("Checking", (), {"_check_counts": True})()
    with pytest.raises(AssertionError, match="summed count 5 != whole count 7"):
        RowBuilder._checked(checking, 5, whole)
    assert len(calls) == 1
