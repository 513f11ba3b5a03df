"""``scripts/gpu-check.sh``: the whole three-stage schedule on one CUDA GPU, offline, in minutes.

It makes a random Qwen2 of about 270M parameters (24 layers, hidden 1024, a locally
trained byte-level BPE, nothing downloaded), builds synthetic plain and KeyChain shards of
8K-token prompts with keychain, and runs ``trainer run`` on a recipe with the schedule of
``recipes/7b.yaml`` in miniature (warm-up, stage I with KeyChain rows, stage II mining
with the stage-I model) in bf16 with gradient checkpointing. The reward is ``char_share``
so the curve moves for a random model. vLLM rollouts and mining are used when vLLM is
installed (in TRL's range) and skipped, with a line saying so, when it is not.

It prints, per stage, steps, training steps/s (from TRL's ``step_time``) and seconds, the
reward at every step, the peak GPU memory (PyTorch's allocator, and the device-wide peak
sampled every 0.5 s, which includes vLLM) and the memory still held after the run
(released stages should leave ~0). ``--cpu-smoke`` runs the same code path at the tiny
model's size on CPU, which is how the tests exercise it.

Example: ``scripts/gpu-check.sh`` (8 minutes or less on one H100) or
``python -m trainer.gpu_check --cpu-smoke --out /tmp/gpu-check``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Size:
    layers: int
    hidden: int
    intermediate: int
    heads: int
    kv_heads: int
    prompt: str  # keychain --len
    rows: int  # rows per shard set
    completion: int  # tokens
    group: int
    prompts_per_step: int
    per_device: int
    steps: int  # per stage
    mine_rows: int
    mine_rollouts: int


GPU = Size(24, 1024, 2816, 16, 4, "8k", 32, 128, 8, 4, 8, 3, 16, 4)
SMOKE = Size(2, 64, 128, 4, 2, "1k", 16, 8, 4, 2, 8, 1, 4, 2)


def build_model(folder: Path, size: Size, seed: int = 0) -> Path:
    """A random Qwen2 of ``size`` with the tiny model's tokenizer, saved like a Hub model."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from .rollouts.sampling import plain_generation_config
    from .tiny import create_tiny_model

    tokenizer_source = create_tiny_model(folder.parent / "tokenizer", seed=seed)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=size.hidden, intermediate_size=size.intermediate,
        num_hidden_layers=size.layers, num_attention_heads=size.heads, num_key_value_heads=size.kv_heads,
        max_position_embeddings=16384, tie_word_embeddings=True, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config)
    model.generation_config = plain_generation_config(config)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def recipe(out: Path, size: Size, cpu: bool, vllm: bool) -> dict:
    """The miniature schedule as a raw recipe (``trainer run`` checks it like any other)."""
    def build(task: str) -> dict:
        return {"source": "synthetic", "task": task, "len": size.prompt, "num": size.rows, "tokenizer": str(out / "model")}

    plain = {"path": f"{out}/data/synthetic-plain-{size.prompt}", "build": build("plain")}
    keychain = {"path": f"{out}/data/synthetic-keychain-{size.prompt}", "build": build("keychain")}
    from .recipe.settings import parse_length

    prompt_tokens = parse_length(size.prompt)
    rollout = {"engine": "vllm", "vllm_mode": "colocate", "gpu_memory_utilization": 0.3,
               "max_model_length": prompt_tokens + size.completion, "temperature": 1.0} if vllm else {"engine": "hf"}
    return {
        "model": {"path": str(out / "model"), "dtype": "float32" if cpu else "bfloat16", "attn_implementation": "sdpa"},
        "rollout": rollout,
        "grpo": {"group_size": size.group, "prompts_per_step": size.prompts_per_step, "per_device_batch_size": size.per_device,
                 "learning_rate": 1e-5, "kl_beta": 0.001, "max_completion_length": size.completion,
                 "max_prompt_length": size.prompt, "gradient_checkpointing": True, "save_steps": size.steps},
        "reward": {"name": "char_share"},
        "seed": 0,
        "output_dir": str(out / "run"),
        "stages": [
            {"name": "warmup", "steps": size.steps, "data": [plain]},
            {"name": "stage1", "steps": size.steps, "data": [{**plain, "weight": 1}, {**keychain, "weight": 1}]},
            {"name": "stage2", "steps": size.steps, "data": [{"path": keychain["path"]}],
             "mine": {"rollouts": size.mine_rollouts, "max_rows": size.mine_rows}},
        ],
    }


class DevicePeak:
    """Device-wide used memory (``cudaMemGetInfo``: every allocator, vLLM's too), sampled."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.peak, self.interval_s = 0, interval_s
        self._stop = threading.Event()

    def _sample(self) -> None:
        import torch

        while not self._stop.is_set():
            free, total = torch.cuda.mem_get_info()
            self.peak = max(self.peak, total - free)
            self._stop.wait(self.interval_s)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def report(run_dir: Path, summaries: list[dict]) -> list[str]:
    """Per-stage lines: steps, training steps/s, seconds, and the reward at every step."""
    lines = [f"{'stage':<8} {'steps':>5} {'steps/s':>8} {'seconds':>8}  reward by step"]
    for summary in summaries:
        metrics = [json.loads(line) for line in (run_dir / "stages" / summary["stage"] / "metrics.jsonl").read_text().splitlines()]
        times = [m["step_time"] for m in metrics if "step_time" in m]
        rewards = [f"{m['reward']:.3f}" for m in metrics if "reward" in m]
        rate = f"{len(times) / sum(times):.3f}" if times and sum(times) > 0 else "-"
        lines.append(f"{summary['stage']:<8} {summary['steps']:>5} {rate:>8} {summary['seconds']:>8}  {' '.join(rewards)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpu-check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--cpu-smoke", action="store_true", help="the same code path with the tiny model on CPU")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    import torch

    from .launch.hardware import cuda_gpus, vllm_problem
    from .launch.memory_estimate import load_shape
    from .recipe import parse_recipe
    from .stages import run_recipe

    gpus = cuda_gpus()
    if not args.cpu_smoke and not gpus:
        print("error: no CUDA GPU is visible; run this on a GPU machine (or --cpu-smoke to test the code path)", file=sys.stderr)
        return 2
    problem = vllm_problem() if gpus else "no GPU"
    use_vllm = not args.cpu_smoke and problem is None
    size = SMOKE if args.cpu_smoke else GPU
    out = args.out or Path(tempfile.mkdtemp(prefix="gpu-check-"))
    device = "CPU (smoke)" if args.cpu_smoke else f"{gpus[0].name}, {gpus[0].memory_bytes / 1e9:.0f} GB"
    print(f"gpu-check: torch {torch.__version__}, {device}, work folder {out}", flush=True)
    print("gpu-check: vLLM rollouts and mining" if use_vllm else f"gpu-check: vLLM parts skipped ({problem}); rollouts use transformers", flush=True)
    model = build_model(out / "model", size) if not (out / "model" / "config.json").is_file() else out / "model"
    shape = load_shape(str(model))
    print(f"gpu-check: random Qwen2, {shape.parameters / 1e6:.1f}M parameters, {size.prompt} prompts", flush=True)
    resolved = parse_recipe(recipe(out, size, cpu=args.cpu_smoke, vllm=use_vllm))
    if gpus:
        torch.cuda.reset_peak_memory_stats()
        with DevicePeak() as device_peak:
            summaries = run_recipe(resolved, command="gpu-check")
        allocated_peak, still = torch.cuda.max_memory_allocated(), torch.cuda.memory_allocated()
    else:
        summaries = run_recipe(resolved, command="gpu-check")
    print("\n".join(report(Path(resolved.output_dir), summaries)))
    if gpus:
        print(f"peak GPU memory: {allocated_peak / 1e9:.1f} GB allocated by PyTorch, {device_peak.peak / 1e9:.1f} GB used on "
              f"the device; still allocated after the run: {still / 1e6:.0f} MB")
    elapsed = time.perf_counter() - started
    print(f"gpu-check: done in {elapsed:.0f} s" + (" (over the 8-minute goal)" if elapsed > 480 and gpus else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
