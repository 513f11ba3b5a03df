"""Talking to the Hugging Face Hub: repo ids, bounded retries, one-line error messages.

Transient failures (HTTP 5xx, 429, dropped or timed-out connections) are retried with
exponential backoff up to a fixed number of attempts; anything else stops at once with
a line that names the cause and the fix. The token is never handled here: ``HfApi``
reads it from ``HF_TOKEN`` or a prior ``hf auth login``.

Example:
    >>> parse_repo_id("https://huggingface.co/datasets/someone/test")
    'someone/test'
    >>> RetryPolicy(attempts=5, first_delay=2.0, max_delay=10.0).delays()
    [2.0, 4.0, 8.0, 10.0]
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from ..errors import PublishError

T = TypeVar("T")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
_URL_PREFIXES = ("https://huggingface.co/", "http://huggingface.co/", "hf://", "huggingface.co/")
# exception classes (httpx, httpx2, requests, urllib3) that mean "the connection failed"
_CONNECTION_ERRORS = {
    "ConnectionError", "TimeoutError", "TransportError", "NetworkError", "TimeoutException",
    "RemoteProtocolError", "ConnectError", "ReadTimeout", "ProtocolError", "ChunkedEncodingError",
}


def parse_repo_id(text: str) -> str:
    """``user/name``, ``datasets/user/name`` or a dataset URL -> ``user/name``."""
    repo = text.strip().rstrip("/")
    for prefix in _URL_PREFIXES:
        if repo.startswith(prefix):
            repo = repo[len(prefix):]
    kind, _, rest = repo.partition("/")
    if kind in ("models", "spaces") or (repo.count("/") == 1 and text.strip().startswith(_URL_PREFIXES[:2])):
        name = rest if kind in ("models", "spaces") else repo
        what = "a Space" if kind == "spaces" else "a model repository"
        raise PublishError(f"--repo {text} names {what}; keychain pushes datasets: pass --repo {name}")
    if kind == "datasets":
        repo = rest
    if not _REPO_ID.match(repo) or len(repo) > 96:
        raise PublishError(f"--repo {text!r} is not a repository id; pass it as user/name (or org/name)")
    return repo


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a Hub error, when it has a response."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def is_transient(error: BaseException) -> bool:
    """5xx, 429 and connection failures are worth another try; nothing else is."""
    status = status_of(error)
    if status is not None:
        return status == 429 or status >= 500
    return any(cls.__name__ in _CONNECTION_ERRORS for cls in type(error).__mro__)


def describe_error(error: BaseException, action: str, repo_id: str) -> str:
    """One line naming why the Hub refused ``action`` and what to do about it."""
    status = status_of(error)
    detail = (getattr(error, "server_message", None) or str(error) or type(error).__name__).strip().splitlines()[0]
    if status == 401:
        return f"the Hub refused the token (HTTP 401) on {action}; run `hf auth login` or set HF_TOKEN to a valid token"
    if status == 403:
        return (
            f"no write access to {repo_id} (HTTP 403) on {action}; use a token with write access to that namespace, "
            "or push to a repo of your own"
        )
    if status == 404 or type(error).__name__ == "RepositoryNotFoundError":
        return f"dataset repository {repo_id} not found (HTTP 404) on {action}; check the --repo name and that your token can see it"
    if status == 409:
        return f"{repo_id} is taken by a repository of another type (HTTP 409: {detail}); choose another --repo name"
    if status is not None:
        return f"the Hub refused {action} on {repo_id} (HTTP {status}: {detail}); fix the cause and push again"
    return f"{action} on {repo_id} failed ({type(error).__name__}: {detail}); check the network and push again"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    first_delay: float = 2.0  # seconds before the second try
    max_delay: float = 60.0  # seconds, cap of any one wait

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise PublishError(f"retry attempts must be at least 1, got {self.attempts}")

    def delays(self) -> list[float]:
        return [min(self.max_delay, self.first_delay * 2**i) for i in range(self.attempts - 1)]


def call_hub(
    action: str,
    call: Callable[[], T],
    repo_id: str,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda line: None,
) -> T:
    """Run ``call``, retrying transient failures per ``policy``; PublishError otherwise."""
    delays = policy.delays()
    for attempt, delay in enumerate([*delays, None]):
        try:
            return call()
        except Exception as error:  # sorted below: transient ones retried, the rest reported
            if not is_transient(error):
                raise PublishError(describe_error(error, action, repo_id)) from error
            if delay is None:
                raise PublishError(
                    f"{describe_error(error, action, repo_id).split('; ')[0]}, still failing after "
                    f"{policy.attempts} tries; the Hub may be down, push again later (nothing is deleted)"
                ) from error
            log(f"{action}: {type(error).__name__} (HTTP {status_of(error) or '-'}), retry {attempt + 1} in {delay:g} s")
            sleep(delay)
