"""What one row of a retrieval or math config depends on, besides its item.

The counterpart of ``config.RowSpec`` for the tasks in this package; like it, it is part
of a version's identity and of its manifest.

Example:
    >>> spec = TaskSpec("synthetic", "train", "niah", 8192, 0, "cl100k_base", 1, [0.0, 0.5], "uuid", "default")
    >>> spec.is_retrieval, spec.is_keychain
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskSpec:
    source: str
    split: str
    task: str
    target_len: int  # token budget (retrieval) or cap (math)
    seed: int
    tokenizer: str
    needles: int | None  # needles per row (retrieval tasks)
    depths: list[float] | None  # needle depths, fractions of the context (niah)
    key_format: str | None  # uuid or hex8 needle keys (retrieval tasks)
    template_digest: str
    chains_outside_budget: bool = False  # never: only KeyChain rows put anything outside

    @property
    def is_keychain(self) -> bool:
        return False

    @property
    def is_retrieval(self) -> bool:
        return self.needles is not None
