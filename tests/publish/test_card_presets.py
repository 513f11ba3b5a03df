"""The card names each config's preset, says what a loongrl config's lengths mean, and how verl scores the rows."""

from __future__ import annotations

from keychain.config import BuildConfig
from keychain.publish.card import CARD, write_card
from keychain.run.pipeline import build
from keychain.run.progress import LineReporter


def _build(out, tmp_path, **settings):
    config = BuildConfig(source="synthetic", lengths=(4096,), num=2, out=str(out), **settings)
    build(config, command="test", reporter=LineReporter(open(tmp_path / "log", "a"), 3600))
    write_card(out)
    return " ".join((out / CARD).read_text(encoding="utf-8").split())


def test_the_card_names_presets_and_the_verl_reward_lines(tmp_path):
    exact = _build(tmp_path / "exact", tmp_path)
    assert "Every prompt fills at least 97% of its token budget and never exceeds it" in exact
    assert "| synthetic-keychain-4k | v1 | train | keychain | exact |" in exact.replace("`", "")
    for line in ("reward.custom_reward_function.path=pkg://trainer.rewards", "reward.custom_reward_function.name=compute_score"):
        assert line in exact
    assert "`n_tokens` is counted with the tokenizer in the `tokenizer` column" in exact
    mixed = _build(tmp_path / "exact", tmp_path, task="plain", preset="loongrl")
    assert "never exceeds it" not in mixed and "passages alone fill 97-100% of the budget minus 128 tokens" in mixed
    assert "| synthetic-plain-4k | v1 | train | plain | loongrl |" in mixed.replace("`", "")


def test_the_card_of_a_loongrl_mix_never_claims_its_prompts_fit_the_budget(tmp_path):
    from keychain.mix import load_recipe, mix
    from keychain.publish.card import render_card
    from keychain.store.folder import newest_versions

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "preset: loongrl\ncomponents:\n"
        "  - {source: synthetic, task: keychain, len: 4k, rows: 2}\n  - {source: synthetic, task: plain, len: 4k, rows: 2}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    mix(load_recipe(recipe, out), out, command="test")
    for configs in (newest_versions(out), newest_versions(out, ["mix"])):  # the whole folder, or the mix pushed alone
        text = " ".join(render_card(configs).split())
        assert "never exceeds it" not in text and "passages alone fill 97-100% of the budget minus 128 tokens" in text


def test_only_the_manifest_s_numbers_make_a_config_exact():
    from keychain.publish.card import within_budget

    def manifest(fill_max, padding="prompt", components=None):
        config = {"padding": padding, **({"component_settings": components} if components else {})}
        return {"config": config, "lengths": {"fill": {"min": 0.98, "median": 0.99, "max": fill_max}}}

    assert within_budget(manifest(1.0)) and within_budget({"config": {}, "lengths": {}})
    assert not within_budget(manifest(1.2))  # chains outside the budget of a prompt-padded build
    assert not within_budget(manifest(0.99, "context"))
    assert not within_budget(manifest(0.99, None, {"synthetic-plain-4k": {"padding": "context"}}))  # a mix of a loongrl config
