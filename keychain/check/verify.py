"""``keychain verify``: every row of every finished version re-checked, files against the manifest.

A version folder must hold exactly what its manifest lists (the shards, the manifest,
plots in ``stats/``): a stray Parquet file would be read by anything that globs the
folder, so any other file fails the version. Every shard path must be a file in the
folder, and each shard's size, sha256 and row count must match the manifest. Then every
row of every readable shard goes through ``row_checks.check_row`` (fresh token count,
chains, gold documents, depths, answers), so a damaged set still reports on the rows
that can be read. The fresh count stays independent of the build: every prompt is counted
whole by the tokenizer itself (never summed from cached pieces), 64 rows per batch, which
the tokenizer encodes over all cores.

Example: ``verify_folder(Path("data"))`` returns one ``VersionReport`` per finished
version under ``data``; ``report.ok`` is False when any row or file failed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ..digest import sha256_file
from ..errors import KeychainError, VerifyError
from ..rows.prompts import PromptTemplate
from ..rows.tokens import load_counter
from ..store.folder import STATS_DIR
from ..store.versions import (
    MANIFEST,
    missing_section,
    read_manifest,
    read_versions,
    shard_file,
)
from .row_checks import RowReport, applicable_checks, check_row

NOTED_IDS = 5  # row ids listed per reported check


@dataclass
class VersionReport:
    path: Path
    rows: int = 0
    failed_rows: list[RowReport] = field(default_factory=list)
    noted: Counter = field(default_factory=Counter)
    noted_ids: dict[str, list[str]] = field(default_factory=dict)  # check -> first NOTED_IDS row ids
    failures: Counter = field(default_factory=Counter)  # check -> rows failing it
    file_problems: list[str] = field(default_factory=list)
    tasks: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.failed_rows and not self.file_problems

    @property
    def checks(self) -> list[tuple[str, str]]:
        """The checks that apply to the tasks of the rows read (all of them if none was)."""
        return applicable_checks(self.tasks)


def version_dirs(path: Path) -> list[Path]:
    """Complete version folders at or under ``path`` (OUT, a config, or a version)."""
    path = Path(path)
    if not path.exists():
        raise VerifyError(f"{path}: no such folder; pass the --out folder of a build")
    if (path / MANIFEST).is_file():
        return [path]
    found = [v.path for v in read_versions(path) if v.complete]
    if found:
        return found
    for config in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found.extend(v.path for v in read_versions(config) if v.complete)
    if not found:
        raise VerifyError(f"{path} holds no finished build (no manifest.json); run keychain build first")
    return found


def row_settings(row: dict, manifest: dict) -> tuple[PromptTemplate, bool]:
    """(template, chains_outside_budget) ``row`` was built with: in a mix, those its own
    config (``extra_info.config``) recorded; else those of the version's config."""
    config = manifest.get("config", {})
    info = row.get("extra_info")
    name = info.get("config") if isinstance(info, dict) else None
    if isinstance(name, str):
        config = config.get("component_settings", {}).get(name, config)
    fields = config.get("template_fields")
    return (PromptTemplate(**fields) if fields else PromptTemplate()), bool(config.get("chains_outside_budget"))


def iter_rows(version: Path, manifest: dict) -> Iterator[dict]:
    for shard in manifest["shards"]:
        yield from _shard_rows(shard_file(version, shard["file"]))


def _shard_rows(file: Path) -> Iterator[dict]:
    for batch in _shard_batches(file):
        yield from batch


def _shard_batches(file: Path) -> Iterator[list[dict]]:
    for batch in pq.ParquetFile(file).iter_batches(batch_size=64):
        yield batch.to_pylist()


def fresh_counts(rows: list[dict], prefix: str | list[str] = "") -> list[int | None]:
    """Each row's prompt (and the assistant turn's ``prefix``: one for all rows, or each
    row's) counted whole with its own tokenizer, one batch per tokenizer and prefix
    (``count_prompts`` encodes over all cores); None where a row cannot be counted here
    (``check_row`` then counts it and says what is wrong)."""
    prefixes = [prefix] * len(rows) if isinstance(prefix, str) else prefix
    counts: list[int | None] = [None] * len(rows)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        if isinstance(row.get("tokenizer"), str) and isinstance(row.get("prompt"), list):
            groups.setdefault((row["tokenizer"], prefixes[i]), []).append(i)
    for (name, start), members in groups.items():
        try:
            fresh = load_counter(name).count_prompts([rows[i]["prompt"] for i in members], start)
        except Exception:  # an unloadable tokenizer or a malformed prompt: counted row by row
            continue
        for i, count in zip(members, fresh):
            counts[i] = count
    return counts


def foreign_files(version: Path, manifest: dict) -> list[str]:
    """A problem line for each entry of ``version`` that its manifest does not account for."""
    listed = {MANIFEST} | {str(shard.get("file")) for shard in manifest.get("shards", [])}
    problems = []
    for entry in sorted(version.iterdir()):
        if entry.name in listed and entry.is_file():
            continue
        if entry.name == STATS_DIR and entry.is_dir():
            strays = [p.name for p in sorted(entry.iterdir()) if p.suffix != ".png" or p.name.startswith(".") or not p.is_file()]
            problems += [f"{STATS_DIR}/{name} is not a plot; move it out of {version}" for name in strays]
            continue
        what = "a leftover of an interrupted run: re-run the build to clean it" if entry.name.startswith(".") else (
            f"a file from another build? move it out of {version}"
        )
        problems.append(f"{entry.name} is not listed in the manifest ({what})")
    return problems


def _file_problem(file: Path, shard: dict) -> str | None:
    """Why a shard does not match its manifest entry (None when it does), cheapest test first."""
    if not file.is_file():
        return f"{file.name} is missing"
    if "bytes" in shard and file.stat().st_size != shard["bytes"]:
        return f"{file.name} sha256 differs from the manifest (it has {file.stat().st_size} bytes, not {shard['bytes']})"
    if sha256_file(file) != shard.get("sha256"):
        return f"{file.name} sha256 differs from the manifest"
    try:
        rows = pq.ParquetFile(file).metadata.num_rows
    except (OSError, pa.ArrowException) as error:
        return f"{file.name} is not a readable Parquet file ({type(error).__name__})"
    if rows != shard.get("rows"):
        return f"{file.name} holds {rows} rows, the manifest says {shard.get('rows')}"
    return None


def verify_version(version: Path, on_row=None) -> VersionReport:
    report = VersionReport(version)
    try:
        manifest = read_manifest(version)
        shards, built = list(manifest["shards"]), manifest["counts"]["built"]
    except (KeychainError, KeyError, TypeError) as error:
        report.file_problems.append(f"{MANIFEST} is damaged ({error}); re-run the build to repair it")
        return report
    if missing_section(manifest):
        report.file_problems.append(f"{MANIFEST} has no {missing_section(manifest)}; re-run the build to repair it")
    report.file_problems += foreign_files(version, manifest)
    seen: set[str] = set()
    shard_problems = False
    for shard in shards:
        try:
            file = shard_file(version, shard.get("file"))
        except KeychainError as error:
            report.file_problems.append(str(error))
            shard_problems = True
            continue
        problem = _file_problem(file, shard)
        if problem:
            report.file_problems.append(problem)
            shard_problems = True
            if not file.is_file():
                continue
        try:  # a damaged shard's readable rows are still checked
            for rows in _shard_batches(file):
                settings = [row_settings(row, manifest) for row in rows]
                for row, (template, outside), fresh in zip(rows, settings, fresh_counts(rows, [t.assistant_prefix for t, _ in settings])):
                    _check(row, report, template, outside, seen, fresh)
                    if on_row:
                        on_row()
        except (OSError, pa.ArrowException) as error:
            report.file_problems.append(f"{file.name} cannot be read to its end ({type(error).__name__}); its rows before that are checked")
            shard_problems = True
    if report.rows != built and not shard_problems:
        report.file_problems.append(f"{report.rows} rows read, manifest says {built}")
    return report


def _check(row: dict, report: VersionReport, template: PromptTemplate, outside: bool, seen: set[str], fresh: int | None = None) -> None:
    try:
        counter = load_counter(row.get("tokenizer") or "")
    except KeychainError as error:
        counter = None
        problem = ("n_tokens_fresh", f"cannot load tokenizer {row.get('tokenizer')!r} ({error})")
    row_report = check_row(row, counter, template, outside, fresh=fresh)
    if counter is None:
        row_report.fail(*problem)
    if row.get("id") in seen:
        row_report.fail("unique_id", f"id {row.get('id')} repeated")
    seen.add(row.get("id"))
    report.rows += 1
    report.tasks.add(str(row.get("task")))
    for check, _ in row_report.notes:
        report.noted[check] += 1
        ids = report.noted_ids.setdefault(check, [])
        if len(ids) < NOTED_IDS and row_report.row_id not in ids:
            ids.append(row_report.row_id)
    if row_report.problems:
        report.failed_rows.append(row_report)
        for check in {check for check, _ in row_report.problems}:
            report.failures[check] += 1


def verify_folder(path: Path, on_row=None) -> list[VersionReport]:
    return [verify_version(version, on_row) for version in version_dirs(path)]


def verify_rows(rows: Iterable[dict], template: PromptTemplate | None = None, chains_outside_budget: bool = False) -> list[RowReport]:
    """Library entry point for tests: the reports of rows that fail any check."""
    template = template or PromptTemplate()
    failed, seen = [], set()
    rows = list(rows)
    for row, fresh in zip(rows, fresh_counts(rows, template.assistant_prefix)):
        report = check_row(row, load_counter(row["tokenizer"]), template, chains_outside_budget, fresh=fresh)
        if row["id"] in seen:
            report.fail("unique_id", f"id {row['id']} repeated")
        seen.add(row["id"])
        if report.problems:
            failed.append(report)
    return failed
