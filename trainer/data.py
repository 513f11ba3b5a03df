"""Stage data: keychain shard sets -> length filter -> mix -> one Arrow table.

A data path may be a keychain output folder (every config in it), a config folder (its
latest complete version) or a version folder; unfinished versions (no
``manifest.json``) are never read. Rows whose prompt is longer than the stage's
``max_prompt_length`` are cut and counted. Prompt length is the row's ``n_tokens`` when
the shards were counted with the model's own tokenizer, else a fresh count with it
(chat template included), so the filter matches what the model will see.

Mixing: entries with ``rows: N`` give at most N rows each (a seeded sample); entries
with weights share the stage in those proportions, as many rows as the scarcest entry
allows without repeating a row; entries with neither give all their rows.

Example: weights 3:1 over sets of 90 and 100 rows -> min(90/3, 100/1) = 30 per unit of
weight -> 90 and 30 rows (``mix_counts([90, 100], [3.0, 1.0]) == [90, 30]``).
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import DataError

MANIFEST = "manifest.json"
TRAIN_COLUMNS = ("id", "prompt", "data_source", "answers", "reward_model", "target_len", "n_tokens", "task")


@dataclass(frozen=True)
class ShardSet:
    """The Parquet shards of one finished version of one config."""

    config: str
    version: Path
    files: tuple[Path, ...]
    rows: int
    sha256: dict = field(default_factory=dict, compare=False)  # file -> sha256 the manifest records

    @property
    def label(self) -> str:
        return f"{self.config}/{self.version.name}"


def _version_number(path: Path) -> int | None:
    name = path.name
    return int(name[1:]) if name.startswith("v") and name[1:].isdigit() else None


def _read_version(version: Path) -> ShardSet:
    """The shard set of a finished version, after the cheap checks: every listed file
    inside the version folder, present, and of the size the manifest records."""
    from keychain.errors import KeychainError
    from keychain.store.versions import shard_file

    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
        entries = [(shard_file(version, shard["file"]), shard.get("bytes"), shard.get("sha256"))  # never outside the folder
                   for shard in manifest["shards"]]
        rows = int(manifest["counts"]["built"])
    except KeychainError as error:
        raise DataError(str(error)) from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"{version / MANIFEST} is unreadable ({type(error).__name__}); rebuild {version.parent.name}") from error
    files, expected = [], {}
    for path, size, digest in entries:
        if not path.is_file():
            raise DataError(f"{version}: shard {path.name} listed in the manifest is missing; rebuild this config")
        if size is not None and path.stat().st_size != int(size):
            raise DataError(f"{path}: {path.stat().st_size} bytes, the manifest says {size} (damaged or replaced); "
                            "rebuild this config")
        files.append(path)
        expected[path] = digest
    return ShardSet(version.parent.name, version, tuple(files), rows, expected)


def _latest_complete(config_dir: Path) -> Path | None:
    from keychain.errors import KeychainError
    from keychain.store.versions import latest_complete

    try:
        latest = latest_complete(config_dir)
    except KeychainError as error:
        raise DataError(str(error)) from error
    return None if latest is None else latest.path


def resolve_shard_sets(path: str | Path) -> list[ShardSet]:
    """Every shard set a data path names (see the module docstring)."""
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{path}: no such folder; pass a keychain output folder (`keychain build ... --out {path}` makes one) or fix the path")
    if (path / MANIFEST).is_file():
        return [_read_version(path)]
    if _version_number(path) is not None:
        raise DataError(f"{path} is unfinished (no {MANIFEST}); re-run the keychain build that made it to complete it")
    children = [child for child in sorted(path.iterdir()) if child.is_dir() and not child.name.startswith(".")]
    if any(_version_number(child) is not None for child in children):
        latest = _latest_complete(path)
        if latest is None:
            raise DataError(f"{path} has no finished version; re-run the keychain build that made it to complete it")
        return [_read_version(latest)]
    sets = []
    for child in children:
        if any(_version_number(grandchild) is not None for grandchild in child.iterdir() if grandchild.is_dir()):
            latest = _latest_complete(child)
            if latest is not None:
                sets.append(_read_version(latest))
    if not sets:
        raise DataError(f"{path} holds no finished keychain shards; build them with `keychain build --out {path}`")
    return sets


def read_shard_set(shard_set: ShardSet, columns: list[str] | None = None) -> pa.Table:
    try:
        tables = [pq.read_table(f, columns=columns) for f in shard_set.files]
    except (OSError, pa.ArrowInvalid, KeyError) as error:
        raise DataError(f"{shard_set.version}: cannot read its shards ({error}); rebuild this config") from error
    return pa.concat_tables(tables) if tables else pa.table({})


def read_rows(path: str | Path, hashes: bool = True) -> tuple[pa.Table, list[ShardSet]]:
    """All rows of every shard set under ``path``: keychain's columns, plus any others
    (task columns, ``pass_rate``) null where a set lacks them. Shards are checked against
    their manifest first (sizes always, sha256 unless ``hashes`` is False)."""
    sets = resolve_shard_sets(path)
    if hashes:
        check_shards(sets)
    tables = [_checked(read_shard_set(shard_set), shard_set) for shard_set in sets]
    return concat(tables), sets


def check_shards(sets: list[ShardSet]) -> None:
    """Every shard's sha256 against its manifest (under a launcher: once, on the main
    process, ``main_first(lambda: check_shards(...))``, then ``read_rows(..., hashes=False)``)."""
    from .shard_check import check_hashes

    for shard_set in sets:
        check_hashes(shard_set)


def _checked(table: pa.Table, shard_set: ShardSet) -> pa.Table:
    missing = [name for name in TRAIN_COLUMNS if name not in table.column_names]
    if missing:
        raise DataError(f"{shard_set.version}: not keychain shards (no {missing[0]} column); point the data at keychain output")
    return table


def numbered(table: pa.Table) -> pa.Table:
    """``table`` with ``extra_info.index`` numbered 0..n-1, for a shard set drawn from several
    (verl copies the index into each item's, so it must be unique within a set). The row's
    own ``config`` and ``config_index`` are kept (a mix row's), else its old index becomes
    ``config_index``: ``extra_info`` takes keychain's mix layout.

    Example: indices [0, 0, 1] from two configs -> index [0, 1, 2], config_index [0, 0, 1].
    """
    from keychain.store.schema import MIX_EXTRA_INFO

    if "extra_info" not in table.column_names:
        return table
    old = table.column("extra_info").combine_chunks()
    names = {field.name for field in old.type}
    config = old.field("config") if "config" in names else pa.nulls(len(old), pa.string())
    config_index = old.field("config_index") if "config_index" in names else old.field("index")
    extra = pa.StructArray.from_arrays(
        [old.field("split"), pa.array(range(len(old)), pa.int64()), config, config_index], fields=list(MIX_EXTRA_INFO)
    )
    return table.set_column(table.schema.get_field_index("extra_info"), pa.field("extra_info", MIX_EXTRA_INFO), extra)


def concat(tables: list[pa.Table]) -> pa.Table:
    """Tables with possibly different extra columns, as one (missing values null)."""
    return pa.concat_tables(tables, promote_options="default")


# ---------------------------------------------------------------------------------------
# Prompt length


def prompt_lengths(table: pa.Table, tokenizer: str) -> tuple[list[int], bool]:
    """Prompt tokens of every row for ``tokenizer``; True when they had to be recounted."""
    recorded = table.column("tokenizer").to_pylist()
    if all(name == tokenizer for name in recorded):
        return table.column("n_tokens").to_pylist(), False
    from keychain.errors import KeychainError
    from keychain.rows.tokens import load_counter

    try:
        counter = load_counter(tokenizer)
    except KeychainError as error:
        raise DataError(f"cannot load tokenizer {tokenizer} to measure prompts ({error})") from error
    return [counter.count_prompt(prompt) for prompt in table.column("prompt").to_pylist()], True


# ---------------------------------------------------------------------------------------
# Mixing


def mix_counts(available: list[int], weights: list[float]) -> list[int]:
    """Rows to take per entry so the mix follows ``weights`` without repeating a row."""
    per_unit = min(n / w for n, w in zip(available, weights))
    return [min(n, int(per_unit * w + 1e-9)) for n, w in zip(available, weights)]


def _sample(table: pa.Table, count: int, seed: str) -> pa.Table:
    if count >= table.num_rows:
        return table
    picked = sorted(random.Random(seed).sample(range(table.num_rows), count))
    return table.take(pa.array(picked, type=pa.int64()))


@dataclass
class SourceReport:
    path: str
    shard_sets: list[str]
    rows: int
    too_long: int
    used: int
    recounted: bool

    def line(self) -> str:
        cut = f", {self.too_long} cut as longer than the prompt limit" if self.too_long else ""
        how = " (prompts recounted with the model's tokenizer)" if self.recounted else ""
        return f"{', '.join(self.shard_sets)}: {self.rows} rows{cut}, {self.used} used{how}"


@dataclass
class StageData:
    """The rows of one stage, full keychain schema, and what was cut from where."""

    table: pa.Table
    sources: list[SourceReport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.table.num_rows

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "sources": [vars(source) for source in self.sources],
            "too_long": sum(source.too_long for source in self.sources),
        }

    def training_columns(self) -> pa.Table:
        return self.table.select(list(TRAIN_COLUMNS))


def load_stage_data(stage, tokenizer: str, seed: int) -> StageData:
    """Read, filter and mix a stage's data entries (``stage`` is a ``StageConfig``)."""
    limit = stage.grpo.max_prompt_length
    kept, reports = [], []
    for source in stage.data:
        table, sets = read_rows(source.path, hashes=False)  # the stage's shard_check hashed them
        too_long = 0
        recounted = False
        if limit is not None and table.num_rows:
            lengths, recounted = prompt_lengths(table, tokenizer)
            fits = pa.array([n <= limit for n in lengths])
            too_long = table.num_rows - pc.sum(fits).as_py()
            table = table.filter(fits)
        reports.append(SourceReport(source.path, [s.label for s in sets], table.num_rows + too_long, too_long, 0, recounted))
        kept.append(table)
    if all(source.weight is not None for source in stage.data):
        counts = mix_counts([t.num_rows for t in kept], [source.weight for source in stage.data])
    else:
        counts = [t.num_rows if s.rows is None else min(s.rows, t.num_rows) for s, t in zip(stage.data, kept)]
    parts = []
    for i, (table, count) in enumerate(zip(kept, counts)):
        part = _sample(table, count, f"{seed}:{stage.name}:{i}:{stage.data[i].path}")
        reports[i].used = part.num_rows
        parts.append(part)
    table = concat(parts)
    if table.num_rows == 0:
        detail = "; ".join(report.line() for report in reports)
        raise DataError(
            f"stage {stage.name} has no rows to train on ({detail}); raise grpo.max_prompt_length or add data"
        )
    return StageData(table, reports)


def hold_out(table: pa.Table, count: int, seed: str) -> tuple[pa.Table, pa.Table]:
    """(training rows, ``count`` validation rows drawn with ``seed``), row order kept."""
    if count >= table.num_rows:
        raise DataError(f"eval_rows: {count} leaves nothing to train on ({table.num_rows} rows); lower eval_rows")
    held = set(random.Random(seed).sample(range(table.num_rows), count))
    train = [i for i in range(table.num_rows) if i not in held]
    return table.take(pa.array(train, type=pa.int64())), table.take(pa.array(sorted(held), type=pa.int64()))


def ensure_built(source, command: str, log) -> None:
    """Run the entry's ``build`` with keychain when its path holds no finished version."""
    if source.build is None:
        return
    path = Path(source.path)
    if path.is_dir() and _latest_complete(path) is not None:
        return
    from keychain.errors import KeychainError
    from keychain.run.pipeline import build
    from keychain.run.progress import LineReporter

    config = source.build.build_config(str(path.parent))
    try:
        results = build(config, command=command, reporter=LineReporter(io.StringIO()))
    except KeychainError as error:
        raise DataError(f"building {path} with keychain failed: {error}") from error
    for result in results:
        log(f"data: {result.summary()}")
