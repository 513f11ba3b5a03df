"""Shards built anywhere are the same: slices for job arrays, Ray tasks, worker counts."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from keychain.config import BuildConfig, parse_slice
from keychain.errors import ConfigError, OutputError
from keychain.run import pipeline
from keychain.run.progress import LineReporter
from keychain.store.versions import MANIFEST, PROGRESS

CONFIG = "hotpotqa-keychain-4k"


def run(tmp_path, out, hotpot_file, **settings):
    settings.setdefault("lengths", (4096,))
    settings.setdefault("shard_rows", 4)
    settings.setdefault("items", "all")  # every item: these tests are about where shards are built
    config = BuildConfig(source="hotpotqa", data_files=(str(hotpot_file),), out=str(out), **settings)
    reporter = LineReporter(open(tmp_path / "progress.log", "a"), interval_s=3600)
    return pipeline.build(config, command="keychain build (test)", reporter=reporter)


def files(out: Path) -> dict[str, bytes]:
    """Every shard and the manifest, by path: what a user would compare."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.suffix == ".parquet" or p.name == MANIFEST
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory, hotpot_file) -> dict[str, bytes]:
    tmp_path = tmp_path_factory.mktemp("reference")
    run(tmp_path, tmp_path / "out", hotpot_file)
    built = files(tmp_path / "out")
    assert len(built) == 9  # 30 rows in 8 shards of 4 (the last holds 2), plus the manifest
    return built


def test_parse_slice_reads_i_of_n_and_rejects_the_rest():
    assert parse_slice("0/1") == (0, 1) and parse_slice(" 3 / 8 ") == (3, 8)
    with pytest.raises(ConfigError, match="not I/N"):
        parse_slice("3")
    with pytest.raises(ConfigError, match="out of range"):
        BuildConfig(source="synthetic", lengths=(4096,), slice=(4, 4))


def test_slices_write_shards_only_and_the_plain_run_completes_them(tmp_path, hotpot_file, reference):
    out = tmp_path / "out"
    version = out / CONFIG / "v1"
    [first] = run(tmp_path, out, hotpot_file, slice=(1, 3))
    assert first.state.startswith("slice 1/3") and "5 of 8 shards still missing" in first.state
    assert first.rows == 10  # shards 1, 4, 7: 4 + 4 + 2 rows
    assert not (version / MANIFEST).exists()
    assert sorted(p.name for p in version.glob("*.parquet")) == [
        f"train-0000{i}-of-00008.parquet" for i in (1, 4, 7)
    ]
    run(tmp_path, out, hotpot_file, slice=(0, 3))
    [last] = run(tmp_path, out, hotpot_file, slice=(2, 3))
    assert "all 8 shards present" in last.state and not (version / MANIFEST).exists()

    [done] = run(tmp_path, out, hotpot_file)  # the same command without --slice
    assert done.state == "resumed" and done.rows == 30 and done.rows_now == 0
    assert not (version / PROGRESS).exists()
    ours = files(out)
    assert ours == reference  # byte-identical shards and manifest


def test_concurrent_slices_agree_on_one_version(tmp_path, hotpot_file, reference):
    out = tmp_path / "out"
    errors: list[BaseException] = []

    def slice_job(part: int) -> None:
        try:
            run(tmp_path, out, hotpot_file, slice=(part, 4))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    jobs = [threading.Thread(target=slice_job, args=(part,)) for part in range(4)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    assert not errors
    assert sorted(p.name for p in (out / CONFIG).iterdir()) == [".v1.lock", "v1"]  # the lock file stays, hidden
    run(tmp_path, out, hotpot_file)
    assert files(out) == reference


def test_a_slice_keeps_temporary_files_a_sibling_may_be_writing(tmp_path, hotpot_file):
    out = tmp_path / "out"
    run(tmp_path, out, hotpot_file, slice=(0, 2))
    in_flight = out / CONFIG / "v1" / PROGRESS / "train-00001-of-00008.parquet.x.tmp"
    in_flight.write_bytes(b"a sibling slice is writing this")
    run(tmp_path, out, hotpot_file, slice=(1, 2))
    assert in_flight.exists()
    run(tmp_path, out, hotpot_file)  # a plain run owns the folder: it cleans up
    assert not (out / CONFIG / "v1" / PROGRESS).exists()


def test_a_version_started_with_other_settings_is_not_joined(tmp_path, hotpot_file):
    out = tmp_path / "out"
    run(tmp_path, out, hotpot_file, slice=(0, 2))
    plan = out / CONFIG / "v1" / PROGRESS / "plan.json"
    other = json.loads(plan.read_text())
    other["identity"]["spec"]["seed"] = 7
    from keychain.store.shards import VersionWriter
    from keychain.store.versions import Version

    writer = VersionWriter(Version(1, out / CONFIG / "v1", None, False), "train", 8, 4096)
    with pytest.raises(OutputError, match="other settings"):
        writer.start(other, clean=False)


def test_ray_executor_writes_the_same_bytes(tmp_path, hotpot_file, reference):
    ray = pytest.importorskip("ray", reason="Ray is in the dev extra; install keychain[dev]")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="error", log_to_driver=False)
    try:
        [result] = run(tmp_path, tmp_path / "out", hotpot_file, executor="ray")
        sliced = run(tmp_path, tmp_path / "sliced", hotpot_file, executor="ray", slice=(0, 2))
    finally:
        ray.shutdown()
    assert result.rows == 30 and files(tmp_path / "out") == reference
    assert sliced[0].rows == 16  # shards 0, 2, 4, 6
    run(tmp_path, tmp_path / "sliced", hotpot_file)
    assert files(tmp_path / "sliced") == reference


def test_ray_options_are_checked():
    with pytest.raises(ConfigError, match="--executor ray only"):
        BuildConfig(source="synthetic", lengths=(4096,), ray_address="ray://head:10001")
    with pytest.raises(ConfigError, match="drop --workers"):
        BuildConfig(source="synthetic", lengths=(4096,), executor="ray", workers=2)
    with pytest.raises(ConfigError, match="unknown --executor"):
        BuildConfig(source="synthetic", lengths=(4096,), executor="dask")


def test_a_slice_hashes_only_its_own_shards(tmp_path, hotpot_file, reference, monkeypatch):
    from keychain.store import shards

    out = tmp_path / "out"
    version = out / CONFIG / "v1"
    run(tmp_path, out, hotpot_file, slice=(0, 2))  # shards 0, 2, 4, 6
    theirs = version / "train-00000-of-00008.parquet"
    theirs.write_bytes(theirs.read_bytes()[:-1] + b"x")  # damaged: slice 0's to find, not slice 1's to delete
    hashed: list[str] = []
    real = shards.sha256_file
    monkeypatch.setattr(shards, "sha256_file", lambda path: hashed.append(Path(path).name) or real(path))
    [second] = run(tmp_path, out, hotpot_file, slice=(1, 2))
    assert second.rows == 14 and theirs.exists()  # shards 1, 3, 5, 7: 4 + 4 + 4 + 2 rows
    assert len(hashed) == 4 and not any("-0000" + str(i) + "-" in name for name in hashed for i in (0, 2, 4, 6))
    assert "all 8 shards present" in second.state  # counted by presence: no hashing of a sibling's shards
    hashed.clear()
    [again] = run(tmp_path, out, hotpot_file, slice=(0, 2))  # slice 0 checks its own: shard 0 is rebuilt
    assert again.rows == 4 and len(hashed) == 4 + 1  # 0, 2, 4, 6 checked; shard 0 written again
    hashed.clear()
    [done] = run(tmp_path, out, hotpot_file)
    assert done.rows_now == 0 and sorted(hashed) == [f"train-0000{i}-of-00008.parquet" for i in range(8)]  # each once
    assert files(out) == reference
