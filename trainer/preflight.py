"""Everything that can be checked about a run before a model or tokenizer loads.

``collect(recipe, launch)`` looks at the device (CUDA, GPU count against the processes of
this node and the vLLM tensor-parallel size), the packages the recipe needs (vLLM in the
range TRL supports, DeepSpeed when launched with it, flash-attn or its ``sdpa``
fallback), the model (local folder, cache, or one fast Hub probe), the batch arithmetic
of every stage for this process count, and GPU memory per device (``memory_estimate``).
``trainer check RECIPE`` prints the findings and the memory table; ``trainer run`` runs
the same checks first. A failure is one line with its fix, exit code 2.

Example: ``trainer check recipes/7b.yaml`` on a CPU machine -> ``error: device: no CUDA
GPU is visible (torch 2.13.0+cpu is a CPU build); rollout.engine vllm needs one: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

from .errors import DependencyError, RecipeError
from .launch.hardware import (
    Gpu,
    Launch,
    attention_implementation,
    cuda_gpus,
    importable,
    vllm_problem,
)

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    detail: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    memory: list[tuple[str, str]] = field(default_factory=list)

    def add(self, check: str, status: Status, detail: str) -> None:
        self.findings.append(Finding(check, status, detail))

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]

    def table(self) -> str:
        width = max(len(f.check) for f in self.findings) if self.findings else 5
        lines = [f"{f.check:<{width}}  {f.status:<4}  {f.detail}" for f in self.findings]
        if self.memory:
            lines += ["", "GPU memory per device (estimate)"]
            lines += [f"  {name:<40} {value}" for name, value in self.memory]
        return "\n".join(lines)


def _torch_note() -> str:
    import torch

    return f" (torch {torch.__version__} is a CPU build)" if torch.version.cuda is None else ""


def _device(report: Report, recipe, launch: Launch, gpus: list[Gpu]) -> None:
    rollout = recipe.rollout
    if not gpus:
        if rollout.engine == "vllm":
            report.add("device", "fail", f"no CUDA GPU is visible{_torch_note()}; rollout.engine vllm needs one: "
                                         "run on a GPU node, or set rollout.engine: hf for a small model on CPU")
        else:
            report.add("device", "ok", "CPU (rollout.engine hf needs no GPU)")
        return
    report.add("device", "ok", f"{len(gpus)} x {gpus[0].name} ({gpus[0].memory_bytes / 1e9:.0f} GB) on this node")
    if launch.local_processes > len(gpus):
        report.add("processes", "fail", f"{launch.local_processes} processes on this node but {len(gpus)} GPUs visible; "
                                        f"launch with --num_processes {len(gpus) * launch.nodes} or fewer")
    elif launch.processes == 1 and len(gpus) > 1:
        report.add("processes", "warn", f"one process uses 1 of {len(gpus)} GPUs; accelerate launch --num_processes "
                                        f"{len(gpus)} ... uses them all")
    else:
        report.add("processes", "ok", f"{launch.processes} ({launch.engine}, {launch.nodes} node(s))")
    if rollout.engine == "vllm" and rollout.vllm_mode == "colocate":
        tp = rollout.tensor_parallel_size
        if launch.processes % tp or tp > len(gpus):
            report.add("tensor parallel", "fail", f"rollout.tensor_parallel_size {tp} must divide the {launch.processes} "
                                                  f"processes and fit the {len(gpus)} GPUs of a node; change one of them")


def server_command(recipe) -> str:
    """The vLLM server command that honours the recipe's server-side settings."""
    rollout = recipe.rollout
    parts = [f"trl vllm-serve --model {recipe.model.path}", f"--tensor_parallel_size {rollout.tensor_parallel_size}",
             f"--gpu_memory_utilization {rollout.gpu_memory_utilization}"]
    if rollout.max_model_length is not None:
        parts.append(f"--max_model_len {rollout.max_model_length}")
    return " ".join(parts)


def _packages(report: Report, recipe, launch: Launch, gpus: list[Gpu]) -> None:
    rollout = recipe.rollout
    if rollout.engine == "vllm":
        problem = vllm_problem()
        report.add("vllm", "fail" if problem else "ok", problem or "installed, in TRL's supported range")
        if rollout.vllm_mode == "server":
            where = rollout.server_url or "http://0.0.0.0:8000"
            report.add("vllm server", "ok", f"{where}; start it on spare GPUs with: {server_command(recipe)}"
                       + (" (sleep_mode applies to colocate only)" if rollout.sleep_mode else ""))
    if launch.engine == "deepspeed" and not importable("deepspeed"):
        report.add("deepspeed", "fail", "launched with DeepSpeed but it is not installed; pip install -e '.[gpu]'")
    attention, note = attention_implementation(recipe.model.attn_implementation, cuda=bool(gpus))
    if recipe.model.attn_implementation is not None:
        report.add("attention", "warn" if note else "ok", note or attention)


def _model(report: Report, recipe) -> None:
    from .launch.hub import model_problem

    if recipe.model.create_tiny:
        report.add("model", "ok", f"tiny random model, made at {recipe.model.path} when missing")
        return
    problem = model_problem(recipe.model.path, "model.path")
    report.add("model", "fail" if problem else "ok", problem or recipe.model.path)


def _batch(report: Report, recipe, launch: Launch) -> None:
    from .grpo import accumulation_steps

    seen = set()
    for stage in recipe.stages:
        grpo = stage.grpo
        key = (grpo.prompts_per_step, grpo.group_size, grpo.per_device_batch_size)
        if key in seen:
            continue
        seen.add(key)
        try:
            gas = accumulation_steps(grpo.completions_per_step, grpo.per_device_batch_size, launch.processes)
        except RecipeError as error:
            report.add("batch", "fail", f"stage {stage.name}: {error}")
            continue
        report.add("batch", "ok", f"stage {stage.name}: {grpo.prompts_per_step} prompts x {grpo.group_size} = "
                                  f"{grpo.per_device_batch_size} per pass x {launch.processes} processes x {gas} accumulation")


def _memory(report: Report, recipe, launch: Launch, gpus: list[Gpu]) -> None:
    from .launch.memory_estimate import GB, estimate, load_shape, size

    shape = load_shape(recipe.model.path)
    if shape is None:
        tiny = recipe.model.create_tiny  # made by the run itself; a few MB
        report.add("memory", "ok" if tiny else "warn", "no estimate: the model's config.json is not available here yet")
        return
    rollout = recipe.rollout
    stage = max(recipe.stages, key=lambda s: (s.grpo.per_device_batch_size, s.grpo.max_prompt_length or 0))
    grpo = stage.grpo
    completion = grpo.max_completion_length
    card = gpus[0].memory_bytes if gpus else None
    result = estimate(
        shape, processes=launch.processes, engine=launch.engine, dtype=recipe.model.dtype, kl_beta=grpo.kl_beta,
        per_device_batch_size=grpo.per_device_batch_size, sequence_tokens=(grpo.max_prompt_length or 0) + completion,
        completion_tokens=completion, gradient_checkpointing=grpo.gradient_checkpointing,
        vllm_colocate=rollout.engine == "vllm" and rollout.vllm_mode == "colocate",
        tensor_parallel_size=rollout.tensor_parallel_size, gpu_memory_utilization=rollout.gpu_memory_utilization,
        max_model_length=rollout.max_model_length, card_bytes=card)
    report.memory = [("model", f"{shape.parameters / 1e6:,.1f}M parameters")] + result.rows()
    if card is None:
        report.add("memory", "ok", f"training ~{size(result.training)} per device (no GPU here to compare)")
        return
    if result.vllm_needed is not None and result.vllm_reserved is not None and result.vllm_needed > result.vllm_reserved:
        report.add("memory", "fail", f"vLLM's share ({rollout.gpu_memory_utilization} x {card / GB:.0f} GB) cannot hold the "
                                     f"weights and one {rollout.max_model_length}-token sequence ({result.vllm_needed / GB:.1f} GB); "
                                     "raise rollout.gpu_memory_utilization or tensor_parallel_size")
        return
    total = result.training + (result.vllm_reserved or 0.0)
    status: Status = "warn" if total > card else "ok"
    report.add("memory", status, f"~{total / GB:.1f} GB of {card / GB:.0f} GB per device"
               + (" (may not fit: lower per_device_batch_size or the vLLM share)" if status == "warn" else ""))


def collect(recipe, launch: Launch | None = None, gpus: list[Gpu] | None = None) -> Report:
    """Every finding for ``recipe`` on this machine and launch (nothing is loaded)."""
    launch = Launch.current() if launch is None else launch
    gpus = cuda_gpus() if gpus is None else gpus
    report = Report()
    _device(report, recipe, launch, gpus)
    _packages(report, recipe, launch, gpus)
    _model(report, recipe)
    _batch(report, recipe, launch)
    _memory(report, recipe, launch, gpus)
    return report


def raise_failures(report: Report) -> None:
    failures = report.failures
    if failures:
        more = f" (and {len(failures) - 1} more problem(s): trainer check RECIPE lists them)" if len(failures) > 1 else ""
        raise DependencyError(f"{failures[0].check}: {failures[0].detail}{more}")


def run_preflight(recipe, log: Callable[[str], None], launch: Launch | None = None) -> Report:
    """``trainer run``'s first step: warnings logged, the first failure raised as one line."""
    report = collect(recipe, launch)
    raise_failures(report)
    for finding in report.findings:
        if finding.status == "warn":
            log(f"preflight: {finding.check}: {finding.detail}")
    return report
