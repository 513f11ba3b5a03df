"""Shared fixtures for the source tests: no network, a private datasets cache, real samples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Belt and braces: nothing in these tests may reach the Hugging Face Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

SHARED_DATA = (Path(__file__).resolve().parents[2] / "../shared/data").resolve()


@pytest.fixture
def shared_data() -> Path:
    """The folder of real dataset samples next to the repository; skips the test if absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture
def datasets_cache(tmp_path, monkeypatch) -> Path:
    """Points the datasets cache into ``tmp_path`` so Parquet loads leave nothing behind."""
    datasets = pytest.importorskip("datasets")
    cache = tmp_path / "hf-datasets-cache"
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    return cache


def _assert_same_content(left, right) -> None:
    assert left.name == right.name
    assert left.split == right.split
    assert left.items == right.items
    assert left.documents == right.documents
    assert dict(left.skipped) == dict(right.skipped)


@pytest.fixture
def same_content():
    """Asserts two SourceData hold the same items, documents, skips, name and split."""
    return _assert_same_content
