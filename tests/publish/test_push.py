"""keychain push against a recording stand-in for HfApi: paths, no deletions, tags, retries, checks."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from keychain.errors import PublishError
from keychain.publish.card import CARD
from keychain.publish.push import push
from keychain.store.folder import newest_versions, push_record_path

from .publishing import build_two_configs
from .test_hub import hub_error

REPO = "someone/test"


class RecordingApi:
    """Records create_repo / create_commit / create_tag calls; ``fail`` maps a method to errors to raise first."""

    def __init__(self, fail: dict | None = None):
        self.calls: list[tuple[str, tuple, dict]] = []
        self.fail = {name: list(errors) for name, errors in (fail or {}).items()}

    def _record(self, name, args, kwargs):
        self.calls.append((name, args, kwargs))
        if self.fail.get(name):
            raise self.fail[name].pop(0)

    def create_repo(self, repo_id, *, token=None, private=None, repo_type=None, exist_ok=False, **kwargs):
        self._record("create_repo", (repo_id,), dict(private=private, repo_type=repo_type, exist_ok=exist_ok, **kwargs))
        return f"https://huggingface.co/datasets/{repo_id}"

    def create_commit(self, repo_id, operations, *, commit_message, repo_type=None, **kwargs):
        operations = list(operations)
        self._record("create_commit", (repo_id, operations), dict(commit_message=commit_message, repo_type=repo_type, **kwargs))
        return SimpleNamespace(oid="c0ffee", commit_url=f"https://huggingface.co/datasets/{repo_id}/commit/c0ffee")

    def create_tag(self, repo_id, *, tag, tag_message=None, revision=None, repo_type=None, exist_ok=False, **kwargs):
        self._record("create_tag", (repo_id,), dict(tag=tag, tag_message=tag_message, revision=revision,
                                                    repo_type=repo_type, exist_ok=exist_ok, **kwargs))

    def named(self, name):
        return [call for call in self.calls if call[0] == name]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_two_configs(tmp_path_factory.mktemp("push"))


@pytest.fixture()
def out(built, tmp_path):
    """A fresh copy of the built folder per test (tests change it)."""
    import shutil

    return Path(shutil.copytree(built, tmp_path / "out", symlinks=True))


def run(out, api, lines=None, **options):
    lines = [] if lines is None else lines
    return push(out, REPO, api=api, sleep=lambda s: None, log=lines.append, **options), lines


def expected_paths(out: Path) -> set[str]:
    paths = {CARD}
    for published in newest_versions(out):
        for path in published.path.rglob("*"):
            if path.is_file():
                paths.add(path.relative_to(out).as_posix())
    return paths


def test_push_sends_every_file_in_one_commit_and_tags_each_version(out):
    api = RecordingApi()
    plan, lines = run(out, api)
    assert [c[0] for c in api.calls] == ["create_repo", "create_commit", "create_tag", "create_tag"]
    assert api.calls[0][2] == {"private": False, "repo_type": "dataset", "exist_ok": True}
    (_, (repo_id, operations), options) = api.named("create_commit")[0]
    assert repo_id == REPO and options["repo_type"] == "dataset"
    assert all(type(op).__name__ == "CommitOperationAdd" for op in operations)  # never a delete
    assert {op.path_in_repo for op in operations} == expected_paths(out)
    assert sum(op.path_in_repo.endswith(".png") for op in operations) == 6  # plots made before the push
    card = next(op for op in operations if op.path_in_repo == CARD)
    assert f'load_dataset("{REPO}", "synthetic-keychain-4k"' in card.path_or_fileobj.decode()
    tags = {call[2]["tag"]: call[2] for call in api.named("create_tag")}
    assert set(tags) == {"hotpotqa-keychain-8k-v1", "synthetic-keychain-4k-v1"}
    assert all(t["revision"] == "c0ffee" and t["exist_ok"] and t["repo_type"] == "dataset" for t in tags.values())
    assert (out / CARD).read_bytes() == card.path_or_fileobj  # the folder's card now names the repo
    record = json.loads(push_record_path(out, REPO).read_text())
    assert record["configs"] == {"hotpotqa-keychain-8k": "v1", "synthetic-keychain-4k": "v1"}
    assert any(line.startswith("pushed ") for line in lines)


def test_recorded_calls_fit_the_real_hfapi_signatures(out):
    from huggingface_hub import HfApi

    api = RecordingApi()
    run(out, api)
    for name, args, kwargs in api.calls:
        inspect.signature(getattr(HfApi, name)).bind(None, *args, **kwargs)  # raises on an unknown argument


def test_dry_run_lists_every_operation_and_the_card_diff_without_calling_the_hub(out):
    api = RecordingApi()
    _, lines = run(out, api, dry_run=True)
    assert api.calls == []
    text = "\n".join(lines)
    for path in expected_paths(out):
        assert f"  add {path} (" in text
    assert "create_tag synthetic-keychain-4k-v1" in text and "no deletions" in text
    assert "checked: datasets loads 2 configs from the local folder" in text
    assert f"+++ {REPO}/README.md" in text and "no card" in text
    assert not push_record_path(out, REPO).exists() and not (out / CARD).exists()


def snapshot(folder: Path) -> dict:
    return {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in sorted(folder.rglob("*")) if path.is_file()}


def test_dry_run_writes_nothing_yet_lists_and_cards_the_plots_a_push_would_draw(out):
    before = snapshot(out)
    assert not any(path.suffix == ".png" for path in before)
    plan, lines = run(out, RecordingApi(), dry_run=True)
    assert snapshot(out) == before  # no plots, no card, no push record
    drawn = [line for line in lines if line.endswith(", drawn when pushed)")]
    assert len(drawn) == 6 and all("/stats/" in line for line in drawn)
    assert "synthetic-keychain-4k/v1/stats/chain_depths.png" in plan.card  # the card a push would send
    api = RecordingApi()
    pushed, _ = run(out, api)
    assert pushed.card == plan.card
    assert sorted(p.name for p in (out / "synthetic-keychain-4k" / "v1" / "stats").iterdir()) == [
        "chain_depths.png", "gold_depths.png", "prompt_lengths.png"]


def test_transient_errors_are_retried_and_a_permanent_one_stops_in_one_line(out):
    api = RecordingApi(fail={"create_commit": [hub_error(503), ConnectionResetError("reset")]})
    run(out, api)
    assert len(api.named("create_commit")) == 3 and len(api.named("create_tag")) == 2

    api = RecordingApi(fail={"create_commit": [hub_error(500)] * 5})
    with pytest.raises(PublishError, match="still failing after 5 tries"):
        run(out, api)
    assert len(api.named("create_commit")) == 5 and api.named("create_tag") == []

    api = RecordingApi(fail={"create_repo": [hub_error(403)]})
    with pytest.raises(PublishError, match="no write access to someone/test"):
        run(out, api)
    assert [c[0] for c in api.calls] == ["create_repo"]


def test_a_changed_shard_stops_the_push_before_any_hub_call(out):
    shard = next(out.glob("synthetic-keychain-4k/v1/*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-10])
    api = RecordingApi()
    with pytest.raises(PublishError, match="sha256 differs from its manifest"):
        run(out, api)
    assert api.calls == []


def test_pushing_one_config_keeps_the_earlier_one_in_the_card(out):
    first = RecordingApi()
    push(out, REPO, names=["synthetic-keychain-4k"], api=first, log=lambda line: None)
    assert first.named("create_tag")[0][2]["tag"] == "synthetic-keychain-4k-v1"
    second = RecordingApi()
    push(out, REPO, names=["hotpotqa-keychain-8k"], api=second, log=lambda line: None)
    operations = second.named("create_commit")[0][1][1]
    assert not any(op.path_in_repo.startswith("synthetic-keychain-4k/") for op in operations)
    card = next(op for op in operations if op.path_in_repo == CARD).path_or_fileobj.decode()
    assert "config_name: synthetic-keychain-4k" in card and "config_name: hotpotqa-keychain-8k" in card


def test_no_token_is_a_one_line_error(out, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    with pytest.raises(PublishError, match="no Hugging Face token found; run `hf auth login` or set HF_TOKEN"):
        push(out, REPO, log=lambda line: None)


def test_an_endpoint_that_accepts_and_never_answers_fails_in_one_line_within_the_budget(out, monkeypatch):
    """The repro of issue 14: a socket that accepts and never replies used to hang ``push`` forever."""
    import socket
    import time

    import huggingface_hub
    from huggingface_hub import HfApi

    from keychain.publish.hub import RetryPolicy

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # connections are queued by the kernel and never answered
    monkeypatch.setenv("KEYCHAIN_HUB_TIMEOUT", "0.5")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    api = HfApi(endpoint=f"http://127.0.0.1:{server.getsockname()[1]}", token="x")
    lines: list[str] = []
    began = time.monotonic()
    try:
        with pytest.raises(PublishError) as error:
            push(out, REPO, api=api, log=lines.append, policy=RetryPolicy(attempts=3, first_delay=0.1))
    finally:
        server.close()
    assert time.monotonic() - began < 20
    message = str(error.value)
    assert "create_repo" in message and "Timeout" in message and "still failing after 3 tries" in message
    assert "\n" not in message and sum("retry" in line for line in lines) == 2
    assert huggingface_hub.get_session().timeout.read == 0.5
