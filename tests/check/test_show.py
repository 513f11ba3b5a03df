"""keychain show: every kind of row fits an 80-column terminal, the chain table whole."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from keychain.check.show import short_key, show
from keychain.config import BuildConfig
from keychain.run.pipeline import build


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("show") / "out"
    for task in ("keychain", "plain", "multikey"):
        build(BuildConfig(source="synthetic", lengths=(2048,), task=task, num=2, out=str(out)), command="test")
    return out


def shown(out, config: str, width: int = 80) -> list[str]:
    text = io.StringIO()
    show(out, 0, config, Console(file=text, width=width))
    return text.getvalue().splitlines()


@pytest.mark.parametrize("config", ["synthetic-keychain-2k", "synthetic-plain-2k", "synthetic-multikey-2k"])
def test_every_line_fits_80_columns(out, config):
    lines = shown(out, config)
    assert max(len(line) for line in lines) <= 80, "\n".join(line for line in lines if len(line) > 80)


def test_chain_table_keeps_full_keys_and_its_depth_column_at_80_columns(out):
    lines = shown(out, "synthetic-keychain-2k")
    header = next(line for line in lines if "step" in line and "key" in line)
    assert "depth" in header and "maps to" in header
    rows = [line for line in lines if line.startswith("│    1 │")]
    key = rows[0].split("│")[2].strip()
    assert len(key) == 36 and key.count("-") == 4  # the whole UUID, never folded
    assert "-…" in rows[0]  # the next key, shortened: it is written out on its own line
    assert any(line.startswith("[") and "G" in line for line in lines)  # the context map


def test_short_key_cuts_only_long_keys():
    assert short_key("4cc66601-0b6e-4c2a-9d5b-2f1c0e6a7b88") == "4cc66601-…"
    assert short_key("4cc66601") == "4cc66601"
