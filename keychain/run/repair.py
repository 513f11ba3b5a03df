"""A finished version checked against its manifest, and exactly its damage repaired.

A re-run of a build that matches a finished version checks every shard against the
manifest (size, sha256, row count) and the manifest's own sums. When all agree the
build is up to date. Otherwise (a flipped byte, a deleted or truncated shard, an edited
sha256 or row count, a manifest missing a section) the version is repaired in place:

* each shard that no longer matches is rebuilt under a temporary name; it replaces the
  file only when its bytes hash to the sha256 the manifest records, so a repaired shard
  is byte-identical to the one first written;
* a shard whose file and fresh rebuild agree with each other but not with the manifest
  means the manifest was edited: the file is kept and the manifest rewritten;
* a rebuild that matches neither (another keychain or library version) cannot restore
  the original bytes: one line says so and nothing more is changed.

The manifest is then written anew from the shards (the original command kept).

Example: ``inspect_version(Path("OUT/a/v1"))`` -> ``Damage(shards=[2], manifest=None,
records={0: {...}, 1: {...}})`` when shard 2 was truncated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..digest import sha256_file
from ..errors import KeychainError, OutputError
from ..store.shards import ShardMismatch, VersionWriter, shard_name
from ..store.versions import MANIFEST, manifest_section, missing_section, read_manifest

# A manifest's shard entry; "skipped" (per shard) is absent from manifests written before it was recorded.
_ENTRY = {"file": str, "rows": int, "bytes": int, "sha256": str}


@dataclass
class Damage:
    """What of a finished version disagrees with its manifest."""

    shards: list[int] | None  # shard indices to rebuild; None: the manifest cannot say which, rebuild all
    manifest: str | None = None  # what is wrong with the manifest's own entries and sums
    records: dict[int, dict] = field(default_factory=dict)  # intact shards, as shard records
    problems: list[str] = field(default_factory=list)  # one phrase per damaged shard

    @property
    def any(self) -> bool:
        return self.shards is None or bool(self.shards) or self.manifest is not None

    def describe(self) -> str:
        parts = list(self.problems[:3]) + ([f"{len(self.problems) - 3} more"] if len(self.problems) > 3 else [])
        if self.manifest:
            parts.append(self.manifest)
        return ", ".join(parts)


def inspect_version(path: Path) -> Damage:
    """Check a finished version's shards against its manifest; read-only."""
    try:
        manifest = read_manifest(path)
        entries, split = manifest["shards"], manifest["split"]
    except (KeychainError, KeyError, TypeError):
        entries, split = None, None
    if not isinstance(entries, list) or not entries or not isinstance(split, str):
        return Damage(None, f"{MANIFEST} lists no shards")
    damage = Damage([])
    for index, entry in enumerate(entries):
        name = shard_name(split, index, len(entries))
        if not isinstance(entry, dict) or entry.get("file") != name or any(
            not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool) for key, kind in _ENTRY.items()
        ) or not isinstance(entry.get("skipped", {}), dict):
            damage.manifest = f"{MANIFEST} entry of shard {index} is damaged"
            damage.shards.append(index)
            damage.problems.append(f"{name} unchecked")
            continue
        problem, rows = _shard_problem(path / name, entry)
        if problem:
            damage.shards.append(index)
            damage.problems.append(f"{name} {problem}")
        elif rows != entry["rows"]:
            damage.manifest = f"{MANIFEST} gives {name} {entry['rows']} rows, the file holds {rows}"
            damage.records[index] = {**entry, "rows": rows}
        else:
            damage.records[index] = dict(entry)
    missing, built = missing_section(manifest), manifest_section(manifest, ("counts", "built"))
    if missing:
        damage.manifest = f"{MANIFEST} has no {missing}"
    elif not damage.any and built != sum(entry["rows"] for entry in entries):
        damage.manifest = f"{MANIFEST} counts {built} rows, its shards hold {sum(e['rows'] for e in entries)}"
    return damage


def _shard_problem(file: Path, entry: dict) -> tuple[str | None, int | None]:
    if not file.is_file():
        return "is missing", None
    if file.stat().st_size != entry["bytes"]:
        return f"has {file.stat().st_size} bytes, not {entry['bytes']}", None
    if sha256_file(file) != entry["sha256"]:
        return "sha256 differs", None
    try:
        return None, pq.ParquetFile(file).metadata.num_rows
    except (OSError, pa.ArrowException) as error:
        return f"is not readable Parquet ({type(error).__name__})", None


def repair(writer: VersionWriter, damage: Damage, rebuild) -> list[str]:
    """Rebuild the damaged shards of ``writer``'s version; adopt the intact ones.

    ``rebuild(index, expect)`` writes shard ``index``, replacing the file only when its
    sha256 equals ``expect`` (any bytes when None) and raising ``ShardMismatch`` otherwise.
    Returns what was done, as phrases; raises OutputError when a shard cannot be repaired.
    """
    old = _entries(writer.path)
    todo = list(range(writer.total)) if damage.shards is None else list(damage.shards)
    # an intact shard of an older manifest has no skip counts of its own: rebuilt (byte-identical) to learn them
    todo += [index for index, record in sorted(damage.records.items()) if "skipped" not in record and index not in todo]
    done = []
    for index in range(writer.total):
        if index not in todo and index in damage.records:
            writer.adopt(index, damage.records[index])
    for index in todo:
        entry = old.get(index) or {}
        expect = entry.get("sha256") if isinstance(entry.get("sha256"), str) else None
        try:
            rebuild(index, expect)
            done.append(f"{writer.shard_path(index).name} rebuilt" + (" byte-identical" if expect else ""))
        except ShardMismatch as mismatch:
            file = writer.shard_path(index)
            if not (file.is_file() and sha256_file(file) == mismatch.digest):
                raise OutputError(
                    f"cannot repair {writer.path}: {mismatch.name} rebuilds to other bytes than its {MANIFEST} records "
                    f"(built with another keychain or library version?); delete {writer.path} and build again"
                ) from None
            rebuild(index, mismatch.digest)  # the file is what a build writes (the manifest was edited): record it
            done.append(f"{file.name} kept (it matches a fresh rebuild)")
    return done


def _entries(path: Path) -> dict[int, dict]:
    try:
        entries = read_manifest(path)["shards"]
        return {i: e for i, e in enumerate(entries) if isinstance(e, dict)} if isinstance(entries, list) else {}
    except (KeychainError, KeyError, TypeError):
        return {}
