"""Prompt templates: defaults, overrides from a file, and the errors of a bad template."""

from __future__ import annotations

import pytest

from keychain.errors import ConfigError
from keychain.rows.prompts import PromptTemplate, load_template, messages


def test_default_prompts_follow_the_paper():
    template = PromptTemplate()
    assert "<think> </think>" in template.system and "\\boxed{}" in template.system
    before, after = template.user_frame("keychain", question="Q?", head_key="abc", key_format="uuid")
    assert before == "Please read the following text.\n"
    assert "one correct question" in after and "starting from abc" in after and "Q?" not in after
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
