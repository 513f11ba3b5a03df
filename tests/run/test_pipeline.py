"""Whole builds: byte-identical shards, versions, no-op rebuilds, resume after interruption."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from keychain.check.verify import verify_folder
from keychain.config import BuildConfig
from keychain.digest import sha256_file
from keychain.errors import OutputError
from keychain.rows.build import RowBuilder
from keychain.run import pipeline
from keychain.run.progress import LineReporter
from keychain.store.versions import MANIFEST


def quiet(tmp_path):
    return LineReporter(open(tmp_path / "progress.log", "w"), interval_s=3600)


def run(tmp_path, out, hotpot_file, version=None, **settings):
    settings.setdefault("lengths", (4096,))
    settings.setdefault("items", "all")  # every item of the invented source (lanes: tests/run/test_plan.py)
    config = BuildConfig(source="hotpotqa", data_files=(str(hotpot_file),), out=str(out), **settings)
    return pipeline.build(config, command="keychain build (test)", reporter=quiet(tmp_path), version=version)


def shard_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


def test_same_settings_give_byte_identical_shards_for_any_worker_count(tmp_path, hotpot_file):
    run(tmp_path, tmp_path / "a", hotpot_file, shard_rows=7)
    run(tmp_path, tmp_path / "b", hotpot_file, shard_rows=7)
    run(tmp_path, tmp_path / "c", hotpot_file, shard_rows=7, workers=2)
    a, b, c = (shard_bytes(tmp_path / name) for name in "abc")
    assert len(a) == 5 and a == b == c
    manifest = lambda name: json.loads((tmp_path / name / "hotpotqa-keychain-4k/v1" / MANIFEST).read_text())  # noqa: E731
    assert manifest("a") == manifest("b")


def test_another_seed_gives_other_rows(tmp_path, hotpot_file):
    run(tmp_path, tmp_path / "a", hotpot_file)
    run(tmp_path, tmp_path / "b", hotpot_file, seed=1)
    assert shard_bytes(tmp_path / "a") != shard_bytes(tmp_path / "b")


def test_manifest_records_counts_hashes_and_lengths(tmp_path, hotpot_file):
    out = tmp_path / "out"
    [result] = run(tmp_path, out, hotpot_file, num=12, shard_rows=5)
    version = out / "hotpotqa-keychain-4k" / "v1"
    manifest = json.loads((version / MANIFEST).read_text())
    assert result.rows == manifest["counts"]["built"] == 12
    assert [s["file"] for s in manifest["shards"]] == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    for shard in manifest["shards"]:
        assert sha256_file(version / shard["file"]) == shard["sha256"]
        assert pq.ParquetFile(version / shard["file"]).metadata.num_rows == shard["rows"]
    assert 0.97 <= manifest["lengths"]["fill"]["min"] <= manifest["lengths"]["fill"]["max"] <= 1.0
    assert manifest["config"]["chains"] == 4 and manifest["config"]["seed"] == 0
    assert manifest["identity"]["inputs"]["files"][0]["sha256"] == sha256_file(hotpot_file)
    assert manifest["command"] == "keychain build (test)"
    assert not (version / ".progress").exists()
    assert sorted(p.name for p in version.iterdir()) == [MANIFEST] + [s["file"] for s in manifest["shards"]]


def test_rebuilding_identical_settings_is_a_no_op(tmp_path, hotpot_file):
    out = tmp_path / "out"
    run(tmp_path, out, hotpot_file)
    data = lambda: {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.suffix != ".lock"}  # noqa: E731
    stamps = data()
    [result] = run(tmp_path, out, hotpot_file)
    assert result.state == "up to date"
    assert stamps == data()  # the lock file only names its last holder


def test_other_settings_add_a_version_and_keep_the_first(tmp_path, hotpot_file):
    out = tmp_path / "out"
    run(tmp_path, out, hotpot_file)
    before = shard_bytes(out)
    [result] = run(tmp_path, out, hotpot_file, seed=5)
    assert result.version == "v2"
    after = shard_bytes(out)
    assert {k: v for k, v in after.items() if "/v1/" in k} == before
    assert any("/v2/" in k for k in after)


def test_building_into_a_version_with_other_settings_is_refused(tmp_path, hotpot_file):
    out = tmp_path / "out"
    run(tmp_path, out, hotpot_file)
    with pytest.raises(OutputError, match="built with other settings .*seed: 0 -> 5.*omit --version"):
        run(tmp_path, out, hotpot_file, seed=5, version=1)


def test_several_lengths_make_several_configs(tmp_path, hotpot_file):
    out = tmp_path / "out"
    results = run(tmp_path, out, hotpot_file, lengths=(4096, 8192), task="plain", num=4)
    assert [r.config_name for r in results] == ["hotpotqa-plain-4k", "hotpotqa-plain-8k"]
    assert all(report.ok for report in verify_folder(out))


def test_an_interrupted_build_leaves_no_partial_shard_and_resumes(tmp_path, hotpot_file, monkeypatch):
    reference = tmp_path / "reference"
    run(tmp_path, reference, hotpot_file, shard_rows=6)
    out = tmp_path / "out"
    real_build = RowBuilder.build
    calls = {"n": 0}

    def interrupting_build(self, index, item):
        calls["n"] += 1
        if calls["n"] == 15:  # inside the third shard
            raise KeyboardInterrupt
        return real_build(self, index, item)

    monkeypatch.setattr(RowBuilder, "build", interrupting_build)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, out, hotpot_file, shard_rows=6)
    version = out / "hotpotqa-keychain-4k" / "v1"
    assert sorted(p.name for p in version.glob("*.parquet")) == [
        "train-00000-of-00005.parquet",
        "train-00001-of-00005.parquet",
    ]
    assert not (version / MANIFEST).exists()
    assert not [p for p in version.rglob("*") if ".tmp" in p.name]

    monkeypatch.setattr(RowBuilder, "build", real_build)
    [result] = run(tmp_path, out, hotpot_file, shard_rows=6)
    assert result.state == "resumed" and result.version == "v1"
    assert shard_bytes(out) == shard_bytes(reference)
    assert json.loads((version / MANIFEST).read_text()) == json.loads(
        (reference / "hotpotqa-keychain-4k" / "v1" / MANIFEST).read_text()
    )


def test_shards_load_with_datasets_and_keep_their_structure(tmp_path, hotpot_file):
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "out"
    run(tmp_path, out, hotpot_file, num=5)
    files = sorted(str(p) for p in out.rglob("*.parquet"))
    dataset = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path / "cache"))
    row = dataset[0]
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert row["reward_model"]["style"] == "rule" and row["reward_model"]["ground_truth"] == row["answers"]
    assert row["extra_info"]["split"] == "train" and len(dataset) == 5


def test_ray_executor_without_ray_is_refused_before_anything_is_written(tmp_path, hotpot_file, monkeypatch):
    import sys

    from keychain.errors import ConfigError

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(ConfigError, match=r"--executor ray needs Ray; pip install 'keychain\[ray\]'"):
        run(tmp_path, tmp_path / "out", hotpot_file, executor="ray")
    assert not (tmp_path / "out").exists()  # no .progress/plan.json left behind


def test_a_build_short_of_num_warns_with_the_reason(tmp_path, hotpot_file):
    (result,) = run(tmp_path, tmp_path / "out", hotpot_file, num=40)
    assert result.rows == 30 and result.requested == 40
    assert result.shortfall() == (
        "warning: hotpotqa-keychain-4k v1 holds 30 of the 40 rows asked (75%): the source has only 30 usable "
        "items; pass more source data or a smaller --num"
    )
    (enough,) = run(tmp_path, tmp_path / "other", hotpot_file, num=30)
    assert enough.shortfall() is None


def test_niah_asks_num_rows_per_depth(tmp_path):
    config = BuildConfig(source="synthetic", task="niah", lengths=(2048,), num=2, depths=(0.0, 0.5), out=str(tmp_path / "out"))
    (result,) = pipeline.build(config, command="test", reporter=quiet(tmp_path))
    assert result.requested == 4 and result.rows == 4 and result.shortfall() is None


def test_small_budgets_are_filled_by_swapping_a_document(tmp_path):
    """At 1K the 3% window (31 tokens) is narrower than any biography: greedy alone built 11 of 16."""
    config = BuildConfig(source="synthetic", task="plain", lengths=(1024,), num=16, out=str(tmp_path / "out"))
    (result,) = pipeline.build(config, command="test", reporter=quiet(tmp_path))
    assert result.rows >= 15 and result.shortfall() is None
    assert all(report.ok for report in verify_folder(tmp_path / "out"))
