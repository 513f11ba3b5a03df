"""Giving a finished stage's memory back before the next stage starts.

TRL has no teardown for ``GRPOTrainer``. A stage's trainer holds the policy, the
reference model, the optimizer, its DeepSpeed or FSDP engine (through accelerate), the
last generation batch and, in colocate mode, a vLLM engine; the fused LM head TRL adds
makes a reference cycle, so ``del`` alone frees nothing. ``release_trainer`` drops all of
them, collects garbage and empties the CUDA cache, so stage 2 does not hold stage 1's
models beside its own.

Example: ``release_trainer(trainer); del trainer`` -> ``torch.cuda.memory_allocated()``
back to what it was before the stage (measured by ``scripts/gpu-check.sh`` on a GPU).
"""

from __future__ import annotations

import gc


def _shutdown_vllm(trainer) -> None:  # pragma: no cover - vLLM on GPU only
    generation = getattr(trainer, "vllm_generation", None)
    if generation is None:
        return
    mode = getattr(generation, "mode", None)
    client = getattr(generation, "vllm_client", None)
    if mode == "server" and client is not None:
        client.close_communicator()  # the next stage's trainer opens it again
    llm = getattr(generation, "llm", None)
    if mode == "colocate" and llm is not None:
        from ..rollouts.vllm_engine import release_engine

        generation.llm = None
        release_engine(llm)


def release_trainer(trainer) -> None:
    """Drop every large object a finished ``GRPOTrainer`` holds (see the module docstring)."""
    _shutdown_vllm(trainer)
    accelerator = getattr(trainer, "accelerator", None)
    if accelerator is not None:
        accelerator.free_memory()  # also destroys a DeepSpeed engine
    for name in ("model", "model_wrapped", "ref_model", "optimizer", "lr_scheduler", "deepspeed", "_buffered_inputs"):
        if hasattr(trainer, name):
            setattr(trainer, name, None)
    handler = getattr(trainer, "callback_handler", None)
    if handler is not None:
        handler.model = handler.optimizer = handler.lr_scheduler = None
    empty_caches()


def empty_caches() -> None:
    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
