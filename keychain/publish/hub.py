"""Talking to the Hugging Face Hub: repo ids, bounded retries, one-line error messages.

Transient failures (HTTP 5xx, 429, dropped or timed-out connections) are retried with
exponential backoff up to a fixed number of attempts; anything else stops at once with
a line that names the cause and the fix. Every request has a timeout (``set_timeouts``:
10 s to connect, 60 s without progress on a read or write, ``KEYCHAIN_HUB_TIMEOUT=S`` to
change the latter), so an endpoint that accepts and never answers is a transient failure
too, and one push spends at most ``RetryPolicy.give_up_after`` seconds (150) failing
and waiting before it gives up with one line (about 3 minutes in all against an endpoint
that never answers). The token is never handled here: ``HfApi`` reads it from
``HF_TOKEN`` or a prior ``hf auth login``.

Example:
    >>> parse_repo_id("https://huggingface.co/datasets/someone/test")
    'someone/test'
    >>> RetryPolicy(attempts=5, first_delay=2.0, max_delay=10.0).delays()
    [2.0, 4.0, 8.0, 10.0]
"""

from __future__ import annotations

import os
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


CONNECT_TIMEOUT_S = 10.0
IO_TIMEOUT_S = 60.0  # seconds without progress on one read or write (a commit's answer, an upload chunk)


def set_timeouts(io_s: float | None = None) -> float:
    """Give every request ``huggingface_hub`` makes from now on a connect and an I/O timeout.

    huggingface_hub's own client waits forever by default. Returns the I/O timeout used
    (``io_s``, else ``KEYCHAIN_HUB_TIMEOUT``, else 60 s).
    """
    import huggingface_hub

    if io_s is None:
        text = os.environ.get("KEYCHAIN_HUB_TIMEOUT", "")
        try:
            io_s = float(text) if text else IO_TIMEOUT_S
        except ValueError:
            raise PublishError(f"KEYCHAIN_HUB_TIMEOUT={text!r} is not a number of seconds; set it to e.g. 60") from None
    if not io_s > 0:
        raise PublishError(f"KEYCHAIN_HUB_TIMEOUT must be positive, got {io_s}")
    connect = min(CONNECT_TIMEOUT_S, io_s)
    session = huggingface_hub.get_session()
    if hasattr(type(session), "timeout"):  # huggingface_hub >= 1.0: one shared httpx client
        session.timeout = (connect, io_s, io_s, connect)  # connect, read, write, pool
    else:  # earlier releases: requests sessions, which take a timeout per request only
        import requests

        class _TimeoutSession(requests.Session):
            def request(self, *args, **kwargs):
                kwargs.setdefault("timeout", (connect, io_s))
                if kwargs["timeout"] is None:
                    kwargs["timeout"] = (connect, io_s)
                return super().request(*args, **kwargs)

        huggingface_hub.configure_http_backend(backend_factory=_TimeoutSession)
    return io_s


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    first_delay: float = 2.0  # seconds before the second try
    max_delay: float = 60.0  # seconds, cap of any one wait
    give_up_after: float = 150.0  # seconds spent in failed tries and waits, over a whole push

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise PublishError(f"retry attempts must be at least 1, got {self.attempts}")

    def delays(self) -> list[float]:
        return [min(self.max_delay, self.first_delay * 2**i) for i in range(self.attempts - 1)]


@dataclass
class FailureClock:
    """Seconds one push has spent in failed tries and waits, against ``RetryPolicy.give_up_after``."""

    spent: float = 0.0
    now: Callable[[], float] = time.monotonic


def call_hub(
    action: str,
    call: Callable[[], T],
    repo_id: str,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda line: None,
    clock: FailureClock | None = None,
) -> T:
    """Run ``call``, retrying transient failures per ``policy``; PublishError otherwise.

    ``clock`` is shared by the calls of one push, so together they stop retrying once
    ``policy.give_up_after`` seconds have gone into failures.
    """
    clock = clock or FailureClock()
    delays = policy.delays()
    for attempt, delay in enumerate([*delays, None]):
        began = clock.now()
        try:
            return call()
        except Exception as error:  # sorted below: transient ones retried, the rest reported
            if not is_transient(error):
                raise PublishError(describe_error(error, action, repo_id)) from error
            clock.spent += clock.now() - began
            if delay is None or clock.spent + delay > policy.give_up_after:
                raise PublishError(
                    f"{describe_error(error, action, repo_id).split('; ')[0]}, still failing after "
                    f"{attempt + 1} {'try' if attempt == 0 else 'tries'} and {clock.spent:.0f} s; the Hub may be down or unreachable, "
                    "push again later (nothing is deleted)"
                ) from error
            clock.spent += delay
            log(f"{action}: {type(error).__name__} (HTTP {status_of(error) or '-'}), retry {attempt + 1} in {delay:g} s")
            sleep(delay)
