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

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..config import BuildConfig
from ..errors import ConfigError, OutputError
from ..rows.build import RowBuilder
from ..rows.prompts import PromptTemplate
from ..rows.spec import RowSpec
from ..rows.tokens import load_counter
from ..sources.records import SourceData
from ..store.files import check_writable
from ..store.lock import version_lock
from ..store.schema import schema_for
from ..store.shards import VersionWriter, clean_leftovers, default_shard_rows
from ..store.versions import (
    MANIFEST,
    PLAN,
    PROGRESS,
    Version,
    choose_version,
    read_manifest,
    read_manifest_lenient,
)
from .builders import prepare
from .executors import ShardTask, import_ray, run_local, run_ray, write_shard
from .manifest import input_identity, make_identity, manifest_of
from .plan import Plan, shard_slices
from .progress import Reporter, make_reporter
from .repair import Damage, inspect_version, repair
from .shortfall import requested_rows, shortfall_warning


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
    share: int = 1  # the build took 1 item in every `share` of the seeded order (its task's lane)

    def shortfall(self) -> str | None:
        """A ``warning:`` line when the build holds under 90% of the rows asked (see ``shortfall``)."""
        return None if self.state.startswith("slice") else shortfall_warning(
            self.config_name, self.version, self.rows, self.skipped, self.requested, self.share)

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items()) if v)
        now = self.rows if self.rows_now is None else self.rows_now
        rate = f", {now / self.seconds:.1f} rows/s" if now and self.state != "up to date" and self.seconds > 0 else ""
        fill = (
            f", fill {100 * self.fill['min']:.1f}-{100 * self.fill['max']:.1f}% (median {100 * self.fill['median']:.1f}%)"
            if self.fill
            else ""
        )
        where = f"this task's share of the source (1 item in {self.share})" if self.share > 1 else "the source"
        short = f" (of {self.requested} asked: {where} has no more usable items)" if (
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


def build(
    cfg: BuildConfig, *, command: str, reporter: Reporter | None = None, version: int | None = None, notify=None
) -> list[ConfigResult]:
    """Build (or resume, or check and repair) every length of ``cfg``; ``notify`` gets the
    line said when another build holds a version this one needs (default: stderr)."""
    if version is not None and version < 1:
        raise ConfigError(f"--version-number must be 1 or more, got {version}; omit it to use the next free version")
    if cfg.executor == "ray":
        import_ray()  # a missing Ray is one line before anything is read or written
    reporter = reporter or make_reporter()
    template = cfg.prompt_template()
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

    # A finished version is checked against its manifest; a damaged one is repaired like a pending build.
    damage = {t.config_name: inspect_version(t.version.path) for t in targets if t.state == "complete"}
    pending = [t for t in targets if t.state != "complete" or damage[t.config_name].any]
    built = prepare(cfg, [t.spec for t in pending], template, counter) if pending else []  # every check before the first write
    prepared = {t.config_name: pair for t, pair in zip(pending, built)}
    return [
        _locked(cfg, t, prepared.get(t.config_name), damage.get(t.config_name), template, command, reporter, notify)
        for t in targets
    ]


def _locked(cfg, target: _Target, prepared, damage: Damage | None, template, command, reporter, notify) -> ConfigResult:
    """One config under its version's lock: up to date, repaired, built or resumed.

    What was decided before the lock is checked again once it is held, since another
    build of this version may have finished (or repaired it) in the meantime.
    """
    path, waited = target.version.path, []

    def on_wait(holder: str) -> None:
        waited.append(holder)
        (notify or _stderr)(f"{target.config_name} {target.version.name}: waiting for another build ({holder}) to finish with {path}")

    began = time.perf_counter()
    with version_lock(path, shared=cfg.slice is not None, on_wait=on_wait):
        theirs = _identity_on_disk(path)
        if theirs is not None and theirs != target.identity:
            raise OutputError(f"{path} was just taken by a build with other settings; re-run to build beside it")
        if (path / MANIFEST).is_file():
            if damage is None or waited:
                damage = inspect_version(path)
            if not damage.any:
                if cfg.slice is None:
                    clean_leftovers(path)
                return _finished(target, "up to date", 0.0, requested_rows(cfg))
            if prepared is None:
                raise OutputError(f"{path} changed while this build waited ({damage.describe()}); re-run the same command")
            return _repair_config(cfg, target, *prepared, damage, template, began)
        if prepared is None:
            raise OutputError(f"{path} lost its {MANIFEST} while this build waited; re-run the same command")
        builder, plan = prepared
        return _build_config(cfg, target, builder, plan, builder.source, template, command, reporter)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _identity_on_disk(path: Path) -> dict | None:
    for record in (path / MANIFEST, path / PROGRESS / PLAN):
        try:
            return json.loads(record.read_text(encoding="utf-8")).get("identity")
        except (OSError, ValueError, AttributeError):
            continue
    return None


def _finished(target: _Target, state: str, seconds: float, requested: int | None, rows_now: int | None = None) -> ConfigResult:
    """The result of a version whose manifest is written, read back from it."""
    manifest = read_manifest(target.version.path)
    counts, lengths = manifest["counts"], manifest["lengths"]
    return ConfigResult(
        target.config_name, target.version.name, target.version.path, state, counts["built"], counts["skipped"],
        seconds, lengths["n_tokens"], lengths["fill"], requested, rows_now, manifest.get("source") or {},
        (manifest["config"].get("lane") or [0, 1])[1],
    )


def _repair_config(cfg, target: _Target, builder, plan: Plan, damage: Damage, template, began: float) -> ConfigResult:
    """Rebuild exactly the damaged shards of a finished version, then rewrite its manifest."""
    slices = shard_slices(len(plan.items), target.shard_rows)
    writer = VersionWriter(target.version, cfg.split, len(slices), target.spec.target_len, schema_for(cfg.task)[0])
    if damage.shards is not None and len(damage.records) + len(damage.shards) != len(slices):
        damage = Damage(None, f"{MANIFEST} lists another number of shards than the build makes")
    old = read_manifest_lenient(target.version.path)
    writer.clean()

    def rebuild(index: int, expect: str | None) -> None:
        write_shard(builder, writer, ShardTask(index, tuple((i, plan.items[i]) for i in slices[index])), expect)

    done = repair(writer, damage, rebuild)
    command = old.get("command") if isinstance(old.get("command"), str) else "keychain build (repaired)"
    writer.finish(manifest_of(cfg, target, writer, len(slices), plan, builder.source, template, command))
    what = ", ".join(done + ([f"{MANIFEST} rewritten"] if damage.manifest or damage.shards is None else []))
    return _finished(target, f"repaired ({what})", time.perf_counter() - began, requested_rows(cfg), 0)


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
    ours = range(len(slices)) if cfg.slice is None else range(cfg.slice[0], len(slices), cfg.slice[1])
    missing = writer.missing(ours)  # a slice hashes (and may delete) only its own shards: s % parts == part
    state = "resumed" if target.state == "resume" and len(missing) < len(slices) else "built"
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
    writer.finish(manifest_of(cfg, target, writer, len(slices), plan, source, template, command))
    return _finished(target, state, time.perf_counter() - began, requested_rows(cfg), rows_now)


def _slice_result(cfg: BuildConfig, target: _Target, writer: VersionWriter, tasks: list, seconds: float) -> ConfigResult:
    """A slice writes shards only; the run without --slice writes the manifest."""
    part, parts = cfg.slice
    skipped: Counter = Counter()
    rows = 0
    for task in tasks:
        record = writer.record(task.shard)
        rows += record["rows"]
        skipped.update(record["skipped"])
    left = len(writer.missing(check=False))  # ours were just written or checked; the siblings' are theirs to check
    what = (
        f"{left} of {writer.total} shards still missing (other slices)"
        if left
        else f"all {writer.total} shards present: run the command without --slice to write the manifest"
    )
    return ConfigResult(
        target.config_name, target.version.name, target.version.path, f"slice {part}/{parts} ({what})",
        rows, dict(skipped), seconds, {}, {}, requested_rows(cfg), rows,
    )


