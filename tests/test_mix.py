"""keychain mix: the demo recipe builds, loads back with datasets, and mixes every row once."""

from __future__ import annotations

from pathlib import Path

import pytest

from keychain.check.verify import verify_folder
from keychain.errors import ConfigError
from keychain.mix import load_recipe, mix
from keychain.store.versions import read_manifest

DEMO = Path(__file__).resolve().parents[1] / "recipes" / "data" / "demo.yaml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("mix") / "demo"
    return out, mix(load_recipe(DEMO, out, scale=0.25), out, command="keychain mix demo.yaml")


def test_mix_rows_are_the_sum_of_its_components(demo):
    out, result = demo
    assert result.rows == sum(c.rows for c in result.components) == 6 + 6 + 3 + 3
    manifest = read_manifest(result.path)
    assert manifest["counts"]["built"] == result.rows and result.path == out / "mix" / "v1"
    assert all(report.ok for report in verify_folder(out))


def test_demo_loads_back_with_datasets_config_by_config(demo):
    datasets = pytest.importorskip("datasets")
    card = pytest.importorskip("keychain.publish.card")  # the dataset card lists the configs datasets loads

    out, result = demo
    card.write_card(out)
    mixed = datasets.load_dataset(str(out), "mix", split="train")
    assert mixed.num_rows == result.rows
    counts = {c.config_name: datasets.load_dataset(str(out), c.config_name, split="train").num_rows for c in result.components}
    assert sum(counts.values()) == mixed.num_rows
    assert sorted(mixed["id"]) == sorted(i for name in counts for i in datasets.load_dataset(str(out), name, split="train")["id"])
    assert set(mixed["task"]) == {"keychain", "plain", "multikey", "multivalue"}


def test_mix_is_byte_deterministic_and_a_rerun_is_a_no_op(demo, tmp_path):
    out, result = demo
    again = mix(load_recipe(DEMO, out, scale=0.25), out, command="again")
    assert again.state == "up to date"
    other = tmp_path / "other"
    mix(load_recipe(DEMO, other, scale=0.25), other, command="other")
    shard = next(result.path.glob("*.parquet"))
    assert (other / "mix" / "v1" / shard.name).read_bytes() == shard.read_bytes()


@pytest.mark.parametrize(
    "text, message",
    [
        ("components: []\n", "non-empty 'components'"),
        ("seeed: 1\ncomponents: [{source: synthetic, task: plain, len: 4k, rows: 1}]\n", "seeed: unknown key; did you mean seed"),
        ("components: [{source: synthetic, task: plain, lenn: 4k, rows: 1}]\n", r"components\[0\].lenn: unknown key; did you mean len"),
        ("components: [{source: synthetic, task: plain, len: 4k}]\n", r"components\[0\].rows: missing"),
        ("components: [{source: synthetic, task: nope, len: 4k, rows: 1}]\n", r"components\[0\]: unknown task"),
    ],
)
def test_bad_recipes_name_the_key_and_the_fix(tmp_path, text, message):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_recipe(recipe, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_folder_given_as_the_recipe_names_a_recipe_in_it(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_recipe(DEMO.parent, tmp_path / "out")
    assert str(error.value) == f"{DEMO.parent}: is a folder, not a recipe; pass one YAML file, e.g. keychain mix {DEMO}"


@pytest.mark.parametrize("name", ["loongrl.yaml", "eval.yaml"])
def test_shipped_recipes_parse(name, tmp_path):
    recipe = load_recipe(DEMO.parent / name, tmp_path)
    assert len(recipe.components) >= 3


def test_the_loongrl_recipe_builds_the_paper_s_rows_with_the_model_s_tokenizer(tmp_path):
    recipe = load_recipe(DEMO.parent / "loongrl.yaml", tmp_path)
    qa = [c for c in recipe.components if c.task in ("keychain", "plain")]
    assert len(qa) == 6 and all(c.preset == "loongrl" and c.num == 2500 for c in qa)  # paper Table 1: 2,500 per QA set
    assert {c.tokenizer for c in recipe.components} == {"Qwen/Qwen2.5-7B-Instruct"}
    assert all(c.preset == "exact" for c in recipe.components if c not in qa)  # the preset shapes QA rows only
    spec = qa[0].spec(16384)
    assert (spec.chains, spec.key_format, spec.padding) == (64, "hex8", "context") and recipe.chains_outside_budget


def test_the_demo_mix_has_no_item_in_two_components_and_unique_indices(demo):
    import pyarrow.parquet as pq

    out, result = demo
    table = pq.read_table(next(result.path.glob("*.parquet"))).to_pylist()
    by_task: dict[str, set] = {}
    for row in table:
        if row["task"] in ("keychain", "plain"):
            by_task.setdefault(row["task"], set()).add((row["source"], row["extra_info"]["split"], row["source_id"]))
    assert len(by_task["keychain"]) == len(by_task["plain"]) == 6 and not by_task["keychain"] & by_task["plain"]
    extra = [row["extra_info"] for row in table]
    assert sorted(e["index"] for e in extra) == list(range(len(table)))  # verl copies it into each item's index
    for row, info in zip(table, extra):  # the component's own row index moved beside it
        component = pq.read_table(next((out / info["config"]).glob("v*/*.parquet"))).to_pylist()
        assert component[info["config_index"]]["id"] == row["id"]


def test_two_components_of_one_task_split_that_task_s_lane(tmp_path):
    from keychain.mix import share_items

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "components:\n"
        "  - {source: synthetic, task: keychain, len: 4k, rows: 4}\n"
        "  - {source: synthetic, task: keychain, len: 8k, rows: 2}\n"
        "  - {source: synthetic, task: plain, len: 4k, rows: 3}\n"
        "  - {source: synthetic, split: validation, task: plain, len: 4k, rows: 3}\n",
        encoding="utf-8",
    )
    components = load_recipe(recipe, tmp_path / "out").components
    assert [c.item_lane() for c in components] == [(0, 4), (2, 4), (1, 2), (1, 2)]
    # one synthetic world per split: the most items any lane needs, the longest length
    assert [c.synthetic_size for c in components] == [(16, 8192), (16, 8192), (16, 8192), None]
    assert share_items(list(components)) == list(components)  # settled lanes stay as they are


def test_components_of_one_synthetic_world_with_other_row_counts_build(tmp_path):
    """The shared world size is in each version's identity, which must equal its JSON copy."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "components:\n"
        "  - {source: synthetic, task: keychain, len: 4k, rows: 2}\n"
        "  - {source: synthetic, task: plain, len: 4k, rows: 8}\n",
        encoding="utf-8",
    )
    result = mix(load_recipe(recipe, tmp_path / "out"), tmp_path / "out", command="test")
    assert result.rows > 0 and all(r.ok for r in verify_folder(tmp_path / "out"))


def test_train_and_evaluation_recipes_never_share_an_item(tmp_path):
    from keychain.sources import SourceRequest, load_source

    train = load_recipe(DEMO.parent / "loongrl.yaml", tmp_path)
    evaluation = load_recipe(DEMO.parent / "eval.yaml", tmp_path)
    train_splits = {(c.source, c.split) for c in train.components}
    eval_splits = {(c.source, c.split) for c in evaluation.components}
    assert not train_splits & eval_splits  # one source's train and evaluation builds read different splits
    assert {split for _, split in eval_splits} <= {"validation", "test"}
    # the synthetic source generates one world per split: no question of one is asked in the other
    worlds = [load_source("synthetic", SourceRequest(split=split, num=200, max_len=4096)) for split in ("train", "validation")]
    assert not {i.question for i in worlds[0].items} & {i.question for i in worlds[1].items}


def test_a_mix_waits_for_another_writing_its_version_then_finds_it_done(tmp_path, capsys):
    import shutil
    import threading

    from keychain.store.lock import version_lock

    out = tmp_path / "out"
    first = mix(load_recipe(DEMO, out, scale=0.25), out, command="first")
    shutil.move(out / "mix", tmp_path / "finished")  # components stay; the mix is not there yet
    results = []
    with version_lock(out / "mix" / "v1"):  # another mix is writing v1
        waiting = threading.Thread(target=lambda: results.append(mix(load_recipe(DEMO, out, scale=0.25), out, command="second")))
        waiting.start()
        waiting.join(3)
        assert waiting.is_alive() and not (out / "mix" / "v1").exists()  # waits, writes nothing
        shutil.move(tmp_path / "finished" / "v1", out / "mix" / "v1")  # the other mix finishes
    waiting.join(60)
    assert [r.state for r in results] == ["up to date"] and results[0].path == first.path
    assert "mix v1: waiting for another mix (pid " in capsys.readouterr().err
