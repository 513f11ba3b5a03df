"""Splitting rows across processes, and reading the launcher's environment (known answers).

The real multi-process behaviour runs under torchrun in ``tests/trainer/test_multiprocess.py``.
"""

from __future__ import annotations

from trainer.launch.distributed import gather_rows, main_first, my_share
from trainer.launch.hardware import Launch


def test_each_row_goes_to_exactly_one_process():
    shares = [my_share(7, parts=3, index=i) for i in range(3)]
    assert shares == [[0, 3, 6], [1, 4], [2, 5]]
    assert sorted(row for share in shares for row in share) == list(range(7))
    assert my_share(2, parts=4, index=3) == []  # more processes than rows: some get none


def test_one_process_gathers_its_own_rows_in_order():
    assert gather_rows(3, ["a", "b", "c"]) == ["a", "b", "c"]
    assert main_first(lambda: 42) == 42


def test_launch_is_read_from_the_launchers_environment():
    assert Launch.from_env({}) == Launch(1, 1, "ddp")
    launch = Launch.from_env({"WORLD_SIZE": "16", "LOCAL_WORLD_SIZE": "8", "ACCELERATE_USE_DEEPSPEED": "true"})
    assert (launch.processes, launch.local_processes, launch.engine, launch.nodes) == (16, 8, "deepspeed", 2)
    assert Launch.from_env({"WORLD_SIZE": "2", "ACCELERATE_USE_FSDP": "true"}).engine == "fsdp"
