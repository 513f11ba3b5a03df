"""The PNG plots of ``keychain stats``, drawn headless with matplotlib's Agg canvas.

Three small histograms per config version, written to ``OUT/<config>/v<N>/stats/``:

* ``prompt_lengths.png``: prompt tokens per row against the budget and the 97% floor;
* ``gold_depths.png``: where the gold (supporting) documents sit in the context;
* ``chain_depths.png``: where the true chain's pairs sit, one colour per pair in chain
  order (KeyChain configs only).

No pyplot state is used, the default style is forced and the PNG ``Software`` chunk is
dropped, so the bytes depend only on the rows and the matplotlib version: re-running
on an unchanged folder rewrites nothing.

Example: ``write_plots(stats_of(published), published.stats_dir)`` ->
``[.../stats/prompt_lengths.png, .../stats/gold_depths.png, .../stats/chain_depths.png]``.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from ..rows.spec import FILL_FLOOR
from ..store.files import write_bytes_atomic
from ..store.folder import Published
from .stats import ConfigStats, stats_of

PLOT_FILES = ("prompt_lengths.png", "gold_depths.png", "chain_depths.png")
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


def plot_prompt_lengths(stats: ConfigStats):
    from matplotlib.ticker import MaxNLocator

    figure, ax = _figure()
    budget, floor = stats.target_len, math.ceil(FILL_FLOOR * stats.target_len)
    values = stats.n_tokens_values
    low = min([floor, *values]) - max(1, budget // 400)
    high = max([budget, *values]) + max(1, budget // 400)
    width = max(1, math.ceil((high - low) / 40))  # tokens per bin
    # edges step down from budget + 1, so the last bin below the line holds exactly n <= budget
    first = budget + 1 - width * math.ceil((budget + 1 - low) / width)
    ax.hist(values, bins=range(first, high + width, width), color="#4C72B0", edgecolor="white", linewidth=0.5)
    ax.axvline(budget, color="#C44E52", linestyle="--", linewidth=1.2, label=f"budget {budget:,}")
    ax.axvline(floor, color="#555555", linestyle=":", linewidth=1.2, label=f"97% floor {floor:,}")
    median = f", median fill {stats.fill['median']:.1%}" if stats.fill else ""
    ax.set_title(f"{stats.config_name} {stats.version}: prompt length of {stats.rows:,} rows{median}", fontsize=10)
    ax.set_xlabel(f"prompt length (tokens, {stats.tokenizer})")
    ax.set_ylabel("rows")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return figure


def _depth_axes(ax, what: str, total: int) -> None:
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"position of the {what} in the context (0 = start, 1 = end)")
    if total:
        expected = total / DEPTH_BINS
        ax.axhline(expected, color="#555555", linestyle=":", linewidth=1.2, label=f"uniform ({expected:,.1f} per bin)")


def plot_gold_depths(stats: ConfigStats):
    figure, ax = _figure()
    ax.hist(stats.gold_depths, bins=DEPTH_BINS, range=(0, 1), color="#55A868", edgecolor="white", linewidth=0.5)
    _depth_axes(ax, "gold document", len(stats.gold_depths))
    ax.set_ylabel("gold documents")
    ax.set_title(
        f"{stats.config_name} {stats.version}: where the {len(stats.gold_depths):,} gold documents sit", fontsize=10
    )
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return figure


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
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return figure


def render_plots(stats: ConfigStats) -> dict[str, bytes]:
    """File name -> PNG bytes; the chain plot only for KeyChain configs."""
    import matplotlib.style

    plots = {"prompt_lengths.png": plot_prompt_lengths, "gold_depths.png": plot_gold_depths}
    if stats.chain_depths:
        plots["chain_depths.png"] = plot_chain_depths
    with matplotlib.style.context("default"):  # a user's matplotlibrc must not change the bytes
        return {name: _png(plot(stats)) for name, plot in plots.items()}


def write_plots(stats: ConfigStats, folder: Path) -> list[Path]:
    """Write the plots into ``folder`` (atomically, only where the bytes changed)."""
    paths = []
    for name, data in render_plots(stats).items():
        write_bytes_atomic(folder / name, data)
        paths.append(Path(folder) / name)
    return paths


def existing_plots(published: Published) -> list[str]:
    """The plot files present for a version, in ``PLOT_FILES`` order."""
    return [name for name in PLOT_FILES if (published.stats_dir / name).is_file()]


def ensure_plots(published: Published, refresh: bool = False) -> list[Path]:
    """Write a version's plots when any is missing (or always, with ``refresh``)."""
    task = published.manifest.get("config", {}).get("task")
    expected = PLOT_FILES if task == "keychain" else PLOT_FILES[:2]
    if not refresh and all((published.stats_dir / name).is_file() for name in expected):
        return [published.stats_dir / name for name in expected]
    return write_plots(stats_of(published), published.stats_dir)
