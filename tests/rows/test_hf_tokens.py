"""Hugging Face tokenizers without transformers: same text, same tokens; the fallbacks; Hub ids offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keychain.config import BuildConfig
from keychain.errors import ConfigError, KeychainError
from keychain.rows import tokens
from keychain.rows.build import RowBuilder
from keychain.rows.hf_same import pipeline
from keychain.rows.hf_tokens import HFCounter
from keychain.rows.prompts import PromptTemplate

CHATS = [
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Which code?"}],
    [{"role": "user", "content": "Please read.\nPassage 1:\nA\n{\"k\": \"v\"}.\n\nIn the context above..."}],
    [{"role": "system", "content": "<think> x </think> \\boxed{}"}, {"role": "user", "content": "  spaced \n\n"}],
]


def test_qwen_loads_without_transformers_once_checked(qwen_tokenizer, tmp_path):
    code = (
        "import sys; from keychain.rows.tokens import load_counter; "
        f"c = load_counter({qwen_tokenizer!r}); "
        "print(c.via, c.additive, 'transformers' in sys.modules, c.count('hello world'))"
    )
    env = {**os.environ, "KEYCHAIN_CACHE": str(tmp_path)}
    first, second = (subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env) for _ in "12")
    assert first.stdout.split() == ["tokenizers", "True", "True", "2"]  # checked against transformers once
    assert second.stdout.split() == ["tokenizers", "True", "False", "2"]  # then remembered
    assert len(list((tmp_path / "tokenizers").glob("*.json"))) == 1


def test_a_folder_transformers_tokenizes_otherwise_is_read_by_transformers(hf_tokenizer, tmp_path):
    """transformers 5 gives a folder with a Qwen2 config Qwen2's own split and NFC, whatever
    its tokenizer.json says: the model sees those tokens, so they are the ones counted."""
    from transformers import AutoTokenizer

    folder = tmp_path / "qwen2-model"
    shutil.copytree(hf_tokenizer, folder)
    (folder / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    counter = HFCounter.from_folder(folder, "qwen2-model")
    reference = AutoTokenizer.from_pretrained(str(folder))
    if pipeline(reference.backend_tokenizer) == pipeline(tokens.load_counter(hf_tokenizer).backend):
        pytest.skip("this transformers version reads tokenizer.json as it is")
    assert counter.via == "transformers"
    text = "Passage 1:\nA b.\n\n  x \u00e9"
    assert counter.count(text) == len(reference(text, add_special_tokens=False)["input_ids"])


@pytest.mark.parametrize("chat", CHATS)
def test_jinja2_renders_and_counts_as_transformers_does(qwen_tokenizer, chat):
    from transformers import AutoTokenizer

    counter = tokens.load_counter(qwen_tokenizer)
    reference = AutoTokenizer.from_pretrained(qwen_tokenizer)
    text = reference.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    assert counter.render_prompt(chat) == text
    assert counter.count_prompt(chat) == len(reference(text, add_special_tokens=False)["input_ids"])
    assert counter.count_prompts([chat, chat]) == [counter.count_prompt(chat)] * 2


def test_the_frame_is_the_template_text_around_the_user_message(qwen_tokenizer):
    counter = tokens.load_counter(qwen_tokenizer)
    frame = counter.frame(CHATS[0])
    assert frame.prefix.endswith("<|im_start|>user\n") and frame.suffix == "<|im_end|>\n<|im_start|>assistant\n"
    assert counter.count_prompt(CHATS[0]) == frame.fixed + counter.count(frame.prefix + "Which code?" + frame.suffix)


def test_a_template_that_changes_the_content_has_no_frame(hf_tokenizer, tmp_path):
    folder = tmp_path / "trimming"
    shutil.copytree(hf_tokenizer, folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["chat_template"] = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content | trim }}<|im_end|>\n{% endfor %}"
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    counter = HFCounter.from_folder(folder, str(folder))
    assert counter.frame([{"role": "user", "content": "  padded  "}]) is None
    assert counter.frame([{"role": "user", "content": "plain"}]) is not None


def test_folders_transformers_would_change_go_through_transformers(hf_tokenizer, tmp_path):
    folder = tmp_path / "extra-token"
    shutil.copytree(hf_tokenizer, folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["additional_special_tokens"] = ["<|im_start|>", "<|im_end|>", "<|not-in-tokenizer-json|>"]
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    assert HFCounter.from_folder(Path(hf_tokenizer), "tiny").via == "tokenizers"
    counter = HFCounter.from_folder(folder, "extra")
    assert counter.via == "transformers"
    assert counter.count_prompt(CHATS[0]) == tokens.load_counter(hf_tokenizer).count_prompt(CHATS[0])


def test_qwen_rows_are_the_same_summed_or_counted_whole(tiny_source, qwen_tokenizer, monkeypatch):
    monkeypatch.setenv("KEYCHAIN_CHECK_COUNTS", "0")  # compare against a builder that never sums
    counter = tokens.load_counter(qwen_tokenizer)
    spec = BuildConfig(source="hotpotqa", lengths=(4096,), chains=6, tokenizer=qwen_tokenizer).spec(4096)
    summed = RowBuilder(tiny_source, spec, PromptTemplate(), counter)
    whole = RowBuilder(tiny_source, spec, PromptTemplate(), counter)
    assert summed._pieces is not None
    whole._pieces = None
    items = tiny_source.items[:8]
    rows = [summed.build(i, item) for i, item in enumerate(items)]
    assert rows == [whole.build(i, item) for i, item in enumerate(items)]
    assert all(row["n_tokens"] == counter.count_prompt(row["prompt"]) for row in rows if isinstance(row, dict))


def test_a_tiktoken_typo_names_the_encoding():
    with pytest.raises(ConfigError, match=r"unknown tokenizer 'cl100k'; did you mean cl100k_base\?"):
        tokens.load_counter("cl100k")


def test_a_hub_id_offline_fails_at_once_without_touching_the_network(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("a network call was made")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr("keychain.sources.hub.probe_endpoint", no_network)
    for variable in ("KEYCHAIN_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv("KEYCHAIN_OFFLINE")
        monkeypatch.delenv("HF_HUB_OFFLINE")
        monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
        monkeypatch.setenv(variable, "1")
        with pytest.raises(KeychainError, match=f"offline \\({variable}=1 is set\\).*not in the local cache") as error:
            tokens._hf_hub("nobody/no-such-tokenizer", "a local folder")
        assert "\n" not in str(error.value)


def test_a_hub_id_is_probed_once_when_no_variable_says_offline(monkeypatch):
    probes = []
    for variable in ("KEYCHAIN_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr("keychain.sources.hub.probe_endpoint", lambda url: probes.append(url) or f"{url} cannot be reached: timed out")
    with pytest.raises(KeychainError, match="Hub is offline .*cannot be reached: timed out"):
        tokens._hf_hub("nobody/no-such-tokenizer", "a local folder")
    assert len(probes) == 1


def test_a_cached_hub_tokenizer_loads_offline(hf_tokenizer, tmp_path, monkeypatch):
    import huggingface_hub.constants

    snapshot = tmp_path / "hub" / "models--someone--tiny" / "snapshots" / "0123abcd"
    shutil.copytree(hf_tokenizer, snapshot)
    (tmp_path / "hub" / "models--someone--tiny" / "refs").mkdir()
    (tmp_path / "hub" / "models--someone--tiny" / "refs" / "main").write_text("0123abcd")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    counter = tokens._hf_hub("someone/tiny", "a local folder")
    assert counter.name == "someone/tiny" and counter.count("hello") == tokens.load_counter(hf_tokenizer).count("hello")


def test_a_file_or_a_missing_folder_is_named(tmp_path, qwen_tokenizer):
    with pytest.raises(ConfigError, match="is a file; pass the folder"):
        tokens.load_counter(str(Path(qwen_tokenizer) / "tokenizer.json"))
    with pytest.raises(ConfigError, match="no such folder"):
        tokens.load_counter(str(tmp_path / "missing"))
