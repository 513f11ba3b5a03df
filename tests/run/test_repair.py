"""Rebuilding over a damaged finished version repairs exactly the damage (issue 14, item 6).

Each kind of damage (a flipped byte, a deleted or truncated shard, an edited sha256 or
row count, a manifest section gone) used to print "up to date" or crash with
``KeyError: 'lengths'``; now the re-run restores byte-identical shards and a manifest
verify accepts, or says in one line what it cannot repair. A resumed build re-hashes the
shards written before the interruption.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from keychain.check.verify import verify_folder
from keychain.config import BuildConfig
from keychain.errors import OutputError
from keychain.run import pipeline
from keychain.run.progress import LineReporter
from keychain.store.versions import MANIFEST, PROGRESS

from ..fixtures import make_source, write_hotpot_file


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("repair") / "hotpot.json"
    write_hotpot_file(make_source(n_items=30, n_docs=300), path)
    return path


def run(out: Path, data: Path, **settings):
    config = BuildConfig(source="hotpotqa", data_files=(str(data),), lengths=(4096,), shard_rows=10, out=str(out), **{"items": "all", **settings})
    [result] = pipeline.build(config, command="keychain build (test)", reporter=LineReporter(open(out.parent / "log", "w"), 3600))
    return result


@pytest.fixture(scope="module")
def reference(tmp_path_factory, data) -> Path:
    out = tmp_path_factory.mktemp("reference") / "out"
    return run(out, data).path


@pytest.fixture()
def version(reference, tmp_path) -> Path:
    return Path(shutil.copytree(reference, tmp_path / "out" / reference.parent.name / reference.name))


def contents(version: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(version.iterdir()) if p.is_file()}


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def edit_manifest(edit):
    def damage(version: Path) -> None:
        manifest = json.loads((version / MANIFEST).read_text())
        edit(manifest)
        (version / MANIFEST).write_text(json.dumps(manifest))
    return damage


DAMAGE = {
    "flipped byte": lambda v: flip_byte(v / "train-00001-of-00003.parquet"),
    "deleted shard": lambda v: (v / "train-00002-of-00003.parquet").unlink(),
    "truncated shard": lambda v: (v / "train-00000-of-00003.parquet").write_bytes(b"PAR1"),
    "edited sha256": edit_manifest(lambda m: m["shards"][0].update(sha256="0" * 64)),
    "edited row count": edit_manifest(lambda m: (m["shards"][1].update(rows=3), m["counts"].update(built=23))),
    "edited total": edit_manifest(lambda m: m["counts"].update(built=5)),
    "manifest without lengths": edit_manifest(lambda m: m.pop("lengths")),
    "manifest without shards": edit_manifest(lambda m: m.pop("shards")),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_rebuild_repairs_exactly_the_damage_byte_identical(version, reference, data, kind):
    before = contents(reference)
    DAMAGE[kind](version)
    assert not verify_folder(version)[0].ok
    result = run(version.parents[1], data)
    assert result.state.startswith("repaired (") and result.rows == 30
    assert contents(version) == before  # shards and manifest as first written
    assert verify_folder(version)[0].ok
    assert run(version.parents[1], data).state == "up to date"


def test_only_the_damaged_shard_is_rewritten(version, data):
    untouched = [version / f"train-0000{i}-of-00003.parquet" for i in (0, 2)]
    stamps = [p.stat().st_mtime_ns for p in untouched]
    flip_byte(version / "train-00001-of-00003.parquet")
    result = run(version.parents[1], data)
    assert result.state == "repaired (train-00001-of-00003.parquet rebuilt byte-identical)"
    assert [p.stat().st_mtime_ns for p in untouched] == stamps


def test_what_cannot_be_repaired_is_one_line_and_changes_nothing(version, data):
    flip_byte(version / "train-00001-of-00003.parquet")
    edit_manifest(lambda m: m["shards"][1].update(sha256="0" * 64))(version)  # neither file nor a rebuild matches
    before = contents(version)
    with pytest.raises(OutputError) as error:
        run(version.parents[1], data)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"cannot repair {version}: train-00001-of-00003.parquet rebuilds")
    assert contents(version) == before


def test_a_resumed_build_rehashes_the_shards_written_before(tmp_path, reference, data):
    out = tmp_path / "out"
    run(out, data, slice=(0, 3))  # shard 0 and its record, as an interrupted build leaves them
    version = out / reference.parent.name / reference.name
    flip_byte(version / "train-00000-of-00003.parquet")  # changed since it was written
    result = run(out, data)
    assert result.state == "built" and result.rows_now == 30  # shard 0 was built again, not trusted
    assert contents(version) == contents(reference)


def test_temporary_files_a_kill_left_are_cleaned_by_the_next_run(tmp_path, reference, data):
    out = tmp_path / "out"
    run(out, data, slice=(1, 3))
    version = out / reference.parent.name / reference.name
    leftovers = [version / PROGRESS / "train-00000-of-00003.parquet.x1.tmp", version / ".manifest.json.x2.tmp",
                 version.parent / f".{version.name}.x3.tmp"]
    for path in leftovers[:2]:
        path.write_bytes(b"partial")
    leftovers[2].mkdir()
    run(out, data)
    assert not any(path.exists() for path in leftovers) and not (version / PROGRESS).exists()
    (version / PROGRESS).mkdir()  # a kill between the manifest and the clean-up
    (version / ".manifest.json.x4.tmp").write_bytes(b"{")
    assert not verify_folder(version)[0].ok
    assert run(out, data).state == "up to date"
    assert contents(version) == contents(reference) and verify_folder(version)[0].ok
    assert not (version / PROGRESS).exists()


def test_a_manifest_without_per_shard_skip_counts_is_up_to_date_and_still_repairable(version, reference, data):
    def older(manifest):  # as written before shard entries carried their skip counts
        for entry in manifest["shards"]:
            entry.pop("skipped")

    edit_manifest(older)(version)
    assert run(version.parents[1], data).state == "up to date"
    flip_byte(version / "train-00002-of-00003.parquet")
    result = run(version.parents[1], data)
    assert result.state.startswith("repaired (") and "manifest.json rewritten" not in result.state
    assert contents(version) == contents(reference)  # the other shards were rebuilt (same bytes) for their counts
