"""What benchmarks/build.py measures: child builds, tokenize-once floors, the paper's scripts.

Every build runs as a child process, as a user would: "wall" is its wall time with
start-up, "cpu" its user+system time (``os.wait4``), "peak" its own ``VmHWM`` and "first"
the wall time from launch to its first finished row (and the CPU time it took to get there). The floor is measured in this
process on the rows a build produced: every prompt rendered beforehand (untimed), then
encoded once with the tokenizer itself (``Tokenizer.encode`` / tiktoken's
``encode_ordinary``, one prompt at a time), which is what a build that counts each prompt
whole cannot go below.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

# Runs ``keychain`` in the child; writes its peak RSS (VmHWM, KB) and the wall-clock time of
# its first built row to the files named in argv[1] and argv[2].
CHILD = """
import atexit, sys, time
peak_file, first_file = sys.argv[1], sys.argv[2]
def peak():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                open(peak_file, "w").write(line.split()[1])
    except OSError:
        pass
atexit.register(peak)
import keychain.rows.build as rows_build
built = rows_build.RowBuilder.build
def first_row(self, index, item):
    row = built(self, index, item)
    if not rows_build.__dict__.get("_benchmark_first"):
        rows_build._benchmark_first = True
        open(first_file, "w").write(f"{time.time()!r} {time.process_time()!r}")
    return row
rows_build.RowBuilder.build = first_row
sys.argv = ["keychain"] + sys.argv[3:]
from keychain.cli import main
main()
"""


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float
    first: float | None
    rows: list[dict] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # shard path -> sha256
    phase: float | None = None  # the build's own "built, N rows ... in S s" (rows and shards, no start-up)
    first_cpu: float | None = None  # CPU seconds of the child up to its first row


def keychain(args: list[str], folder: Path, env: dict | None = None, columns=("n_tokens", "target_len", "tokenizer", "prompt")) -> Run:
    """One ``keychain`` child process over ``folder/out`` (cleared first)."""
    out, peak, first = folder / "out", folder / "peak", folder / "first"
    if args[0] == "build":
        shutil.rmtree(out, ignore_errors=True)
    for file in (peak, first):
        file.unlink(missing_ok=True)
    command = [sys.executable, "-c", CHILD, str(peak), str(first), *args]
    if args[0] == "build":
        command += ["--out", str(out)]
    log = folder / "log"
    with open(log, "w+b") as output:
        began, began_clock = time.perf_counter(), time.time()
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, "KEYCHAIN_OFFLINE": "1", **(env or {})})
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"keychain {' '.join(args)} failed: {log.read_text()[-800:]}")
    peak_mb = (int(peak.read_text()) if peak.is_file() else usage.ru_maxrss) / 1024
    first_row, first_cpu = (None, None)
    if first.is_file():
        clock, cpu = map(float, first.read_text().split())
        first_row, first_cpu = clock - began_clock, cpu
    shards = sorted(out.rglob("*.parquet")) if out.is_dir() and args[0] == "build" else []
    rows = [row for shard in shards for row in pq.read_table(shard, columns=list(columns)).to_pylist()] if columns else []
    digests = {str(s.relative_to(out)): hashlib.sha256(s.read_bytes()).hexdigest() for s in shards}
    phases = re.findall(r": (?:built|resumed), \d+ rows.*? in ([0-9.]+) s", log.read_text(errors="replace"))
    phase = sum(map(float, phases)) if phases else None
    return Run(wall, usage.ru_utime + usage.ru_stime, peak_mb, first_row, rows, digests, phase, first_cpu)


def floor(rows: list[dict]) -> float:
    """Seconds to encode every prompt of ``rows`` once with its tokenizer (rendering untimed)."""
    from keychain.rows.tokens import load_counter

    counter = load_counter(rows[0]["tokenizer"])
    if hasattr(counter, "encode_count"):  # a Hugging Face tokenizer: the rendered chat template
        texts = [counter.render_prompt(row["prompt"]) if counter.has_chat_template else None for row in rows]
        encode = counter.backend.encode
        began = time.perf_counter()
        for text, row in zip(texts, rows):
            for part in [text] if text is not None else [m["content"] for m in row["prompt"]]:
                encode(part, add_special_tokens=False)
        return time.perf_counter() - began
    encode = counter.encoding.encode_ordinary
    began = time.perf_counter()
    for row in rows:
        for message in row["prompt"]:
            encode(message["content"])
    return time.perf_counter() - began


def recount(rows: list[dict], batched: bool, batch: int = 64) -> float:
    """Seconds to recount every prompt whole as ``keychain verify`` does (64 rows per
    ``count_prompts`` call, encoded over all cores), or one ``count_prompt`` at a time."""
    from keychain.rows.tokens import load_counter

    counter = load_counter(rows[0]["tokenizer"])
    prompts = [row["prompt"] for row in rows]
    began = time.perf_counter()
    if batched:
        for start in range(0, len(prompts), batch):
            counter.count_prompts(prompts[start : start + batch])
    else:
        for prompt in prompts:
            counter.count_prompt(prompt)
    return time.perf_counter() - began


def reference(script: str, length: int, folder: Path) -> float:
    """The paper's scripts (pad, then chains) via ``script``: their wall seconds, start-up
    included. ``script LEN head OUT`` must print ``pad_plus_chains_s=S``, the wall time of
    the two processes (it converts rows for verl afterwards, which is not counted)."""
    out = folder / "reference"
    child = subprocess.Popen(["bash", script, str(length), "head", str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = child.stdout.read().decode()
    if child.wait():
        raise SystemExit(f"{script} failed: {text[-800:]}")
    found = re.search(r"pad_plus_chains_s=([0-9.]+)", text)
    if not found:
        raise SystemExit(f"{script} printed no pad_plus_chains_s: {text[-400:]}")
    return float(found.group(1))


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"
