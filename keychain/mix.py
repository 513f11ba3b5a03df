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

No leaks: KeyChain and plain components of one source take different lanes of its
seeded item order (``config.TASK_LANES``), exactly as separate builds do; two components
of the same task and source split that task's lane between them, and components of one
synthetic world are given one world size. ``extra_info.index`` of the mix numbers its
rows 0..n-1 (verl copies it into each item's index); ``extra_info.config`` and
``extra_info.config_index`` name the component row it came from; the manifest's
``config.component_settings`` holds each config's template and budget settings, so
``keychain verify`` checks every row as its own config was built.
"""

from __future__ import annotations

import difflib
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .config import PRESET_TASKS, TASK_LANES, BuildConfig, parse_length
from .errors import ConfigError, OutputError
from .rows.spec import length_label
from .store.files import check_writable
from .store.schema import MIX_EXTRA_INFO, MIX_SCHEMA, MIX_SCHEMA_VERSION, TASK_SCHEMA
from .store.lock import version_lock
from .store.shards import VersionWriter, default_shard_rows
from .store.versions import choose_version, read_manifest, shard_file
from .tasks import parse_depths
from .text import load_yaml

MIX_CONFIG = "mix"
COMPONENT_SETTINGS = ("template_fields", "chains_outside_budget", "padding")  # per config, in the mix manifest
_TOP_KEYS = ("name", "description", "seed", "tokenizer", "split", "chains_outside_budget", "preset", "components")
_COMPONENT_KEYS = (
    "source", "task", "len", "rows", "split", "hops", "chains", "key_format", "chains_outside_budget",
    "data_files", "haystack", "depths", "needles", "template", "preset", "padding", "items", "keep_ids",
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
    top = {key: data[key] for key in ("chains_outside_budget", "preset") if key in data}
    components = []
    for number, item in enumerate(data["components"]):
        where = f"{path}: components[{number}]."
        if not isinstance(item, dict):
            raise ConfigError(f"{where[:-1]}: expected a mapping of build settings")
        components.append(_component(item, where, seed, tokenizer, data.get("split", "train"), top, out, scale))
    components = share_items(components)
    names = [c.config_name(n) for c in components for n in c.lengths]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated or MIX_CONFIG in names:
        raise ConfigError(f"{path}: two components build the config {(repeated or [MIX_CONFIG])[0]}; give them other settings")
    outside = any(c.spec(c.lengths[0]).chains_outside_budget for c in components if c.task == "keychain")
    return MixRecipe(str(path), seed, tokenizer, tuple(components), outside, data)


def share_items(components: list[BuildConfig]) -> list[BuildConfig]:
    """Give components of one source and split disjoint items (see the module docstring).

    A task with one component keeps its own lane (as a separate build would); ``k`` of them
    split it: lane (I, N) becomes (I + N*j, N*k) for the j-th. Components of one synthetic
    world get one ``synthetic_size``, so their lanes divide the same items.
    """
    result = list(components)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, c in enumerate(components):
        if c.task in TASK_LANES and c.items == "task" and c.lane is None:
            groups[(c.source, c.split, c.data_files)].append(i)
    for members in groups.values():
        for task, (first, parts) in TASK_LANES.items():
            same = [i for i in members if components[i].task == task]
            if len(same) > 1:
                for j, i in enumerate(same):
                    result[i] = replace(result[i], lane=(first + parts * j, parts * len(same)))
        if components[members[0]].source == "synthetic" and all(components[i].num is not None for i in members):
            sizes = {(result[i].world_items(), max(result[i].lengths)) for i in members}
            if len(sizes) > 1:  # one world for all: the most items and the longest length any needs
                size = (max(n for n, _ in sizes), max(n for _, n in sizes))
                for i in members:
                    result[i] = replace(result[i], synthetic_size=size)
    return result


def _component(item: dict, where: str, seed: int, tokenizer: str, split: str, top: dict, out, scale: float) -> BuildConfig:
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
    qa = item["task"] in PRESET_TASKS  # the recipe's preset shapes its QA components only
    outside = item.get("chains_outside_budget", top.get("chains_outside_budget") if item["task"] == "keychain" else None)
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
            chains_outside_budget=None if outside is None else bool(outside),
            template=item.get("template"),
            preset=str(item.get("preset", top.get("preset", "exact") if qa else "exact")),
            padding=item.get("padding"),
            items=str(item.get("items", "task")),
            keep_ids=item.get("keep_ids"),
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
    parts, settings = [], {}
    for result in results:
        manifest = read_manifest(result.path)
        parts.append({"config": result.config_name, "version": result.version, "rows": manifest["counts"]["built"],
                      "target_len": manifest["config"]["target_len"], "shards": [s["sha256"] for s in manifest["shards"]]})
        settings[result.config_name] = {key: manifest["config"].get(key) for key in COMPONENT_SETTINGS}
    shard_rows = default_shard_rows(max(p["target_len"] for p in parts))
    identity = {
        "keychain_version": __version__,
        "schema_version": MIX_SCHEMA_VERSION,
        "seed": recipe.seed,
        "shard_rows": shard_rows,
        "components": parts,
    }
    version, state = choose_version(out / MIX_CONFIG, identity)
    if state == "complete":
        return MixResult(version.path, "up to date", read_manifest(version.path)["counts"]["built"], results)
    # Under the version's lock, as a build writes: a second mix of the same recipe waits, then finds it done.
    with version_lock(version.path, on_wait=lambda holder: _stderr(
            f"{MIX_CONFIG} {version.name}: waiting for another mix ({holder}) to finish with {version.path}")):
        try:
            again, state = choose_version(out / MIX_CONFIG, identity, version.number)
        except OutputError as error:  # taken meanwhile by a mix of other components
            raise OutputError(f"{version.path} was just taken by a mix with other settings; re-run to build beside it") from error
        if state == "complete":
            return MixResult(version.path, "up to date", read_manifest(version.path)["counts"]["built"], results)
        table = mixed_table([r.path for r in results], recipe.seed)
        starts = list(range(0, table.num_rows, shard_rows)) or [0]
        writer = VersionWriter(again, "train", len(starts), max(p["target_len"] for p in parts), MIX_SCHEMA)
        writer.start({"identity": identity, "command": command})
        for index, start in enumerate(starts):
            if not writer.done(index):
                writer.write_batches(index, [table.slice(start, shard_rows)], {})
        writer.finish(_manifest(recipe, again, writer, len(starts), identity, parts, settings, table, command))
    return MixResult(version.path, "built" if state == "new" else "resumed", table.num_rows, results)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def mixed_table(versions: list[Path], seed: int) -> pa.Table:
    """Every row of ``versions`` with MIX_SCHEMA's columns, in a seeded random order;
    ``extra_info`` renumbered 0..n-1, the component's config and row index beside it."""
    tables, configs = [], []
    for path in versions:
        manifest = read_manifest(path)
        for shard in manifest["shards"]:
            table = pq.read_table(shard_file(path, shard["file"]))  # never a path outside the version
            columns = [table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in TASK_SCHEMA]
            tables.append(pa.Table.from_arrays(columns, schema=TASK_SCHEMA))
            configs += [manifest["config_name"]] * table.num_rows
    table = pa.concat_tables(tables)
    order = list(range(table.num_rows))
    random.Random(f"{seed}:mix").shuffle(order)
    table = table.take(pa.array(order, type=pa.int64()))
    old = table.column("extra_info").combine_chunks()
    extra = pa.StructArray.from_arrays(
        [old.field("split"), pa.array(range(table.num_rows), pa.int64()), pa.array([configs[i] for i in order]), old.field("index")],
        fields=list(MIX_EXTRA_INFO),
    )
    return table.set_column(table.schema.get_field_index("extra_info"), pa.field("extra_info", MIX_EXTRA_INFO), extra)


def _manifest(recipe: MixRecipe, version, writer: VersionWriter, total: int, identity: dict, parts: list, settings: dict,
              table: pa.Table, command: str) -> dict:
    from .run.manifest import length_stats

    shards = []
    for s in range(total):
        record = writer.record(s)  # size and sha256 taken when the shard was written, re-taken on resume
        shards.append({"file": writer.shard_path(s).name, "rows": record["rows"], "bytes": record["bytes"], "sha256": record["sha256"]})
    n_tokens = table.column("n_tokens").to_pylist()
    fill = [n / t for n, t in zip(n_tokens, table.column("target_len").to_pylist())]
    tasks = sorted(set(table.column("task").to_pylist()))
    return {
        "keychain_version": __version__,
        "schema_version": MIX_SCHEMA_VERSION,
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
            "chains_outside_budget": recipe.chains_outside_budget,
            "shard_rows": identity["shard_rows"],
            "component_settings": settings,  # what verify and show need of a row's own config
        },
        "command": command,
        "source": {"name": "mix", "split": "train", "origin": {"kind": "mix", "components": parts}, "items": table.num_rows,
                   "documents": 0, "skipped_at_load": {}},
        "counts": {"requested": sum(p["rows"] for p in parts), "considered": table.num_rows, "built": table.num_rows, "skipped": {}},
        "shards": shards,
        "lengths": {"n_tokens": length_stats(n_tokens), "fill": length_stats(fill)},
    }
