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
