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


def unknown_choice(what: str, value: object, choices) -> ConfigError:
    """A ConfigError for a name that is not one of ``choices``, with the closest one if any.

    Example: ``unknown_choice("source", "hotpot", ("hotpotqa", "musique"))`` reads
    ``unknown source 'hotpot'; did you mean hotpotqa? (choose one of hotpotqa, musique)``.
    """
    import difflib

    names = ", ".join(choices)
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    if close:
        return ConfigError(f"unknown {what} {value!r}; did you mean {close[0]}? (choose one of {names})")
    return ConfigError(f"unknown {what} {value!r}; choose one of {names}")


def run_with_one_line_errors(app, expected: type[Exception], debug_variable: str, interrupted: str) -> None:
    """Run a CLI ``app``: ``expected`` errors print ``error: ...`` and exit with their code.

    Anything else (a bug, an OS failure) is still one line, naming its type; setting
    ``debug_variable`` to 1 re-raises with the traceback. ``interrupted`` says how to resume.
    """
    import os
    import sys

    debug = os.environ.get(debug_variable, "") not in ("", "0")
    try:
        app()
    except expected as error:
        if debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(getattr(error, "exit_code", 2))
    except KeyboardInterrupt:
        print(f"error: interrupted; {interrupted}", file=sys.stderr)
        sys.exit(130)
    except Exception as error:  # a bug or an OS failure: still one line, traceback on request
        if debug:
            raise
        detail = str(error).splitlines()[0] if str(error) else ""
        print(f"error: {type(error).__name__}: {detail} (set {debug_variable}=1 for the traceback)", file=sys.stderr)
        sys.exit(1)
