"""An exclusive lock on a run folder: one ``trainer run`` per folder at a time.

``RUN/.lock`` holds the owner's pid, host and start time while it runs, and an OS lock
(``flock``) on the open file, which the kernel drops when the process dies, however it
dies. A second run finds the lock held and stops with one line naming the owner. A lock
file naming a pid on this host that no longer runs (or whose ``flock`` is free) is stale
and taken over, with a line saying so; one naming another host is refused unless its
``flock`` is free *and* the file says nothing (shared file systems do not always carry
``flock`` between hosts), so a dead run on another node needs ``rm RUN/.lock``.

Example: ``with RunLock(Path("runs/a/.lock")).acquire() as lock: ...`` -> a second
``RunLock(Path("runs/a/.lock")).acquire()`` raises ``RunError("runs/a is in use by
trainer run pid 4242 on host gpu-3 since 2025-01-01 12:00:00; ...")``.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

from ..errors import RunError


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


class RunLock:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.fd: int | None = None
        self.note: str | None = None  # a line about a stale lock taken over

    def _owner(self) -> dict:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
            return json.loads(text) if text else {}
        except (OSError, ValueError):
            return {}

    def _refuse(self, owner: dict, why: str) -> RunError:
        folder = self.path.parent
        return RunError(
            f"{folder} is in use by trainer run pid {owner.get('pid', '?')} on host {owner.get('host', '?')} "
            f"since {owner.get('started', '?')}{why}; wait for it to finish or choose another --output-dir"
        )

    def acquire(self) -> "RunLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise RunError(f"cannot create {self.path} ({error.strerror}); choose another --output-dir") from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise self._refuse(self._owner(), "") from None
        owner = self._owner()
        host = socket.gethostname()
        if owner:
            if owner.get("host") != host:
                os.close(fd)
                raise self._refuse(owner, f" (if that run is dead, delete {self.path})")
            if pid_alive(int(owner.get("pid", 0))) and int(owner.get("pid", 0)) != os.getpid():
                # flock was free but the pid runs: a file system without flock, or a reused pid
                os.close(fd)
                raise self._refuse(owner, f" (if that run is dead, delete {self.path})")
            self.note = (f"{self.path.parent}: took over the lock of trainer run pid {owner.get('pid')} "
                         f"(started {owner.get('started', '?')}), which is no longer running")
        record = {"pid": os.getpid(), "host": host, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode("utf-8"), 0)
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self) -> None:
        """Empty the file (free) and drop the OS lock; the file stays, so no one locks a
        deleted file while another creates a new one."""
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
