"""A small published folder for the publishing tests: a synthetic 4k and a HotpotQA-format 8k build."""

from __future__ import annotations

from pathlib import Path

from keychain.config import BuildConfig
from keychain.run.pipeline import build
from keychain.run.progress import LineReporter

from ..fixtures import make_source, write_hotpot_file


def quiet(folder: Path) -> LineReporter:
    return LineReporter(open(folder / "progress.log", "w"), interval_s=3600)


def build_two_configs(folder: Path, hotpot_data: Path | None = None) -> Path:
    """``folder/out`` with ``synthetic-keychain-4k`` (12 rows) and ``hotpotqa-keychain-8k``.

    The HotpotQA config reads ``hotpot_data`` (the real sample) or an invented file in
    HotpotQA's release format.
    """
    if hotpot_data is None:
        hotpot_data = folder / "hotpot_invented.json"
        write_hotpot_file(make_source(n_items=30, n_docs=300), hotpot_data)
    out = folder / "out"
    for config in (
        BuildConfig(source="synthetic", lengths=(4096,), num=12, out=str(out)),
        BuildConfig(source="hotpotqa", data_files=(str(hotpot_data),), lengths=(8192,), num=10, out=str(out)),
    ):
        build(config, command=f"keychain build --source {config.source} (test)", reporter=quiet(folder))
    return out
