"""Which items a build takes: lanes of the seeded order per task, and --keep-ids."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from keychain.config import BuildConfig
from keychain.errors import InputError
from keychain.run import pipeline
from keychain.run.keep import read_keep_ids
from keychain.run.progress import LineReporter
from keychain.store.versions import read_manifest


def build(tmp_path, out, hotpot_file, **settings):
    settings.setdefault("lengths", (4096,))
    config = BuildConfig(source="hotpotqa", data_files=(str(hotpot_file),), out=str(out), **settings)
    return pipeline.build(config, command="test", reporter=LineReporter(open(tmp_path / "log", "a"), interval_s=3600))


def source_ids(version: Path) -> list[str]:
    return [i for shard in sorted(version.glob("*.parquet")) for i in pq.read_table(shard).column("source_id").to_pylist()]


def test_keychain_and_plain_builds_into_one_out_share_no_item(tmp_path, hotpot_file):
    out = tmp_path / "out"
    [keychain] = build(tmp_path, out, hotpot_file, task="keychain")
    [plain] = build(tmp_path, out, hotpot_file, task="plain", lengths=(8192,))  # another length too: still disjoint
    ids = {"keychain": source_ids(keychain.path), "plain": source_ids(plain.path)}
    assert len(ids["keychain"]) == len(ids["plain"]) == 15
    assert not set(ids["keychain"]) & set(ids["plain"])
    assert set(ids["keychain"]) | set(ids["plain"]) == {f"item{j:04d}" for j in range(30)}  # together: every item once
    assert read_manifest(keychain.path)["config"]["lane"] == [0, 2]
    [every] = build(tmp_path, tmp_path / "all", hotpot_file, task="plain", items="all")
    assert len(source_ids(every.path)) == 30 and read_manifest(every.path)["config"]["lane"] == [0, 1]


def test_the_same_task_at_two_lengths_asks_the_same_questions(tmp_path, hotpot_file):
    results = build(tmp_path, tmp_path / "out", hotpot_file, lengths=(4096, 8192), num=5)
    assert source_ids(results[0].path) == source_ids(results[1].path)


@pytest.mark.parametrize(
    "text",
    [
        "item0001\nitem0002\n\nitem0004\nitem0009\n",
        '{"id": "item0001", "solved": 3}\n{"id": "item0002"}\n{"id": "item0004"}\n{"id": "item0009"}\n',
        '["item0001", "item0002", "item0004", "item0009"]',
    ],
)
def test_keep_ids_files_in_every_format(tmp_path, text):
    path = tmp_path / "ids"
    path.write_text(text)
    assert read_keep_ids(path) == {"item0001", "item0002", "item0004", "item0009"}


@pytest.mark.parametrize(
    "text, message",
    [("", "holds no ids"), ('{"name": "x"}\n', "line 1: no 'id' field"), ('{"id": \n', "line 1: not valid JSON"), ("[1, {}]", "must hold strings")],
)
def test_bad_keep_ids_files_are_refused(tmp_path, text, message):
    path = tmp_path / "ids"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_keep_ids(path)


def test_keep_ids_builds_only_the_listed_items_and_the_manifest_records_the_list(tmp_path, hotpot_file):
    keep = [f"item{j:04d}" for j in range(0, 30, 3)] + ["not-in-source"]
    ids_file = tmp_path / "keep.jsonl"
    ids_file.write_text("".join(json.dumps({"id": i}) + "\n" for i in keep))
    [result] = build(tmp_path, tmp_path / "out", hotpot_file, items="all", keep_ids=str(ids_file))
    assert sorted(source_ids(result.path)) == keep[:-1]
    manifest = read_manifest(result.path)
    assert manifest["identity"]["inputs"]["keep_ids"]["name"] == "keep.jsonl"
    assert manifest["config"]["keep_ids"] == str(ids_file) and manifest["counts"]["not_kept"] == 20
    [lane] = build(tmp_path, tmp_path / "lane", hotpot_file, keep_ids=str(ids_file))  # the KeyChain lane of the list
    assert set(source_ids(lane.path)) < set(keep) and len(source_ids(lane.path)) < 10


def test_keep_ids_that_match_no_item_are_refused_before_writing(tmp_path, hotpot_file):
    ids_file = tmp_path / "keep.txt"
    ids_file.write_text("5a8b57f25542995d1e6f1371\n")
    with pytest.raises(InputError, match="none of its 1 ids is an item of hotpotqa train"):
        build(tmp_path, tmp_path / "out", hotpot_file, keep_ids=str(ids_file))
    assert not (tmp_path / "out" / "hotpotqa-keychain-4k").exists()
    with pytest.raises(InputError, match="no such file"):
        build(tmp_path, tmp_path / "out", hotpot_file, keep_ids=str(tmp_path / "missing.txt"))
