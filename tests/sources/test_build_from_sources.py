"""A small build of every source passes verify; synthetic builds hold at 4K, 16K and 128K."""

from __future__ import annotations

import pytest

from keychain.check.verify import verify_folder
from keychain.config import BuildConfig
from keychain.run.pipeline import build
from keychain.run.progress import LineReporter

from ..fixtures import (
    make_source,
    write_hotpot_file,
    write_musique_file,
    write_twowiki_file,
)

WRITERS = {
    "hotpotqa": ("hotpot.json", write_hotpot_file),
    "musique": ("musique.jsonl", write_musique_file),
    "2wiki": ("train.json", write_twowiki_file),
}


def run(tmp_path, **settings):
    config = BuildConfig(out=str(tmp_path / "out"), **settings)
    return build(config, command="test", reporter=LineReporter(open(tmp_path / "log", "w"), 3600))


@pytest.mark.parametrize("source", sorted(WRITERS))
@pytest.mark.parametrize("task", ["keychain", "plain"])
def test_file_sources_build_rows_that_verify(tmp_path, source, task):
    name, write = WRITERS[source]
    write(make_source(n_items=24, n_docs=200, seed=3), tmp_path / name)
    [result] = run(tmp_path, source=source, data_files=(str(tmp_path / name),), lengths=(4096,), task=task)
    # the task's lane: every other item of the seeded order, 12 of 24
    assert result.rows == 12 and 0.97 * 4096 <= result.n_tokens["min"] <= result.n_tokens["max"] <= 4096
    [report] = verify_folder(tmp_path / "out")
    assert report.ok and report.rows == 12


def test_synthetic_builds_at_4k_16k_and_128k_verify(tmp_path):
    results = run(tmp_path, source="synthetic", lengths=(4096, 16384, 131072), num=4, key_format="hex8")
    assert [r.config_name for r in results] == ["synthetic-keychain-4k", "synthetic-keychain-16k", "synthetic-keychain-128k"]
    for result, length in zip(results, (4096, 16384, 131072)):
        assert result.rows == 4
        assert 0.97 * length <= result.n_tokens["min"] <= result.n_tokens["max"] <= length
    reports = verify_folder(tmp_path / "out")
    assert [r.ok for r in reports] == [True, True, True]


def test_the_base_install_never_imports_torch(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; from keychain.config import BuildConfig; from keychain.run.pipeline import build;"
        "from keychain.run.progress import LineReporter; import io;"
        f"build(BuildConfig(source='synthetic', lengths=(4096,), num=2, out={str(tmp_path / 'o')!r}),"
        " command='t', reporter=LineReporter(io.StringIO()));"
        "import keychain.cli, keychain.check.verify, keychain.check.show;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"KEYCHAIN_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "[]"
