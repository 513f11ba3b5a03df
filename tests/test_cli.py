"""The command line: every bad input gives one line naming the fix, a non-zero exit and no output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keychain.cli import main

from .fixtures import make_source, write_hotpot_file


def cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["keychain", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exited:
        code = exited.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def hotpot_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "hotpot_invented.json"
    write_hotpot_file(make_source(n_items=12, n_docs=150), path)
    return path


def assert_one_line_error(code, err, *fragments):
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_build_show_verify_round_trip(monkeypatch, capsys, tmp_path, hotpot_file):
    out = tmp_path / "out"
    code, stdout, _ = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file, "--len", "4k", "--out", out)
    assert code == 0 and "hotpotqa-keychain-4k v1: built, 6 rows, 0 skipped" in stdout  # the KeyChain lane: 6 of 12 items
    code, stdout, _ = cli(monkeypatch, capsys, "show", out, "--row", "2")
    assert code == 0 and "true chain: 4 hops among 4 chains" in stdout and "context map" in stdout
    code, stdout, _ = cli(monkeypatch, capsys, "verify", out)
    assert code == 0 and "verify passed: 6 rows" in stdout


def test_verify_exits_non_zero_and_lists_failing_rows(monkeypatch, capsys, tmp_path, hotpot_file):
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file, "--len", "4k", "--out", out)
    version = out / "hotpotqa-keychain-4k" / "v1"
    shard = next(version.glob("*.parquet"))
    table = pq.read_table(shard)
    rows = table.to_pylist()
    rows[3]["n_tokens"] += 5
    pq.write_table(type(table).from_pylist(rows, schema=table.schema), shard, compression="zstd")
    manifest = json.loads((version / "manifest.json").read_text())
    from keychain.digest import sha256_file

    manifest["shards"][0]["sha256"] = sha256_file(shard)
    (version / "manifest.json").write_text(json.dumps(manifest))
    code, stdout, _ = cli(monkeypatch, capsys, "verify", out)
    assert code == 1
    assert f"FAIL {rows[3]['id']}: n_tokens_fresh" in stdout and "verify failed: 1 of 6 rows" in stdout


def test_verify_notices_a_changed_shard(monkeypatch, capsys, tmp_path, hotpot_file):
    out = tmp_path / "out"
    cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file, "--len", "4k", "--out", out)
    shard = next(out.rglob("*.parquet"))
    shard.write_bytes(shard.read_bytes() + b"x")
    code, stdout, _ = cli(monkeypatch, capsys, "verify", out)
    assert code == 1 and "sha256 differs from the manifest" in stdout


BAD_INPUTS = {
    "unknown source": (["--source", "squad"], ["unknown source 'squad'", "hotpotqa"]),
    "misspelled source": (["--source", "hotpot"], ["unknown source 'hotpot'; did you mean hotpotqa?"]),
    "misspelled task": (["--task", "multkey"], ["did you mean multikey?"]),
    "haystack as a QA source": (["--source", "pg19"], ["pg19 is a haystack", "--task multikey, multivalue or niah"]),
    "unknown task": (["--task", "summaries"], ["unknown task", "keychain, plain"]),
    "bad length": (["--len", "16 thousand"], ["--len '16 thousand'", "16k"]),
    "unknown tokenizer": (["--tokenizer", "cl999k_base"], ["unknown tiktoken encoding"]),
    "bad key format": (["--key-format", "base64"], ["unknown --key-format"]),
    "hops for plain": (["--task", "plain", "--hops", "3"], ["--hops applies to --task keychain only"]),
    "files for synthetic": (["--source", "synthetic", "--data-files", "x.json"], ["drop --data-files"]),
}


def test_build_help_lists_every_registered_source_and_task_in_80_columns():
    from keychain.config import EXECUTORS, KEY_FORMATS, TASKS
    from keychain.sources import SOURCE_NAMES
    from keychain.tasks import HAYSTACKS

    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-m", "keychain.cli", "build", "--help"], capture_output=True, text=True, env=env, check=True)
    text = done.stdout
    words = set(text.replace(",", " ").replace(".", " ").replace(":", " ").replace("(", " ").replace(")", " ").split())
    for name in (*SOURCE_NAMES, *TASKS, *EXECUTORS, *KEY_FORMATS, *(h for h in HAYSTACKS if h != "haystack")):
        assert name in words, name
    assert "pip install 'keychain[ray]'" in " ".join(text.split())  # no markup swallows [ray]
    assert "<bool>" not in text and "<list" not in text
    assert "--chains-outside-budget / --chains-inside-budget\n" in text  # a plain switch pair, no value
    flat = " ".join(text.split())
    for name in ("exact:", "loongrl:", "loongrl-table1:"):  # every preset, with what it sets
        assert f" {name} " in flat, name
    assert "64 at 16K" in flat and "16 at 16K" in flat
    assert "--len LEN" in text and "--data-files FILE" in text
    assert max(len(line) for line in text.splitlines()) <= 80


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_flags_give_one_line_and_no_output(monkeypatch, capsys, tmp_path, case, hotpot_file):
    flags, fragments = BAD_INPUTS[case]
    out = tmp_path / "out"
    base = ["build", "--out", out, "--len", "4k"]
    if "--source" not in flags:
        base += ["--source", "hotpotqa", "--data-files", hotpot_file]
    code, _, err = cli(monkeypatch, capsys, *base, *flags)
    assert_one_line_error(code, err, *fragments)
    assert not out.exists()


def test_missing_file(monkeypatch, capsys, tmp_path):
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", tmp_path / "nope.json", "--out", out)
    assert_one_line_error(code, err, "nope.json: no such file", "--data-files")
    assert not out.exists()


def test_a_folder_as_data_files_is_named_a_folder(monkeypatch, capsys, tmp_path, hotpot_file):
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file.parent, "--out", out)
    assert_one_line_error(code, err, f"{hotpot_file.parent}: is a folder, not a data file", f"e.g. --data-files {hotpot_file}")
    assert not out.exists()


def test_a_build_short_of_num_prints_a_warning_line(monkeypatch, capsys, tmp_path, hotpot_file):
    code, stdout, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file,
                            "--len", "4k", "--num", "20", "--out", tmp_path / "out")
    assert code == 0 and "6 rows (of 20 asked: this task's share of the source (1 item in 2) has no more usable items)" in stdout
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert warnings == ["warning: hotpotqa-keychain-4k v1 holds 6 of the 20 rows asked (30%): this task's share of the source "
                        "(1 item in 2) has only 6 usable items; pass more source data or a smaller --num, or --items all"]
    code, stdout, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file,
                            "--len", "4k", "--num", "20", "--items", "all", "--out", tmp_path / "out")
    assert code == 0 and "12 rows (of 20 asked: the source has no more usable items)" in stdout
    assert "the source has only 12 usable items; pass more source data or a smaller --num\n" in err


def test_malformed_json_names_the_line(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "hotpot.json"
    bad.write_text('[\n{"_id": "a",\n "question": oops}\n]')
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", bad, "--out", out)
    assert_one_line_error(code, err, "line 3")
    assert not out.exists()


def test_malformed_jsonl_names_the_line(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "musique.jsonl"
    bad.write_text('{"id": "a"}\n{"id": "b"\n')
    code, _, err = cli(monkeypatch, capsys, "build", "--source", "musique", "--data-files", bad, "--out", tmp_path / "out")
    assert_one_line_error(code, err, "line 2", "not valid JSON")


def test_records_missing_fields(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "hotpot.json"
    bad.write_text(json.dumps([{"_id": "a", "question": "Q?", "answer": "x", "context": []}]))
    code, _, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", bad, "--out", tmp_path / "out")
    assert_one_line_error(code, err, "missing field", "supporting_facts")


def test_budget_too_small_for_the_template(monkeypatch, capsys, tmp_path, hotpot_file):
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file, "--len", "300", "--chains", "3", "--out", out)
    assert_one_line_error(code, err, "--len 300 cannot hold the prompt template and 3 chains", "larger --len")
    assert not out.exists()


def test_pool_too_small_to_fill(monkeypatch, capsys, tmp_path, hotpot_file):
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file, "--len", "128k", "--chains", "4", "--out", out)
    assert_one_line_error(code, err, "pool holds about", "smaller --len or more data")
    assert not out.exists()


def test_too_few_questions_for_the_chains(monkeypatch, capsys, tmp_path, hotpot_file):
    code, _, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file, "--len", "16k", "--out", tmp_path / "o")
    assert_one_line_error(code, err, "16 chains need 15 decoy questions", "--chains 12 or fewer")


def test_gold_too_long_for_the_length_is_skipped_and_counted(monkeypatch, capsys, tmp_path):
    source = make_source(n_items=12, n_docs=150)
    item = source.items[0]
    long_doc = source.documents[item.gold[0]]
    import dataclasses

    documents = list(source.documents)
    documents[item.gold[0]] = dataclasses.replace(long_doc, sentences=long_doc.sentences * 300)
    data = tmp_path / "hotpot.json"
    write_hotpot_file(dataclasses.replace(source, documents=tuple(documents)), data)
    out = tmp_path / "out"
    code, stdout, _ = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", data, "--len", "4k", "--out", out, "--items", "all")
    assert code == 0 and "11 rows, 1 skipped (gold_too_long 1)" in stdout
    manifest = json.loads(next(out.rglob("manifest.json")).read_text())
    assert manifest["counts"]["skipped"] == {"gold_too_long": 1}


def test_unwritable_output(monkeypatch, capsys, tmp_path, hotpot_file):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file, "--out", blocker / "out")
    assert_one_line_error(code, err, "cannot write to", "choose another --out")


def test_existing_version_with_other_settings(monkeypatch, capsys, tmp_path, hotpot_file):
    out = tmp_path / "out"
    args = ["build", "--source", "hotpotqa", "--data-files", hotpot_file, "--len", "4k", "--out", out]
    cli(monkeypatch, capsys, *args)
    code, _, err = cli(monkeypatch, capsys, *args, "--seed", "3", "--version-number", "1")
    assert_one_line_error(code, err, "was built with other settings", "seed: 0 -> 3")
    assert sorted(p.name for p in (out / "hotpotqa-keychain-4k").iterdir()) == [".v1.lock", "v1"]


def test_show_and_verify_of_a_missing_folder(monkeypatch, capsys, tmp_path):
    code, _, err = cli(monkeypatch, capsys, "verify", tmp_path / "nothing")
    assert_one_line_error(code, err, "no such folder")
    (tmp_path / "empty").mkdir()
    code, _, err = cli(monkeypatch, capsys, "show", tmp_path / "empty")
    assert_one_line_error(code, err, "no finished build")


def test_show_row_out_of_range(monkeypatch, capsys, tmp_path, hotpot_file):
    out = tmp_path / "out"
    cli(monkeypatch, capsys, "build", "--source", "hotpotqa", "--data-files", hotpot_file, "--len", "4k", "--out", out)
    code, _, err = cli(monkeypatch, capsys, "show", out, "--row", "99")
    assert_one_line_error(code, err, "--row 99 is out of range", "rows 0..5")


def test_debug_variable_shows_the_traceback(tmp_path):
    env = {"KEYCHAIN_DEBUG": "1", "KEYCHAIN_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "keychain.cli", "build", "--source", "squad", "--out", str(tmp_path / "o")]
    quiet = subprocess.run(command, capture_output=True, text=True, env={**env, "KEYCHAIN_DEBUG": "0"})
    assert quiet.returncode == 2 and quiet.stderr.count("\n") == 1
    loud = subprocess.run(command, capture_output=True, text=True, env=env)
    assert loud.returncode != 0 and "Traceback (most recent call last)" in loud.stderr
    assert "ConfigError: unknown source 'squad'" in loud.stderr
