"""Hard-example mining before a stage (LoongRL stage II).

The current checkpoint samples ``mine.rollouts`` completions (paper: 8) per row of the
stage's data; the rows and their pass rates are written as a shard set in the run folder
(``RUN/mined/STAGE/mined-STAGE/vN/``), and the stage trains only on rows whose pass rate
is below ``mine.pass_rate_below`` (paper: drop rows solved 8/8; it kept 30-40%). A
re-run finds the finished shard set for the same checkpoint and settings and samples
nothing.

Example: pass rates [1.0, 0.5, 0.0] with ``pass_rate_below: 1.0`` -> rows 2 and 3 kept.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import pyarrow as pa

from .errors import DataError
from .passrate import (
    PASS_RATE,
    finished_version,
    pass_rates,
    with_pass_rates,
    write_shard_set,
)
from .rollouts.generate import Sampling


@dataclass
class MineReport:
    pool: int  # rows scored
    kept: int  # rows below the threshold
    mean_pass_rate: float
    shard_set: str  # version folder of the mined shard set

    def line(self) -> str:
        share = self.kept / self.pool if self.pool else 0.0
        return (f"mined {self.pool} rows (mean pass rate {self.mean_pass_rate:.3f}): kept {self.kept} "
                f"({share:.0%}) -> {self.shard_set}")


def _pool(table: pa.Table, max_rows: int | None, seed: str) -> pa.Table:
    if max_rows is None or max_rows >= table.num_rows:
        return table
    picked = sorted(random.Random(seed).sample(range(table.num_rows), max_rows))
    return table.take(pa.array(picked, type=pa.int64()))


def _ids_digest(table: pa.Table) -> str:
    return hashlib.sha256("\n".join(table.column("id").to_pylist()).encode()).hexdigest()


def mine_stage(recipe, stage, table: pa.Table, model_path: str, run, engine: str, log) -> tuple[pa.Table, MineReport]:
    """Rows of ``table`` the model at ``model_path`` does not always solve, and a report.

    Under N processes each pool row is sampled once (``pass_rates`` splits the rows), the
    main process writes the shard set and every process reads it back.
    """
    from .launch.distributed import main_first
    from .rollouts.progress import RowProgress

    mine, rollout = stage.mine, recipe.rollout
    pool = _pool(table, mine.max_rows, f"{recipe.seed}:{stage.name}:mine")
    sampling = Sampling(
        n=mine.rollouts, max_new_tokens=stage.grpo.max_completion_length,
        temperature=rollout.temperature, top_p=rollout.top_p, top_k=rollout.top_k, seed=recipe.seed,
        tensor_parallel_size=rollout.tensor_parallel_size, gpu_memory_utilization=rollout.gpu_memory_utilization,
        max_model_length=rollout.max_model_length, server_url=rollout.server_url,
        assistant_prefix=recipe.model.assistant_prefix,
    )
    identity = {
        "model": model_path, "reward": recipe.reward.name, "rows": pool.num_rows, "ids_sha256": _ids_digest(pool),
        "rollouts": mine.rollouts, "max_new_tokens": sampling.max_new_tokens,
        "temperature": sampling.temperature, "top_p": sampling.top_p, "top_k": sampling.top_k, "seed": sampling.seed,
        **({"assistant_prefix": sampling.assistant_prefix} if sampling.assistant_prefix else {}),
    }
    config_dir = run.mined(stage.name) / f"mined-{stage.name}"
    version = main_first(lambda: finished_version(config_dir, identity))  # one answer for every process
    if version is None:
        log(f"stage {stage.name}: mining {pool.num_rows} rows x {mine.rollouts} rollouts with {model_path}")
        if engine == "server":  # the server holds the base model: give it the stage's start model
            from .rollouts.vllm_engine import push_weights

            main_first(lambda: push_weights(model_path, sampling))
        with RowProgress(f"stage {stage.name}: mining", pool.num_rows, mine.rollouts) as advance:
            rates, _ = pass_rates(model_path, pool, sampling, recipe.reward.name, engine, progress=advance)
        scored = with_pass_rates(pool, rates)
        version = main_first(lambda: write_shard_set(scored, config_dir, identity, {"stage": stage.name}))
    from .data import check_shards, read_rows, resolve_shard_sets

    main_first(lambda: check_shards(resolve_shard_sets(version)))  # hashed once, not once per process
    mined, _ = read_rows(version, hashes=False)
    rates = mined.column(PASS_RATE).to_pylist()
    kept = mined.filter(pa.array([rate < mine.pass_rate_below for rate in rates]))
    report = MineReport(mined.num_rows, kept.num_rows, sum(rates) / len(rates), str(version))
    if kept.num_rows == 0:
        raise DataError(
            f"stage {stage.name}: every mined row has pass rate >= {mine.pass_rate_below} ({report.line()}); "
            "raise mine.pass_rate_below or give the stage harder data"
        )
    return kept, report
