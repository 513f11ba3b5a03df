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
from .errors import KeychainError, run_with_one_line_errors

_STARTED = time.perf_counter()  # start-up (imports, argument parsing) counts in the build time

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Build exact-length KeyChain long-context QA data (LoongRL, arXiv 2510.19363) as versioned Parquet shards.",
)


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
    source: str = typer.Option("synthetic", "--source", help="hotpotqa, musique, 2wiki or synthetic (offline)."),
    lengths: List[str] = typer.Option(["16k"], "--len", help="Token budget: 4k, 16k, 128k or 16384. Repeat for several."),
    out: Path = typer.Option(Path("data"), "--out", help="Output folder (a Hugging Face dataset repo)."),
    num: Optional[int] = typer.Option(None, "--num", help="Rows per length (default: all items)."),
    seed: int = typer.Option(0, "--seed", help="Seed of every random choice."),
    tokenizer: str = typer.Option("cl100k_base", "--tokenizer", help="tiktoken encoding, HF tokenizer id or local path."),
    split: str = typer.Option("train", "--split", help="Source split: train, validation, ..."),
    task: str = typer.Option("keychain", "--task", help="keychain or plain (distractor-padded QA without chains)."),
    hops: Optional[int] = typer.Option(None, "--hops", help="Keys per chain (default 4)."),
    chains: Optional[int] = typer.Option(None, "--chains", help="Chains per row (default: 1 per 1024 tokens of budget)."),
    key_format: Optional[str] = typer.Option(None, "--key-format", help="uuid (36 characters, default) or hex8."),
    chains_outside_budget: bool = typer.Option(
        False, "--chains-outside-budget", help="Add chains after padding, as the paper's scripts do (prompts exceed --len)."
    ),
    data_files: List[str] = typer.Option([], "--data-files", help="Original release file(s) to read instead of the Hub."),
    template: Optional[str] = typer.Option(None, "--template", help="YAML file overriding prompt template fields."),
    workers: int = typer.Option(1, "--workers", help="Worker processes (output is identical for any count)."),
    shard_rows: Optional[int] = typer.Option(None, "--shard-rows", help="Rows per Parquet shard (default ~128 MB of text)."),
    version: Optional[int] = typer.Option(None, "--version-number", help="Build into version N of each config (default: the next free one)."),
    depths: Optional[str] = typer.Option(None, "--depths", help="niah: needle depths in percent, e.g. 0,25,50,75,100 (default 0,10,...,100)."),
    needles: Optional[int] = typer.Option(None, "--needles", help="multikey: keys, multivalue: values per row (default 20)."),
    haystack: List[str] = typer.Option([], "--haystack", help="Plain-text file(s) to hide needles in (repeat); implies --source haystack."),
    executor: str = typer.Option("local", "--executor", help="local (this machine) or ray (a Ray cluster; pip install 'keychain[ray]')."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address, e.g. ray://head:10001 (default: a local Ray)."),
    slice_: Optional[str] = typer.Option(None, "--slice", help="I/N: build only shards I, I+N, ... (job arrays); then run without it."),
) -> None:
    """Build one config per --len and write its shards and manifest into OUT."""
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
    _refresh_card(out)
    typer.echo(total_summary(results, time.perf_counter() - _STARTED))


def _refresh_card(out: Path) -> None:
    """Rewrite OUT/README.md after a build; a card problem is reported, never fatal to the build."""
    from .publish.card import write_card

    try:
        typer.echo(f"card: {write_card(out)}")
    except KeychainError as error:
        typer.echo(f"card not written: {error}")


@app.command("mix")
def mix_command(
    recipe: Path = typer.Argument(..., help="Data recipe, e.g. recipes/data/demo.yaml."),
    out: Path = typer.Option(Path("data"), "--out", help="Output folder (a Hugging Face dataset repo)."),
    scale: float = typer.Option(1.0, "--scale", help="Multiply every component's rows (e.g. 0.01 for a quick trial)."),
) -> None:
    """Build every component of a recipe, then one shuffled `mix` config of all their rows."""
    from .mix import load_recipe, mix

    loaded = load_recipe(recipe, out, scale)
    result = mix(loaded, out, command=shlex.join(["keychain", *sys.argv[1:]]))
    for component in result.components:
        typer.echo(component.summary())
    typer.echo(result.summary())
    _refresh_card(out)


@app.command()
def show(
    out: Path = typer.Argument(Path("data"), help="Output folder, config folder or version folder."),
    row: int = typer.Option(0, "--row", help="Row number within the config."),
    config: Optional[str] = typer.Option(None, "--config", help="Config name when OUT holds several."),
) -> None:
    """Print one row so a person can read it, chain highlighted."""
    from .check.show import show as show_row

    show_row(out, row, config)


@app.command()
def verify(
    out: Path = typer.Argument(Path("data"), help="Output folder, config folder or version folder."),
    limit: int = typer.Option(20, "--list", help="Failing rows to list."),
) -> None:
    """Re-check every row of every finished build; exit 1 on any failure."""
    from .check.row_checks import CHECKS
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
        for name, description in CHECKS:
            failing = report.failures.get(name, 0)
            noted = report.noted.get(name, 0)
            table.add_row(name, description, f"[red]{failing}[/red]" if failing else "0", str(noted) if noted else "")
        console.print(table)
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
    out: Path = typer.Argument(Path("data"), help="Output folder of a build."),
    config: List[str] = typer.Option([], "--config", help="Config name(s) to describe (default: all)."),
) -> None:
    """Print a table per config and write its PNG plots into OUT/<config>/v<N>/stats/."""
    from .check.plots import write_plots
    from .check.stats import stats_of, stats_table
    from .publish.card import write_card
    from .store.folder import newest_versions

    console = Console()
    for published in newest_versions(out, config or None):
        numbers = stats_of(published)
        console.print(stats_table(numbers))
        for path in write_plots(numbers, published.stats_dir):
            typer.echo(f"plot: {path}")
    typer.echo(f"card: {write_card(out)}")


@app.command()
def card(
    out: Path = typer.Argument(Path("data"), help="Output folder of a build."),
    repo: Optional[str] = typer.Option(None, "--repo", help="user/name to show in the load snippets (default: the last push)."),
) -> None:
    """(Re)write OUT/README.md, the dataset card, from the manifests."""
    from .publish.card import write_card
    from .publish.hub import parse_repo_id

    typer.echo(f"card: {write_card(out, parse_repo_id(repo) if repo else None)}")


@app.command()
def push(
    out: Path = typer.Argument(Path("data"), help="Output folder of a build."),
    repo: str = typer.Option(..., "--repo", help="Dataset repository, user/name."),
    private: bool = typer.Option(False, "--private", help="Create the repository private (an existing one is left as it is)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and list every operation and the card diff; send nothing."),
    config: List[str] = typer.Option([], "--config", help="Config(s) to push (default: all)."),
) -> None:
    """Check OUT, then upload it to the Hugging Face Hub in one commit and tag each config version."""
    from .publish.push import push as run_push

    run_push(out, repo, config or None, private=private, dry_run=dry_run, log=typer.echo)


def main() -> None:
    run_with_one_line_errors(app, KeychainError, "KEYCHAIN_DEBUG", "re-run the same command to resume where it stopped")


if __name__ == "__main__":
    main()
