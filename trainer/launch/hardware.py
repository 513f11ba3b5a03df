"""What this machine and launch offer: GPUs, processes, optional packages. Loads no model.

``Launch.current()`` reads the launcher's environment (``torchrun`` and ``accelerate
launch`` set ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``RANK``; accelerate also says which
engine it launched with). ``vllm_range()`` is the vLLM range the installed TRL declares
in its ``vllm`` extra, so the check follows TRL upgrades. ``attention_implementation``
falls back from flash attention to ``sdpa`` when flash-attn cannot run here.

Example: ``Launch.from_env({"WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "4"}).nodes == 2``;
``attention_implementation("flash_attention_2", flash_importable=False, cuda=True)`` ->
``("sdpa", "model.attn_implementation: flash_attention_2 needs the flash-attn package ...")``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass
from typing import Mapping

FLASH_MODULES = {"flash_attention_2": "flash_attn", "flash_attention_3": "flash_attn_interface"}


@dataclass(frozen=True)
class Launch:
    """The processes of this run, as the launcher describes them (1 when run directly)."""

    processes: int = 1  # all nodes together
    local_processes: int = 1  # on this node
    engine: str = "ddp"  # ddp, deepspeed or fsdp (accelerate launch --config_file ...)

    @property
    def nodes(self) -> int:
        return max(1, self.processes // max(self.local_processes, 1))

    @staticmethod
    def from_env(env: Mapping[str, str]) -> "Launch":
        processes = int(env.get("WORLD_SIZE", "1"))
        local = int(env.get("LOCAL_WORLD_SIZE", str(processes)))
        engine = "ddp"
        if env.get("ACCELERATE_USE_DEEPSPEED", "").lower() == "true":
            engine = "deepspeed"
        elif env.get("ACCELERATE_USE_FSDP", "").lower() == "true":
            engine = "fsdp"
        return Launch(processes, local, engine)

    @staticmethod
    def current() -> "Launch":
        return Launch.from_env(os.environ)


def importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def package_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def vllm_range() -> tuple[str, str] | None:
    """(lowest, highest) vLLM version the installed TRL supports, from its ``vllm`` extra."""
    from packaging.requirements import Requirement

    for text in importlib.metadata.requires("trl") or ():
        requirement = Requirement(text)
        if requirement.name == "vllm":
            low = [s.version for s in requirement.specifier if s.operator == ">="]
            high = [s.version for s in requirement.specifier if s.operator == "<="]
            if low and high:
                return low[0], high[0]
    return None


def vllm_problem() -> str | None:
    """Why vLLM cannot be used here (not installed, or outside TRL's range), or None."""
    from packaging.version import Version

    installed = package_version("vllm")
    supported = vllm_range()
    pin = f"vllm>={supported[0]},<={supported[1]}" if supported else "vllm"
    if installed is None or not importable("vllm"):
        return f"vLLM is not installed; pip install -e '.[gpu]' (it pins {pin}), or set rollout.engine: hf"
    if supported and not Version(supported[0]) <= Version(Version(installed).base_version) <= Version(supported[1]):
        return f"vLLM {installed} is outside the range TRL supports ({supported[0]} to {supported[1]}); pip install '{pin}'"
    return None


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_bytes: int


def cuda_gpus() -> list[Gpu]:
    """The CUDA GPUs this process sees (empty without torch's CUDA build or a driver)."""
    import torch

    if not torch.cuda.is_available():
        return []
    found = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        found.append(Gpu(props.name, int(props.total_memory)))
    return found


def attention_implementation(requested: str | None, flash_importable: bool | None = None,
                             cuda: bool | None = None) -> tuple[str | None, str | None]:
    """The attention to load the model with, and a line saying why it differs from the recipe's."""
    if requested not in FLASH_MODULES:
        return requested, None
    module = FLASH_MODULES[requested]
    if flash_importable is None:
        flash_importable = importable(module)
    if cuda is None:
        cuda = bool(cuda_gpus())
    if not cuda:
        return "sdpa", f"model.attn_implementation: {requested} needs a CUDA GPU; using sdpa on this machine"
    if not flash_importable:
        package = "flash-attn" if module == "flash_attn" else "flash-attn 3 (flash_attn_interface)"
        return "sdpa", (f"model.attn_implementation: {requested} needs the {package} package, which is not installed; "
                        "using sdpa (pip install flash-attn --no-build-isolation to use it)")
    return requested, None
