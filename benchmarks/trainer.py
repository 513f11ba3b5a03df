"""Trainer overhead: one tiny-model stage via ``trainer run`` vs a bare TRL GRPOTrainer script.

Both train the same random 2-layer Qwen2 on the same keychain shards (synthetic, 1K
tokens, counted with the tiny tokenizer) with the same GRPO settings, on CPU, and save
the final model. Each run is a fresh process (imports included); the table shows the
best of ``--repeats`` runs and the ratio (issue 5's bar: at most 1.1x).

    python benchmarks/trainer.py [--steps 4] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

# run as a script, this file's folder comes first on sys.path and its name would hide the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

GROUP, PROMPTS, COMPLETION, LR = 4, 2, 16, 1e-5

BARE = textwrap.dedent(
    """
    import sys, pyarrow.parquet as pq
    from pathlib import Path
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer
    from trainer.rewards import reward_function
    model, data, out, steps = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    table = pq.read_table(sorted(data.glob("v*/*.parquet"))[-1])
    columns = ["id", "prompt", "data_source", "answers", "reward_model", "target_len", "n_tokens", "task"]
    args = GRPOConfig(output_dir=out, use_cpu=True, bf16=False, seed=0, data_seed=0, max_steps=steps,
                      num_generations={GROUP}, per_device_train_batch_size={GROUP} * {PROMPTS},
                      gradient_accumulation_steps=1, max_completion_length={COMPLETION}, learning_rate={LR},
                      beta=0.001, epsilon=0.2, lr_scheduler_type="cosine", gradient_checkpointing=False,
                      logging_steps=1, save_strategy="steps", save_steps=1, save_total_limit=2, report_to="none",
                      model_init_kwargs={{"dtype": "float32"}}, temperature=1.0, top_p=1.0)
    trainer = GRPOTrainer(model=model, reward_funcs=reward_function("containment"), args=args,
                          train_dataset=Dataset(table.select(columns)))
    trainer.train()
    trainer.save_model(out + "/final")
    """
).format(GROUP=GROUP, PROMPTS=PROMPTS, COMPLETION=COMPLETION, LR=LR)

RECIPE = """
model: {{path: "{model}", dtype: float32}}
rollout: {{engine: hf, temperature: 1.0, top_p: 1.0}}
grpo: {{group_size: {GROUP}, prompts_per_step: {PROMPTS}, per_device_batch_size: {batch}, learning_rate: {LR},
        max_completion_length: {COMPLETION}, gradient_checkpointing: false, save_steps: 1}}
stages: [{{name: one, steps: {steps}, data: [{{path: "{data}"}}]}}]
"""


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    options = parser.parse_args()
    env = {**os.environ, "KEYCHAIN_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        from trainer.tiny import create_tiny_model

        model = create_tiny_model(root / "tiny-model")
        subprocess.run(
            [sys.executable, "-m", "keychain.cli", "build", "--source", "synthetic", "--len", "1k", "--num", "16",
             "--tokenizer", str(model), "--out", str(root / "data")],
            check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        data = root / "data" / "synthetic-keychain-1k"
        (root / "bare.py").write_text(BARE)
        (root / "recipe.yaml").write_text(RECIPE.format(
            model=model, data=data, steps=options.steps, batch=GROUP * PROMPTS, GROUP=GROUP, PROMPTS=PROMPTS,
            LR=LR, COMPLETION=COMPLETION))
        times: dict[str, list[float]] = {"bare GRPOTrainer": [], "trainer run": []}
        for repeat in range(options.repeats):  # interleaved, so load changes hit both alike
            times["bare GRPOTrainer"].append(
                timed([sys.executable, str(root / "bare.py"), str(model), str(data), str(root / f"bare{repeat}"), str(options.steps)], env))
            times["trainer run"].append(
                timed([sys.executable, "-m", "trainer.cli", "run", str(root / "recipe.yaml"), "--output-dir", str(root / f"run{repeat}")], env))
    base = min(times["bare GRPOTrainer"])
    print(f"tiny model, 1 stage x {options.steps} steps, {PROMPTS} prompts x {GROUP} completions of {COMPLETION} tokens, "
          f"1K-token keychain prompts, CPU, best of {options.repeats} (wall s, process start included)")
    print(f"{'script':<18} {'best s':>8} {'all runs':>24} {'ratio':>6}")
    for name, values in times.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"{name:<18} {min(values):>8.1f} {runs:>24} {min(values) / base:>5.2f}x")


if __name__ == "__main__":
    main()
