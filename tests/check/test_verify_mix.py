"""verify and show of a mix: each row is checked with its own config's template and budget."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from keychain.check.show import show
from keychain.check.verify import fresh_counts, iter_rows, row_settings, verify_folder
from keychain.mix import load_recipe, mix
from keychain.rows.tokens import load_counter
from keychain.store.versions import read_manifest

RECIPE = (
    "seed: 0\ntokenizer: cl100k_base\npreset: loongrl\ncomponents:\n"
    "  - {source: synthetic, task: keychain, len: 4k, rows: 3}\n"
    "  - {source: synthetic, task: plain, len: 4k, rows: 3}\n"
)


@pytest.fixture(scope="module")
def loongrl_mix(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mix")
    (tmp / "r.yaml").write_text(RECIPE, encoding="utf-8")
    return tmp / "out", mix(load_recipe(tmp / "r.yaml", tmp / "out"), tmp / "out", command="test")


def test_a_loongrl_mix_verifies(loongrl_mix):
    out, result = loongrl_mix
    reports = verify_folder(out)
    assert len(reports) == 3 and result.rows == 6
    assert [(r.path.parent.name, r.rows, r.failures, r.file_problems) for r in reports if not r.ok] == []


def test_each_mix_row_takes_its_own_config_s_settings(loongrl_mix):
    out, result = loongrl_mix
    manifest = read_manifest(result.path)
    assert "component_settings" not in manifest["identity"]  # settings are read from the components, never identify the mix
    for row in iter_rows(result.path, manifest):
        template, outside = row_settings(row, manifest)
        component = read_manifest(out / row["extra_info"]["config"] / "v1")
        assert template.assistant_prefix == "<think>" and outside == (row["task"] == "keychain")
        assert row_settings({"extra_info": {"split": "train", "index": 0}}, component) == (template, outside)


def test_mix_shards_are_listed_with_the_size_and_hash_of_their_record(loongrl_mix):
    from keychain.digest import sha256_file

    _, result = loongrl_mix
    for shard in read_manifest(result.path)["shards"]:
        file = result.path / shard["file"]
        assert (shard["bytes"], shard["sha256"]) == (file.stat().st_size, sha256_file(file))


def test_show_renders_a_mix_row(loongrl_mix):
    out, _ = loongrl_mix
    text = io.StringIO()
    show(out, 0, "mix", Console(file=text, width=80))
    assert "keychain show" in text.getvalue()


def test_fresh_counts_take_each_row_s_assistant_prefix(loongrl_mix):
    _, result = loongrl_mix
    manifest = read_manifest(result.path)
    rows = list(iter_rows(result.path, manifest))[:2]
    counter = load_counter("cl100k_base")
    plain = [counter.count_prompt(row["prompt"]) for row in rows]
    primed = [counter.count_prompt(row["prompt"], "<think>") for row in rows]
    assert plain != primed
    assert fresh_counts(rows, ["", "<think>"]) == [plain[0], primed[1]]
    assert fresh_counts(rows, "<think>") == primed
