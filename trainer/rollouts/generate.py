"""Sample ``n`` completions per chat prompt with transformers, colocated vLLM or a vLLM server.

Every engine samples with exactly the settings of ``sampling.Sampling`` and nothing from
the model folder's ``generation_config.json``; ``temperature=0`` is greedy decoding: one
completion, repeated ``n`` times.

Each row draws from its own seed, ``row_seed(seed, key)`` of the row's id, so a row's
completions do not depend on which other rows share its batch or its process: 1 or N
processes give the same completions (transformers on CPU: identical; vLLM: one seed per
request, up to kernel numerics).

Example: ``sample_completions("runs/x/stages/one/final", [[{"role": "user", "content":
"hi"}]], Sampling(n=2, max_new_tokens=8), keys=["row-0"])`` -> ``[["...", "..."]]``.
"""

from __future__ import annotations

from typing import Literal

from ..errors import DependencyError
from ..launch.hardware import cuda_gpus, vllm_problem
from .sampling import Progress, Sampling, load_hf, row_seed

Engine = Literal["auto", "vllm", "hf", "server"]
__all__ = ["Engine", "Progress", "Sampling", "pick_engine", "row_seed", "sample_completions"]


def pick_engine(engine: Engine) -> Literal["vllm", "hf", "server"]:
    if engine not in ("auto", "vllm", "hf", "server"):
        raise DependencyError(f"unknown engine {engine!r}; choose auto, vllm, server or hf")
    if engine == "hf":
        return "hf"
    problem = vllm_problem()
    if engine == "auto":
        return "vllm" if problem is None and cuda_gpus() else "hf"
    if problem is not None:
        raise DependencyError(f"engine {engine}: {problem}")
    if engine == "vllm" and not cuda_gpus():
        raise DependencyError("engine vllm needs a CUDA GPU, and none is visible; use --engine hf on this machine")
    return engine


def sample_completions(model_path: str, prompts: list[list[dict]], sampling: Sampling, engine: Engine = "auto",
                       keys: list[str] | None = None, progress: Progress | None = None) -> list[list[str]]:
    """``sampling.n`` completions for every prompt, in prompt order; ``keys`` seed the rows."""
    keys = [str(i) for i in range(len(prompts))] if keys is None else keys
    seeds = [row_seed(sampling.seed, key) for key in keys]
    chosen = pick_engine(engine)
    if chosen == "hf":
        return _sample_hf(model_path, prompts, sampling, seeds, progress)
    from .vllm_engine import sample_colocated, sample_server

    if chosen == "server":
        return sample_server(model_path, prompts, sampling, seeds, progress)
    return sample_colocated(model_path, prompts, sampling, seeds, progress)


def prompt_text(tokenizer, prompt: list[dict], prefix: str = "") -> str:
    """The prompt as the model reads it, the assistant turn opened and started with ``prefix``.

    The prefix is a final assistant message the template continues (as vLLM is asked to),
    so a template that already primes the turn (``grpo.primed_template``, saved with every
    trained checkpoint) does not write it twice.
    """
    if not prefix:
        return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    return tokenizer.apply_chat_template([*prompt, {"role": "assistant", "content": prefix}], tokenize=False,
                                         add_generation_prompt=False, continue_final_message=True)


def _sample_hf(model_path: str, prompts: list[list[dict]], sampling: Sampling, seeds: list[int],
               progress: Progress | None) -> list[list[str]]:
    import torch

    from .sampling import hf_generation_config

    model, tokenizer, device = load_hf(model_path)
    eos = model.generation_config.eos_token_id if model.generation_config.eos_token_id is not None else tokenizer.eos_token_id
    config = hf_generation_config(sampling, tokenizer.pad_token_id, eos)
    results: list[list[str]] = []
    for prompt, seed in zip(prompts, seeds, strict=True):
        text = prompt_text(tokenizer, prompt, sampling.assistant_prefix)
        inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False).to(device)
        torch.manual_seed(seed)  # one stream per row: the row's samples do not depend on its neighbours
        with torch.no_grad():
            output = model.generate(**inputs, generation_config=config)
        texts = tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        results.append(texts * sampling.n if sampling.greedy else texts)
        if progress is not None:
            progress(1, sampling.n)
    del model
    return results
