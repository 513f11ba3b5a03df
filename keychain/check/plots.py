"""The PNG plots of ``keychain stats``, drawn headless with matplotlib's Agg canvas.

Small histograms per config version, written to ``OUT/<config>/v<N>/stats/`` (or a
``--plots-dir``); which ones depends on the rows' tasks (``plot_names``):

* ``prompt_lengths.png``: prompt tokens per row, the whole range from the 97% floor to
  the budget beside a zoom on the rows themselves (they sit within a few tenths of a
  percent of the budget, so a single axis squeezes them into a few bars);
* ``gold_depths.png``: where the gold (supporting) documents sit (KeyChain and plain QA);
* ``chain_depths.png``: where the true chain's pairs sit, one colour per pair in chain
  order (KeyChain);
* ``needle_depths.png``: where the needles sit (multikey, multivalue, niah).

No pyplot state is used, the default style is forced and the PNG ``Software`` chunk is
dropped, so the bytes depend only on the rows and the matplotlib version: re-running
on an unchanged folder rewrites nothing.

Example: ``plot_names(("keychain",))`` ->
``('prompt_lengths.png', 'gold_depths.png', 'chain_depths.png')``, and
``write_plots(stats_of(published), published.stats_dir)`` writes those three files.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from ..rows.spec import FILL_FLOOR
from ..store.files import write_bytes_atomic
from ..store.folder import Published
from ..tasks import RETRIEVAL_TASKS
from .stats import ConfigStats, config_tasks, stats_of

PLOT_FILES = ("prompt_lengths.png", "gold_depths.png", "chain_depths.png", "needle_depths.png")
DEPTH_BINS = 20  # bins of 5% of the context each
FIGURE_INCHES = (6.4, 3.4)  # 640 x 340 pixels at PLOT_DPI
PLOT_DPI = 100


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_INCHES, dpi=PLOT_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PLOT_DPI, metadata={"Software": None})  # no version text: stable bytes
    return buffer.getvalue()


def plot_names(tasks: tuple[str, ...]) -> tuple[str, ...]:
    """The plots that apply to rows of ``tasks``, in ``PLOT_FILES`` order."""
    wanted = {"prompt_lengths.png"}
    for task in tasks:
        if task in ("keychain", "plain"):
            wanted.add("gold_depths.png")
        if task == "keychain":
            wanted.add("chain_depths.png")
        if task in RETRIEVAL_TASKS:
            wanted.add("needle_depths.png")
    return tuple(name for name in PLOT_FILES if name in wanted)


def _integer_counts(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _legend(ax, **options) -> None:
    """A legend when something is labelled (matplotlib warns on an empty one)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False, **options)


def _length_bins(low: int, high: int, budget: int, bins: int) -> range:
    """Bin edges of whole tokens that end at ``budget + 1``: no bar straddles the budget line."""
    width = max(1, math.ceil((high - low) / bins))  # tokens per bin
    first = budget + 1 - width * math.ceil((budget + 1 - low) / width)
    return range(first, max(high, budget) + width + 1, width)


def plot_prompt_lengths(stats: ConfigStats):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=FIGURE_INCHES, dpi=PLOT_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    whole, zoom = figure.subplots(1, 2, width_ratios=(1, 2), sharey=False)
    budget, floor = stats.target_len, math.ceil(FILL_FLOOR * stats.target_len)
    values = stats.n_tokens_values
    low, high = min([floor, *values]), max([budget, *values])
    style = {"color": "#4C72B0", "edgecolor": "white", "linewidth": 0.5}
    whole.hist(values, bins=_length_bins(low, high, budget, 20), **style)
    whole.set_title("97% floor to budget", fontsize=9)
    near_low, near_high = min(values, default=budget), max([budget, *values])
    zoom.hist(values, bins=_length_bins(near_low, near_high, budget, 30), **style)
    zoom.set_title(f"zoom: {near_low:,} to {near_high:,} tokens", fontsize=9)
    for ax in (whole, zoom):
        ax.axvline(budget, color="#C44E52", linestyle="--", linewidth=1.2, label=f"budget {budget:,}")
        _integer_counts(ax)
        ax.tick_params(axis="x", labelsize=7)
    whole.xaxis.set_major_locator(MaxNLocator(3))
    whole.axvline(floor, color="#555555", linestyle=":", linewidth=1.2, label=f"97% floor {floor:,}")
    whole.set_ylabel("rows")
    figure.supxlabel(f"prompt length (tokens, {stats.tokenizer})", fontsize=9)
    median = f", median fill {stats.fill['median']:.2%}" if stats.fill else ""
    figure.suptitle(f"{stats.config_name} {stats.version}: prompt length of {stats.rows:,} rows{median}", fontsize=10)
    _legend(whole, loc="upper left")
    return figure


def _depth_axes(ax, what: str, total: int) -> None:
    """Depth axis, whole counts, and the count per bin of a uniform spread (when ``total``)."""
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"position of the {what} in the context (0 = start, 1 = end)")
    _integer_counts(ax)
    if total:
        expected = total / DEPTH_BINS
        ax.axhline(expected, color="#555555", linestyle=":", linewidth=1.2, label=f"uniform ({expected:,.1f} per bin)")


def _depth_histogram(stats: ConfigStats, depths: tuple[float, ...], what: str, colour: str, requested=()):
    """Where ``depths`` sit; against the requested depths (niah) or else a uniform spread."""
    figure, ax = _figure()
    ax.hist(depths, bins=DEPTH_BINS, range=(0, 1), color=colour, edgecolor="white", linewidth=0.5)
    _depth_axes(ax, what, 0 if requested else len(depths))
    for depth in requested:
        ax.axvline(depth, color="#C44E52", linestyle="--", linewidth=1)
    if requested:
        ax.set_xlim(-0.01, 1.01)  # lines at 0% and 100% stay visible off the frame
    ax.set_ylabel(f"{what}s")
    note = " (dashed: requested depths)" if requested else ""
    ax.set_title(f"{stats.config_name} {stats.version}: where the {len(depths):,} {what}s sit{note}", fontsize=10)
    _legend(ax, loc="best")
    return figure


def plot_gold_depths(stats: ConfigStats):
    return _depth_histogram(stats, stats.gold_depths, "gold document", "#55A868")


def plot_needle_depths(stats: ConfigStats):
    return _depth_histogram(stats, stats.needle_depths, "needle", "#8172B2", tuple(stats.requested_depths or ()))


def plot_chain_depths(stats: ConfigStats):
    from matplotlib import colormaps

    figure, ax = _figure()
    pairs = max((len(depths) for depths in stats.chain_depths), default=0)
    by_pair = [[depths[i] for depths in stats.chain_depths if len(depths) > i] for i in range(pairs)]
    colours = [colormaps["viridis"](0.15 + 0.7 * i / max(1, pairs - 1)) for i in range(pairs)]
    labels = [
        f"pair {i + 1}" + (" (head key)" if i == 0 else " (→ question)" if i == pairs - 1 else "") for i in range(pairs)
    ]
    if pairs:
        ax.hist(by_pair, bins=DEPTH_BINS, range=(0, 1), stacked=True, color=colours, label=labels,
                edgecolor="white", linewidth=0.5)
    total = sum(len(depths) for depths in by_pair)
    _depth_axes(ax, "true-chain pair", total)
    ax.set_ylabel("true-chain pairs")
    ax.set_title(f"{stats.config_name} {stats.version}: where the true chain's {pairs} pairs sit", fontsize=10)
    _legend(ax, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


_PLOTTERS = {
    "prompt_lengths.png": plot_prompt_lengths,
    "gold_depths.png": plot_gold_depths,
    "chain_depths.png": plot_chain_depths,
    "needle_depths.png": plot_needle_depths,
}


def render_plots(stats: ConfigStats, names: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """File name -> PNG bytes, for ``names`` (default: those that apply to the rows)."""
    import matplotlib.style

    if names is None:
        names = plot_names(stats.tasks)
    with matplotlib.style.context("default"):  # a user's matplotlibrc must not change the bytes
        return {name: _png(_PLOTTERS[name](stats)) for name in names}


def write_plots(stats: ConfigStats, folder: Path) -> list[Path]:
    """Write the plots into ``folder`` (atomically, only where the bytes changed).

    Plot files of ours that no longer apply (a retrieval config's gold-document plot
    drawn by an earlier version) are removed. An ``OSError`` (read-only folder) is the
    caller's to report.
    """
    folder = Path(folder)
    drawn = render_plots(stats)
    for name in PLOT_FILES:
        if name not in drawn:
            (folder / name).unlink(missing_ok=True)
    for name, data in drawn.items():
        write_bytes_atomic(folder / name, data)
    return [folder / name for name in drawn]


def expected_plots(published: Published) -> tuple[str, ...]:
    return plot_names(config_tasks(published.manifest))


def missing_plots(published: Published) -> dict[Path, bytes]:
    """The plots of a version not on disk yet, drawn in memory (nothing is written)."""
    missing = tuple(name for name in expected_plots(published) if not (published.stats_dir / name).is_file())
    if not missing:
        return {}
    drawn = render_plots(stats_of(published), missing)
    return {published.stats_dir / name: data for name, data in drawn.items()}
