"""Shards checked against their manifest's sha256 before a stage trains on them.

A shard ``keychain verify`` calls damaged must not reach training. Hashing every shard on
every start would cost minutes for large sets, so each file's hash is cached in the run
folder (``RUN/.cache/shard-sha256.json``) under its path, size and modification time: a
file is hashed once per version of it, and any rewrite (new size or mtime) is hashed again.
Sizes are compared on every read (``data._read_version``).

Example: ``HashCache(Path("run/.cache/shard-sha256.json")).sha256(Path("a.parquet"))``
hashes ``a.parquet`` the first time and reads the cache afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import DataError


class HashCache:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.hashed = 0  # files hashed (not found in the cache) by this instance
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self.entries = {}

    def sha256(self, path: Path) -> str:
        from keychain.digest import sha256_file

        stat = path.stat()
        key = str(path.resolve())
        entry = self.entries.get(key)
        if isinstance(entry, dict) and entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns:
            return entry["sha256"]
        digest = sha256_file(path)
        self.entries[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
        self.hashed += 1
        return digest

    def save(self) -> None:
        if not self.hashed:
            return
        from .run.folder import write_json

        write_json(self.path, self.entries)


def check_hashes(shard_set, cache: HashCache | None = None) -> None:
    """Every shard's sha256 against the manifest (``shard_set`` is a ``data.ShardSet``)."""
    from keychain.digest import sha256_file

    for path in shard_set.files:
        digest = shard_set.sha256.get(path)
        if digest is None:
            continue
        actual = cache.sha256(path) if cache is not None else sha256_file(path)
        if actual != digest:
            raise DataError(f"{path}: sha256 {actual[:12]}... differs from the manifest's {digest[:12]}... "
                            "(damaged or replaced); rebuild this config (keychain verify shows the damage)")


def verify_shard_sets(stage_name: str, shard_sets, cache_path: Path, log) -> None:
    """Check every shard a stage reads against its manifest: sizes (when the sets were
    resolved), and sha256s hashed once per file version (cached in ``cache_path``)."""
    cache = HashCache(cache_path)
    for shard_set in shard_sets:
        check_hashes(shard_set, cache)
    if cache.hashed:
        log(f"stage {stage_name}: {cache.hashed} shard(s) match their manifest's sha256")
    cache.save()
