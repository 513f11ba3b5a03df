#!/usr/bin/env bash
# The GPU check: the three-stage schedule on one CUDA GPU, offline, no prompts.
#
#   scripts/gpu-check.sh                 # a temporary work folder, removed afterwards
#   scripts/gpu-check.sh --out /tmp/gc   # keep the model, data and run folder there
#
# A random ~270M-parameter Qwen2 (built here, nothing downloaded), 8K-token synthetic
# plain and KeyChain prompts (keychain build), bf16 with gradient checkpointing, warm-up,
# stage I and stage II with mining; vLLM rollouts and mining when vLLM is installed, else
# transformers with a line saying so. Prints steps/s per stage, the reward at every step,
# and peak GPU memory. Goal: under 8 minutes on one H100 (see BENCHMARKS.md).
set -euo pipefail
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 KEYCHAIN_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1
cd "$(dirname "$0")/.."
keep=0
for arg in "$@"; do [[ "$arg" == --out* ]] && keep=1; done
if [[ $keep == 1 ]]; then
  exec python -m trainer.gpu_check "$@"
fi
work="$(mktemp -d -t gpu-check-XXXXXX)"
trap 'rm -rf "$work"' EXIT
python -m trainer.gpu_check --out "$work" "$@"
