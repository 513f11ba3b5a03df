"""verify over folders: foreign files, manifest paths, damaged sets, what the report lists.

Issue 14 items 4 and 5 (a stray shard from another seed, a manifest path leading out of
the folder: both used to pass) and issue 13 item 8 (only the checks that apply, the ids
of reported rows, the readable rows of a damaged set).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from keychain.check.row_checks import applicable_checks
from keychain.check.show import read_row
from keychain.check.verify import verify_folder
from keychain.config import BuildConfig
from keychain.errors import OutputError
from keychain.run import pipeline
from keychain.run.progress import LineReporter
from keychain.store.folder import newest_versions
from keychain.store.versions import MANIFEST, shard_file

from ..fixtures import make_source, write_hotpot_file


def build(out: Path, tmp: Path, seed: int = 0, **settings) -> Path:
    data = tmp / "hotpot.json"
    if not data.exists():
        write_hotpot_file(make_source(n_items=24, n_docs=200), data)
    config = BuildConfig(source="hotpotqa", data_files=(str(data),), lengths=(4096,), out=str(out), seed=seed, items="all", **settings)
    [result] = pipeline.build(config, command="keychain build (test)", reporter=LineReporter(open(tmp / "log", "w"), 3600))
    return result.path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("verify")
    return build(tmp / "a", tmp, shard_rows=10), build(tmp / "b", tmp, seed=7)


@pytest.fixture()
def version(built, tmp_path) -> Path:
    copy = shutil.copytree(built[0].parents[1], tmp_path / "out")
    return copy / built[0].relative_to(built[0].parents[1])


def edit_manifest(version: Path, edit) -> None:
    manifest = json.loads((version / MANIFEST).read_text())
    edit(manifest)
    (version / MANIFEST).write_text(json.dumps(manifest))


def test_a_shard_the_manifest_does_not_list_fails_verify_and_is_not_in_the_card(version, built):
    foreign = next(built[1].glob("*.parquet"))
    shutil.copy(foreign, version / "train-00000-of-00009.parquet")  # another seed's rows
    [report] = verify_folder(version)
    assert not report.ok and report.rows == 24
    assert any("train-00000-of-00009.parquet is not listed in the manifest" in p for p in report.file_problems)
    [published] = newest_versions(version.parents[1])
    assert published.data_files == [f"{published.folder}/{p.name}" for p in sorted(version.glob("train-*-of-00003.parquet"))]


def test_leftovers_and_non_plots_in_a_version_fail_verify(version):
    (version / ".manifest.json.x1.tmp").write_text("{}")
    (version / "stats").mkdir()
    (version / "stats" / "prompt_lengths.png").write_bytes(b"png")
    (version / "stats" / "notes.parquet").write_bytes(b"x")
    [report] = verify_folder(version)
    problems = " | ".join(report.file_problems)
    assert "leftover of an interrupted run" in problems and "stats/notes.parquet is not a plot" in problems
    assert "prompt_lengths.png" not in problems


@pytest.mark.parametrize("name", ["../../../outside/secret.parquet", "/etc/passwd", "..", "sub/train.parquet", 7])
def test_a_manifest_path_outside_its_version_is_refused_everywhere(version, name, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(next(version.glob("*.parquet")), outside / "secret.parquet")
    def add_shard(manifest):
        manifest["shards"].append({**manifest["shards"][0], "file": name})
        manifest["counts"]["built"] += manifest["shards"][0]["rows"]

    edit_manifest(version, add_shard)
    [report] = verify_folder(version)
    assert not report.ok and any("which is not a file in" in p for p in report.file_problems)
    with pytest.raises(OutputError, match="not a file in"):
        newest_versions(version.parents[1])[0].shard_paths()
    with pytest.raises(OutputError, match="not a file in"):
        read_row(version, 29)
    from trainer.data import DataError, resolve_shard_sets

    with pytest.raises(DataError, match="not a file in"):
        resolve_shard_sets(version)


def test_a_link_leading_out_of_the_version_is_refused(version, tmp_path):
    target = tmp_path / "elsewhere.parquet"
    shard = next(version.glob("*.parquet"))
    shutil.move(shard, target)
    shard.symlink_to(target)
    with pytest.raises(OutputError, match="not a file in"):
        shard_file(version, shard.name)


def test_a_damaged_set_still_checks_its_readable_rows(version):
    shards = sorted(version.glob("*.parquet"))
    shards[1].write_bytes(shards[1].read_bytes()[:200])  # truncated
    shards[2].unlink()
    [report] = verify_folder(version)
    assert not report.ok and report.rows == 10 and not report.failed_rows  # shard 0 read and checked
    problems = " | ".join(report.file_problems)
    assert "train-00001-of-00003.parquet sha256 differs" in problems and "train-00002-of-00003.parquet is missing" in problems


def test_a_damaged_manifest_is_a_file_problem_not_a_crash(version):
    edit_manifest(version, lambda m: m.pop("counts"))
    [report] = verify_folder(version)
    assert not report.ok and "manifest.json is damaged" in report.file_problems[0]


def test_only_the_checks_of_the_rows_tasks_are_listed():
    names = lambda tasks: [name for name, _ in applicable_checks(tasks)]  # noqa: E731
    assert "needles_found" not in names({"keychain"}) and "chain_resolves" in names({"keychain"})
    assert "chain_resolves" not in names({"plain"}) and "plain_clean" in names({"plain"})
    assert names({"niah"}) == ["schema", "n_tokens_fresh", "budget", "answers", "unique_id", "needles_found",
                               "needles_unique", "needle_depth", "answers_in_context"]
    assert set(names({"keychain", "niah"})) == set(names({"keychain"})) | set(names({"niah"}))


def test_verify_lists_the_ids_of_reported_rows(tmp_path, monkeypatch, capsys):
    import sys

    from keychain.cli import main

    source = make_source(n_items=24, n_docs=200)
    data = tmp_path / "hotpot.json"
    write_hotpot_file(source, data)
    records = json.loads(data.read_text())
    for record in records[:7]:  # yes/no answers are reported, not failed
        record["answer"] = "yes"
        record["context"][1][1][0] += " The answer is yes."
    data.write_text(json.dumps(records))
    config = BuildConfig(source="hotpotqa", data_files=(str(data),), lengths=(4096,), out=str(tmp_path / "out"), items="all")
    pipeline.build(config, command="keychain build (test)", reporter=LineReporter(open(tmp_path / "log", "w"), 3600))
    monkeypatch.setattr(sys, "argv", ["keychain", "verify", str(tmp_path / "out")])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr().out
    assert exited.value.code in (0, None)
    text = " ".join(out.split())  # rich wraps long lines
    listed = text[text.index("reported answer_in_gold:") : text.index("verify passed")]
    assert listed.count("hotpotqa-train-keychain-4k-") == 5 and "(7 in all)" in listed
    assert "needles_found" not in out and "plain_clean" not in out and "chain_resolves" in out
