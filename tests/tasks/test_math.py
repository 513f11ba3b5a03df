"""Math tasks: MathQA and DAPO-Math files in their original formats, short rows, verify."""

from __future__ import annotations

import json

import pytest

from keychain.check.verify import iter_rows, verify_folder
from keychain.config import BuildConfig
from keychain.errors import ConfigError, InputError
from keychain.run.pipeline import build
from keychain.sources import SourceRequest, load_source
from keychain.sources.dapo_math import DAPO_PREFIX, DAPO_SUFFIX
from keychain.sources.mathqa import parse_options
from keychain.store.versions import read_manifest


@pytest.fixture
def mathqa_file(tmp_path):
    records = [
        {"Problem": f"a car goes {6 * i} km in {i} hours . what is its speed in km / h ?", "Rationale": "speed = distance / time",
         "options": f"a ) {i} , b ) 6 , c ) {i + 7} , d ) {i + 8} , e ) {i + 9}", "correct": "b",
         "annotated_formula": "divide(n0, n1)", "linear_formula": "divide(n0,n1)|", "category": "physics"}
        for i in range(1, 9)
    ]
    path = tmp_path / "train.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.fixture
def dapo_file(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {"data_source": "math_dapo", "prompt": [{"content": DAPO_PREFIX + f"Find $x$ if $x + {i} = {3 * i}$." + DAPO_SUFFIX, "role": "user"}],
         "ability": "MATH", "reward_model": {"ground_truth": str(2 * i), "style": "rule-lighteval/MATH_v2"}, "extra_info": {"index": f"u{i}"}}
        for i in range(1, 7)
    ]
    path = tmp_path / "dapo.parquet"
    pq.write_table(pa.Table.from_pylist(rows * 3), path)  # the release repeats every problem
    return path


def test_parse_options_of_the_original_string():
    assert parse_options("a ) 12 , b ) 1 / 2 , c ) rs . 18") == [("A", "12"), ("B", "1 / 2"), ("C", "rs . 18")]


def test_mathqa_build_passes_verify(tmp_path, mathqa_file):
    out = tmp_path / "out"
    (result,) = build(BuildConfig(source="mathqa", task="choice", lengths=(4096,), data_files=(str(mathqa_file),), out=str(out)), command="t")
    assert result.config_name == "mathqa-choice" and result.rows == 8
    assert all(r.ok for r in verify_folder(out))
    row = next(iter_rows(result.path, read_manifest(result.path)))
    assert row["data_source"] == "choice/mathqa" and row["answers"] == ["B"] and "E) " in row["question"]
    assert "\\boxed{}" in row["prompt"][1]["content"] and row["needles"] is None


def test_dapo_build_dedupes_and_takes_the_problem_out_of_the_wrapper(tmp_path, dapo_file):
    out = tmp_path / "out"
    (result,) = build(BuildConfig(source="dapo-math", task="math", lengths=(4096,), data_files=(str(dapo_file),), out=str(out), num=4), command="t")
    manifest = read_manifest(result.path)
    assert result.rows == 4 and manifest["source"]["skipped_at_load"] == {"duplicate_id": 12}
    assert all(r.ok for r in verify_folder(out))
    for row in iter_rows(result.path, manifest):
        assert row["question"].startswith("Find $x$") and "Answer:" not in row["prompt"][1]["content"]


def test_a_problem_longer_than_the_cap_is_skipped(tmp_path, dapo_file):
    source = load_source("dapo-math", SourceRequest(data_files=(dapo_file,)))
    assert len(source.items) == 6
    (result,) = build(BuildConfig(source="dapo-math", task="math", lengths=(256,), data_files=(str(dapo_file),), out=str(tmp_path / "o")), command="t")
    assert result.rows == 6  # short problems fit even 256 tokens


def test_bad_math_inputs_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"Problem": "x", "options": "no letters", "correct": "a"}]), encoding="utf-8")
    with pytest.raises(InputError, match="record 1.*options"):
        load_source("mathqa", SourceRequest(data_files=(bad,)))
    with pytest.raises(ConfigError, match="use it with --task choice"):
        BuildConfig(source="mathqa", lengths=(4096,))
    with pytest.raises(ConfigError, match="use --source dapo-math"):
        BuildConfig(source="synthetic", task="math", lengths=(4096,))


def test_the_templates_assistant_prefix_is_counted(tmp_path, dapo_file, mathqa_file):
    from keychain.rows.tokens import load_counter

    counter = load_counter("cl100k_base")
    path = tmp_path / "t.yaml"
    path.write_text('assistant_prefix: "<think>"\n', encoding="utf-8")
    for source, task, data in (("dapo-math", "math", dapo_file), ("mathqa", "choice", mathqa_file)):
        out = tmp_path / source
        cfg = BuildConfig(source=source, task=task, lengths=(4096,), data_files=(str(data),), template=str(path), out=str(out))
        (result,) = build(cfg, command="t")
        assert result.rows > 0 and all(r.ok for r in verify_folder(out))
        for row in iter_rows(result.path, read_manifest(result.path)):
            assert row["n_tokens"] == counter.count_prompt(row["prompt"]) + counter.count("<think>")
