"""``keychain build`` end to end: settings -> source -> rows -> shards -> manifest.

Everything that can fail on bad input (template, tokenizer, output folder, data files,
budget, pool) is checked for every requested length before the first shard is written,
so a bad command leaves no partial output. Rows are built in chunks, in order, by one
process or a pool of ``--workers`` forked processes; since every row is a pure function
of its spec and item, the shards are byte-identical whatever the worker count.

Example: ``build(BuildConfig(source="synthetic", lengths=(4096,), num=2), command=...)``
returns one ``ConfigResult`` per length, whose ``summary()`` is the line the CLI prints:
``synthetic-keychain-4k v1: built, 2 rows, 0 skipped in 0.4 s, ... -> data/...``.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq

from . import __version__
from .build import RowBuilder, Skip
from .config import BuildConfig, RowSpec, length_label
from .digest import sha256_file
from .errors import InputError
from .pad import DocumentCosts
from .plan import Plan, check_budget, plan_rows, shard_slices
from .progress import Reporter, make_reporter
from .prompts import PromptTemplate, load_template
from .records import SourceData
from .schema import SCHEMA_VERSION
from .sources import SourceRequest, load_source
from .tokens import load_counter
from .write import (
    Version,
    VersionWriter,
    check_writable,
    choose_version,
    default_shard_rows,
)

CHUNK_ROWS = 8  # rows per task handed to a worker


@dataclass
class ConfigResult:
    """What one length of a build produced, for the terminal summary."""

    config_name: str
    version: str
    path: Path
    state: str  # built | resumed | up to date
    rows: int
    skipped: dict
    seconds: float
    n_tokens: dict
    fill: dict
    requested: int | None = None

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items()) if v)
        rate = f", {self.rows / self.seconds:.1f} rows/s" if self.state != "up to date" and self.seconds > 0 else ""
        fill = (
            f", fill {100 * self.fill['min']:.1f}-{100 * self.fill['max']:.1f}% (median {100 * self.fill['median']:.1f}%)"
            if self.fill
            else ""
        )
        short = f" (of {self.requested} asked: the source has no more usable items)" if (
            self.requested and self.rows + skipped < self.requested
        ) else ""
        return (
            f"{self.config_name} {self.version}: {self.state}, {self.rows} rows{short}, {skipped} skipped"
            f"{f' ({reasons})' if reasons else ''} in {self.seconds:.1f} s{rate}{fill} -> {self.path}"
        )


@dataclass
class _Target:
    spec: RowSpec
    config_name: str
    identity: dict
    version: Version
    state: str
    shard_rows: int


def input_identity(cfg: BuildConfig) -> dict:
    """What the rows are made from: input file hashes, the Hub dataset, or the generator."""
    if cfg.source == "synthetic":
        from importlib.metadata import version

        return {"kind": "generated", "faker": version("faker")}
    if not cfg.data_files:
        return {"kind": "hub", "source": cfg.source, "split": cfg.split}
    files = []
    for name in cfg.data_files:
        path = Path(name)
        if not path.is_file():
            raise InputError(f"{name}: no such file; check the --data-files path")
        files.append({"name": path.name, "sha256": sha256_file(path)})
    return {"kind": "files", "files": files}


def make_identity(cfg: BuildConfig, spec: RowSpec, inputs: dict, shard_rows: int) -> dict:
    """The settings that determine a version's bytes; equal identity = same shards."""
    return {
        "keychain_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "spec": asdict(spec),
        "num": cfg.num,
        "shard_rows": shard_rows,
        "inputs": inputs,
    }


def build(cfg: BuildConfig, *, command: str, reporter: Reporter | None = None, version: int | None = None) -> list[ConfigResult]:
    reporter = reporter or make_reporter()
    template = load_template(cfg.template)
    counter = load_counter(cfg.tokenizer)
    inputs = input_identity(cfg)
    root = Path(cfg.out)
    check_writable(root)

    targets = []
    for target_len in cfg.lengths:
        spec = cfg.spec(target_len, template.digest)
        shard_rows = cfg.shard_rows or default_shard_rows(target_len)
        name = cfg.config_name(target_len)
        identity = make_identity(cfg, spec, inputs, shard_rows)
        chosen, state = choose_version(root / name, identity, version)
        targets.append(_Target(spec, name, identity, chosen, state, shard_rows))

    results = [
        ConfigResult(t.config_name, t.version.name, t.version.path, "up to date", *_existing_counts(t.version.path))
        for t in targets
        if t.state == "complete"
    ]
    pending = [t for t in targets if t.state != "complete"]
    if not pending:
        return results

    source = load_source(
        cfg.source,
        SourceRequest(
            split=cfg.split,
            data_files=tuple(Path(f) for f in cfg.data_files),
            seed=cfg.seed,
            num=cfg.num,
            max_len=max(cfg.lengths),
        ),
    )
    costs = DocumentCosts(source.documents, counter, template)
    prepared = []
    for target in pending:  # every check for every length before the first write
        builder = RowBuilder(source, target.spec, template, counter, costs)
        overhead = check_budget(builder)
        prepared.append((target, builder, plan_rows(builder, cfg.num, overhead)))

    for target, builder, plan in prepared:
        results.append(_build_config(cfg, target, builder, plan, source, template, command, reporter))
    order = {t.config_name: i for i, t in enumerate(targets)}
    return sorted(results, key=lambda r: order[r.config_name])


def _existing_counts(path: Path) -> tuple:
    from .write import read_manifest

    manifest = read_manifest(path)
    counts = manifest["counts"]
    return counts["built"], counts["skipped"], 0.0, manifest["lengths"]["n_tokens"], manifest["lengths"]["fill"]


# Worker processes inherit the builder through fork; only row positions travel to them.
_WORKER_BUILDER: RowBuilder | None = None


def _build_chunk(chunk: list[tuple[int, int]]) -> list[dict | Skip]:
    builder = _WORKER_BUILDER
    return [builder.build(index, builder.source.items[item]) for index, item in chunk]


def _results(builder: RowBuilder, chunks: list[list[tuple[int, int]]], workers: int) -> Iterator[list[dict | Skip]]:
    global _WORKER_BUILDER
    _WORKER_BUILDER = builder
    if workers <= 1 or len(chunks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(_build_chunk, chunks)
        return
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # HF tokenizers and fork
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=workers) as pool:
        yield from pool.imap(_build_chunk, chunks, chunksize=1)


def _build_config(
    cfg: BuildConfig,
    target: _Target,
    builder: RowBuilder,
    plan: Plan,
    source: SourceData,
    template: PromptTemplate,
    command: str,
    reporter: Reporter,
) -> ConfigResult:
    began = time.perf_counter()
    slices = shard_slices(len(plan.items), target.shard_rows)
    writer = VersionWriter(target.version, cfg.split, len(slices), target.spec.target_len)
    writer.start({"identity": target.identity, "command": command})
    todo = [s for s in range(len(slices)) if not writer.done(s)]
    state = "resumed" if target.state == "resume" and len(todo) < len(slices) else "built"

    shard_chunks = {
        s: [
            [(i, plan.items[i]) for i in slices[s][start : start + CHUNK_ROWS]]
            for start in range(0, len(slices[s]), CHUNK_ROWS)
        ]
        for s in todo
    }
    all_chunks = [chunk for s in todo for chunk in shard_chunks[s]]
    results = _results(builder, all_chunks, cfg.workers)
    reporter.start(target.config_name, sum(len(slices[s]) for s in todo))
    try:
        for s in todo:
            skipped: Counter = Counter()

            def rows() -> Iterator[dict]:
                for _ in shard_chunks[s]:
                    chunk = next(results)
                    reporter.advance(len(chunk))
                    for result in chunk:
                        if isinstance(result, Skip):
                            skipped[result.reason] += 1
                        else:
                            yield result

            writer.write_shard(s, rows(), skipped)
    finally:
        results.close()
        reporter.finish()

    manifest = _manifest(cfg, target, writer, len(slices), plan, source, template, command)
    writer.finish(manifest)
    counts = manifest["counts"]
    return ConfigResult(
        target.config_name,
        target.version.name,
        target.version.path,
        state,
        counts["built"],
        counts["skipped"],
        time.perf_counter() - began,
        manifest["lengths"]["n_tokens"],
        manifest["lengths"]["fill"],
        cfg.num,
    )


def _stats(values: list[float]) -> dict:
    if not values:
        return {}
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "mean": statistics.fmean(values)}


def _manifest(cfg, target: _Target, writer: VersionWriter, total_shards: int, plan: Plan, source, template, command) -> dict:
    shards, skipped, n_tokens = [], Counter(plan.skipped), []
    for s in range(total_shards):
        record = writer.record(s)
        path = writer.shard_path(s)
        skipped.update(record["skipped"])
        shards.append(
            {"file": path.name, "rows": record["rows"], "bytes": path.stat().st_size, "sha256": sha256_file(path)}
        )
        n_tokens.extend(pq.read_table(path, columns=["n_tokens"]).column("n_tokens").to_pylist())
    spec = target.spec
    resolved = {k: v for k, v in cfg.as_dict().items() if k not in ("lengths", "workers", "out", "extra")}
    resolved.update(asdict(spec), shard_rows=target.shard_rows)
    if spec.template_digest != "default":
        resolved["template_fields"] = asdict(template)
    return {
        "keychain_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "config_name": target.config_name,
        "version": target.version.name,
        "length_label": length_label(spec.target_len),
        "split": cfg.split,
        "identity": target.identity,
        "config": resolved,
        "command": command,
        "source": {
            "name": source.name,
            "split": source.split,
            "origin": dict(source.origin),
            "items": len(source.items),
            "documents": len(source.documents),
            "skipped_at_load": dict(sorted(source.skipped.items())),
        },
        "counts": {
            "requested": cfg.num,
            "considered": len(plan.items) + sum(plan.skipped.values()),
            "built": sum(shard["rows"] for shard in shards),
            "skipped": dict(sorted(skipped.items())),
        },
        "shards": shards,
        "lengths": {
            "n_tokens": _stats(n_tokens),
            "fill": _stats([n / spec.target_len for n in n_tokens]),
        },
    }
