"""A golden file for one small seeded build, so any change of output shows up in review.

If a change of output is intended, regenerate with
``KEYCHAIN_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and commit the diff.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from keychain.config import BuildConfig
from keychain.rows.build import RowBuilder
from keychain.rows.prompts import PromptTemplate

from .fixtures import make_source

GOLDEN = Path(__file__).parent / "golden" / "tiny_2k_rows.json"


def summarize(row: dict) -> dict:
    """Every column, with the long prompt replaced by its hash (the first row keeps it whole)."""
    digest = hashlib.sha256(json.dumps(row["prompt"], ensure_ascii=False).encode()).hexdigest()
    return {**{k: v for k, v in row.items() if k != "prompt"}, "prompt_sha256": digest}


def test_small_seeded_build_matches_the_golden_file(counter):
    source = make_source(n_items=8, n_docs=60, seed=7)
    config = BuildConfig(source="hotpotqa", lengths=(2048,), chains=3, hops=2, seed=11)
    builder = RowBuilder(source, config.spec(2048), PromptTemplate(), counter)
    rows = [builder.build(i, item) for i, item in enumerate(source.items[:3])]
    actual = {"first_user_prompt": rows[0]["prompt"][1]["content"], "rows": [summarize(r) for r in rows]}
    if os.environ.get("KEYCHAIN_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert actual["rows"] == expected["rows"]
    assert actual["first_user_prompt"] == expected["first_user_prompt"]
