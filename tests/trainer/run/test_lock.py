"""One trainer run per folder: a live owner refuses a second run, a dead one's lock is taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from trainer.errors import RunError
from trainer.run.lock import RunLock

from ..conftest import RECIPES


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_second_lock_is_refused_naming_the_owner_and_released_on_exit(tmp_path):
    with RunLock(tmp_path / ".lock").acquire():
        with pytest.raises(RunError, match=rf"{tmp_path} is in use by trainer run pid {os.getpid()} on host "):
            RunLock(tmp_path / ".lock").acquire()
    assert (tmp_path / ".lock").read_text() == ""  # free
    RunLock(tmp_path / ".lock").acquire().release()


def test_a_stale_lock_on_this_host_is_taken_over_one_from_another_host_is_not(tmp_path):
    path = tmp_path / ".lock"
    dead = _dead_pid()
    path.write_text(json.dumps({"pid": dead, "host": socket.gethostname(), "started": "2025-01-01 00:00:00"}))
    with RunLock(path).acquire() as lock:
        assert f"took over the lock of trainer run pid {dead}" in lock.note
        assert json.loads(path.read_text())["pid"] == os.getpid()
    path.write_text(json.dumps({"pid": dead, "host": "gpu-node-7", "started": "2025-01-01 00:00:00"}))
    with pytest.raises(RunError, match=rf"pid {dead} on host gpu-node-7 .*if that run is dead, delete {path}"):
        RunLock(path).acquire()


def test_trainer_run_on_a_folder_in_use_is_refused_with_one_line(tmp_path):
    run_dir = tmp_path / "run"
    with RunLock(run_dir / ".lock").acquire():
        result = subprocess.run([sys.executable, "-m", "trainer.cli", "run", str(RECIPES / "tiny.yaml"),
                                 "--output-dir", str(run_dir)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {run_dir} is in use by trainer run pid {os.getpid()}")
    assert sorted(p.name for p in run_dir.iterdir()) == [".lock"]  # nothing written
