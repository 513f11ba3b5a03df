"""The processes of one launch: who is main, waiting for each other, sharing results.

Under ``torchrun`` or ``accelerate launch`` with N processes, ``setup()`` joins the process
group through accelerate's ``PartialState`` (gloo on CPU, NCCL on GPUs: the same group the
trainer uses later). Run directly, everything here is a no-op on one process.

``main_first(fn)`` is the pattern for work only one process may do (create the tiny
model, build missing shards, write run-folder files): the main process runs ``fn``, the
others wait, and an error on the main process is raised on every process, so no rank hangs
at a barrier. ``my_share(n)`` splits rows across processes (each row exactly once) and
``gather_rows`` puts the per-process results back in row order.

Example (2 processes, 5 rows): rank 0 takes ``my_share(5) == [0, 2, 4]``, rank 1 takes
``[1, 3]``; ``gather_rows`` on rank 0 returns the 5 results in row order.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Callable, NoReturn, TypeVar

from ..errors import TrainerError

T = TypeVar("T")
GROUP_TIMEOUT_S = 1800  # transformers' ddp_timeout default; PyTorch's own NCCL default is 10 minutes


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main() -> bool:
    return rank() == 0


def setup() -> None:
    """Join the launch's process group (a no-op on one process)."""
    if world_size() > 1:
        import torch
        from accelerate import PartialState

        # gloo on CPU, NCCL (one GPU per process) on GPUs. accelerate creates the group once, so
        # the timeout transformers would pass later (ddp_timeout) is set here: the other
        # processes wait this long while the main one builds data or hashes shards.
        PartialState(cpu=not torch.cuda.is_available(), timeout=timedelta(seconds=GROUP_TIMEOUT_S))


def end_launched_process(code: object) -> NoReturn:
    """End one process of a multi-process launch with ``code`` (a ``SystemExit`` code).

    After a success the process group is destroyed first, as PyTorch asks; after a failure
    it is not (with NCCL that can wait on the ranks that are gone). Then the process ends
    with ``os._exit``, skipping the interpreter's teardown: there, gloo's worker thread can
    still be freeing the last broadcast's tensors, finds the interpreter finalizing and
    aborts the process ("terminate called without an active exception", SIGABRT, seen in
    5 of about 25 two-process CPU launches after all their work was written; pytorch#179291).
    Everything this project writes is closed and renamed into place before this point.
    """
    import sys

    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    if code == 0:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def local_device():
    """This process's device: its GPU under a launcher, else cuda:0 or the CPU."""
    import torch

    if not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))


def barrier() -> None:
    if world_size() > 1:
        import torch.distributed as dist

        dist.barrier()


def broadcast(value: Any) -> Any:
    """The main process's ``value`` on every process."""
    if world_size() == 1:
        return value
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(value: Any) -> list[Any]:
    """Every process's ``value``, in rank order, on every process."""
    if world_size() == 1:
        return [value]
    import torch.distributed as dist

    out: list[Any] = [None] * world_size()
    dist.all_gather_object(out, value)
    return out


class ElsewhereError(TrainerError):
    """The main process failed; it printed the reason (other processes exit quietly)."""


def main_first(work: Callable[[], T]) -> T:
    """Run ``work`` on the main process only; every process gets its result or its error."""
    if world_size() == 1:
        return work()
    outcome: tuple[str, Any] = ("ok", None)
    if is_main():
        try:
            outcome = ("ok", work())
        except TrainerError as error:
            outcome = ("error", (type(error), str(error), getattr(error, "exit_code", 2)))
            broadcast(outcome)
            raise
        except BaseException as error:
            broadcast(("error", (RuntimeError, f"{type(error).__name__}: {error}", 1)))
            raise
    outcome = broadcast(outcome)
    if outcome[0] == "error" and not is_main():
        _, message, code = outcome[1]
        failure = ElsewhereError(f"the main process failed: {message}")
        failure.exit_code = code
        raise failure
    return outcome[1]


def my_share(total: int, parts: int | None = None, index: int | None = None) -> list[int]:
    """Row indices this process handles: every ``parts``-th row from ``index``."""
    parts = world_size() if parts is None else parts
    index = rank() if index is None else index
    return list(range(index, total, parts))


def gather_rows(total: int, mine: list[T], parts: int | None = None, group_size: int = 1) -> list[T]:
    """Results of all rows in row order; ``mine`` holds this process's share, in order.

    With ``group_size`` > 1 (vLLM tensor-parallel groups), the processes of one group
    computed the same share and only the first of each group is used.
    """
    gathered = gather(mine)
    parts = world_size() // group_size if parts is None else parts
    results: list[Any] = [None] * total
    for part in range(parts):
        for row, value in zip(my_share(total, parts, part), gathered[part * group_size], strict=True):
            results[row] = value
    return results
