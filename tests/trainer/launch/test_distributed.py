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


def test_a_launched_process_ends_with_its_exit_code_and_flushed_output():
    """Under a launcher, ``trainer`` ends with ``os._exit`` (see ``end_launched_process``):
    the code and every printed line must still come out, and the group is left on success."""
    import subprocess
    import sys

    script = (
        "import sys, torch.distributed as dist\n"
        "from trainer.launch.distributed import end_launched_process\n"
        "dist.init_process_group('gloo', init_method='tcp://127.0.0.1:0', rank=0, world_size=1) if sys.argv[1] == '0' else None\n"
        "print('written before the end', end='')\n"
        "code = {'0': 0, '3': 3, 'none': None, 'text': 'error: a message'}[sys.argv[1]]\n"
        "end_launched_process(code)\n"
    )
    for arg, code, err in (("0", 0, ""), ("3", 3, ""), ("none", 0, ""), ("text", 1, "error: a message\n")):
        done = subprocess.run([sys.executable, "-c", script, arg], capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stdout, done.stderr) == (code, "written before the end", err), done.stderr
