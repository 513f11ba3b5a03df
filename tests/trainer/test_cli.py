"""trainer eval and passrate on the tiny run's model; bad input is one line and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq
from typer.testing import CliRunner

from trainer.cli import app


def test_eval_prints_pass_at_1_by_source_and_length(tiny_run, tmp_path):
    run_dir, _, _ = tiny_run
    model = run_dir / "stages" / "stage2" / "final"
    args = ["eval", "--model", str(model), "--data", str(run_dir / "data"), "--n", "2",
            "--max-new-tokens", "8", "--rows", "6", "--engine", "hf", "--out", str(tmp_path / "eval")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = [i for i, line in enumerate(lines) if line.startswith("data_source")][0]
    assert lines[header].split() == ["data_source", "len", "rows", "pass@1"]
    assert any(line.startswith("keychain/synthetic") and " 1k " in line for line in lines)
    assert lines[[i for i, line in enumerate(lines) if line.startswith("all")][0]].split()[1] == "6"
    report = json.loads((tmp_path / "eval" / "eval.json").read_text())
    assert sum(group["rows"] for group in report["groups"]) == 6
    assert (tmp_path / "eval" / "eval.png").stat().st_size > 0
    generations = [json.loads(line) for line in (tmp_path / "eval" / "generations.jsonl").read_text().splitlines()]
    assert len(generations) == 6 and all(len(g["completions"]) == len(g["rewards"]) == 2 for g in generations)
    assert "eval: 6/6 rows" in result.stderr  # the progress display's last line


def test_eval_with_temperature_0_is_greedy(tiny_run, tmp_path):
    run_dir, _, _ = tiny_run
    args = ["eval", "--model", str(run_dir / "stages" / "stage2" / "final"), "--data", str(run_dir / "data"), "--n", "2",
            "--max-new-tokens", "6", "--rows", "2", "--engine", "hf", "--temperature", "0", "--out", str(tmp_path / "eval")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    generations = [json.loads(line) for line in (tmp_path / "eval" / "generations.jsonl").read_text().splitlines()]
    assert all(g["completions"][0] == g["completions"][1] for g in generations)


def test_passrate_keeps_rows_in_range_as_a_shard_set(tiny_run, tmp_path):
    run_dir, _, _ = tiny_run
    model = run_dir / "stages" / "stage2" / "final"
    data = run_dir / "data" / "synthetic-keychain-1k"
    args = ["passrate", "--model", str(model), "--data", str(data), "--n", "2", "--max-new-tokens", "8",
            "--rows", "4", "--engine", "hf", "--keep", "0:1/2", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "out" / "synthetic-keychain-1k-passrate" / "v1" / "train-00000-of-00001.parquet")
    assert table.num_rows == 4 and set(table.column("pass_rate").to_pylist()) == {0.0}
    assert "kept 4 rows" in result.output


def test_bad_input_is_one_line_nonzero_and_writes_nothing(tmp_path):
    out = tmp_path / "eval"
    result = subprocess.run(
        [sys.executable, "-m", "trainer.cli", "eval", "--model", "m", "--data", str(tmp_path / "nope"), "--out", str(out)],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: ") and "no such folder" in result.stderr
    assert f"--out {tmp_path / 'nope'}` makes one" in result.stderr  # not `--out .` (the parent)
    assert not out.exists()
