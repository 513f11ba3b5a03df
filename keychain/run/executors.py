"""Where shards are built: this process (with optional forked workers) or a Ray cluster.

A shard is a pure function of the resolved build config and its shard index: the rows it
holds (``ShardTask.rows``, fixed by the plan) and each row's bytes depend on nothing else.
So any executor, any worker count, and any split of the shards into slices writes the
same bytes, and a shard can be built on whichever machine sees the output folder.

* ``local``: shards in order in this process; ``--workers N`` hands chunks of rows to N
  forked processes and writes them back in order.
* ``ray``: one Ray task per shard (``--executor ray [--ray-address ADDR]``); each Ray
  worker process loads the source once and writes its shards straight into the shared
  output folder. Ray is an optional extra: ``pip install 'keychain[ray]'``.

Example (what a task carries; the row pairs are (row index, source item index)):
    >>> ShardTask(shard=3, rows=((6144, 17), (6145, 2))).row_count
    2
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

import pyarrow as pa

from ..errors import ConfigError

if TYPE_CHECKING:  # imported lazily at run time to keep Ray workers light
    from ..config import BuildConfig
    from ..rows.build import RowBuilder
    from ..store.shards import VersionWriter
    from ..store.versions import Version
    from .progress import Reporter

CHUNK_ROWS = 8  # rows per task handed to a forked worker


@dataclass(frozen=True)
class ShardTask:
    shard: int
    rows: tuple[tuple[int, int], ...]

    @property
    def row_count(self) -> int:
        return len(self.rows)


# ------------------------------------------------------------------- local
def build_batch(builder: RowBuilder, schema: pa.Schema, chunk: Sequence[tuple[int, int]]) -> tuple[pa.Table, list[str]]:
    """Rows of one chunk as an Arrow table (built where the rows are), and skip reasons.

    Every executor cuts shards into the same chunks, so shards are byte-identical
    however they are built; a worker sends one compact table, not thousands of dicts.
    Each row passes verify's checks (all but the fresh count, just taken) before it is
    kept: a row verify would reject is a skip named ``verify_<check>``, never written.
    """
    from ..check.row_checks import check_row
    from ..rows.spec import Skip

    outside = bool(getattr(builder.spec, "chains_outside_budget", False))
    rows, skipped = [], []
    for index, item in chunk:
        result = builder.build(index, builder.source.items[item])
        if isinstance(result, Skip):
            skipped.append(result.reason)
            continue
        problems = check_row(result, None, builder.template, outside).problems
        if problems:
            skipped.append(f"verify_{problems[0][0]}")
        else:
            rows.append(result)
    return pa.Table.from_pylist(rows, schema=schema), skipped


def chunks_of(task: ShardTask) -> list[tuple[tuple[int, int], ...]]:
    return [task.rows[start : start + CHUNK_ROWS] for start in range(0, task.row_count, CHUNK_ROWS)]


# Forked workers inherit the builder and schema; only row positions travel to them.
_WORKER: tuple[RowBuilder, pa.Schema] | None = None


def _build_chunk(chunk: Sequence[tuple[int, int]]) -> tuple[pa.Table, list[str]]:
    builder, schema = _WORKER
    return build_batch(builder, schema, chunk)


def _chunk_results(builder: RowBuilder, schema: pa.Schema, chunks: list, workers: int) -> Iterator[tuple[pa.Table, list[str]]]:
    global _WORKER
    _WORKER = (builder, schema)
    if workers <= 1 or len(chunks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(_build_chunk, chunks)
        return
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # HF tokenizers and fork
    with multiprocessing.get_context("fork").Pool(processes=workers) as pool:
        yield from pool.imap(_build_chunk, chunks, chunksize=1)


def run_local(
    builder: RowBuilder, writer: VersionWriter, tasks: Sequence[ShardTask], workers: int, reporter: Reporter
) -> None:
    """Build ``tasks`` in order; with workers, rows of later shards are built ahead."""
    per_shard = [chunks_of(task) for task in tasks]
    results = _chunk_results(builder, writer.schema, [chunk for chunks in per_shard for chunk in chunks], workers)
    try:
        for task, chunks in zip(tasks, per_shard):
            skipped: Counter = Counter()

            def batches() -> Iterator[pa.Table]:
                for _ in chunks:
                    table, reasons = next(results)
                    reporter.advance(table.num_rows + len(reasons))
                    skipped.update(reasons)
                    yield table

            writer.write_batches(task.shard, batches(), skipped)
    finally:
        results.close()


def write_shard(builder: RowBuilder, writer: VersionWriter, task: ShardTask, expect: str | None = None) -> dict:
    """Build one shard's rows and write it; returns the shard's record (``expect``: see
    ``VersionWriter.write_batches``)."""
    skipped: Counter = Counter()

    def batches() -> Iterator[pa.Table]:
        for chunk in chunks_of(task):
            table, reasons = build_batch(builder, writer.schema, chunk)
            skipped.update(reasons)
            yield table

    return writer.write_batches(task.shard, batches(), skipped, expect)


# --------------------------------------------------------------------- ray
# Per Ray worker process: builders by (config, length), so a worker loads a source once.
_RAY_BUILDERS: dict[str, RowBuilder] = {}


def _ray_shard(cfg: BuildConfig, target_len: int, version: Version, total_shards: int, task: ShardTask) -> dict:
    import json

    from ..store.schema import schema_for
    from ..store.shards import VersionWriter
    from .builders import make_builder

    key = json.dumps([cfg.as_dict(), target_len], sort_keys=True, default=str)
    if key not in _RAY_BUILDERS:
        _RAY_BUILDERS.clear()  # one build at a time per worker process
        _RAY_BUILDERS[key] = make_builder(cfg, target_len)
    writer = VersionWriter(version, cfg.split, total_shards, target_len, schema_for(cfg.task)[0])
    return write_shard(_RAY_BUILDERS[key], writer, task)


def import_ray():
    try:
        import ray
    except ImportError as error:
        raise ConfigError("--executor ray needs Ray; pip install 'keychain[ray]' (or pip install ray)") from error
    return ray


def run_ray(
    cfg: BuildConfig,
    target_len: int,
    version: Version,
    total_shards: int,
    tasks: Sequence[ShardTask],
    reporter: Reporter,
    address: str | None,
) -> None:
    """One Ray task per shard; reports progress as shards finish, in any order."""
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(address=address, include_dashboard=False, logging_level="warning", log_to_driver=False)
        except ConnectionError as error:
            raise ConfigError(f"cannot reach the Ray cluster at {address}: {error}; check --ray-address") from error
    remote = ray.remote(_ray_shard)
    refs = {remote.remote(cfg, target_len, version, total_shards, task): task for task in tasks}
    pending = list(refs)
    try:
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            for ref in finished:
                try:
                    ray.get(ref)
                except ray.exceptions.RayTaskError as error:
                    raise (getattr(error, "cause", None) or error) from None  # the task's own error
                reporter.advance(refs[ref].row_count)
    finally:
        for ref in pending:
            ray.cancel(ref)
        if started_here:
            ray.shutdown()  # stops the local instance, or disconnects from the cluster
