"""Settings are parsed once and checked at the edge."""

from __future__ import annotations

import pytest

from keychain.config import BuildConfig, parse_length
from keychain.errors import ConfigError
from keychain.rows.spec import length_label


@pytest.mark.parametrize(
    "text, tokens",
    [("4k", 4096), ("16k", 16384), ("16K", 16384), ("128k", 131072), ("16384", 16384), (" 32k ", 32768), (8192, 8192)],
)
def test_lengths_parse(text, tokens):
    assert parse_length(text) == tokens


@pytest.mark.parametrize("text", ["", "k", "1.5k", "-4k", "16m", "sixteen", "100"])
def test_bad_lengths_are_refused_with_the_accepted_forms(text):
    with pytest.raises(ConfigError, match="--len"):
        parse_length(text)


def test_labels_and_config_names():
    assert [length_label(n) for n in (4096, 16384, 131072, 16000)] == ["4k", "16k", "128k", "16000"]
    config = BuildConfig(source="hotpotqa", lengths=(16384,))
    assert config.config_name(16384) == "hotpotqa-keychain-16k"
    assert BuildConfig(source="2wiki", lengths=(8192,), split="validation", task="plain").config_name(8192) == (
        "2wiki-plain-8k-validation"
    )


def test_keychain_defaults_follow_the_released_scripts():
    spec = BuildConfig(source="synthetic", lengths=(16384,)).spec(16384)
    assert (spec.hops, spec.chains, spec.key_format) == (4, 16, "uuid")
    assert BuildConfig(source="synthetic", lengths=(4096,)).spec(4096).chains == 4
    overridden = BuildConfig(source="synthetic", lengths=(16384,), hops=3, chains=64, key_format="hex8").spec(16384)
    assert (overridden.hops, overridden.chains, overridden.key_format) == (3, 64, "hex8")
    plain = BuildConfig(source="synthetic", lengths=(16384,), task="plain").spec(16384)
    assert (plain.hops, plain.chains, plain.key_format) == (None, None, None)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"lengths": ()}, "no --len"),
        ({"lengths": (4096, 4096)}, "same --len"),
        ({"num": 0}, "--num must be at least 1"),
        ({"workers": 0}, "--workers must be at least 1"),
        ({"seed": -1}, "--seed"),
        ({"split": "train/x"}, "--split"),
        ({"chains": 0}, "--chains must be at least 1"),
        ({"task": "plain", "chains": 3}, "--chains applies to --task keychain only"),
        ({"task": "plain", "chains_outside_budget": True}, "--chains-outside-budget"),
    ],
)
def test_invalid_settings(settings, message):
    settings.setdefault("lengths", (4096,))
    with pytest.raises(ConfigError, match=message):
        BuildConfig(source="synthetic", **settings)


def test_budgets_above_the_cap_are_refused_before_anything_is_generated(monkeypatch):
    from keychain.config import MAX_LENGTH

    assert parse_length("1024k") == MAX_LENGTH
    with pytest.raises(ConfigError, match=r"--len 999999999 is 999,999,999 tokens, above the 1,048,576-token cap.*KEYCHAIN_MAX_LEN"):
        parse_length("999999999")
    monkeypatch.setenv("KEYCHAIN_MAX_LEN", "2048k")
    assert parse_length("2048k") == 2 * MAX_LENGTH
    monkeypatch.setenv("KEYCHAIN_MAX_LEN", "lots")
    with pytest.raises(ConfigError, match="KEYCHAIN_MAX_LEN='lots' is not a length"):
        parse_length("4k")


@pytest.mark.parametrize("seed", [2**63, -1, 10**30])
def test_seeds_outside_int64_are_refused_at_the_edge(seed):
    with pytest.raises(ConfigError, match="--seed must be a whole number from 0 to 2\\^63-1"):
        BuildConfig(source="synthetic", lengths=(4096,), seed=seed)
    assert BuildConfig(source="synthetic", lengths=(4096,), seed=2**63 - 1).seed == 2**63 - 1


@pytest.mark.parametrize("number", [0, -1])
def test_a_version_number_below_one_is_refused_before_anything_is_written(tmp_path, number):
    from keychain.run import pipeline

    config = BuildConfig(source="synthetic", lengths=(4096,), num=2, out=str(tmp_path / "out"))
    with pytest.raises(ConfigError, match=f"--version-number must be 1 or more, got {number}"):
        pipeline.build(config, command="keychain build (test)", version=number)
    assert not (tmp_path / "out").exists()


def test_presets_set_several_flags_and_explicit_flags_win():
    loongrl = BuildConfig(source="synthetic", lengths=(16384,), preset="loongrl").spec(16384)
    assert (loongrl.chains, loongrl.key_format, loongrl.hops, loongrl.padding, loongrl.chains_outside_budget) == (
        64, "hex8", 4, "context", True
    )
    table1 = BuildConfig(source="synthetic", lengths=(16384,), preset="loongrl-table1").spec(16384)
    assert (table1.chains, table1.key_format, table1.padding, table1.chains_outside_budget) == (16, "uuid", "context", True)
    exact = BuildConfig(source="synthetic", lengths=(16384,)).spec(16384)
    assert (exact.chains, exact.key_format, exact.padding, exact.chains_outside_budget) == (16, "uuid", "prompt", False)
    mine = BuildConfig(source="synthetic", lengths=(8192,), preset="loongrl", chains=8, key_format="uuid", padding="prompt",
                       chains_outside_budget=False).spec(8192)
    assert (mine.chains, mine.key_format, mine.padding, mine.chains_outside_budget) == (8, "uuid", "prompt", False)
    plain = BuildConfig(source="synthetic", lengths=(16384,), preset="loongrl", task="plain").spec(16384)
    assert (plain.chains, plain.padding, plain.chains_outside_budget) == (None, "context", False)


def test_a_preset_brings_its_prompt_template_and_a_template_file_overrides_it(tmp_path):
    from keychain.rows.prompts import LOONGRL_TEMPLATE, PromptTemplate

    assert BuildConfig(source="synthetic", lengths=(4096,), preset="loongrl").prompt_template() == LOONGRL_TEMPLATE
    assert BuildConfig(source="synthetic", lengths=(4096,)).prompt_template() == PromptTemplate()
    path = tmp_path / "t.yaml"
    path.write_text('assistant_prefix: ""\n')
    template = BuildConfig(source="synthetic", lengths=(4096,), preset="loongrl", template=str(path)).prompt_template()
    assert template.assistant_prefix == "" and template.keychain_instruction == LOONGRL_TEMPLATE.keychain_instruction


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"preset": "paper"}, "unknown --preset 'paper'; choose one of exact, loongrl, loongrl-table1"),
        ({"padding": "docs"}, "unknown --padding 'docs'"),
        ({"preset": "loongrl", "chains_outside_budget": False}, "drop --chains-inside-budget"),
        ({"preset": "loongrl", "task": "multikey"}, "--preset applies to --task keychain or plain"),
        ({"items": "some"}, "unknown --items 'some'"),
        ({"keep_ids": "ids.txt", "task": "niah"}, "--keep-ids and --items apply to --task keychain or plain"),
    ],
)
def test_bad_preset_settings_are_refused(settings, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        BuildConfig(**{"source": "synthetic", "lengths": (4096,), **settings})


def test_keychain_and_plain_take_different_lanes_of_the_item_order():
    lanes = {task: BuildConfig(source="hotpotqa", lengths=(4096,), task=task).item_lane() for task in ("keychain", "plain")}
    assert lanes == {"keychain": (0, 2), "plain": (1, 2)}
    assert BuildConfig(source="hotpotqa", lengths=(4096,), items="all").item_lane() == (0, 1)
    assert BuildConfig(source="hotpotqa", lengths=(4096,), lane=(2, 4)).item_lane() == (2, 4)
