"""Atomic file writes and the early check that an output folder is writable.

Every file keychain writes appears whole or not at all: it is written under a temporary
name in the same folder and renamed into place.

Example:
    >>> import json, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> write_json_atomic(path, {"rows": 2})
    >>> json.loads(path.read_text())
    {'rows': 2}
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import OutputError


def _file_mode() -> int:
    """Mode of a normally created file (mkstemp makes 0600 files; outputs are shared)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON to a temporary file beside ``path``, then rename it into place."""
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Returns False, and touches nothing, when the file already holds exactly these bytes,
    so refreshing an unchanged folder leaves every file (and its mtime) as it was.
    """
    path = Path(path)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True



def check_writable(root: Path) -> None:
    """Fail early, before any work, when ``root`` cannot be created or written.

    Creates nothing: it probes the nearest existing folder at or above ``root``.
    """
    probe = Path(root).absolute()
    while not probe.exists():
        probe = probe.parent
    try:
        if not probe.is_dir():
            raise NotADirectoryError(20, "a file is in the way", str(probe))
        fd, tmp = tempfile.mkstemp(prefix=".keychain-write-test-", dir=probe)
        os.close(fd)
        os.unlink(tmp)
    except OSError as error:
        raise OutputError(
            f"cannot write to {root} ({error.strerror or type(error).__name__} at {probe}); choose another --out"
        ) from error
