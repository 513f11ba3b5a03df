"""GPU memory per device a recipe needs, estimated from the model's ``config.json`` alone.

Rough by design (within tens of percent): it tells a 7B recipe that fits an 80 GB card
from one that cannot, before anything loads. Per training process:

- **policy**: bytes per parameter for weights, gradients and AdamW state: 16 with
  DeepSpeed ZeRO / FSDP in bf16 (bf16 weights and grads, fp32 master and two moments),
  sharded over every process; 8 with plain DDP in bf16 (states in the weights' dtype),
  16 in float32; not sharded.
- **reference model** (only when ``kl_beta > 0``): bf16 weights, sharded like the policy.
- **activations** of one micro-batch (``per_device_batch_size`` sequences of prompt +
  completion tokens): with gradient checkpointing each layer's input (2 bytes x hidden per
  token) plus one layer recomputed (~34 bytes x hidden per token, flash/sdpa attention),
  without it ~34 bytes x hidden per token per layer; plus float32 logits and log-softmax
  over the completion tokens (8 bytes x vocabulary per token).
- **vLLM** (colocate): it reserves ``gpu_memory_utilization`` of the card; inside that it
  needs the bf16 weights / TP plus the KV cache of at least one ``max_model_length``
  sequence (layers x KV heads x head dim x 2 (K, V) x 2 bytes per token, / TP).

Example: Qwen2.5-7B-Instruct's config -> 7.62e9 parameters; its KV cache is 57,344 bytes
per token (28 layers x 4 KV heads x 128 x 2 x 2).
"""

from __future__ import annotations

from dataclasses import dataclass

GB = 1e9


def size(nbytes: float) -> str:
    """``size(2.5e9) == '2.5 GB'``; below 1 GB in MB (tiny test models)."""
    return f"{nbytes / GB:.1f} GB" if nbytes >= GB else f"{nbytes / 1e6:.1f} MB"


@dataclass(frozen=True)
class Shape:
    """What the estimate needs from a ``config.json``."""

    hidden: int
    layers: int
    intermediate: int
    vocab: int
    heads: int
    kv_heads: int
    head_dim: int
    tied: bool

    @staticmethod
    def from_config(config: dict) -> "Shape":
        heads = int(config["num_attention_heads"])
        hidden = int(config["hidden_size"])
        return Shape(hidden, int(config["num_hidden_layers"]), int(config["intermediate_size"]), int(config["vocab_size"]),
                     heads, int(config.get("num_key_value_heads") or heads), int(config.get("head_dim") or hidden // heads),
                     bool(config.get("tie_word_embeddings", False)))

    @property
    def parameters(self) -> int:
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        attention = self.hidden * q + 2 * self.hidden * kv + q * self.hidden + q + 2 * kv  # q, k, v (with bias), o
        layer = attention + 3 * self.hidden * self.intermediate + 2 * self.hidden
        embeddings = self.vocab * self.hidden * (1 if self.tied else 2)
        return self.layers * layer + embeddings + self.hidden

    @property
    def kv_bytes_per_token(self) -> int:
        return self.layers * self.kv_heads * self.head_dim * 2 * 2  # K and V, bf16


@dataclass(frozen=True)
class Estimate:
    policy: float  # bytes per device
    reference: float
    activations: float
    vllm_reserved: float | None  # gpu_memory_utilization x card (colocate), None otherwise
    vllm_needed: float | None  # weights / TP + one max-length sequence's KV cache

    @property
    def training(self) -> float:
        return self.policy + self.reference + self.activations

    def rows(self) -> list[tuple[str, str]]:
        rows = [("policy (weights, grads, optimizer)", size(self.policy)),
                ("reference model", size(self.reference) if self.reference else "none (kl_beta 0)"),
                ("activations (one micro-batch)", size(self.activations)),
                ("training total", size(self.training))]
        if self.vllm_needed is not None:
            reserved = "" if self.vllm_reserved is None else f", reserves {size(self.vllm_reserved)}"
            rows.append(("vLLM (weights/TP + one sequence's KV)", f"{size(self.vllm_needed)}{reserved}"))
        return rows


def estimate(shape: Shape, *, processes: int, engine: str, dtype: str, kl_beta: float, per_device_batch_size: int,
             sequence_tokens: int, completion_tokens: int, gradient_checkpointing: bool, vllm_colocate: bool,
             tensor_parallel_size: int, gpu_memory_utilization: float, max_model_length: int | None,
             card_bytes: float | None) -> Estimate:
    """Bytes per device (see the module docstring for each term)."""
    params = shape.parameters
    sharded = engine in ("deepspeed", "fsdp")
    shard = max(processes, 1) if sharded else 1
    per_param = 16 if sharded or dtype == "float32" else 8
    weight_bytes = 4 if dtype == "float32" else 2
    policy = params * per_param / shard
    reference = params * weight_bytes / shard if kl_beta > 0 else 0.0
    token = shape.hidden * (shape.layers * 2 + 34) if gradient_checkpointing else shape.hidden * shape.layers * 34
    activations = per_device_batch_size * (sequence_tokens * token + completion_tokens * shape.vocab * 8)
    vllm_needed = vllm_reserved = None
    if vllm_colocate:
        length = max_model_length or sequence_tokens
        vllm_needed = (params * 2 + length * shape.kv_bytes_per_token) / tensor_parallel_size
        vllm_reserved = gpu_memory_utilization * card_bytes if card_bytes else None
    return Estimate(policy, reference, activations, vllm_reserved, vllm_needed)


def load_shape(model: str) -> Shape | None:
    """The model's shape from a local folder, the Hugging Face cache, or (online) the Hub."""
    import json
    from pathlib import Path

    from .hub import cached_file, looks_like_path, offline

    path = Path(model).expanduser() / "config.json"
    found = path if path.is_file() else cached_file(model)
    if found is None and not looks_like_path(model) and offline() is None:
        from huggingface_hub import hf_hub_download

        try:
            found = Path(hf_hub_download(model, "config.json", etag_timeout=10))
        except Exception:  # the model check reports an unreachable or unknown model
            return None
    if found is None:
        return None
    try:
        config = json.loads(found.read_text(encoding="utf-8"))
        return Shape.from_config(config.get("text_config", config))
    except (OSError, ValueError, KeyError, TypeError):
        return None
