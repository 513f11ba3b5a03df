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
