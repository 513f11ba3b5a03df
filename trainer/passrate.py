"""Pass rates: ``n`` sampled completions per row, scored by the recipe's reward.

A row's pass rate is the mean reward of its ``n`` completions (``k/n`` for 0/1 rewards).
``write_shard_set`` stores rows with a ``pass_rate`` column as a versioned keychain-style
config (``OUT/CONFIG/vN/train-00000-of-00001.parquet`` + ``manifest.json`` written last),
which ``trainer run`` and ``trainer eval`` read like any keychain output. The same
settings reuse a finished version; other settings add the next one.

The paper's two uses: the source-difficulty filter keeps items a strong model solves
1-6 times out of 8 (``keep=(1/8, 6/8)``); hard-example mining drops rows solved 8/8.

Example: rewards [[1, 0, 1, 1], [0, 0, 0, 0]] -> pass rates [0.75, 0.0];
``keep_mask([0.75, 0.0], 0.1, 1.0) == [True, False]``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from keychain.digest import sha256_file

from .errors import DataError, RunError
from .rewards import score
from .rollouts.generate import Engine, Progress, Sampling, sample_completions

PASS_RATE = "pass_rate"
SHARD_FILE = "train-00000-of-00001.parquet"


def row_pass_rates(table: pa.Table, completions: list[list[str]], reward_name: str) -> list[float]:
    """Mean reward of each row's completions (``table`` has data_source and answers)."""
    sources = table.column("data_source").to_pylist()
    golds = table.column("answers").to_pylist()
    return [
        sum(score(reward_name, source, text, gold) for text in texts) / len(texts) if texts else 0.0
        for source, gold, texts in zip(sources, golds, completions, strict=True)
    ]


def pass_rates(model_path: str, table: pa.Table, sampling: Sampling, reward_name: str, engine: Engine = "auto",
               progress: Progress | None = None) -> tuple[list[float], list[list[str]]]:
    """Sample ``sampling.n`` completions per row of ``table`` and score them.

    Under a launcher with N processes each row is generated exactly once: process r
    samples rows r, r+N, ... (a vLLM tensor-parallel group shares one share), and every
    process gets all rows' completions back in row order.
    """
    from .launch.distributed import gather_rows, my_share, rank, world_size
    from .rollouts.generate import pick_engine

    chosen = pick_engine(engine)
    group = sampling.tensor_parallel_size if chosen == "vllm" else 1
    parts = max(1, world_size() // group)
    share = my_share(table.num_rows, parts, rank() // group)
    prompts, ids = table.column("prompt").to_pylist(), table.column("id").to_pylist()
    mine = sample_completions(model_path, [prompts[i] for i in share], sampling, chosen,
                              keys=[ids[i] for i in share], progress=progress)
    completions = gather_rows(table.num_rows, mine, parts, group)
    return row_pass_rates(table, completions, reward_name), completions


def keep_mask(rates: list[float], low: float, high: float) -> list[bool]:
    """Rows whose pass rate lies in [low, high] (a small tolerance for k/n floats)."""
    return [low - 1e-9 <= rate <= high + 1e-9 for rate in rates]


def parse_keep(text: str) -> tuple[float, float]:
    """``"0.125:0.75"`` or ``"1/8:6/8"`` -> (0.125, 0.75)."""
    try:
        low, high = (_fraction(part) for part in text.split(":"))
    except ValueError as error:
        raise DataError(f"--keep {text!r}: write it as LO:HI pass rates, e.g. 0.125:0.75 or 1/8:6/8") from error
    if not 0.0 <= low <= high <= 1.0:
        raise DataError(f"--keep {text!r}: need 0 <= LO <= HI <= 1")
    return low, high


def _fraction(part: str) -> float:
    top, slash, bottom = part.strip().partition("/")
    return float(top) / float(bottom) if slash else float(top)


def with_pass_rates(table: pa.Table, rates: list[float]) -> pa.Table:
    if PASS_RATE in table.column_names:
        table = table.drop_columns([PASS_RATE])
    return table.append_column(PASS_RATE, pa.array(rates, type=pa.float64()))


def finished_version(config_dir: Path, identity: dict) -> Path | None:
    """The complete version of ``config_dir`` made with ``identity``, if any."""
    from keychain.errors import KeychainError
    from keychain.store.versions import choose_version

    try:
        version, state = choose_version(config_dir, identity)
    except KeychainError as error:
        raise RunError(str(error)) from error
    return version.path if state == "complete" else None


def write_shard_set(table: pa.Table, config_dir: Path, identity: dict, extra: dict | None = None) -> Path:
    """Write ``table`` as a new (or the matching finished) version of ``config_dir``."""
    from keychain.errors import KeychainError
    from keychain.store.files import write_json_atomic
    from keychain.store.shards import COMPRESSION
    from keychain.store.versions import choose_version

    try:
        version, state = choose_version(config_dir, identity)
    except KeychainError as error:
        raise RunError(str(error)) from error
    if state == "complete":
        return version.path
    try:
        config_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version.name}.", suffix=".tmp", dir=config_dir))
    except OSError as error:
        raise RunError(f"cannot write {config_dir} ({error.strerror}); choose another output folder") from error
    try:
        from .data import numbered

        table = numbered(table)  # rows of several shard sets: extra_info.index unique again
        pq.write_table(table, staging / SHARD_FILE, compression=COMPRESSION)
        rates = table.column(PASS_RATE).to_pylist() if PASS_RATE in table.column_names else []
        shard = {"file": SHARD_FILE, "rows": table.num_rows, "bytes": (staging / SHARD_FILE).stat().st_size,
                 "sha256": sha256_file(staging / SHARD_FILE)}
        manifest = {
            "identity": identity,
            "counts": {"built": table.num_rows},
            "shards": [shard],
            "pass_rate": {"mean": sum(rates) / len(rates) if rates else None},
            **(extra or {}),
        }
        write_json_atomic(staging / "manifest.json", manifest)  # complete once the folder is renamed
        if version.path.exists():
            shutil.rmtree(version.path)  # an unfinished version with these settings
        os.rename(staging, version.path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return version.path
