"""Fixtures of the run tests: an invented HotpotQA file of 30 items."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..fixtures import make_source, write_hotpot_file


@pytest.fixture(scope="module")
def hotpot_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "hotpot_invented.json"
    write_hotpot_file(make_source(n_items=30, n_docs=300), path)
    return path
