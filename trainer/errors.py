"""The trainer exception family.

Every error a user can cause is a ``TrainerError`` whose message is one line naming the
problem and the fix. ``trainer`` prints that line and exits non-zero; set
``TRAINER_DEBUG=1`` to see the traceback as well.

Example: ``RecipeError("stages[1].grpo.lr: unknown key; did you mean learning_rate?")``
prints as ``error: stages[1].grpo.lr: unknown key; did you mean learning_rate?``.
"""

from __future__ import annotations


class TrainerError(Exception):
    """Base class: a one-line, user-facing problem with its fix."""

    exit_code = 2


class RecipeError(TrainerError):
    """The recipe (or a --set override) is invalid."""


class DataError(TrainerError):
    """Shards are missing, unfinished, unreadable, or leave no rows to train on."""


class ModelError(TrainerError):
    """The model or tokenizer cannot be loaded or created."""


class RunError(TrainerError):
    """The run folder holds another run, or cannot be written."""


class DependencyError(TrainerError):
    """An optional dependency (torch, trl, vllm, a GPU) is missing for what was asked."""
