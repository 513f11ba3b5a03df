"""trainer passrate --short: the difficulty filter on source questions, and the build that reads its list."""

from __future__ import annotations

import json

import pytest

from ..fixtures import make_source, write_hotpot_file


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    pytest.importorskip("trl")
    from trainer.tiny import create_tiny_model

    return create_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def test_the_id_lists_keep_questions_solved_1_to_6_of_8(tmp_path):
    from trainer.passrate import keep_mask, parse_keep
    from trainer.short import DEFAULT_KEEP, write_id_lists

    rates = [0 / 8, 3 / 8, 8 / 8, 6 / 8]
    kept_path, all_path = write_id_lists(tmp_path, "hotpotqa-train", ["a", "b", "c", "d"], rates, 8, keep_mask(rates, *parse_keep(DEFAULT_KEEP)))
    assert [json.loads(line) for line in kept_path.read_text().splitlines()] == [
        {"id": "b", "solved": 3, "n": 8}, {"id": "d", "solved": 6, "n": 8}]
    assert [json.loads(line)["solved"] for line in all_path.read_text().splitlines()] == [0, 3, 8, 6]


def test_short_prompts_hold_the_gold_documents_only(tmp_path):
    from trainer.short import short_table

    source = make_source(n_items=5, n_docs=30)
    write_hotpot_file(source, tmp_path / "hotpot.json")
    table, split = short_table("hotpotqa", tmp_path / "hotpot.json", "train", None, 0)
    assert table.num_rows == 5 and split == "train" and set(table.column("data_source").to_pylist()) == {"plain/hotpotqa"}
    user = table.column("prompt").to_pylist()[0][1]["content"]
    item = source.items[0]
    assert user.count("Passage ") == 2 and all(source.documents[d].title in user for d in item.gold)
    assert user.endswith(f"Question: {item.question}")


def test_passrate_short_writes_the_list_keychain_build_reads(tiny_model, tmp_path, monkeypatch, capsys):
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from keychain import cli as keychain_cli
    from trainer.cli import app

    data = tmp_path / "hotpot_train.json"
    write_hotpot_file(make_source(n_items=12, n_docs=150), data)
    out = tmp_path / "filter"
    args = ["passrate", "--short", "--source", "hotpotqa", "--model", str(tiny_model), "--data", str(data), "--n", "2",
            "--max-new-tokens", "4", "--rows", "6", "--engine", "hf", "--reward", "char_share", "--keep", "0:1", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "6 questions, gold documents only" in result.output and "kept 6" in result.output
    kept = [json.loads(line)["id"] for line in (out / "hotpotqa-train-keep-ids.jsonl").read_text().splitlines()]
    assert len(kept) == 6
    monkeypatch.setattr("sys.argv", ["keychain", "build", "--source", "hotpotqa", "--data-files", str(data), "--len", "4k",
                                     "--items", "all", "--keep-ids", str(out / "hotpotqa-train-keep-ids.jsonl"), "--out", str(tmp_path / "d")])
    with pytest.raises(SystemExit) as done:
        keychain_cli.main()
    assert done.value.code == 0, capsys.readouterr()
    built = pq.read_table(next((tmp_path / "d" / "hotpotqa-keychain-4k" / "v1").glob("*.parquet")))
    assert sorted(built.column("source_id").to_pylist()) == sorted(kept)
    missing = CliRunner().invoke(app, ["passrate", "--short", "--model", str(tiny_model), "--data", str(data)])
    assert missing.exit_code != 0 and "--short needs --source" in str(missing.exception)  # one line through trainer's main
