"""The published view of an output folder: the newest complete version of each config.

A folder may hold several versions of a config (other settings, another seed); the
card, the statistics and a push describe the newest complete one, which is the one the
card's ``configs`` point ``datasets`` at. Earlier versions stay on disk and, once
pushed, stay loadable through their tags.

Example: for ``OUT/a/v1`` and ``OUT/a/v2`` (both complete) and ``OUT/b/v1`` (unfinished),
``newest_versions(OUT)`` -> ``[Published(config_name="a", version="v2", ...)]``, whose
``data_files`` are ``["a/v2/train-00000-of-00001.parquet"]`` and ``tag`` is ``"a-v2"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import PublishError
from .files import write_json_atomic
from .versions import MANIFEST, latest_complete, read_manifest, shard_file  # noqa: F401  (write_bytes_atomic: re-exported for card, plots, push)

STATS_DIR = "stats"  # plots of a version live in OUT/<config>/v<N>/stats/


@dataclass(frozen=True)
class Published:
    """One config as the card presents it: its newest complete version and manifest."""

    config_name: str
    version: str  # "v2"
    path: Path  # OUT/<config>/v<N>
    manifest: dict

    @property
    def split(self) -> str:
        return self.manifest["split"]

    @property
    def folder(self) -> str:
        """The version folder relative to OUT, with forward slashes: ``"a/v2"``."""
        return f"{self.config_name}/{self.version}"

    @property
    def data_files(self) -> list[str]:
        """The shards the manifest lists, relative to OUT: what the card points ``datasets`` at
        (never a glob, which would also read a stray file dropped into the folder)."""
        return [f"{self.folder}/{path.name}" for path in self.shard_paths()]

    @property
    def tag(self) -> str:
        """The Hub tag of this version: ``hotpotqa-keychain-8k-v2``."""
        return f"{self.config_name}-{self.version}"

    @property
    def rows(self) -> int:
        return self.manifest["counts"]["built"]

    @property
    def stats_dir(self) -> Path:
        return self.path / STATS_DIR

    def shard_paths(self) -> list[Path]:
        return [shard_file(self.path, shard["file"]) for shard in self.manifest["shards"]]


def published_version(out: Path, config_name: str, version: str) -> Published | None:
    """A given complete version of a config, or None when it is not on disk."""
    path = Path(out) / config_name / version
    if not (path / MANIFEST).is_file():
        return None
    return Published(config_name, version, path, read_manifest(path))


def publish_order(published: Published) -> tuple:
    """Sort key of configs in the card: source, task, split, length, name."""
    config = published.manifest.get("config", {})
    return (config.get("source", ""), config.get("task", ""), published.split, config.get("target_len", 0), published.config_name)


def newest_versions(out: Path, names: list[str] | tuple[str, ...] | None = None) -> list[Published]:
    """The newest complete version of every config under ``out`` (or of ``names``).

    Ordered by source, task, split and length, so ``4k`` comes before ``16k``.
    """
    out = Path(out)
    if not out.is_dir():
        raise PublishError(f"{out}: no such folder; pass the --out folder of a build")
    found: dict[str, Published] = {}
    for config_dir in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        newest = latest_complete(config_dir)
        if newest:
            found[config_dir.name] = Published(config_dir.name, newest.name, newest.path, read_manifest(newest.path))
    if not found:
        raise PublishError(f"{out} holds no finished build (no manifest.json); run keychain build --out {out} first")
    if names:
        unknown = [name for name in names if name not in found]
        if unknown:
            raise PublishError(
                f"--config {unknown[0]} is not a finished config in {out}; choose from {', '.join(sorted(found))}"
            )
        return sorted((found[name] for name in dict.fromkeys(names)), key=publish_order)
    return sorted(found.values(), key=publish_order)


# ------------------------------------------------------------------ push records
PUSH_RECORDS = ".keychain/pushes"  # hidden: never uploaded, ignored by datasets


def push_record_path(out: Path, repo_id: str) -> Path:
    """``OUT/.keychain/pushes/owner--name.json``: what the last push to ``repo_id`` sent."""
    return Path(out) / PUSH_RECORDS / (repo_id.replace("/", "--") + ".json")


def read_push_record(out: Path, repo_id: str) -> dict | None:
    path = push_record_path(out, repo_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise PublishError(f"{path} is unreadable ({type(error).__name__}); delete it and push again") from error


def last_pushed_repo(out: Path) -> str | None:
    """The repository of the most recent recorded push from ``out``, if any."""
    records = []
    for path in sorted((Path(out) / PUSH_RECORDS).glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            records.append((record["pushed_at"], record["repo_id"]))
        except (OSError, ValueError, KeyError):
            continue  # a damaged record only loses the repo name in the local card
    return max(records)[1] if records else None


def write_push_record(out: Path, record: dict) -> Path:
    """Keep what a push sent (repo, configs and versions, tags, commit, card text)."""
    path = push_record_path(out, record["repo_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, record)
    return path
