"""Prompt templates: defaults, overrides from a file, and the errors of a bad template."""

from __future__ import annotations

import pytest

from keychain.errors import ConfigError
from keychain.rows.prompts import (
    LOONGRL_TEMPLATE,
    PromptTemplate,
    load_template,
    messages,
    prompt_tokens,
)

# The paper's Fig. 5 system prompt, typed out by hand from the issue (= qwen_orz_boxed).
FIG5 = (
    r"A conversation between User and Assistant. The User asks a question, and the Assistant solves it. "
    r"The Assistant first thinks about the reasoning process in the mind and then provides the User with "
    r"the answer. The reasoning process is enclosed within <think> </think> and answer is enclosed within "
    r"\boxed{} tags, respectively, i.e., <think> reasoning process here </think> \boxed{answer here}."
)


def test_default_prompts_follow_the_paper():
    template = PromptTemplate()
    assert template.system == FIG5 and template.assistant_prefix == ""
    before, after = template.user_frame("keychain", question="Q?", head_key="abc", key_format="uuid")
    assert before == "Please read the following text.\n"
    assert "one correct question" in after and 'starting from "abc". ' in after and "Q?" not in after  # quoted, as the paper's example
    assert after.strip().endswith("Find the correct question first, then answer it.")
    before, after = template.user_frame("plain", question="Q?", head_key=None, key_format=None)
    assert before == "The following are given passages.\n" and after == "\n\nQuestion: Q?"
    hex_before, hex_after = template.user_frame("keychain", question="Q?", head_key="1a2b3c4d", key_format="hex8")
    assert "8-character hexadecimal" in hex_after


def test_a_template_file_overrides_fields(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text('system: ""\npassage: "Document {index}: {title}\\n{body}"\n')
    template = load_template(str(path))
    assert template.passage.startswith("Document") and template.digest != "default"
    assert messages(template, "hi") == [{"role": "user", "content": "hi"}]
    assert PromptTemplate().digest == "default"


@pytest.mark.parametrize(
    "text, message",
    [
        ("passage: 'Passage {index}: {title}'\n", "lacks {body}"),
        ("keychain_instruction: 'From {head_key} or {head}.'\n", "unknown placeholder {head}"),
        ("plain_user: 'Question: {question}'\n", "lacks {context}"),
        ("colour: red\n", "unknown field 'colour'"),
        ("- a list\n", "expected a mapping"),
        ("passage: 'Passage {index'\n", "not a valid format string"),
        ("system: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_templates_are_refused(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_template(str(path))


def test_a_missing_template_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_template(str(tmp_path / "missing.yaml"))


def test_the_loongrl_template_words_the_instruction_as_the_authors_row_builder():
    _, after = LOONGRL_TEMPLATE.user_frame("keychain", question="Q?", head_key="1a2b3c4d", key_format="hex8")
    assert after == (
        "\n\nIn the context above, there is one correct question to answer. The correct question can only be found "
        "by following the correct consecutive chain of key:value pairs encoded with UUID strings (e.g., "
        "f81d4fae-7dec-11d0-a765-00a0c91e6bf6), starting from 1a2b3c4d."
    )
    assert LOONGRL_TEMPLATE.system == FIG5 and LOONGRL_TEMPLATE.assistant_prefix == "<think>"


def test_a_template_file_starts_from_the_base_it_is_given(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text('assistant_prefix: ""\n')
    template = load_template(str(path), LOONGRL_TEMPLATE)
    assert template.assistant_prefix == "" and template.keychain_instruction == LOONGRL_TEMPLATE.keychain_instruction


def test_the_assistant_prefix_is_counted_after_the_generation_prompt(counter, hf_tokenizer):
    from keychain.rows.tokens import load_counter

    prompt = messages(PromptTemplate(), "hello")
    assert prompt_tokens(counter, prompt, "<think>") == counter.count_prompt(prompt) + counter.count("<think>")
    hf = load_counter(hf_tokenizer)
    rendered = hf.render_prompt(prompt)
    assert rendered.endswith("<|im_start|>assistant\n")
    assert prompt_tokens(hf, prompt, "<think>") == hf.count(rendered + "<think>") > hf.count_prompt(prompt)
    think = PromptTemplate(assistant_prefix="<think>")  # the template itself, as every builder passes it
    assert prompt_tokens(counter, prompt, think) == prompt_tokens(counter, prompt, "<think>")
    assert prompt_tokens(hf, prompt, think) == prompt_tokens(hf, prompt, "<think>")
    assert prompt_tokens(counter, prompt, PromptTemplate()) == counter.count_prompt(prompt)
