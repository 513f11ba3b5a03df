"""keychain stats: hand-worked numbers, the table, and stable headless PNG plots."""

from __future__ import annotations

import pytest

from keychain.check.plots import plot_names, render_plots, write_plots
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
        assert [p.name for p in paths] == ["prompt_lengths.png", "gold_depths.png", "chain_depths.png"]
        assert [p.name for p in paths] == list(plot_names(("keychain",)))
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


def table_text(stats) -> str:
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(stats_table(stats))
    return console.export_text()


@pytest.fixture(scope="module")
def retrieval_out(tmp_path_factory):
    from keychain.config import BuildConfig
    from keychain.run.pipeline import build

    out = tmp_path_factory.mktemp("retrieval") / "out"
    build(BuildConfig(source="synthetic", lengths=(2048,), task="multikey", num=3, out=str(out)), command="test")
    build(BuildConfig(source="synthetic", lengths=(2048,), task="niah", num=2, depths=(0.0, 0.5, 1.0), out=str(out)), command="test")
    return out


def test_plot_names_follow_the_tasks():
    assert plot_names(("plain",)) == ("prompt_lengths.png", "gold_depths.png")
    assert plot_names(("niah",)) == ("prompt_lengths.png", "needle_depths.png")
    assert plot_names(("math",)) == ("prompt_lengths.png",)
    assert plot_names(("multikey", "keychain")) == ("prompt_lengths.png", "gold_depths.png", "chain_depths.png", "needle_depths.png")


def test_retrieval_stats_show_needles_and_leave_out_rows_that_do_not_apply(retrieval_out):
    import warnings

    for published in newest_versions(retrieval_out):
        stats = stats_of(published)
        text = table_text(stats)
        assert "needles per row" in text and "n/a" not in text
        assert "documents per row" not in text and "question type" not in text and "source reasoning hops" not in text
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no matplotlib warning leaks (an empty legend warned before)
            assert list(render_plots(stats)) == ["prompt_lengths.png", "needle_depths.png"]
    multikey = stats_of(newest_versions(retrieval_out, ["synthetic-multikey-2k"])[0])
    assert multikey.requested_depths is None and "requested needle depth" not in table_text(multikey)
    niah = stats_of(newest_versions(retrieval_out, ["synthetic-niah-2k"])[0])
    assert niah.requested_depths == {0.0: 2, 0.5: 2, 1.0: 2} and len(niah.needle_depths) == 6
    assert "│ requested needle depth       │ 0%: 2 (33%), 50%: 2 (33%), 100%: 2 (33%) │" in table_text(niah)


def test_write_plots_removes_a_plot_that_no_longer_applies(retrieval_out, tmp_path):
    stats = stats_of(newest_versions(retrieval_out, ["synthetic-multikey-2k"])[0])
    (tmp_path / "gold_depths.png").write_bytes(b"an empty plot drawn by an earlier version")
    written = write_plots(stats, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written) == ["needle_depths.png", "prompt_lengths.png"]


def test_count_axes_have_whole_number_ticks():
    from keychain.check.plots import plot_chain_depths, plot_prompt_lengths

    rows = [toy_row(97, "bridge", ["a"], [0.2, 0.4]), toy_row(99, "bridge", ["b"], [0.6, 0.8])]
    stats = compute_stats(rows, MANIFEST)
    for figure in (plot_chain_depths(stats), plot_prompt_lengths(stats)):
        figure.canvas.draw()
        for ax in figure.axes:
            assert all(float(tick).is_integer() for tick in ax.get_yticks()), ax.get_yticks()


def test_prompt_length_zoom_spreads_rows_near_the_budget():
    """Rows within 0.4% of a 16K budget: the zoom panel spans them, not floor to budget."""
    from keychain.check.plots import plot_prompt_lengths

    manifest = {**MANIFEST, "config": {**MANIFEST["config"], "target_len": 16384}}
    rows = [dict(toy_row(16320 + 2 * i, "bridge", ["a"], [0.5, 0.6]), target_len=16384) for i in range(30)]
    figure = plot_prompt_lengths(compute_stats(rows, manifest))
    whole, zoom = figure.axes
    assert whole.get_xlim()[0] < 15893 < 16384 < whole.get_xlim()[1]  # the 97% floor in view
    low, high = zoom.get_xlim()
    assert 16300 < low <= 16320 and 16384 < high < 16400  # just the rows and the budget
    bars = [patch for patch in zoom.patches if patch.get_height() > 0]
    assert len(bars) >= 20  # the spread shows, not 3-4 bars at the right edge
