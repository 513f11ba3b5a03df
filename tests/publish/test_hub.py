"""Hub helpers: repo ids, which errors are transient, one-line messages, bounded retries."""

from __future__ import annotations

import pytest

from keychain.errors import PublishError
from keychain.publish.hub import (
    RetryPolicy,
    call_hub,
    describe_error,
    is_transient,
    parse_repo_id,
)


def hub_error(status: int, message: str = "refused"):
    """A real ``HfHubHTTPError`` carrying an HTTP response with ``status``."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        import httpx2 as httpx
    except ImportError:  # huggingface_hub < 1.x uses requests, 1.x httpx
        import httpx
    request = httpx.Request("POST", "https://huggingface.co/api/datasets/someone/test/commit/main")
    return HfHubHTTPError(message, response=httpx.Response(status, request=request))


@pytest.mark.parametrize("text, repo", [
    ("someone/test", "someone/test"),
    ("datasets/someone/test", "someone/test"),
    ("https://huggingface.co/datasets/someone/test/", "someone/test"),
])
def test_parse_repo_id_accepts_dataset_names(text, repo):
    assert parse_repo_id(text) == repo


@pytest.mark.parametrize("text, fragment", [
    ("https://huggingface.co/someone/test", "names a model repository; keychain pushes datasets: pass --repo someone/test"),
    ("models/someone/test", "names a model repository"),
    ("spaces/someone/test", "names a Space"),
    ("test", "pass it as user/name"),
    ("a/b/c", "pass it as user/name"),
])
def test_parse_repo_id_refuses_other_kinds_in_one_line(text, fragment):
    with pytest.raises(PublishError, match=fragment.replace("(", r"\(")):
        parse_repo_id(text)


@pytest.mark.parametrize("error, transient", [
    (hub_error(500), True), (hub_error(503), True), (hub_error(429), True),
    (hub_error(401), False), (hub_error(403), False), (hub_error(404), False), (hub_error(409), False),
    (ConnectionResetError("reset by peer"), True), (TimeoutError(), True), (ValueError("bad"), False),
])
def test_is_transient(error, transient):
    assert is_transient(error) is transient


@pytest.mark.parametrize("status, fragment", [
    (401, "run `hf auth login` or set HF_TOKEN"),
    (403, "no write access to someone/test"),
    (404, "dataset repository someone/test not found"),
    (409, "taken by a repository of another type"),
    (400, "HTTP 400"),
])
def test_describe_error_names_cause_and_fix(status, fragment):
    line = describe_error(hub_error(status), "create_commit", "someone/test")
    assert fragment in line and "\n" not in line


def test_call_hub_retries_transient_errors_then_succeeds():
    calls, sleeps = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise hub_error(503)
        return "ok"

    assert call_hub("create_commit", flaky, "someone/test", sleep=sleeps.append) == "ok"
    assert sleeps == [2.0, 4.0]


def test_call_hub_stops_after_the_bound():
    sleeps = []

    def down():
        raise hub_error(502)

    with pytest.raises(PublishError, match="still failing after 3 tries"):
        call_hub("create_commit", down, "someone/test", RetryPolicy(attempts=3), sleep=sleeps.append)
    assert sleeps == [2.0, 4.0]


def test_call_hub_does_not_retry_a_permanent_error():
    sleeps, calls = [], []

    def forbidden():
        calls.append(1)
        raise hub_error(403)

    with pytest.raises(PublishError, match="no write access"):
        call_hub("create_commit", forbidden, "someone/test", sleep=sleeps.append)
    assert calls == [1] and sleeps == []


def test_call_hub_stops_retrying_once_the_push_has_spent_its_failure_budget():
    from keychain.publish.hub import FailureClock

    now = [0.0]
    clock = FailureClock(now=lambda: now[0])
    sleeps = []

    def silent():  # each try waits 60 s for an answer that never comes
        now[0] += 60
        raise TimeoutError("timed out")

    with pytest.raises(PublishError, match="still failing after 3 tries and 186 s"):
        call_hub("create_repo", silent, "someone/test", RetryPolicy(give_up_after=150), sleep=sleeps.append, clock=clock)
    assert sleeps == [2.0, 4.0]  # a third wait (8 s) would pass 150 s of failures
    with pytest.raises(PublishError, match="still failing after 1 try and 246 s"):  # the budget is shared by the push
        call_hub("create_commit", silent, "someone/test", RetryPolicy(give_up_after=150), sleep=sleeps.append, clock=clock)
