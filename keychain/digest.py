"""Content hashes of files, computed once per file version.

The build hashes its input files for its identity and the source records them in its
origin; the cache (keyed by path, size and modification time) makes that one read.

Example: ``sha256_file(Path("a.json"))`` -> ``'9f86d081884c7d65...'``.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

_BLOCK = 1 << 20  # bytes read per step


def sha256_file(path: Path) -> str:
    stat = Path(path).stat()
    return _sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
