"""Trainer fixtures: the tiny model, and one run of recipes/tiny.yaml shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """recipes/tiny.yaml run once end to end: (run folder, stage summaries, seconds)."""
    pytest.importorskip("trl")
    import time

    from trainer.recipe import load_recipe
    from trainer.stages import run_recipe

    run_dir = tmp_path_factory.mktemp("tiny-run")
    started = time.perf_counter()
    summaries = run_recipe(load_recipe(RECIPES / "tiny.yaml", output_dir=str(run_dir)), log=lambda line: None)
    return run_dir, summaries, time.perf_counter() - started
