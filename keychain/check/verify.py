"""``keychain verify``: every row of every finished version re-checked, files against the manifest.

Each shard's sha256 and row count must match the manifest, then every row goes through
``row_checks.check_row`` (fresh token count, chains, gold documents, depths, answers).

Example: ``verify_folder(Path("data"))`` returns one ``VersionReport`` per finished
version under ``data``; ``report.ok`` is False when any row or file failed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow.parquet as pq

from ..digest import sha256_file
from ..errors import VerifyError
from ..rows.prompts import PromptTemplate
from ..rows.tokens import load_counter
from ..store.versions import MANIFEST, read_versions
from .row_checks import RowReport, check_row


@dataclass
class VersionReport:
    path: Path
    rows: int = 0
    failed_rows: list[RowReport] = field(default_factory=list)
    noted: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # check -> rows failing it
    file_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed_rows and not self.file_problems


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


def template_of(manifest: dict) -> PromptTemplate:
    fields = manifest.get("config", {}).get("template_fields")
    return PromptTemplate(**fields) if fields else PromptTemplate()


def iter_rows(version: Path, manifest: dict) -> Iterator[dict]:
    for shard in manifest["shards"]:
        parquet = pq.ParquetFile(version / shard["file"])
        for batch in parquet.iter_batches(batch_size=64):
            yield from batch.to_pylist()


def verify_version(version: Path, on_row=None) -> VersionReport:
    manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    report = VersionReport(version)
    for shard in manifest["shards"]:
        file = version / shard["file"]
        if not file.is_file():
            report.file_problems.append(f"{shard['file']} is missing")
        elif sha256_file(file) != shard["sha256"]:
            report.file_problems.append(f"{shard['file']} sha256 differs from the manifest")
        elif pq.ParquetFile(file).metadata.num_rows != shard["rows"]:
            report.file_problems.append(f"{shard['file']} row count differs from the manifest")
    if report.file_problems:
        return report
    template = template_of(manifest)
    outside = bool(manifest.get("config", {}).get("chains_outside_budget"))
    seen: set[str] = set()
    for row in iter_rows(version, manifest):
        counter = load_counter(row["tokenizer"])
        row_report = check_row(row, counter, template, outside)
        if row["id"] in seen:
            row_report.fail("unique_id", f"id {row['id']} repeated")
        seen.add(row["id"])
        report.rows += 1
        for check, _ in row_report.notes:
            report.noted[check] += 1
        if row_report.problems:
            report.failed_rows.append(row_report)
            for check in {check for check, _ in row_report.problems}:
                report.failures[check] += 1
        if on_row:
            on_row()
    if report.rows != manifest["counts"]["built"]:
        report.file_problems.append(f"{report.rows} rows read, manifest says {manifest['counts']['built']}")
    return report


def verify_folder(path: Path, on_row=None) -> list[VersionReport]:
    return [verify_version(version, on_row) for version in version_dirs(path)]


def verify_rows(rows: Iterable[dict], template: PromptTemplate | None = None, chains_outside_budget: bool = False) -> list[RowReport]:
    """Library entry point for tests: the reports of rows that fail any check."""
    template = template or PromptTemplate()
    failed, seen = [], set()
    for row in rows:
        report = check_row(row, load_counter(row["tokenizer"]), template, chains_outside_budget)
        if row["id"] in seen:
            report.fail("unique_id", f"id {row['id']} repeated")
        seen.add(row["id"])
        if report.problems:
            failed.append(report)
    return failed
