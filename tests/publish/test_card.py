"""The dataset card: parses, matches the folder, byte-stable; the folder loads with datasets."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

import keychain
from keychain.publish.card import CARD, render_card, size_category, write_card
from keychain.publish.licenses import card_licenses
from keychain.store.folder import newest_versions

from .publishing import build_two_configs


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = build_two_configs(tmp_path_factory.mktemp("card"))
    write_card(out)
    return out


def test_card_parses_and_its_configs_match_the_folder(out):
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(out / CARD)
    configs = {c["config_name"]: c["data_files"] for c in card.data.to_dict()["configs"]}
    assert configs == {
        p.config_name: [{"split": "train", "path": [f"{p.config_name}/{p.version}/{f.name}" for f in p.shard_paths()]}]
        for p in newest_versions(out)
    }
    assert all("*" not in path for entries in configs.values() for e in entries for path in e["path"])
    assert card.data.license == ["cc-by-sa-4.0", "mit"]
    assert card.data.size_categories == ["n<1K"]


def test_card_says_how_the_data_was_made(out):
    text = (out / CARD).read_text()
    for fragment in ("KeyChain", "arXiv 2510.19363", "wang2025loongrl", "HotpotQA", "yang2018hotpotqa",
                     'load_dataset("your-name/keychain-data", "synthetic-keychain-4k", split="train")',
                     "keychain build --source synthetic (test)", f"keychain=={keychain.__version__}", "| `chain_depths` |"):
        assert fragment in text, fragment


def test_card_rendering_is_byte_stable(out):
    before = (out / CARD).read_bytes()
    write_card(out)
    assert (out / CARD).read_bytes() == before == render_card(newest_versions(out)).encode()


def test_datasets_lists_and_loads_every_config_with_rows_intact(out, tmp_path):
    import datasets

    names = datasets.get_dataset_config_names(str(out))
    assert sorted(names) == sorted(p.config_name for p in newest_versions(out))
    for published in newest_versions(out):
        loaded = datasets.load_dataset(str(out), published.config_name, split="train", cache_dir=str(tmp_path))
        assert loaded.num_rows == published.rows == published.manifest["counts"]["built"]
        expected = [row for path in published.shard_paths() for row in pq.read_table(path).to_pylist()]
        assert loaded.to_list() == expected  # prompt messages and reward_model struct intact


def test_real_hotpotqa_sample_config_loads(shared_data, tmp_path):
    import datasets

    out = build_two_configs(tmp_path, shared_data / "hotpotqa_train_sample.json")
    write_card(out)
    loaded = datasets.load_dataset(str(out), "hotpotqa-keychain-8k", split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded.num_rows == 10 and loaded[0]["prompt"][1]["role"] == "user"


@pytest.mark.parametrize("rows, bucket", [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (250_000, "100K<n<1M")])
def test_size_category(rows, bucket):
    assert size_category(rows) == bucket


def test_licences_follow_the_sources():
    assert card_licenses(["musique", "musique"]) == "cc-by-4.0"
    assert card_licenses(["2wiki", "hotpotqa"]) == ["apache-2.0", "cc-by-sa-4.0"]
