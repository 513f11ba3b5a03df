"""Sampling settings, one seed per row, and generation configs that inherit nothing.

Every engine samples with exactly the settings in ``Sampling`` (temperature, top-p,
top-k, max tokens; min-p 0, no repetition penalty) and nothing from the model folder's
``generation_config.json`` (Qwen2.5-Instruct ships ``top_k=20, repetition_penalty=1.05``;
transformers fills every field a caller leaves unset from it). ``temperature=0`` is
greedy decoding. Each row draws from its own seed, ``row_seed(seed, row id)``.

Example: ``Sampling(n=4, temperature=0).greedy`` is True; ``hf_generation_config`` of it
asks for one greedy completion, which the engines repeat ``n`` times.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

from ..errors import ModelError

Progress = Callable[[int, int], None]  # (rows done, completions done), called as rows finish


@dataclass(frozen=True)
class Sampling:
    n: int = 8  # completions per prompt
    max_new_tokens: int = 4096
    temperature: float = 0.6  # 0 = greedy
    top_p: float = 0.95
    top_k: int = 0  # 0 = off
    seed: int = 0
    tensor_parallel_size: int = 1  # vLLM
    gpu_memory_utilization: float = 0.9  # vLLM colocated: share of each GPU it may take
    max_model_length: int | None = None  # vLLM, prompt + completion tokens
    server_url: str | None = None  # vLLM server mode (None: TRL's default http://0.0.0.0:8000)
    assistant_prefix: str = ""  # text the assistant turn starts with (e.g. "<think>"), after the generation prompt

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def row_seed(seed: int, key: str) -> int:
    """A 31-bit seed for one row, from a string (never Python's salted ``hash``).

    >>> row_seed(0, "row-1") == row_seed(0, "row-1") != row_seed(1, "row-1")
    True
    """
    return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


def plain_generation_config(current=None):
    """A ``GenerationConfig`` holding only the token ids of ``current``: no sampling defaults.

    transformers fills each sampling field a caller leaves unset from the model's
    generation config; with this one there is nothing to fill in.
    """
    from transformers import GenerationConfig

    ids = {}
    for name in ("eos_token_id", "pad_token_id", "bos_token_id", "decoder_start_token_id"):
        value = getattr(current, name, None) if current is not None else None
        if value is not None:
            ids[name] = value
    return GenerationConfig(**ids)


def hf_generation_config(sampling: Sampling, pad_token_id: int, eos_token_id):
    """Every sampling field explicit (transformers' names), for one ``generate`` call."""
    from transformers import GenerationConfig

    common = {"max_new_tokens": sampling.max_new_tokens, "pad_token_id": pad_token_id, "eos_token_id": eos_token_id,
              "repetition_penalty": 1.0, "no_repeat_ngram_size": 0}
    if sampling.greedy:
        return GenerationConfig(do_sample=False, num_return_sequences=1, **common)
    return GenerationConfig(do_sample=True, num_return_sequences=sampling.n, temperature=sampling.temperature,
                            top_p=sampling.top_p, top_k=sampling.top_k, min_p=0.0, typical_p=1.0,
                            epsilon_cutoff=0.0, eta_cutoff=0.0, **common)


def load_hf(model_path: str):
    """(model, tokenizer, device) for generation, with a plain generation config."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..launch.distributed import local_device

    device = local_device()
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_path, padding_side="left")
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(device).eval()
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot load model {model_path} ({str(error).splitlines()[0]}); check the path or Hub id") from error
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.generation_config = plain_generation_config(model.generation_config)
    return model, tokenizer, device
