"""Sample ``n`` completions per chat prompt: vLLM on a GPU when installed, else transformers.

Both engines take the same sampling settings and a seed, so pass rates and evaluation
do not depend on which one ran (up to sampling noise). transformers' ``generate`` runs
in batches of ``batch_prompts`` prompts with left padding.

Example: ``sample_completions("runs/x/stages/one/final", [[{"role": "user", "content":
"hi"}]], Sampling(n=2, max_new_tokens=8))`` -> ``[["...", "..."]]`` (one list per prompt).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Literal

from .errors import DependencyError, ModelError

Engine = Literal["auto", "vllm", "hf"]


@dataclass(frozen=True)
class Sampling:
    n: int = 8  # completions per prompt
    max_new_tokens: int = 4096
    temperature: float = 0.6
    top_p: float = 0.95
    seed: int = 0
    batch_prompts: int = 8  # prompts per transformers generate call
    tensor_parallel_size: int = 1  # vLLM
    gpu_memory_utilization: float = 0.9  # vLLM, when it owns the GPU
    max_model_length: int | None = None  # vLLM, prompt + completion tokens
    assistant_prefix: str = ""  # text the assistant turn starts with (e.g. "<think>"), after the generation prompt


def vllm_usable() -> bool:
    """vLLM is installed and a CUDA GPU is visible."""
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()


def pick_engine(engine: Engine) -> Literal["vllm", "hf"]:
    if engine not in ("auto", "vllm", "hf"):
        raise DependencyError(f"unknown engine {engine!r}; choose auto, vllm or hf")
    if engine == "auto":
        return "vllm" if vllm_usable() else "hf"
    if engine == "vllm" and not vllm_usable():
        raise DependencyError("engine vllm needs vLLM and a CUDA GPU; install keychain[vllm] on a GPU node or use --engine hf")
    return engine


def sample_completions(model_path: str, prompts: list[list[dict]], sampling: Sampling, engine: Engine = "auto") -> list[list[str]]:
    """``sampling.n`` completions for every prompt, in prompt order."""
    if pick_engine(engine) == "vllm":
        return _sample_vllm(model_path, prompts, sampling)
    return _sample_hf(model_path, prompts, sampling)


def _sample_vllm(model_path: str, prompts: list[list[dict]], sampling: Sampling) -> list[list[str]]:  # pragma: no cover - GPU only
    from vllm import LLM, SamplingParams

    llm = LLM(
        model=model_path,
        tensor_parallel_size=sampling.tensor_parallel_size,
        gpu_memory_utilization=sampling.gpu_memory_utilization,
        max_model_len=sampling.max_model_length,
        seed=sampling.seed,
    )
    params = SamplingParams(
        n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p,
        max_tokens=sampling.max_new_tokens, seed=sampling.seed,
    )
    if sampling.assistant_prefix:  # vLLM continues a final assistant message instead of opening a turn
        primed = [[*p, {"role": "assistant", "content": sampling.assistant_prefix}] for p in prompts]
        outputs = llm.chat(primed, params, use_tqdm=False, add_generation_prompt=False, continue_final_message=True)
    else:
        outputs = llm.chat(prompts, params, use_tqdm=False)
    return [[choice.text for choice in output.outputs] for output in outputs]


def _sample_hf(model_path: str, prompts: list[list[dict]], sampling: Sampling) -> list[list[str]]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_path, padding_side="left")
        device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(device).eval()
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot load model {model_path} ({str(error).splitlines()[0]}); check the path or Hub id") from error
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    generator = torch.Generator(device=device).manual_seed(sampling.seed)
    results: list[list[str]] = []
    for start in range(0, len(prompts), sampling.batch_prompts):
        batch = prompts[start : start + sampling.batch_prompts]
        texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) + sampling.assistant_prefix for p in batch]
        inputs = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))  # one seed per batch
        with torch.no_grad():
            output = model.generate(
                **inputs, do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p,
                max_new_tokens=sampling.max_new_tokens, num_return_sequences=sampling.n,
                pad_token_id=tokenizer.pad_token_id,
            )
        decoded = tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        results.extend(decoded[i * sampling.n : (i + 1) * sampling.n] for i in range(len(batch)))
    return results
