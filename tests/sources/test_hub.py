"""Hub loading: one network check, offline mode instead of a retry storm, one-line errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from keychain.errors import ConfigError, InputError
from keychain.sources.hub import fetch_hub, hub_split, offline_reason, probe_endpoint

FIX = "pass --data-files with data.json"


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message.strip() == message
    return message


@pytest.fixture
def online(monkeypatch):
    """No offline variable set (the test session sets them all)."""
    for variable in ("KEYCHAIN_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(variable, raising=False)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def test_hub_split_maps_dev_and_rejects_unknown_splits():
    splits = {"train": "train", "validation": "validation", "dev": "validation"}
    assert hub_split("hotpotqa", "dev", splits) == "validation"
    with pytest.raises(ConfigError) as error:
        hub_split("hotpotqa", "test", splits)
    assert one_line(error) == (
        "unknown split 'test' for hotpotqa from the Hub; choose one of train, validation, dev"
    )


def test_online_failure_is_one_line_quoting_the_cause(online):
    def failing(split):
        raise ConnectionError("Max retries exceeded with url\nTraceback details\nmore")

    with pytest.raises(InputError) as error:
        fetch_hub(failing, "train", "org/data", FIX, probe=lambda url: None)
    assert one_line(error) == (
        "cannot load org/data from the Hugging Face Hub (ConnectionError: Max retries exceeded "
        "with url); check your network, or pass --data-files with data.json"
    )


def test_offline_variable_skips_the_probe_and_loads_in_offline_mode(monkeypatch, online):
    monkeypatch.setenv("KEYCHAIN_OFFLINE", "1")
    seen = []

    def load(split):
        seen.append(os.environ.get("HF_HUB_OFFLINE"))
        raise ConnectionError("Couldn't reach 'org/data' on the Hub (OfflineModeIsEnabled)")

    with pytest.raises(InputError) as error:
        fetch_hub(load, "train", "org/data", FIX, probe=lambda url: pytest.fail("probed the network"))
    assert seen == ["1"]
    assert one_line(error) == (
        "the Hugging Face Hub is offline (KEYCHAIN_OFFLINE=1 is set) and org/data is not in the "
        "local cache; pass --data-files with data.json, or re-run with a network and without "
        "KEYCHAIN_OFFLINE"
    )


def test_failed_probe_switches_to_offline_mode_and_a_cached_copy_still_loads(monkeypatch, online):
    datasets_config = pytest.importorskip("datasets.config")
    monkeypatch.setattr(datasets_config, "HF_HUB_OFFLINE", False)
    probes = []

    def probe(url):
        probes.append(url)
        return f"{url} cannot be reached: no route"

    def load_cached(split):
        assert datasets_config.HF_HUB_OFFLINE is True  # already-imported libraries switch too
        return ["cached rows"]

    assert fetch_hub(load_cached, "train", "org/data", FIX, probe=probe) == ["cached rows"]
    assert probes == ["https://huggingface.co"]


def test_failed_probe_without_a_cached_copy_names_the_reason(monkeypatch, online):
    monkeypatch.setenv("HF_ENDPOINT", "http://hub.invalid/")

    def load(split):
        raise ConnectionError("not cached")

    with pytest.raises(InputError) as error:
        fetch_hub(load, "train", "org/data", FIX, probe=lambda url: f"{url} cannot be reached: down")
    assert one_line(error) == (
        "the Hugging Face Hub is offline (http://hub.invalid cannot be reached: down) and "
        "org/data is not in the local cache; pass --data-files with data.json, or re-run with a network"
    )


def test_offline_reason_reads_each_variable(monkeypatch, online):
    assert offline_reason(probe=lambda url: None) is None
    monkeypatch.setenv("HF_HUB_OFFLINE", "true")
    assert offline_reason(probe=lambda url: pytest.fail("probed")) == "HF_HUB_OFFLINE=1 is set"


class _NotFound(BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_probe_counts_any_http_answer_as_online_and_a_refused_port_as_offline():
    server = HTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        assert probe_endpoint(f"http://127.0.0.1:{server.server_port}") is None
    finally:
        thread.join(timeout=5)
        server.server_close()
    reason = probe_endpoint(f"http://127.0.0.1:{closed_port()}")
    assert reason is not None and "cannot be reached" in reason and "refused" in reason.lower()


def test_build_without_a_network_fails_in_one_line_without_retries(tmp_path):
    """The real Hub stack, pointed at a port where nothing listens: no retry storm."""
    pytest.importorskip("datasets")
    env = {k: v for k, v in os.environ.items() if k not in ("KEYCHAIN_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    env.update(HF_ENDPOINT=f"http://127.0.0.1:{closed_port()}", HF_HOME=str(tmp_path / "hf"))
    command = [sys.executable, "-m", "keychain.cli", "build", "--source", "hotpotqa", "--len", "16k", "--out", str(tmp_path / "out")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0, done.stderr  # one line: no "Retrying in 8s"
    assert done.stderr.startswith("error: the Hugging Face Hub is offline (http://127.0.0.1:")
    assert "hotpotqa/hotpot_qa is not in the local cache; pass --data-files" in done.stderr
    assert not (tmp_path / "out").exists()
