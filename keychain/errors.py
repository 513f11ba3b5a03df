"""The keychain exception family.

Every error a user can cause is a ``KeychainError`` whose message is one line that names
the problem and the fix. The CLI prints that line and exits non-zero; set
``KEYCHAIN_DEBUG=1`` to see the traceback as well.

Example: ``InputError("data.json line 3: not valid JSON; fix or remove that line")``
prints as ``error: data.json line 3: not valid JSON; fix or remove that line``.
"""

from __future__ import annotations


class KeychainError(Exception):
    """Base class: a one-line, user-facing problem with its fix."""

    exit_code = 2


class ConfigError(KeychainError):
    """A flag or setting is invalid (unknown source, bad --len, ...)."""


class InputError(KeychainError):
    """Input data is missing, unreadable or malformed."""


class BudgetError(KeychainError):
    """The token budget cannot hold the prompt template, or the pool cannot fill it."""


class OutputError(KeychainError):
    """The output folder cannot be written, or holds conflicting data."""


class VerifyError(KeychainError):
    """A built folder cannot be read for verification."""


class PublishError(KeychainError):
    """A folder cannot be published: stale card, changed shard, Hub refusal, no token."""
