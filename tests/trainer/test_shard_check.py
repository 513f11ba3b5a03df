"""Shards are checked against their manifest before use: a damaged shard never reaches training."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from trainer.data import read_rows, resolve_shard_sets
from trainer.errors import DataError
from trainer.recipe import load_recipe
from trainer.shard_check import verify_shard_sets

from .conftest import RECIPES

SHARD = "synthetic-keychain-1k/v1/train-00000-of-00001.parquet"


def _data_copy(tiny_run, tmp_path):
    source, _, _ = tiny_run
    return shutil.copytree(source / "data", tmp_path / "data")


def test_a_flipped_byte_stops_the_stage_and_hashes_are_cached_by_mtime(tiny_run, tmp_path):
    data = _data_copy(tiny_run, tmp_path)
    stage = load_recipe(RECIPES / "tiny.yaml", output_dir=str(tmp_path)).stages[1]  # reads both shard sets
    cache = tmp_path / "cache.json"
    lines = []

    def verify():
        verify_shard_sets(stage.name, [found for source in stage.data for found in resolve_shard_sets(source.path)],
                          cache, lines.append)

    verify()
    assert lines == ["stage stage1: 2 shard(s) match their manifest's sha256"]
    verify()
    assert len(lines) == 1  # second start: nothing hashed again
    shard = data / SHARD
    blob = bytearray(shard.read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # same size, other content, newer mtime
    shard.write_bytes(bytes(blob))
    with pytest.raises(DataError, match=r"train-00000-of-00001.parquet: sha256 \w+\.\.\. differs from the manifest's"):
        verify()


def test_a_shard_of_another_size_or_outside_its_folder_is_refused(tiny_run, tmp_path):
    data = _data_copy(tiny_run, tmp_path)
    with (data / SHARD).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(DataError, match=r"bytes, the manifest says \d+ \(damaged or replaced\)"):
        read_rows(data / "synthetic-keychain-1k")
    manifest_path = data / "synthetic-plain-1k" / "v1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["shards"][0]["file"] = "../../../outside.parquet"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"names shard '../../../outside.parquet', which is not a file in"):
        read_rows(data / "synthetic-plain-1k")


def test_eval_on_a_damaged_shard_is_one_line_before_any_model_loads(tiny_run, tmp_path):
    data = _data_copy(tiny_run, tmp_path)
    shard = data / SHARD
    blob = bytearray(shard.read_bytes())
    blob[100] ^= 0x01
    shard.write_bytes(bytes(blob))
    os.utime(shard, ns=(1, 1))
    result = subprocess.run([sys.executable, "-m", "trainer.cli", "eval", "--model", "nope", "--data", str(data),
                             "--out", str(tmp_path / "eval")], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "differs from the manifest's" in result.stderr and not (tmp_path / "eval").exists()
