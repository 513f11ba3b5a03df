"""What the build's pre-write check costs: rows built with and without verify's checks.

    python benchmarks/prewrite_check.py                 # 1000 synthetic rows at 16K, cl100k
    python benchmarks/prewrite_check.py --num 250 --len 64k

Every row a build writes first passes ``check_row`` (all of verify's checks but the fresh
token count; ``keychain/run/executors.py``). This builds the same rows through
``build_batch`` in one process, alternating rounds with the check on and replaced by a
no-op, after one warm-up round (per-document token counts cached, as in a build after
its first rows), and prints the best CPU seconds (``time.process_time``) of each.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=1000, help="rows (default 1000)")
    parser.add_argument("--len", dest="length", default="16k", help="token budget (default 16k)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each, alternating (default 4)")
    args = parser.parse_args()
    os.environ.setdefault("KEYCHAIN_OFFLINE", "1")

    from keychain.check import row_checks
    from keychain.config import BuildConfig, parse_length
    from keychain.rows.prompts import load_template
    from keychain.rows.tokens import load_counter
    from keychain.run import executors
    from keychain.run.builders import prepare
    from keychain.store.schema import SCHEMA

    length = parse_length(args.length)
    config = BuildConfig(source="synthetic", lengths=(length,), num=args.num)
    template, counter = load_template(None), load_counter("cl100k_base")
    [(builder, plan)] = prepare(config, [config.spec(length, template.digest)], template, counter)
    rows = list(enumerate(plan.items))
    chunks = [rows[start : start + executors.CHUNK_ROWS] for start in range(0, len(rows), executors.CHUNK_ROWS)]
    check = row_checks.check_row

    class Passed:
        problems: list = []

    def build(checked: bool) -> float:
        row_checks.check_row = check if checked else (lambda *args, **kwargs: Passed)
        began = time.process_time()
        for chunk in chunks:
            executors.build_batch(builder, SCHEMA, chunk)
        return time.process_time() - began

    build(True)
    seconds = {True: [], False: []}
    for _ in range(args.rounds):
        for checked in (False, True):
            seconds[checked].append(build(checked))
    without, with_check = min(seconds[False]), min(seconds[True])
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"best of {args.rounds} rounds, CPU seconds")
    print("| case | rows | without check s | with check s | check ms/row | increase |")
    print("|---|---|---|---|---|---|")
    print(f"| synthetic {args.length} cl100k, build_batch, caches warm | {len(rows)} | {without:.2f} | {with_check:.2f} "
          f"| {1000 * (with_check - without) / len(rows):.2f} | {100 * (with_check / without - 1):.0f}% |")


if __name__ == "__main__":
    main()
