"""What a version records about itself: its identity (what its bytes depend on) and its manifest.

A build whose identity equals a finished version's is a no-op; the manifest, written last,
holds the resolved settings, counts, shard hashes and length statistics.

Example:
    >>> length_stats([1.0, 3.0, 2.0])
    {'min': 1.0, 'median': 2.0, 'max': 3.0, 'mean': 2.0}
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pyarrow.parquet as pq

from .. import __version__
from ..config import BuildConfig
from ..digest import sha256_file
from ..errors import InputError
from ..rows.spec import RowSpec, length_label
from ..sources.files import check_data_file
from ..store.schema import schema_for
from ..store.shards import VersionWriter
from .plan import Plan

# Settings that say how a build runs, not what it writes: never part of a manifest or identity.
RUN_ONLY_FIELDS = ("lengths", "workers", "out", "extra", "executor", "ray_address", "slice")


def input_identity(cfg: BuildConfig) -> dict:
    """What the rows are made from: input file hashes, the Hub dataset, or the generator;
    and the id list the build keeps to (``--keep-ids``), by hash."""
    inputs = _source_identity(cfg)
    if cfg.keep_ids:
        path = Path(cfg.keep_ids)
        if not path.is_file():
            raise InputError(f"--keep-ids {cfg.keep_ids}: no such file; pass the id list the difficulty filter wrote")
        inputs["keep_ids"] = {"name": path.name, "sha256": sha256_file(path)}
    return inputs


def _source_identity(cfg: BuildConfig) -> dict:
    if cfg.source == "synthetic":
        from importlib.metadata import version

        return {"kind": "generated", "faker": version("faker")}
    if not cfg.data_files:
        return {"kind": "hub", "source": cfg.source, "split": cfg.split}
    files = []
    for name in cfg.data_files:
        path = Path(name)
        check_data_file(path)
        files.append({"name": path.name, "sha256": sha256_file(path)})
    return {"kind": "files", "files": files}


def make_identity(cfg: BuildConfig, spec: RowSpec, inputs: dict, shard_rows: int) -> dict:
    """The settings that determine a version's bytes; equal identity = same shards."""
    return {
        "keychain_version": __version__,
        "schema_version": schema_for(spec.task)[1],
        "spec": asdict(spec),
        "num": cfg.num,
        "shard_rows": shard_rows,
        **({"lane": list(cfg.item_lane()), "synthetic_size": None if cfg.synthetic_size is None else list(cfg.synthetic_size)}
           if cfg.task in ("keychain", "plain") else {}),  # lists: the identity is compared with its JSON copy
        "inputs": inputs,
    }


def length_stats(values: list[float]) -> dict:
    if not values:
        return {}
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "mean": statistics.fmean(values)}


def manifest_of(cfg, target, writer: VersionWriter, total_shards: int, plan: Plan, source, template, command) -> dict:
    shards, skipped, n_tokens, context = [], Counter(plan.skipped), [], []
    by_context = getattr(target.spec, "padding", "prompt") == "context"
    for s in range(total_shards):
        record = writer.record(s)
        path = writer.shard_path(s)
        skipped.update(record["skipped"])
        shards.append(  # the record's size and sha256: taken when the shard was written, re-taken on resume
            {"file": path.name, "rows": record["rows"], "bytes": record["bytes"], "sha256": record["sha256"],
             "skipped": record["skipped"]}
        )
        # ParquetFile.read, not read_table: the latter imports pyarrow.dataset (0.3 s of start-up)
        table = pq.ParquetFile(path).read(columns=["n_tokens", "context_tokens"] if by_context else ["n_tokens"])
        n_tokens.extend(table.column("n_tokens").to_pylist())
        context.extend(table.column("context_tokens").to_pylist() if by_context else ())
    spec = target.spec
    resolved = {k: v for k, v in cfg.as_dict().items() if k not in RUN_ONLY_FIELDS}
    resolved.update(asdict(spec), shard_rows=target.shard_rows)
    if spec.template_digest != "default":
        resolved["template_fields"] = asdict(template)
    return {
        "keychain_version": __version__,
        "schema_version": schema_for(spec.task)[1],
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
            "documents_excluded": dict(sorted(source.documents_excluded.items())),
        },
        "counts": {
            "requested": cfg.num,
            "considered": len(plan.items) + sum(plan.skipped.values()),
            "built": sum(shard["rows"] for shard in shards),
            "skipped": dict(sorted(skipped.items())),
            **({"not_kept": plan.not_kept} if cfg.keep_ids else {}),  # lane items --keep-ids does not list
        },
        "shards": shards,
        "lengths": {
            "n_tokens": length_stats(n_tokens),
            "fill": length_stats([n / spec.target_len for n in n_tokens]),
            **({"context_tokens": length_stats(context)} if by_context else {}),  # the padded passages alone
        },
    }
