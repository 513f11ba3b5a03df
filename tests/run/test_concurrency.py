"""Two identical builds into one OUT at once (issue 14, item 12): the second waits for the
first and finds it finished; it used to die with FileNotFoundError."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from keychain.config import BuildConfig
from keychain.run import pipeline
from keychain.run.progress import LineReporter
from keychain.store.lock import lock_path, version_lock

from ..fixtures import make_source, write_hotpot_file


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("concurrent") / "hotpot.json"
    write_hotpot_file(make_source(n_items=40, n_docs=300), path)
    return path


def config(out: Path, data: Path) -> BuildConfig:
    return BuildConfig(source="hotpotqa", data_files=(str(data),), lengths=(4096,), shard_rows=5, out=str(out), items="all")


def build_in_child(out: str, data: str, results) -> None:
    try:
        [result] = pipeline.build(config(Path(out), Path(data)), command="keychain build (test)",
                                  reporter=LineReporter(open("/dev/null", "w"), 3600), notify=lambda line: None)
        results.put(result.state)
    except BaseException as error:  # reported to the test
        results.put(f"error: {type(error).__name__}: {error}")


def test_two_identical_builds_at_once_both_succeed_and_agree(tmp_path, data):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = [context.Process(target=build_in_child, args=(str(tmp_path / "out"), str(data), results)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    states = sorted(results.get(timeout=5) for _ in children)
    assert states == ["built", "up to date"], states
    reference = tmp_path / "reference"
    pipeline.build(config(reference, data), command="keychain build (test)", reporter=LineReporter(open("/dev/null", "w"), 3600))
    shards = lambda out: {p.name: p.read_bytes() for p in out.rglob("*.parquet")}  # noqa: E731
    assert shards(tmp_path / "out") == shards(reference) and len(shards(reference)) == 8


def test_a_build_waits_for_the_holder_of_its_version_and_says_so(tmp_path, data):
    version = tmp_path / "out" / "hotpotqa-keychain-4k" / "v1"
    said, results = [], []
    with version_lock(version):
        worker = threading.Thread(target=lambda: results.extend(pipeline.build(
            config(tmp_path / "out", data), command="keychain build (test)",
            reporter=LineReporter(open("/dev/null", "w"), 3600), notify=said.append)))
        worker.start()
        worker.join(3)
        assert worker.is_alive() and not version.exists()  # waiting, nothing written
    worker.join(60)
    assert [r.state for r in results] == ["built"]
    assert len(said) == 1 and "waiting for another build (pid " in said[0] and str(version) in said[0]
    assert lock_path(version).name == ".v1.lock"


def test_slices_share_the_lock_and_the_final_run_waits_for_them(tmp_path, data):
    version = tmp_path / "out" / "hotpotqa-keychain-4k" / "v1"
    with version_lock(version, shared=True):  # a slice still running
        with version_lock(version, shared=True):  # another slice gets in at once
            pass
        finishing = threading.Thread(target=lambda: pipeline.build(
            config(tmp_path / "out", data), command="keychain build (test)",
            reporter=LineReporter(open("/dev/null", "w"), 3600), notify=lambda line: None))
        finishing.start()
        finishing.join(2)
        assert finishing.is_alive()
    finishing.join(60)
    assert (version / "manifest.json").is_file()
