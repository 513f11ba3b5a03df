"""keychain stats: hand-worked numbers, the table, and stable headless PNG plots."""

from __future__ import annotations

import pytest

from keychain.check.plots import PLOT_FILES, render_plots, write_plots
from keychain.check.stats import compute_stats, stats_of, stats_table
from keychain.store.folder import newest_versions

from ..publish.publishing import build_two_configs

MANIFEST = {"config_name": "toy-keychain-4k", "version": "v1", "config": {"task": "keychain", "target_len": 100, "tokenizer": "cl100k_base"}}


def toy_row(n_tokens, question_type, answers, chain_depths):
    return {
        "n_tokens": n_tokens, "target_len": 100, "num_docs": 5, "hops": 2, "qa_hops": 2,
        "question_type": question_type, "answers": answers, "num_chains": 3,
        "gold_depths": [0.1, 0.9], "chain_depths": chain_depths,
    }


def test_compute_stats_known_answer():
    rows = [toy_row(97, "bridge", ["Bob Dylan"], [0.2, 0.4]), toy_row(99, "bridge", ["x"], [0.6, 0.8]),
            toy_row(100, "comparison", ["a b c"], [0.1, 0.3])]
    stats = compute_stats(rows, MANIFEST)
    assert stats.rows == 3
    assert stats.n_tokens == {"min": 97, "median": 99, "max": 100}
    assert stats.fill == {"min": 0.97, "median": 0.99, "max": 1.0}
    assert stats.question_types == {"bridge": 2, "comparison": 1}
    assert stats.answer_words == {"min": 1, "median": 2, "max": 3}
    assert stats.gold_depths == (0.1, 0.9) * 3
    assert stats.chain_depths == ((0.2, 0.4), (0.6, 0.8), (0.1, 0.3))


def test_plain_config_has_no_chain_plot():
    rows = [dict(toy_row(98, "bridge", ["a"], None), hops=None, num_chains=None)]
    stats = compute_stats(rows, {**MANIFEST, "config": {**MANIFEST["config"], "task": "plain"}})
    assert sorted(render_plots(stats)) == ["gold_depths.png", "prompt_lengths.png"]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return build_two_configs(tmp_path_factory.mktemp("stats"))


def test_stats_writes_three_pngs_per_keychain_config_byte_stable(out):
    for published in newest_versions(out):
        stats = stats_of(published)
        assert stats.rows == published.rows
        paths = write_plots(stats, published.stats_dir)
        assert [p.name for p in paths] == list(PLOT_FILES)
        first = {p.name: p.read_bytes() for p in paths}
        assert all(data.startswith(b"\x89PNG") and 5_000 < len(data) < 100_000 for data in first.values())
        assert render_plots(stats) == first  # same rows, same bytes


def test_stats_table_names_every_statistic(out):
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(stats_table(stats_of(newest_versions(out)[0])))
    text = console.export_text()
    for label in ("prompt tokens (cl100k_base)", "fill ratio", "documents per row", "chains per row",
                  "hops (keys per chain)", "question type", "answer length (words)"):
        assert label in text
