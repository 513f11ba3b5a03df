"""Builds from the real HotpotQA and MuSiQue samples in ../shared/data (skipped when absent).

The issue's acceptance check: 100 rows per source at 16K, every row's n_tokens within
[15893, 16384] with cl100k_base, and every row passing verify.
"""

from __future__ import annotations

import pytest

from keychain.check.verify import verify_folder
from keychain.config import BuildConfig
from keychain.run.pipeline import build
from keychain.run.progress import LineReporter

SAMPLES = {
    "hotpotqa": "hotpotqa_train_sample.json",
    "musique": "musique_train_sample.jsonl",
}


@pytest.mark.parametrize("source", sorted(SAMPLES))
@pytest.mark.parametrize("task", ["keychain", "plain"])
def test_sample_builds_100_exact_16k_rows_that_verify(shared_data, tmp_path, source, task):
    config = BuildConfig(
        source=source,
        data_files=(str(shared_data / SAMPLES[source]),),
        lengths=(16384,),
        num=100,
        task=task,
        items="all",  # all 100 items, not the task's lane
        out=str(tmp_path),
    )
    [result] = build(config, command="test", reporter=LineReporter(open(tmp_path / "log", "w"), 3600))
    assert result.rows == 100 and sum(result.skipped.values()) == 0
    assert 15893 <= result.n_tokens["min"] and result.n_tokens["max"] <= 16384
    [report] = verify_folder(tmp_path)
    assert report.ok, [r.problems for r in report.failed_rows[:3]] + report.file_problems
    assert report.rows == 100
    if source == "hotpotqa":
        assert report.noted["answer_in_gold"] == 9  # the sample's 9 yes/no answers are reported, not failed


def test_the_loongrl_preset_on_the_hotpotqa_sample_with_a_qwen_tokenizer(shared_data, qwen_tokenizer, tmp_path, monkeypatch, capsys):
    """The issue's acceptance check, on 4 rows instead of 20 (about 2 s per Qwen-counted row here)."""
    import json

    import pyarrow.parquet as pq

    from keychain import cli
    from keychain.rows.prompts import SYSTEM_PROMPT

    out = tmp_path / "out"
    args = ["build", "--source", "hotpotqa", "--data-files", str(shared_data / SAMPLES["hotpotqa"]), "--len", "16k",
            "--num", "4", "--preset", "loongrl", "--tokenizer", qwen_tokenizer, "--out", str(out)]
    for argv in (args, ["verify", str(out)]):
        monkeypatch.setattr("sys.argv", ["keychain", *argv])
        with pytest.raises(SystemExit) as done:
            cli.main()
        assert done.value.code == 0, capsys.readouterr()
    assert "verify passed: 4 rows" in capsys.readouterr().out
    version = out / "hotpotqa-keychain-16k" / "v1"
    rows = pq.read_table(next(version.glob("*.parquet"))).to_pylist()
    for row in rows:
        assert row["num_chains"] == 64 and row["hops"] == 4 and len(row["head_key"]) == 8
        assert row["n_tokens"] > 16384 and 0.97 * 16256 <= row["context_tokens"] <= 16256
        assert row["prompt"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["config"]["preset"] == "loongrl" and manifest["lengths"]["context_tokens"]["max"] <= 16256
