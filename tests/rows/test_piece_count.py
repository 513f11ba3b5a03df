"""Cached piece counts equal the tokenizer's own encode, and refuse texts they cannot reproduce."""

from __future__ import annotations

import json
import random
import uuid

from keychain.rows.piece_count import PieceCount
from keychain.rows.tokens import load_counter

ALPHABET = list("abcsdXYZ0195'\".,:;!?{}()-/") + [" ", " ", "  ", "\n", "\n\n", "\t", "\r\n", "\u00a0", "é", "漢字", "ß", "Ω", "ж", "ー"]


def test_piece_counts_equal_encode_on_random_text_and_pairs(qwen_tokenizer):
    counter = load_counter(qwen_tokenizer)
    pieces = PieceCount.of(counter.backend)
    assert pieces is not None
    rng = random.Random("pieces")
    texts = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 80))) for _ in range(3000)]
    texts += [json.dumps({str(uuid.UUID(int=rng.getrandbits(128))): f"Who was born in {rng.randint(1, 2030)}?"}) + "." for _ in range(300)]
    for text in texts:
        assert pieces(text) == counter.encode_count(text), text


def test_piece_counts_equal_encode_on_real_documents(qwen_tokenizer, shared_data):
    counter = load_counter(qwen_tokenizer)
    records = json.loads((shared_data / "hotpotqa_train_sample.json").read_text(encoding="utf-8"))
    texts = [f"Passage 7:\n{title}\n{''.join(sentences)}\n\n" for record in records for title, sentences in record["context"]]
    taken = 0
    for text in texts:
        tokens = counter._pieces(text)
        if tokens is not None:
            taken += 1
            assert tokens == counter.encode_count(text), text[:80]
    assert taken > 0.8 * len(texts)  # most real passages take the fast path
    assert counter.count_many(texts) == [counter.encode_count(text) for text in texts]


def test_texts_the_cache_cannot_reproduce_are_left_to_encode(qwen_tokenizer):
    counter = load_counter(qwen_tokenizer)
    pieces = counter._pieces
    assert pieces("cafe\u0301") is None  # not NFC: the normalizer would change it
    assert pieces("\U0001e4d0 script") is None  # outside the blocks both regex engines agree on
    for text in ("cafe\u0301", "\U0001e4d0 script"):
        assert counter.count(text) == counter.encode_count(text)


def test_added_tokens_are_cut_out_first_and_count_one_each(qwen_tokenizer):
    counter = load_counter(qwen_tokenizer)
    for text in ("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", "x<think>\n</think>y", "<|im_end|><|im_end|>", "<|im_"):
        assert counter._pieces(text) == counter.encode_count(text), text
    assert counter._pieces("<|im_end|>") == 1


def test_the_tiny_gpt2_style_tokenizer_counts_by_pieces_but_sums_nothing(hf_tokenizer):
    counter = load_counter(hf_tokenizer)
    assert counter._pieces is not None  # ByteLevel's own GPT-2 split is read too
    assert not counter.additive and "newline join" in counter.proof.reason
    rng = random.Random("tiny")
    for _ in range(500):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 60)))
        assert counter.count(text) == counter.encode_count(text), text
