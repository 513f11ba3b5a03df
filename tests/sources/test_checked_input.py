"""Checked input: split names per source, a file named for another split, a file of another source."""

from __future__ import annotations

import pytest

from keychain.config import BuildConfig
from keychain.errors import ConfigError, InputError
from keychain.sources import SourceRequest, load_source
from keychain.sources.shape import looks_like
from keychain.sources.splits import SPLITS

from ..fixtures import (
    make_source,
    write_hotpot_file,
    write_musique_file,
    write_twowiki_file,
)

WRITERS = {"hotpotqa": (write_hotpot_file, "json"), "musique": (write_musique_file, "jsonl"), "2wiki": (write_twowiki_file, "json")}


@pytest.mark.parametrize("source", sorted(SPLITS))
def test_every_split_a_source_has_is_accepted_and_dev_is_validation(source):
    task = {"dapo-math": "math", "mathqa": "choice", "pg19": "niah", "haystack": "niah"}.get(source, "keychain")
    files = ("book.txt",) if source == "haystack" else ()
    for split in SPLITS[source]:
        assert BuildConfig(source=source, task=task, lengths=(4096,), split=split, data_files=files).split == split
    if "validation" in SPLITS[source]:
        config = BuildConfig(source=source, task=task, lengths=(4096,), split="dev", data_files=files)
        assert config.split == "validation" and config.config_name(4096).endswith("-validation")


@pytest.mark.parametrize(
    "source, split, message",
    [
        ("hotpotqa", "tran", "--split 'tran' is not a split of hotpotqa; did you mean train? choose one of train, validation, dev"),
        ("hotpotqa", "test", "not a split of hotpotqa; choose one of train, validation, dev"),
        ("dapo-math", "validation", "not a split of dapo-math; choose one of train"),
    ],
)
def test_other_split_names_are_refused_with_the_list(source, split, message):
    task = "math" if source == "dapo-math" else "keychain"
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")):
        BuildConfig(source=source, task=task, lengths=(4096,), split=split)


@pytest.mark.parametrize("name, split", [("hotpot_train_v1.1.json", "validation"), ("hotpot_dev_distractor_v1.json", "train"),
                                         ("musique_ans_v1.0_dev.jsonl", "train"), ("train.json", "validation")])
def test_a_file_named_for_another_split_is_refused(tmp_path, name, split):
    source = "musique" if name.endswith("jsonl") else "hotpotqa"
    write, _ = WRITERS[source]
    write(make_source(n_items=4, n_docs=20), tmp_path / name)
    with pytest.raises(InputError, match=f"the file name says it holds the (train|validation) split, but --split is {split}"):
        load_source(source, SourceRequest(split=split, data_files=(tmp_path / name,)))


@pytest.mark.parametrize("written", sorted(WRITERS))
@pytest.mark.parametrize("asked", sorted(WRITERS))
def test_a_file_of_another_source_is_refused_naming_the_source_it_looks_like(tmp_path, written, asked):
    write, suffix = WRITERS[written]
    path = tmp_path / f"records.{suffix}"
    write(make_source(n_items=4, n_docs=20), path)
    request = SourceRequest(data_files=(path,))
    if written == asked:
        assert len(load_source(asked, request).items) == 4
        return
    titles = {"hotpotqa": "HotpotQA", "musique": "MuSiQue", "2wiki": "2WikiMultiHopQA"}
    with pytest.raises(InputError, match=f"its records look like {titles[written]} .*; pass --source {written}"):
        load_source(asked, request)


def test_the_real_samples_are_recognised(shared_data):
    import json

    hotpot = json.loads((shared_data / "hotpotqa_train_sample.json").read_text(encoding="utf-8"))[0]
    musique = json.loads((shared_data / "musique_train_sample.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert (looks_like(hotpot), looks_like(musique)) == ("hotpotqa", "musique")
    with pytest.raises(InputError, match="look like HotpotQA"):
        load_source("2wiki", SourceRequest(data_files=(shared_data / "hotpotqa_train_sample.json",)))
    with pytest.raises(InputError, match="the file name says it holds the train split, but --split is validation"):
        load_source("hotpotqa", SourceRequest(split="validation", data_files=(shared_data / "hotpotqa_train_sample.json",)))
