"""Junction proofs read from pre-tokenizer patterns, fuzzed against the real Qwen tokenizer."""

from __future__ import annotations

import pytest

from keychain.rows.hf_tokens import prove_tokenizer
from keychain.rows.junctions import (
    GPT2_PATTERN,
    QWEN_LIKE,
    junction_splits,
    prove_pattern,
)
from keychain.rows.pattern import parse
from keychain.rows.tokens import load_counter

from ..fixtures import fuzz_junctions

LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
def test_qwen_and_llama3_patterns_are_proven_and_gpt2_is_not():
    assert prove_pattern(QWEN_LIKE).holds
    assert prove_pattern(LLAMA3).holds
    gpt2 = prove_pattern(GPT2_PATTERN)
    assert not gpt2.holds and "newline join" in gpt2.reason


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"\p{L}+|\p{N}|[^\s\p{L}\p{N}]+|\s+|\n\p{L}", "can match across the newline join"),
        (r"\p{L}+|\p{N}|[^\s\p{L}\p{N}]+|\S \S|\s+", "can match across the space join"),
        (r"\p{L}+|\p{N}|\s+", "alone"),  # punctuation starts no match: a gap could straddle a join
        (r"\p{L}*|\s+", "empty string"),
        (r"(?<=a)b|\s+", "outside the supported subset"),
        (r"\p{Lu}+|\s+", "outside the supported subset"),
        (r"[a-z]+|\s+", "outside the supported subset"),
    ],
)
def test_patterns_that_could_merge_across_a_join_are_refused(pattern, reason):
    proof = prove_pattern(pattern)
    assert not proof.holds and reason in proof.reason, proof


def test_the_parser_reads_classes_quantifiers_and_case_insensitive_words():
    branches, classes = parse(QWEN_LIKE)
    assert [b.text for b in branches][-3:] == [r"\s*[\r\n]+", r"\s+(?!\S)", r"\s+"]
    words = [b for b in branches if b.text.startswith("(?i:")]
    assert len(words) == 7 and {"S", "s"} == set(words[0].items[1].chars)
    assert branches[-2].lookahead is not None and branches[-2].lookahead[0]  # negative
    assert "<letter>" in branches[7].items[1].chars and "\n" not in branches[7].items[0].chars


def test_the_real_qwen_tokenizer_is_proven_from_its_tokenizer_json(qwen_tokenizer):
    counter = load_counter(qwen_tokenizer)
    assert prove_tokenizer(counter.backend).holds and counter.additive


def test_the_junction_rule_holds_for_qwen_on_random_text(qwen_tokenizer):
    """Wherever junction_splits says so, encode(a + b) has as many tokens as encode(a) + encode(b)."""
    encode = load_counter(qwen_tokenizer).encode_count  # the tokenizer itself, not cached pieces
    assert fuzz_junctions(encode, "qwen-junctions") > 500


def test_qwen_merges_where_the_rule_refuses(qwen_tokenizer):
    encode = load_counter(qwen_tokenizer).encode_count
    for left, right in ((".", "\n\nQ"), ("a ", " b"), ("a", "b")):
        assert not junction_splits(left, right)
    assert encode(".\n\nQ") != encode(".") + encode("\n\nQ")
    assert encode("x. {") != encode("x.") + encode(" ") + encode("{")
