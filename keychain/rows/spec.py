"""The small shared types of one row: its spec, why an item gave no row, and row limits.

Everything that builds or checks rows (``rows.build``, ``tasks``, ``check``) imports these
from here, so no layer has to import the row builder for a type or a constant.

Example:
    >>> length_label(16384), length_label(16000)
    ('16k', '16000')
    >>> Skip("gold_too_long").reason in SKIP_REASONS
    True
"""

from __future__ import annotations

from dataclasses import dataclass

FILL_FLOOR = 0.97  # every row fills at least this share of its budget, or is skipped
MAX_ROUNDS = 6  # exact counts per row before falling back to dropping one document at a time
KEY_ATTEMPTS = 3  # fresh key draws when a key string happens to occur in the documents
ABILITY = "longcontext_qa"
SKIP_REASONS = ("gold_too_long", "pool_exhausted", "underfilled", "key_collision")
PADDINGS = ("prompt", "context")  # what the budget counts: the whole prompt, or the context alone
CONTEXT_RESERVE = 128  # tokens: "context" padding fills len - 128, as the reference scripts do


def length_label(tokens: int) -> str:
    """16384 -> "16k"; lengths that are not whole multiples of 1024 stay numeric."""
    return f"{tokens // 1024}k" if tokens % 1024 == 0 else str(tokens)


@dataclass(frozen=True)
class Skip:
    """A source item that produced no row, and why (counted in the manifest)."""

    reason: str  # gold_too_long | pool_exhausted | underfilled | key_collision


@dataclass(frozen=True)
class RowSpec:
    """Everything one row of one config depends on, besides the source item itself."""

    source: str
    split: str
    task: str
    target_len: int
    seed: int
    tokenizer: str
    hops: int | None
    chains: int | None
    key_format: str | None
    chains_outside_budget: bool
    template_digest: str
    # "prompt": the whole prompt (chat template, system prompt, instruction, pairs) fits
    # target_len. "context": the passages alone fill target_len - CONTEXT_RESERVE (no
    # special tokens, as the reference scripts count), the rest comes on top.
    padding: str = "prompt"

    @property
    def is_keychain(self) -> bool:
        return self.task == "keychain"
