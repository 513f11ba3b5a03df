"""The ``keychain`` command line: wires commands to the library, maps errors to one line.

    keychain build --source synthetic --len 16k --num 100
    keychain show data --row 0
    keychain verify data

Errors print ``error: <problem>; <fix>`` and exit non-zero; ``KEYCHAIN_DEBUG=1`` shows
the traceback too.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .config import EXECUTORS, KEY_FORMATS, PRESETS, TASKS
from .errors import KeychainError, run_with_one_line_errors
from .sources import SOURCE_NAMES
from .tasks import HAYSTACKS, MATH_SOURCES, RETRIEVAL_TASKS, UNPADDED_TASKS

_STARTED = time.perf_counter()  # start-up (imports, argument parsing) counts in the build time

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: no markup to swallow [ray], no <bool> beside switches
    help="Build exact-length KeyChain long-context QA data (LoongRL, arXiv 2510.19363) as versioned Parquet shards.",
)


# --source, --task, --key-format and --executor list the registries' names: they cannot drift.
def _source_help() -> str:
    """--source's help, generated from the source and task registries so it cannot drift."""
    qa = [name for name in SOURCE_NAMES if name not in MATH_SOURCES]
    haystacks = [name for name in HAYSTACKS if name != "haystack"]  # haystack = --haystack FILE
    math = [f"{name} (--task {task})" for name, task in MATH_SOURCES.items()]
    return (
        f"QA items: {', '.join(qa)}. Haystacks for {', '.join(RETRIEVAL_TASKS)}: "
        f"{', '.join(haystacks)} or --haystack FILE. Math: {', '.join(math)}. "
        "synthetic is generated offline; the others read the Hugging Face Hub, or --data-files."
    )


def _task_help() -> str:
    """--task's help, generated from the task registry."""
    qa = [task for task in TASKS if task not in RETRIEVAL_TASKS + UNPADDED_TASKS]
    return (
        f"QA over padded passages: {', '.join(qa)} (keychain hides the question at the end of a "
        f"chain of keys; plain asks it). Needles in a haystack: {', '.join(RETRIEVAL_TASKS)}. "
        f"Math without passages: {', '.join(UNPADDED_TASKS)}."
    )


def _choices(names) -> str:
    return " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"keychain {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True, help="Print the version."),
) -> None:
    """Build, inspect and verify KeyChain datasets."""


@app.command()
def build(
    source: str = typer.Option("synthetic", "--source", metavar="NAME", help=_source_help()),
    lengths: List[str] = typer.Option(
        ["16k"], "--len", metavar="LEN", help="Token budget: 4k, 16k, 128k or a count like 16384. Repeat the flag for one config per length."
    ),
    out: Path = typer.Option(Path("data"), "--out", metavar="DIR", help="Output folder (a Hugging Face dataset repo)."),
    num: Optional[int] = typer.Option(None, "--num", metavar="N", help="Rows per length (default: all items of the build's share, see --items)."),
    seed: int = typer.Option(0, "--seed", metavar="N", help="Seed of every random choice."),
    tokenizer: str = typer.Option("cl100k_base", "--tokenizer", metavar="NAME", help="tiktoken encoding, Hugging Face tokenizer id or local path."),
    split: str = typer.Option("train", "--split", metavar="NAME", help="Source split: train, validation (also dev), ..."),
    task: str = typer.Option("keychain", "--task", metavar="NAME", help=_task_help()),
    hops: Optional[int] = typer.Option(None, "--hops", metavar="N", help="keychain: keys per chain (default 4)."),
    chains: Optional[int] = typer.Option(None, "--chains", metavar="N", help="keychain: chains per row (default: 1 per 1024 tokens of budget)."),
    key_format: Optional[str] = typer.Option(
        None, "--key-format", metavar="FORMAT", help=f"{_choices(KEY_FORMATS)}: keys as 36-character UUIDs (default) or 8 hex characters."
    ),
    chains_outside_budget: Optional[bool] = typer.Option(None, "--chains-outside-budget/--chains-inside-budget", help=(
        "keychain: add chains after padding, as the paper's scripts do (prompts exceed --len); default: the preset's.")),
    preset: str = typer.Option("exact", "--preset", metavar="NAME", help="keychain, plain: a bundle of settings (a flag given "
                               "explicitly wins). " + " ".join(f"{name}: {p.description}." for name, p in PRESETS.items())),
    padding: Optional[str] = typer.Option(None, "--padding", metavar="WHAT", help=(
        "keychain, plain: what fills --len, prompt (everything) or context (the passages alone, len - 128); default: the preset's.")),
    items: str = typer.Option("task", "--items", metavar="WHICH", help=(
        "keychain, plain: task (this task's share of the seeded item order: KeyChain and plain never share an item) or all.")),
    keep_ids: Optional[str] = typer.Option(None, "--keep-ids", metavar="FILE", help=(
        "keychain, plain: source ids to build from (the difficulty filter's list: one id per line, or JSON lines with 'id').")),
    data_files: List[str] = typer.Option([], "--data-files", metavar="FILE", help="Original release file to read instead of the Hub (repeat the flag for several)."),
    template: Optional[str] = typer.Option(None, "--template", metavar="FILE", help="YAML file overriding prompt template fields."),
    workers: int = typer.Option(1, "--workers", metavar="N", help="Worker processes (output is identical for any count)."),
    shard_rows: Optional[int] = typer.Option(None, "--shard-rows", metavar="N", help="Rows per Parquet shard (default ~128 MB of text)."),
    version: Optional[int] = typer.Option(None, "--version-number", metavar="N", help="Build into version N of each config (default: the next free one)."),
    depths: Optional[str] = typer.Option(None, "--depths", metavar="P,P,...", help="niah: needle depths in percent, e.g. 0,25,50,75,100 (default 0,10,...,100)."),
    needles: Optional[int] = typer.Option(None, "--needles", metavar="N", help="multikey: keys, multivalue: values per row (default 20)."),
    haystack: List[str] = typer.Option([], "--haystack", metavar="FILE", help="Plain-text file to hide needles in (repeat the flag for several); implies --source haystack."),
    executor: str = typer.Option(
        "local", "--executor", metavar="NAME", help=f"{_choices(EXECUTORS)}: this machine, or a Ray cluster (pip install 'keychain[ray]')."
    ),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", metavar="ADDR", help="Ray cluster address, e.g. ray://head:10001 (default: a local Ray)."),
    slice_: Optional[str] = typer.Option(None, "--slice", metavar="I/N", help="Build only shards I, I+N, ... (job arrays); then run once without it."),
) -> None:
    """Build one config per --len into OUT/<config>/v<N>/.

    Each version folder holds Parquet shards and manifest.json; OUT/README.md is the card.
    """
    from .config import BuildConfig, parse_length, parse_slice
    from .errors import ConfigError
    from .run.pipeline import build as run_build
    from .run.pipeline import total_summary
    from .tasks import parse_depths

    if haystack and (source not in ("synthetic", "haystack") or data_files):
        raise ConfigError("--haystack names the haystack files; drop --source and --data-files when you pass it")
    config = BuildConfig(
        source="haystack" if haystack else source,
        lengths=tuple(parse_length(value) for value in lengths),
        task=task,
        split=split,
        data_files=tuple(haystack or data_files),
        num=num,
        seed=seed,
        tokenizer=tokenizer,
        hops=hops,
        chains=chains,
        key_format=key_format,
        chains_outside_budget=chains_outside_budget,
        template=template,
        preset=preset,
        padding=padding,
        items=items,
        keep_ids=keep_ids,
        out=str(out),
        workers=workers,
        shard_rows=shard_rows,
        executor=executor,
        ray_address=ray_address,
        slice=parse_slice(slice_) if slice_ is not None else None,
        depths=parse_depths(depths) if depths is not None else (),
        needles=needles,
    )
    command = shlex.join(["keychain", *sys.argv[1:]])
    results = run_build(config, command=command, version=version)
    for result in results:
        typer.echo(result.summary())
        if result.shortfall():
            typer.echo(result.shortfall(), err=True)
    _refresh_card(out)
    typer.echo(total_summary(results, time.perf_counter() - _STARTED))


def _refresh_card(out: Path) -> None:
    """Rewrite OUT/README.md after a build; a card problem is reported, never fatal to the build."""
    from .publish.card import write_card

    try:
        typer.echo(f"card: {write_card(out)}")
    except KeychainError as error:
        typer.echo(f"card not written: {error}")
    except OSError as error:  # a read-only folder: the build or the table still stands
        typer.echo(f"card not written: cannot write {Path(out) / 'README.md'} ({error.strerror or error})")


@app.command("mix")
def mix_command(
    recipe: Path = typer.Argument(..., metavar="RECIPE", help="Data recipe, e.g. recipes/data/demo.yaml."),
    out: Path = typer.Option(Path("data"), "--out", metavar="DIR", help="Output folder (a Hugging Face dataset repo)."),
    scale: float = typer.Option(1.0, "--scale", metavar="F", help="Multiply every component's rows (e.g. 0.01 for a quick trial)."),
) -> None:
    """Build a recipe's components and one shuffled mix.

    The mix (OUT/mix/v<N>/) holds every row of every component once.
    """
    from .mix import load_recipe, mix

    loaded = load_recipe(recipe, out, scale)
    result = mix(loaded, out, command=shlex.join(["keychain", *sys.argv[1:]]))
    for component in result.components:
        typer.echo(component.summary())
    typer.echo(result.summary())
    _refresh_card(out)


@app.command()
def show(
    out: Path = typer.Argument(Path("data"), metavar="OUT", help="Output folder, config folder or version folder."),
    row: int = typer.Option(0, "--row", metavar="N", help="Row number within the config."),
    config: Optional[str] = typer.Option(None, "--config", metavar="NAME", help="Config name when OUT holds several."),
) -> None:
    """Print one row so a person can read it, chain highlighted."""
    from .check.show import show as show_row

    show_row(out, row, config)


@app.command()
def verify(
    out: Path = typer.Argument(Path("data"), metavar="OUT", help="Output folder, config folder or version folder."),
    limit: int = typer.Option(20, "--list", metavar="N", help="Failing rows to list."),
) -> None:
    """Re-check every row of every finished build; exit 1 on any failure."""
    from .check.verify import verify_folder

    console = Console()
    reports = verify_folder(out)
    failed = False
    for report in reports:
        table = Table(title=f"{report.path}: {report.rows} rows")
        table.add_column("check")
        table.add_column("what it checks", style="dim")
        table.add_column("failing", justify="right")
        table.add_column("reported", justify="right")
        for name, description in report.checks:
            failing = report.failures.get(name, 0)
            noted = report.noted.get(name, 0)
            table.add_row(name, description, f"[red]{failing}[/red]" if failing else "0", str(noted) if noted else "")
        console.print(table)
        for name, ids in sorted(report.noted_ids.items()):
            more = f", ... ({report.noted[name]} in all)" if report.noted[name] > len(ids) else ""
            console.print(f"reported {name}: {', '.join(ids)}{more}", highlight=False)
        for problem in report.file_problems:
            console.print(f"[red]FAIL[/red] {report.path}: {problem}")
        for row_report in report.failed_rows[:limit]:
            details = "; ".join(f"{check}: {detail}" for check, detail in row_report.problems)
            console.print(f"[red]FAIL[/red] {row_report.row_id}: {details}")
        if len(report.failed_rows) > limit:
            console.print(f"... and {len(report.failed_rows) - limit} more failing rows")
        failed = failed or not report.ok
    total = sum(r.rows for r in reports)
    bad = sum(len(r.failed_rows) for r in reports)
    if failed:
        console.print(f"[red]verify failed[/red]: {bad} of {total} rows fail, {sum(len(r.file_problems) for r in reports)} file problems")
        raise typer.Exit(1)
    console.print(f"[green]verify passed[/green]: {total} rows in {len(reports)} version(s)")


@app.command()
def stats(
    out: Path = typer.Argument(Path("data"), metavar="OUT", help="Output folder of a build."),
    config: List[str] = typer.Option([], "--config", metavar="NAME", help="Config to describe (repeat the flag for several; default: all)."),
    plots_dir: Optional[Path] = typer.Option(
        None, "--plots-dir", metavar="DIR", help="Write the plots to DIR/<config>/v<N>/ instead of OUT/<config>/v<N>/stats/ (for a read-only OUT)."
    ),
) -> None:
    """Print a table per config and draw its plots."""
    from .check.plots import write_plots
    from .check.stats import stats_of, stats_table
    from .store.folder import newest_versions

    console = Console()
    for published in newest_versions(out, config or None):
        numbers = stats_of(published)
        console.print(stats_table(numbers))
        folder = plots_dir / published.config_name / published.version if plots_dir else published.stats_dir
        try:
            for path in write_plots(numbers, folder):
                typer.echo(f"plot: {path}")
        except OSError as error:
            typer.echo(f"plots not written: cannot write to {folder} ({error.strerror or error}); pass --plots-dir DIR")
    if plots_dir is None:  # the card shows the plots inside OUT only
        _refresh_card(out)


@app.command()
def card(
    out: Path = typer.Argument(Path("data"), metavar="OUT", help="Output folder of a build."),
    repo: Optional[str] = typer.Option(None, "--repo", metavar="USER/NAME", help="user/name to show in the load snippets (default: the last push)."),
) -> None:
    """(Re)write OUT/README.md, the dataset card, from the manifests."""
    from .publish.card import write_card
    from .publish.hub import parse_repo_id

    typer.echo(f"card: {write_card(out, parse_repo_id(repo) if repo else None)}")


@app.command()
def push(
    out: Path = typer.Argument(Path("data"), metavar="OUT", help="Output folder of a build."),
    repo: str = typer.Option(..., "--repo", metavar="USER/NAME", help="Dataset repository, user/name."),
    private: bool = typer.Option(False, "--private", help="Create the repository private (an existing one is left as it is)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and list every operation and the card diff; send nothing."),
    config: List[str] = typer.Option([], "--config", metavar="NAME", help="Config to push (repeat the flag for several; default: all)."),
) -> None:
    """Check OUT, then upload it to the Hugging Face Hub.

    One commit for all configs; each config version gets a tag.
    """
    from .publish.push import push as run_push

    run_push(out, repo, config or None, private=private, dry_run=dry_run, log=typer.echo)


def main() -> None:
    run_with_one_line_errors(app, KeychainError, "KEYCHAIN_DEBUG", "re-run the same command to resume where it stopped")


if __name__ == "__main__":
    main()
