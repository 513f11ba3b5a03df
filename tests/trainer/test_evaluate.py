"""eval.png: named after the model's path (not its last folder), every series visible."""

from __future__ import annotations

import pytest

from trainer.evaluate import model_label, plot_by_length


def test_model_label_keeps_enough_of_the_path():
    assert model_label("runs/tiny/stages/stage2/final") == "tiny/stages/stage2/final"
    assert model_label("Qwen/Qwen2.5-7B-Instruct") == "Qwen/Qwen2.5-7B-Instruct"


def test_equal_scores_of_two_sources_stay_visible(monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    drawn = []
    monkeypatch.setattr(Figure, "savefig", lambda figure, *args, **kwargs: drawn.append(figure))
    groups = [{"data_source": source, "target_len": length, "rows": 4, "pass_at_1": 0.25}
              for source in ("keychain/synthetic", "plain/synthetic") for length in (2048, 4096)]
    plot_by_length(groups, tmp_path / "eval.png", "pass@1 of tiny/stages/stage2/final")
    (axis,) = drawn[0].axes
    first, second = axis.lines
    assert first.get_marker() != second.get_marker() and first.get_linestyle() != second.get_linestyle()
    assert all(a != b for a, b in zip(first.get_xdata(), second.get_xdata()))  # side by side, not on top
    assert [tick.get_text() for tick in axis.get_xticklabels()] == ["2k", "4k"]
    assert axis.get_title() == "pass@1 of tiny/stages/stage2/final"
