"""``keychain mix``: build every component of a data recipe, then one shuffled ``mix`` config.

A recipe (``recipes/data/*.yaml``) names a seed, a tokenizer and components; each
component is a build spec (the flags of ``keychain build``, as YAML keys) and a row
count. ``mix`` builds each component into ``OUT`` exactly as ``keychain build`` would
(same configs, versions and resume), then writes ``OUT/mix/v<N>/`` holding every row of
every component, in a seeded random order, with ``TASK_SCHEMA`` (columns a task does not
use are null) and a manifest; like a build, an unchanged recipe is a no-op and another
one adds a version.

Example recipe:

    seed: 0
    components:
      - {source: synthetic, task: keychain, len: 4k, rows: 40}
      - {source: synthetic, task: niah, len: [4k, 8k], depths: [0, 50, 100], rows: 2}

``--scale 0.1`` multiplies every ``rows`` (at least 1 row each). ``scaled(2500, 0.1) == 250``.
"""

from __future__ import annotations

import difflib
import random
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .config import BuildConfig, parse_length
from .digest import sha256_file
from .errors import ConfigError
from .rows.spec import length_label
from .store.files import check_writable
from .store.schema import TASK_SCHEMA, TASK_SCHEMA_VERSION
from .store.shards import VersionWriter, default_shard_rows
from .store.versions import choose_version, read_manifest
from .tasks import parse_depths
from .text import load_yaml

MIX_CONFIG = "mix"
_TOP_KEYS = ("name", "description", "seed", "tokenizer", "split", "chains_outside_budget", "components")
_COMPONENT_KEYS = (
    "source", "task", "len", "rows", "split", "hops", "chains", "key_format", "chains_outside_budget",
    "data_files", "haystack", "depths", "needles", "template",
)


def scaled(rows: int, scale: float) -> int:
    return max(1, round(rows * scale))


@dataclass(frozen=True)
class MixRecipe:
    path: str
    seed: int
    tokenizer: str
    components: tuple[BuildConfig, ...]
    chains_outside_budget: bool = False
    settings: dict = field(default_factory=dict)  # the recipe as read, for the manifest


def _unknown(key: str, known: tuple[str, ...], where: str) -> ConfigError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(known)}"
    return ConfigError(f"{where}{key}: unknown key; {hint}")


def load_recipe(path: str | Path, out: str | Path, scale: float = 1.0) -> MixRecipe:
    """Read and check a recipe; every component becomes the BuildConfig it stands for."""
    import yaml

    path = Path(path)
    if path.is_dir():
        inside = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
        example = inside[0] if inside else "recipes/data/demo.yaml"
        raise ConfigError(f"{path}: is a folder, not a recipe; pass one YAML file, e.g. keychain mix {example}")
    if not path.is_file():
        raise ConfigError(f"{path}: no such recipe; pass a YAML file like recipes/data/demo.yaml")
    if not scale > 0:
        raise ConfigError(f"--scale must be positive, got {scale}")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))  # bounded: an alias bomb is one line, at once
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid YAML ({str(error).splitlines()[0]}); fix the file") from error
    if not isinstance(data, dict) or not isinstance(data.get("components"), list) or not data["components"]:
        raise ConfigError(f"{path}: expected a mapping with a non-empty 'components' list")
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown(key, _TOP_KEYS, f"{path}: ")
    seed, tokenizer = int(data.get("seed", 0)), str(data.get("tokenizer", "cl100k_base"))
    outside = bool(data.get("chains_outside_budget", False))
    components = []
    for number, item in enumerate(data["components"]):
        where = f"{path}: components[{number}]."
        if not isinstance(item, dict):
            raise ConfigError(f"{where[:-1]}: expected a mapping of build settings")
        components.append(_component(item, where, seed, tokenizer, data.get("split", "train"), outside, out, scale))
    names = [c.config_name(n) for c in components for n in c.lengths]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated or MIX_CONFIG in names:
        raise ConfigError(f"{path}: two components build the config {(repeated or [MIX_CONFIG])[0]}; give them other settings")
    return MixRecipe(str(path), seed, tokenizer, tuple(components), outside, data)


def _component(item: dict, where: str, seed: int, tokenizer: str, split: str, outside: bool, out, scale: float) -> BuildConfig:
    for key in item:
        if key not in _COMPONENT_KEYS:
            raise _unknown(key, _COMPONENT_KEYS, where)
    for key in ("source", "task", "len", "rows"):
        if key not in item:
            raise ConfigError(f"{where}{key}: missing; every component needs source, task, len and rows")
    lengths = item["len"] if isinstance(item["len"], list) else [item["len"]]
    depths = item.get("depths")
    files = item.get("haystack") or item.get("data_files") or ()
    rows = item["rows"]
    if not isinstance(rows, int) or rows < 1:
        raise ConfigError(f"{where}rows: must be a positive whole number, got {rows!r}")
    try:
        return BuildConfig(
            source="haystack" if item.get("haystack") else item["source"],
            lengths=tuple(parse_length(v) for v in lengths),
            task=item["task"],
            split=item.get("split", split),
            data_files=tuple(str(f) for f in ([files] if isinstance(files, str) else files)),
            num=scaled(rows, scale),
            seed=seed,
            tokenizer=tokenizer,
            hops=item.get("hops"),
            chains=item.get("chains"),
            key_format=item.get("key_format"),
            chains_outside_budget=bool(item.get("chains_outside_budget", outside and item["task"] == "keychain")),
            template=item.get("template"),
            out=str(out),
            depths=parse_depths(",".join(str(d) for d in depths)) if depths is not None else (),
            needles=item.get("needles"),
        )
    except ConfigError as error:
        raise ConfigError(f"{where[:-1]}: {error}") from error


@dataclass
class MixResult:
    path: Path
    state: str
    rows: int
    components: list  # ConfigResult of each component config

    def summary(self) -> str:
        return f"{MIX_CONFIG} {self.path.name}: {self.state}, {self.rows} rows from {len(self.components)} configs -> {self.path}"


def mix(recipe: MixRecipe, out: str | Path, *, command: str, reporter=None) -> MixResult:
    """Build every component, then write (or find up to date) the shuffled ``mix`` config."""
    from .run.pipeline import build

    out = Path(out)
    check_writable(out)
    results = [result for cfg in recipe.components for result in build(cfg, command=command, reporter=reporter)]
    parts = []
    for result in results:
        manifest = read_manifest(result.path)
        parts.append({"config": result.config_name, "version": result.version, "rows": manifest["counts"]["built"],
                      "target_len": manifest["config"]["target_len"], "shards": [s["sha256"] for s in manifest["shards"]]})
    shard_rows = default_shard_rows(max(p["target_len"] for p in parts))
    identity = {
        "keychain_version": __version__,
        "schema_version": TASK_SCHEMA_VERSION,
        "seed": recipe.seed,
        "shard_rows": shard_rows,
        "components": parts,
    }
    version, state = choose_version(out / MIX_CONFIG, identity)
    if state == "complete":
        return MixResult(version.path, "up to date", read_manifest(version.path)["counts"]["built"], results)
    table = mixed_table([r.path for r in results], recipe.seed)
    starts = list(range(0, table.num_rows, shard_rows)) or [0]
    writer = VersionWriter(version, "train", len(starts), max(p["target_len"] for p in parts), TASK_SCHEMA)
    writer.start({"identity": identity, "command": command})
    for index, start in enumerate(starts):
        if not writer.done(index):
            writer.write_batches(index, [table.slice(start, shard_rows)], {})
    writer.finish(_manifest(recipe, version, writer, len(starts), identity, parts, table, command))
    return MixResult(version.path, "built" if state == "new" else "resumed", table.num_rows, results)


def mixed_table(versions: list[Path], seed: int) -> pa.Table:
    """Every row of ``versions`` with TASK_SCHEMA's columns, in a seeded random order."""
    tables = []
    for path in versions:
        manifest = read_manifest(path)
        for shard in manifest["shards"]:
            table = pq.read_table(path / shard["file"])
            columns = [table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in TASK_SCHEMA]
            tables.append(pa.Table.from_arrays(columns, schema=TASK_SCHEMA))
    table = pa.concat_tables(tables)
    order = list(range(table.num_rows))
    random.Random(f"{seed}:mix").shuffle(order)
    return table.take(pa.array(order, type=pa.int64()))


def _manifest(recipe: MixRecipe, version, writer: VersionWriter, total: int, identity: dict, parts: list, table: pa.Table, command: str) -> dict:
    from .run.manifest import length_stats

    shards = []
    for s in range(total):
        path = writer.shard_path(s)
        shards.append({"file": path.name, "rows": writer.record(s)["rows"], "bytes": path.stat().st_size, "sha256": sha256_file(path)})
    n_tokens = table.column("n_tokens").to_pylist()
    fill = [n / t for n, t in zip(n_tokens, table.column("target_len").to_pylist())]
    tasks = sorted(set(table.column("task").to_pylist()))
    return {
        "keychain_version": __version__,
        "schema_version": TASK_SCHEMA_VERSION,
        "config_name": MIX_CONFIG,
        "version": version.name,
        "length_label": "mix",
        "split": "train",
        "identity": identity,
        "config": {
            "source": "mix",
            "task": "mix",
            "tasks": tasks,
            "recipe": recipe.path,
            "recipe_settings": recipe.settings,
            "seed": recipe.seed,
            "tokenizer": recipe.tokenizer,
            "target_len": max(p["target_len"] for p in parts),
            "lengths": sorted({length_label(p["target_len"]) for p in parts}),
            "chains_outside_budget": any(c.chains_outside_budget for c in recipe.components),
            "shard_rows": identity["shard_rows"],
        },
        "command": command,
        "source": {"name": "mix", "split": "train", "origin": {"kind": "mix", "components": parts}, "items": table.num_rows,
                   "documents": 0, "skipped_at_load": {}},
        "counts": {"requested": sum(p["rows"] for p in parts), "considered": table.num_rows, "built": table.num_rows, "skipped": {}},
        "shards": shards,
        "lengths": {"n_tokens": length_stats(n_tokens), "fill": length_stats(fill)},
    }
