"""KeyChain and plain builds of the synthetic source draw from one world, so their lanes never share an item."""

from __future__ import annotations

from dataclasses import replace

from keychain.config import BuildConfig
from keychain.mix import load_recipe
from keychain.rows.tokens import load_counter
from keychain.run.builders import _request, prepare


def planned_ids(cfg: BuildConfig) -> set[str]:
    """The source ids a build would take, planned as the build plans them (no row is built)."""
    template = cfg.prompt_template()
    specs = [cfg.spec(n, template.digest) for n in cfg.lengths]
    return {b.source.items[i].source_id for b, plan in prepare(cfg, specs, template, load_counter(cfg.tokenizer)) for i in plan.items}


def loongrl(task: str) -> BuildConfig:
    return BuildConfig(source="synthetic", task=task, lengths=(16384,), num=4, seed=1, preset="loongrl")


def test_keychain_and_plain_builds_are_given_one_world_size():
    keychain, plain = loongrl("keychain"), loongrl("plain")
    assert keychain.world_items() == plain.world_items() == 64 + 8  # a decoy question per chain
    assert _request(keychain) == _request(plain)
    assert BuildConfig(source="synthetic", lengths=(4096,), num=40).world_items() == 80  # every lane's --num


def test_separate_keychain_and_plain_builds_share_no_item():
    keychain, plain = planned_ids(loongrl("keychain")), planned_ids(loongrl("plain"))
    assert len(keychain) == len(plain) == 4 and not keychain & plain


def test_keychain_and_plain_components_of_a_mix_share_no_item(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "seed: 1\npreset: loongrl\ncomponents:\n"
        "  - {source: synthetic, task: keychain, len: 16k, rows: 4}\n  - {source: synthetic, task: plain, len: 16k, rows: 4}\n",
        encoding="utf-8",
    )
    keychain, plain = (planned_ids(c) for c in load_recipe(recipe, tmp_path / "out").components)
    assert len(keychain) == len(plain) == 4 and not keychain & plain


def test_a_world_size_set_by_a_mix_is_used_as_it_is():
    cfg = replace(loongrl("keychain"), synthetic_size=(10, 16384))
    assert (_request(cfg).num, _request(cfg).max_len) == (10, 16384)
