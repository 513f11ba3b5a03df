"""Build speed, memory and fill, measured against the tokenize-once floor.

    python benchmarks/build.py                       # print the table (a few minutes)
    python benchmarks/build.py --quick               # fewer rows, no 10K-row memory case
    python benchmarks/build.py --record --repeats 3  # best of 3, appended to BENCHMARKS.md

Every case runs ``keychain build`` as a child process, as a user would, into a temporary
folder: "wall s" is its wall time with start-up (interpreter, imports, source, pool
tokenization) and "peak RSS" its peak resident memory (``VmHWM``). The floor is then
measured here, in the same run: the time to count every produced prompt once with the same
tokenizer (``TokenCounter.count_prompt``, the call ``keychain verify`` makes per row).
"peak RSS" is the build process's own peak (with ``--workers 2``: the parent's, each
forked worker holds about as much).

Tokenizers: ``cl100k_base`` (tiktoken) and a byte-level BPE with a ChatML template
trained here on synthetic-world text (16K vocabulary, a Hugging Face fast tokenizer),
so the Hugging Face path is measured without a download. The HotpotQA case uses the
real sample in ../shared/data when it is present.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
# run as a script, this folder comes first on sys.path and benchmarks/trainer.py would hide the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
SAMPLE = ROOT.parent / "shared" / "data" / "hotpotqa_train_sample.json"
# Runs ``keychain`` in the child and writes its peak RSS (VmHWM, in KB) to argv[1] at exit.
CHILD = """
import atexit, sys
target = sys.argv[1]
def peak():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                open(target, "w").write(line.split()[1])
    except OSError:
        pass
atexit.register(peak)
sys.argv = ["keychain"] + sys.argv[2:]
from keychain.cli import main
main()
"""


def train_hf_tokenizer(folder: Path) -> str:
    """A 16K-vocabulary byte-level BPE over synthetic-world passages, saved with ChatML."""
    from keychain.sources import SourceRequest, load_source
    from trainer.tiny import train_chatml_bpe

    world = load_source("synthetic", SourceRequest(split="train", data_files=(), seed=99, num=2000, max_len=16384))
    train_chatml_bpe(["".join(document.sentences) for document in world.documents], folder, vocab_size=16000)
    return str(folder)


def cases(quick: bool, hf_path: str | None) -> list[dict]:
    scale = 5 if quick else 1
    found = []
    if SAMPLE.is_file():
        found.append({"case": "hotpotqa sample 16k", "args": ["--source", "hotpotqa", "--data-files", str(SAMPLE), "--len", "16k", "--num", "100"]})
    sizes = (("4k", 1000), ("16k", 1000), ("64k", 250), ("128k", 125))
    tokenizers = [("cl100k_base", "cl100k")] + ([(hf_path, "hf-bpe16k")] if hf_path else [])
    for spec, label in tokenizers:
        for length, num in sizes:
            found.append(
                {
                    "case": f"synthetic {length} {label}",
                    "args": ["--source", "synthetic", "--len", length, "--num", str(num // scale), "--tokenizer", spec],
                }
            )
    found.append({"case": "synthetic 16k cl100k, --workers 2", "args": ["--source", "synthetic", "--len", "16k", "--num", str(1000 // scale), "--workers", "2"]})
    if not quick:
        found.append({"case": "synthetic 16k cl100k, 10,000 rows", "args": ["--source", "synthetic", "--len", "16k", "--num", "10000"], "no_floor": True})
    return found


def run_build(case: dict, folder: str) -> tuple[float, float, list[dict]]:
    """One ``keychain build`` child process: (wall seconds, peak RSS in KB, rows read back)."""
    peak = Path(folder) / "peak"
    out = Path(folder) / "out"
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-c", CHILD, str(peak), "build", *case["args"], "--out", str(out)]
    log = Path(folder) / "log"
    with open(log, "w+b") as output:
        began = time.perf_counter()
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, "KEYCHAIN_OFFLINE": "1"})
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{case['case']} failed: {log.read_text()[-500:]}")
    # VmHWM of the build process itself; ru_maxrss would also count this process's
    # memory at fork time, which grows as earlier cases' rows are read back.
    peak_kb = int(peak.read_text()) if peak.is_file() else usage.ru_maxrss
    columns = ["n_tokens", "target_len", "tokenizer"] + ([] if case.get("no_floor") else ["prompt"])
    rows = [row for shard in sorted(out.rglob("*.parquet")) for row in pq.read_table(shard, columns=columns).to_pylist()]
    return wall, peak_kb, rows


def run_case(case: dict, repeats: int = 1) -> dict:
    """Best of ``repeats`` for the build and for the floor (the machine's noise only adds time)."""
    from keychain.rows.tokens import load_counter

    walls, peaks = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(1 if case.get("no_floor") else repeats):
            wall, peak_kb, rows = run_build(case, folder)
            walls.append(wall)
            peaks.append(peak_kb)
    floor = None
    if not case.get("no_floor"):
        counter = load_counter(rows[0]["tokenizer"])
        floors = []
        for _ in range(repeats):
            began = time.perf_counter()
            for row in rows:
                counter.count_prompt(row["prompt"])
            floors.append(time.perf_counter() - began)
        floor = min(floors)
    wall = min(walls)
    fills = [row["n_tokens"] / row["target_len"] for row in rows]
    tokens = sum(row["n_tokens"] for row in rows)
    return {
        "case": case["case"],
        "rows": len(rows),
        "wall": wall,
        "rows/s": len(rows) / wall,
        "ms/row": 1000 * wall / len(rows),
        "tokens/s": tokens / wall,
        "floor": floor,
        "ratio": wall / floor if floor else None,
        "rss_mb": max(peaks) / 1024,
        "fill min": min(fills),
        "fill median": statistics.median(fills),
    }


def table(results: list[dict]) -> str:
    head = (
        "| case | rows | wall s (start-up incl.) | rows/s | ms/row | prompt tokens/s | tokenize-once floor s "
        "| wall / floor | peak RSS MB | fill min | fill median |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in results:
        floor = f"{r['floor']:.2f}" if r["floor"] else "-"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] else "-"
        lines.append(
            f"| {r['case']} | {r['rows']} | {r['wall']:.2f} | {r['rows/s']:.1f} | {r['ms/row']:.2f} | {r['tokens/s']:,.0f} | "
            f"{floor} | {ratio} | {r['rss_mb']:.0f} | {r['fill min']:.2%} | {r['fill median']:.2%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="append the table to BENCHMARKS.md")
    parser.add_argument("--quick", action="store_true", help="a fifth of the rows, no 10K-row case")
    parser.add_argument("--no-hf", action="store_true", help="skip the Hugging Face tokenizer cases")
    parser.add_argument("--only", help="run only cases whose name contains this text")
    parser.add_argument("--repeats", type=int, default=1, help="best of N builds and floors per case")
    args = parser.parse_args()
    os.environ.setdefault("KEYCHAIN_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as folder:
        hf_path = None if args.no_hf else train_hf_tokenizer(Path(folder) / "hf-bpe16k")
        chosen = [case for case in cases(args.quick, hf_path) if not args.only or args.only in case["case"]]
        results = []
        for case in chosen:
            results.append(run_case(case, args.repeats))
            print(f"{case['case']}: {results[-1]['wall']:.2f} s", file=sys.stderr, flush=True)
    text = table(results)
    print(text)
    if args.record:
        command = shlex.join(["python", "benchmarks/build.py", *sys.argv[1:]])
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as handle:
            handle.write(f"\n## {time.strftime('%Y-%m-%d')}: build speed, memory and fill\n\n")
            handle.write(
                f"Command: `{command}` (single process unless the case says otherwise; best of "
                f"{args.repeats} for build and floor). Machine: {machine}.\n\n{text}\n"
            )


if __name__ == "__main__":
    main()
