"""Build speed and fill, measured against the tokenize-once floor.

    python benchmarks/build.py                       # print the table
    python benchmarks/build.py --record              # and append it to BENCHMARKS.md

For each case it runs one single-process ``keychain build`` into a temporary folder and
reports rows/s, prompt tokens/s, the tokenize-once floor (the time to count every
produced prompt once with the same tokenizer, measured in the same run), the ratio of
build time to that floor, and the fill ratio (min, median, max). The HotpotQA case uses
the real sample in ../shared/data when it is present.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "hotpotqa_train_sample.json"


def cases(quick: bool) -> list[dict]:
    found = []
    if SAMPLE.is_file():
        found.append({"name": "hotpotqa sample", "source": "hotpotqa", "data_files": (str(SAMPLE),), "lengths": (16384,), "num": 100})
    found.append({"name": "synthetic", "source": "synthetic", "lengths": (16384,), "num": 200 if quick else 1000})
    found.append({"name": "synthetic", "source": "synthetic", "lengths": (131072,), "num": 20 if quick else 100})
    return found


def run_case(case: dict) -> dict:
    from keychain.config import BuildConfig
    from keychain.pipeline import build
    from keychain.progress import LineReporter
    from keychain.tokens import load_counter

    settings = {k: v for k, v in case.items() if k != "name"}
    with tempfile.TemporaryDirectory() as folder:
        config = BuildConfig(out=folder, **settings)
        began = time.perf_counter()
        [result] = build(config, command="benchmark", reporter=LineReporter(io.StringIO(), 3600))
        seconds = time.perf_counter() - began
        rows = [row for shard in sorted(Path(folder).rglob("*.parquet")) for row in pq.read_table(shard).to_pylist()]
    counter = load_counter(config.tokenizer)
    began = time.perf_counter()
    for row in rows:
        counter.count_prompt(row["prompt"])
    floor = time.perf_counter() - began
    length = settings["lengths"][0]
    fills = [row["n_tokens"] / length for row in rows]
    tokens = sum(row["n_tokens"] for row in rows)
    return {
        "case": f"{case['name']} {length // 1024}k",
        "rows": len(rows),
        "seconds": seconds,
        "rows/s": len(rows) / seconds,
        "tokens/s": tokens / seconds,
        "floor s": floor,
        "build/floor": seconds / floor,
        "fill min": min(fills),
        "fill median": statistics.median(fills),
        "fill max": max(fills),
        "skipped": sum(result.skipped.values()),
    }


def table(results: list[dict]) -> str:
    head = "| case | rows | build s | rows/s | prompt tokens/s | tokenize-once floor s | build / floor | fill min | fill median | fill max | skipped |"
    lines = [head, "|" + "---|" * 11]
    for r in results:
        lines.append(
            f"| {r['case']} | {r['rows']} | {r['seconds']:.2f} | {r['rows/s']:.1f} | {r['tokens/s']:,.0f} | "
            f"{r['floor s']:.2f} | {r['build/floor']:.2f} | {r['fill min']:.2%} | {r['fill median']:.2%} | "
            f"{r['fill max']:.2%} | {r['skipped']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="append the table to BENCHMARKS.md")
    parser.add_argument("--quick", action="store_true", help="fewer rows per case")
    args = parser.parse_args()
    os.environ.setdefault("KEYCHAIN_OFFLINE", "1")
    results = [run_case(case) for case in cases(args.quick)]
    text = table(results)
    print(text)
    if args.record:
        command = shlex.join(["python", "benchmarks/build.py", *sys.argv[1:]])
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as handle:
            handle.write(f"\n## {time.strftime('%Y-%m-%d')}: build speed and fill\n\n")
            handle.write(f"Command: `{command}` (single process, cl100k_base). Machine: {machine}.\n\n{text}\n")


if __name__ == "__main__":
    main()
