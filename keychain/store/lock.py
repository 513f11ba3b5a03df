"""One writer per version folder: an advisory lock beside it.

A build holds an exclusive lock on ``OUT/<config>/.v<N>.lock`` while it checks, builds,
repairs or cleans version N; the slices of a job array hold it shared (they write
different shards of one version at once), so the run without ``--slice`` waits for
running slices instead of deleting the temporary files they are writing. A second build
of the same version waits for the first and then finds it finished. The lock is
``flock``: the kernel releases it when the holder exits, even when it is killed, so a
stale lock cannot block anyone; the holder's pid and host are written into the file
only to name it in the waiting message.

Example:
    >>> import tempfile, pathlib
    >>> version = pathlib.Path(tempfile.mkdtemp()) / "cfg" / "v1"
    >>> with version_lock(version):
    ...     (version.parent / ".v1.lock").is_file()
    True
"""

from __future__ import annotations

import fcntl
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from ..errors import OutputError
from .files import FILE_MODE


def lock_path(version: Path) -> Path:
    """``OUT/cfg/v2`` -> ``OUT/cfg/.v2.lock`` (hidden: never read as data, never pushed)."""
    return version.parent / f".{version.name}.lock"


@contextmanager
def version_lock(
    version: Path, shared: bool = False, on_wait: Callable[[str], None] = lambda holder: None
) -> Iterator[None]:
    """Hold the lock of ``version`` (exclusive, or ``shared`` for slices) for the block.

    When another process holds it, ``on_wait`` is called once with who holds it (``"pid
    123 on node7"``), then this waits until it is released.
    """
    path = lock_path(Path(version))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as error:
        raise OutputError(f"cannot create the lock file {path} ({error.strerror}); choose another --out") from error
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(_holder(path))
            fcntl.flock(fd, mode)
        if not shared:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "a slice of a job array"
    except OSError:
        return "another process"
