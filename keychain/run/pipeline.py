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

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..config import BuildConfig
from ..rows.build import RowBuilder
from ..rows.prompts import PromptTemplate, load_template
from ..rows.spec import RowSpec
from ..rows.tokens import load_counter
from ..sources.records import SourceData
from ..store.files import check_writable
from ..store.schema import schema_for
from ..store.shards import VersionWriter, default_shard_rows
from ..store.versions import Version, choose_version
from .builders import prepare
from .executors import ShardTask, run_local, run_ray
from .manifest import existing_counts, input_identity, make_identity, manifest_of
from .plan import Plan, shard_slices
from .progress import Reporter, make_reporter


@dataclass
class ConfigResult:
    """What one length of a build produced, for the terminal summary."""

    config_name: str
    version: str
    path: Path
    state: str  # built | resumed | up to date | slice I/N
    rows: int
    skipped: dict
    seconds: float
    n_tokens: dict
    fill: dict
    requested: int | None = None
    rows_now: int | None = None  # rows built by this run (a resumed build did the rest before)
    at_load: dict = field(default_factory=dict)  # the manifest's source section: records skipped, documents left out

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items()) if v)
        now = self.rows if self.rows_now is None else self.rows_now
        rate = f", {now / self.seconds:.1f} rows/s" if self.state != "up to date" and self.seconds > 0 else ""
        fill = (
            f", fill {100 * self.fill['min']:.1f}-{100 * self.fill['max']:.1f}% (median {100 * self.fill['median']:.1f}%)"
            if self.fill
            else ""
        )
        short = f" (of {self.requested} asked: the source has no more usable items)" if (
            self.requested and self.rows + skipped < self.requested and not self.state.startswith("slice")
        ) else ""
        return (
            f"{self.config_name} {self.version}: {self.state}, {self.rows} rows{short}, {skipped} skipped"
            f"{f' ({reasons})' if reasons else ''}{load_summary(self.at_load)} in {self.seconds:.1f} s{rate}{fill} -> {self.path}"
        )


def load_summary(source: dict) -> str:
    """What loading the source left out, for the summary line ('' when nothing was).

    >>> load_summary({"skipped_at_load": {"duplicate_id": 2}, "documents_excluded": {"pair_like_text": 1}})
    '; at load 2 records skipped (duplicate_id 2), 1 document left out (pair_like_text 1)'
    """
    parts = []
    for key, what in (("skipped_at_load", "record{} skipped"), ("documents_excluded", "document{} left out")):
        counts = {k: v for k, v in sorted((source.get(key) or {}).items()) if v}
        if counts:
            total = sum(counts.values())
            reasons = ", ".join(f"{k} {v}" for k, v in counts.items())
            parts.append(f"{total} {what.format('s' if total != 1 else '')} ({reasons})")
    return f"; at load {', '.join(parts)}" if parts else ""


def total_summary(results: list[ConfigResult], seconds: float) -> str:
    """The last line of a build: every config together, start-up included.

    >>> r = ConfigResult("a", "v1", Path("a"), "built", 10, {"underfilled": 1}, 1.0, {}, {"min": 0.98, "median": 0.99, "max": 1.0})
    >>> total_summary([r], 2.0)
    'done: 10 rows, 1 skipped, 1 config in 2.0 s (start-up included), fill 98.0-100.0%'
    """
    rows = sum(r.rows for r in results)
    skipped = sum(sum(r.skipped.values()) for r in results)
    fills = [r.fill for r in results if r.fill]
    fill = f", fill {100 * min(f['min'] for f in fills):.1f}-{100 * max(f['max'] for f in fills):.1f}%" if fills else ""
    configs = f"{len(results)} config{'s' if len(results) != 1 else ''}"
    return f"done: {rows} rows, {skipped} skipped, {configs} in {seconds:.1f} s (start-up included){fill}"


@dataclass
class _Target:
    spec: RowSpec
    config_name: str
    identity: dict
    version: Version
    state: str
    shard_rows: int


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
        ConfigResult(t.config_name, t.version.name, t.version.path, "up to date", *existing_counts(t.version.path))
        for t in targets
        if t.state == "complete"
    ]
    pending = [t for t in targets if t.state != "complete"]
    if not pending:
        return results

    built = prepare(cfg, [t.spec for t in pending], template, counter)  # every check before the first write
    prepared = [(target, builder, plan) for target, (builder, plan) in zip(pending, built)]

    for target, builder, plan in prepared:
        results.append(_build_config(cfg, target, builder, plan, builder.source, template, command, reporter))
    order = {t.config_name: i for i, t in enumerate(targets)}
    return sorted(results, key=lambda r: order[r.config_name])


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
    writer = VersionWriter(target.version, cfg.split, len(slices), target.spec.target_len, schema_for(cfg.task)[0])
    writer.start({"identity": target.identity, "command": command}, clean=cfg.slice is None)
    missing = writer.missing()
    state = "resumed" if target.state == "resume" and len(missing) < len(slices) else "built"
    if cfg.slice is not None:
        part, parts = cfg.slice
        missing = [s for s in missing if s % parts == part]
    tasks = [ShardTask(s, tuple((i, plan.items[i]) for i in slices[s])) for s in missing]

    reporter.start(target.config_name, sum(task.row_count for task in tasks))
    try:
        if cfg.executor == "ray":
            run_ray(cfg, target.spec.target_len, target.version, len(slices), tasks, reporter, cfg.ray_address)
        else:
            run_local(builder, writer, tasks, cfg.workers, reporter)
    finally:
        reporter.finish()

    if cfg.slice is not None:
        return _slice_result(cfg, target, writer, tasks, time.perf_counter() - began)
    rows_now = sum(writer.record(task.shard)["rows"] for task in tasks)
    manifest = manifest_of(cfg, target, writer, len(slices), plan, source, template, command)
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
        rows_now,
        manifest["source"],
    )


def _slice_result(cfg: BuildConfig, target: _Target, writer: VersionWriter, tasks: list, seconds: float) -> ConfigResult:
    """A slice writes shards only; the run without --slice writes the manifest."""
    part, parts = cfg.slice
    skipped: Counter = Counter()
    rows = 0
    for task in tasks:
        record = writer.record(task.shard)
        rows += record["rows"]
        skipped.update(record["skipped"])
    left = len(writer.missing())
    what = (
        f"{left} of {writer.total} shards still missing (other slices)"
        if left
        else f"all {writer.total} shards present: run the command without --slice to write the manifest"
    )
    return ConfigResult(
        target.config_name, target.version.name, target.version.path, f"slice {part}/{parts} ({what})",
        rows, dict(skipped), seconds, {}, {}, cfg.num, rows,
    )


