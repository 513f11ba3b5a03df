"""vLLM sampling for mining, ``passrate`` and ``eval``: a colocated engine, or a vLLM server.

Colocated: one ``vllm.LLM`` per process (per tensor-parallel group when
``tensor_parallel_size`` > 1), built the way TRL 1.16 builds its colocated engine
(``distributed_executor_backend="external_launcher"`` under a launcher), taking only
``gpu_memory_utilization`` of each GPU, and shut down afterwards so the next stage's
trainer gets the memory back. Server: requests go to the running ``vllm serve`` /
``trl vllm-serve`` through TRL's ``VLLMClient.chat``; ``push_weights`` first loads a
checkpoint's weights into the server (mining with the previous stage's model).

Every request carries all sampling settings and the row's own seed, so nothing comes from
the model folder's generation config. GPU only; not run on the CPU machines that test
this project (see README, "What was exercised").

Example: ``sample_colocated("runs/7b/stages/stage1/final", prompts, sampling, seeds)`` ->
one list of ``sampling.n`` completions per prompt.
"""

from __future__ import annotations

import gc
import os
from concurrent.futures import ThreadPoolExecutor

from .sampling import Progress, Sampling

SERVER_URL = "http://0.0.0.0:8000"  # TRL's default vllm_server_host / port
SERVER_TIMEOUT_S = 240.0  # TRL's vllm_server_timeout


def sampling_params(sampling: Sampling, seed: int):  # pragma: no cover - needs vLLM
    from vllm import SamplingParams

    if sampling.greedy:
        return SamplingParams(n=1, temperature=0.0, max_tokens=sampling.max_new_tokens, seed=seed)
    return SamplingParams(
        n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k,
        min_p=0.0, repetition_penalty=1.0, max_tokens=sampling.max_new_tokens, seed=seed,
    )


def build_engine(model_path: str, sampling: Sampling):  # pragma: no cover - GPU only
    """A colocated ``vllm.LLM`` honouring the recipe's TP size, memory share and length."""
    from vllm import LLM

    from ..launch.distributed import rank, world_size

    kwargs = {
        "model": model_path,
        "tensor_parallel_size": sampling.tensor_parallel_size,
        "gpu_memory_utilization": sampling.gpu_memory_utilization,
        "max_model_len": sampling.max_model_length,
        "seed": sampling.seed + rank() // sampling.tensor_parallel_size,
        "max_num_batched_tokens": 4096,  # TRL's setting: vLLM's profiler misjudges the default
    }
    if world_size() > 1:  # join the launcher's processes as TRL's colocated engine does
        from trl.trainer.utils import ensure_master_addr_port

        ensure_master_addr_port()
        kwargs["distributed_executor_backend"] = "external_launcher"
    return LLM(**kwargs)


def release_engine(llm) -> None:  # pragma: no cover - GPU only
    """Shut a colocated engine down and give its GPU memory back (best effort, vLLM V1)."""
    engine = getattr(llm, "llm_engine", None)
    core = getattr(engine, "engine_core", None)
    if core is not None and hasattr(core, "shutdown"):
        core.shutdown()
    try:  # not destroy_distributed_environment(): that would end the trainer's process group too
        from vllm.distributed.parallel_state import destroy_model_parallel

        destroy_model_parallel()
    except (ImportError, AssertionError, RuntimeError):
        pass
    del llm
    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def sample_colocated(model_path: str, prompts: list[list[dict]], sampling: Sampling, seeds: list[int],
                     progress: Progress | None) -> list[list[str]]:  # pragma: no cover - GPU only
    llm = build_engine(model_path, sampling)
    try:
        params = [sampling_params(sampling, seed) for seed in seeds]
        if sampling.assistant_prefix:  # vLLM continues a final assistant message instead of opening a turn
            primed = [[*p, {"role": "assistant", "content": sampling.assistant_prefix}] for p in prompts]
            outputs = llm.chat(primed, params, use_tqdm=False, add_generation_prompt=False, continue_final_message=True) if prompts else []
        else:
            outputs = llm.chat(prompts, params, use_tqdm=False) if prompts else []
    finally:
        release_engine(llm)
    results = [[choice.text for choice in output.outputs] for output in outputs]
    if progress is not None:
        progress(len(prompts), len(prompts) * sampling.n)
    return [texts * sampling.n if sampling.greedy else texts for texts in results]


def _client(sampling: Sampling):  # pragma: no cover - needs vLLM and a server
    from trl.generation.vllm_client import VLLMClient

    return VLLMClient(base_url=sampling.server_url or SERVER_URL, connection_timeout=SERVER_TIMEOUT_S)


def push_weights(model_path: str, sampling: Sampling) -> None:  # pragma: no cover - GPU and server only
    """Load ``model_path`` into the vLLM server (main process; the server must run with
    ``--weight-transfer-config '{"backend": "nccl"}'``, which ``trl vllm-serve`` adds)."""
    from .sampling import load_hf

    model, _, device = load_hf(model_path)
    client = _client(sampling)
    client.init_communicator(device=device)
    try:
        client.update_model_params(model)
        client.reset_prefix_cache()
    finally:
        client.close_communicator()
        del model
        gc.collect()


def sample_server(model_path: str, prompts: list[list[dict]], sampling: Sampling, seeds: list[int],
                  progress: Progress | None) -> list[list[str]]:  # pragma: no cover - needs a server
    from transformers import AutoTokenizer

    client = _client(sampling)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    greedy = sampling.greedy

    prefix = sampling.assistant_prefix
    extra = {"add_generation_prompt": False, "continue_final_message": True} if prefix else {}

    def one(index: int) -> list[str]:
        messages = [*prompts[index], {"role": "assistant", "content": prefix}] if prefix else prompts[index]
        reply = client.chat(
            [messages], n=1 if greedy else sampling.n, temperature=sampling.temperature,
            top_p=1.0 if greedy else sampling.top_p, top_k=0 if greedy else sampling.top_k, min_p=0.0,
            repetition_penalty=1.0, max_tokens=sampling.max_new_tokens, logprobs=None,
            generation_kwargs={"seed": seeds[index], **extra},
        )
        texts = tokenizer.batch_decode(reply["completion_ids"], skip_special_tokens=True)
        if progress is not None:
            progress(1, sampling.n)
        return texts * sampling.n if greedy else texts

    workers = int(os.environ.get("TRAINER_SERVER_REQUESTS", "32"))  # conversations in flight per process
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(prompts) or 1))) as pool:
        return list(pool.map(one, range(len(prompts))))
