"""Summed prompt counts: the junction rule against the real tokenizer, and the fallbacks."""

from __future__ import annotations

import pytest

from keychain.config import BuildConfig
from keychain.rows.build import RowBuilder
from keychain.rows.exact import Piece, PieceCounter, passage_head, sum_pieces
from keychain.rows.pad import DocumentCosts
from keychain.rows.prompts import PromptTemplate
from keychain.rows.tokens import junction_splits, load_counter

from ..fixtures import fuzz_junctions


def test_the_junction_rule_holds_for_cl100k_on_random_text(counter):
    """Wherever junction_splits says so, count(a + b) == count(a) + count(b)."""
    assert counter.additive
    assert fuzz_junctions(counter.count, "junctions") > 500  # enough accepted joins to mean something


def test_the_rule_refuses_junctions_that_merge(counter):
    # "." + "\n\n" is one cl100k piece; two spaces and a newline-then-space join runs.
    for left, right in ((".", "\n\nQ"), ("a ", " b"), ("a", "  b"), ("a\n", " b"), ("a", "b")):
        assert not junction_splits(left, right)
    assert counter.count(".\n\nQ") != counter.count(".") + counter.count("\n\nQ")


def test_sum_pieces_merges_across_a_junction_that_does_not_split(counter):
    text = "Intro text.\n" + "Passage 1:\nA\nOne.\n\n" + "Passage 2:\nB\nTwo." + "\n\nQuestion?"
    a = len("Intro text.\n")
    b = a + len("Passage 1:\nA\nOne.\n\n")
    c = b + len("Passage 2:\nB\nTwo.")
    pieces = [
        Piece(0, a, counter.count(text[:a])),
        Piece(a, b, counter.count(text[a:b])),
        Piece(b, c, counter.count(text[b:c])),
        Piece(c, len(text), 999),  # would be wrong if used: "Two." + "\n\nQuestion?" must merge
    ]
    assert sum_pieces(counter, text, pieces) == counter.count(text)


def test_passage_head_needs_the_number_before_the_title():
    assert passage_head("Passage {index}:\n{title}\n{body}") == "Passage {index}:\n"
    assert passage_head("[{index}] {title}: {body}") == "[{index}] "
    assert passage_head("{title}\n{body} (passage {index})") is None
    assert passage_head("{body}\n{title} {index}") is None


def test_summed_counts_are_off_where_they_cannot_be_shown_exact(tiny_source, hf_tokenizer, counter):
    template = PromptTemplate()
    hf = load_counter(hf_tokenizer)
    assert not PieceCounter(hf, DocumentCosts(tiny_source.documents, hf, template), template.passage, "\n\n").usable
    custom = PromptTemplate(passage="{title}\n{body} (passage {index})")
    costs = DocumentCosts(tiny_source.documents, counter, custom)
    assert not PieceCounter(counter, costs, custom.passage, custom.passage_separator).usable


@pytest.mark.parametrize("length", [2048, 8192])
def test_every_row_count_equals_the_whole_prompt_count(tiny_source, counter, length, monkeypatch):
    """Summed counts on, the whole-prompt check off: n_tokens still matches a recount."""
    monkeypatch.setenv("KEYCHAIN_CHECK_COUNTS", "0")
    template = PromptTemplate()
    spec = BuildConfig(source="hotpotqa", lengths=(length,), chains=3).spec(length)
    builder = RowBuilder(tiny_source, spec, template, counter)
    assert builder._pieces is not None
    built = [builder.build(i, item) for i, item in enumerate(tiny_source.items)]
    rows = [row for row in built if isinstance(row, dict)]
    assert len(rows) >= len(built) - 2
    for row in rows:
        assert row["n_tokens"] == counter.count_prompt(row["prompt"]) <= length
