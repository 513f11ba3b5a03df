"""Versioned, sharded Parquet output with a manifest; every write is atomic.

Layout of ``OUT`` (a Hugging Face dataset repository):

    OUT/
      hotpotqa-keychain-16k/          one config per build settings name
        v1/
          train-00000-of-00002.parquet
          train-00001-of-00002.parquet
          manifest.json               written last: its presence marks v1 complete
        v2/ ...                       the same config built with other settings

A build whose identity (resolved settings, input hashes, package and schema version)
matches a complete version is a no-op; one that matches an incomplete version resumes
it; any other adds the next version. Shards are written to a temporary name in the
hidden ``.progress/`` folder and renamed into place, each followed by a small JSON
record of its row and skip counts, so an interrupted build leaves no partial shard and
a re-run builds only what is missing.

Example:
    >>> shard_name("train", 0, 2)
    'train-00000-of-00002.parquet'
    >>> default_shard_rows(16384), default_shard_rows(131072)
    (2048, 256)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from .digest import sha256_file  # noqa: F401  (re-exported for callers of write)
from .errors import OutputError
from .schema import SCHEMA

MANIFEST = "manifest.json"
PROGRESS = ".progress"
PLAN = "plan.json"
COMPRESSION = "zstd"
_VERSION_DIR = re.compile(r"^v(\d+)$")


def _file_mode() -> int:
    """Mode of a normally created file (mkstemp makes 0600 files; outputs are shared)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _file_mode()


def shard_name(split: str, index: int, total: int) -> str:
    return f"{split}-{index:05d}-of-{total:05d}.parquet"


def default_shard_rows(target_len: int) -> int:
    """About 2**25 prompt tokens (~128 MB of text) per shard."""
    return max(16, 2**25 // target_len)


def row_group_rows(target_len: int) -> int:
    """About 2**21 prompt tokens (~8 MB of text) per Parquet row group."""
    return max(8, 2**21 // target_len)


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON to a temporary file beside ``path``, then rename it into place."""
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Returns False, and touches nothing, when the file already holds exactly these bytes,
    so refreshing an unchanged folder leaves every file (and its mtime) as it was.
    """
    path = Path(path)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True



def check_writable(root: Path) -> None:
    """Fail early, before any work, when ``root`` cannot be created or written.

    Creates nothing: it probes the nearest existing folder at or above ``root``.
    """
    probe = Path(root).absolute()
    while not probe.exists():
        probe = probe.parent
    try:
        if not probe.is_dir():
            raise NotADirectoryError(20, "a file is in the way", str(probe))
        fd, tmp = tempfile.mkstemp(prefix=".keychain-write-test-", dir=probe)
        os.close(fd)
        os.unlink(tmp)
    except OSError as error:
        raise OutputError(
            f"cannot write to {root} ({error.strerror or type(error).__name__} at {probe}); choose another --out"
        ) from error


@dataclass(frozen=True)
class Version:
    number: int
    path: Path
    identity: dict | None
    complete: bool

    @property
    def name(self) -> str:
        return f"v{self.number}"


def read_versions(config_dir: Path) -> list[Version]:
    """Every version folder of a config, oldest first, with its identity if readable."""
    versions = []
    if not config_dir.is_dir():
        return versions
    for child in config_dir.iterdir():
        match = _VERSION_DIR.match(child.name)
        if not match or not child.is_dir():
            continue
        manifest = child / MANIFEST
        plan = child / PROGRESS / PLAN
        source = manifest if manifest.is_file() else plan if plan.is_file() else None
        identity = None
        if source is not None:
            try:
                identity = json.loads(source.read_text(encoding="utf-8"))["identity"]
            except (OSError, ValueError, KeyError) as error:
                raise OutputError(
                    f"{source} is unreadable ({type(error).__name__}); repair it or delete {child}"
                ) from error
        versions.append(Version(int(match.group(1)), child, identity, manifest.is_file()))
    return sorted(versions, key=lambda v: v.number)


def latest_complete(config_dir: Path) -> Version | None:
    complete = [v for v in read_versions(config_dir) if v.complete]
    return complete[-1] if complete else None


def choose_version(config_dir: Path, identity: dict, requested: int | None = None) -> tuple[Version, str]:
    """The version folder to use and its state: "new", "resume" or "complete"."""
    versions = read_versions(config_dir)
    if requested is not None:
        for version in versions:
            if version.number == requested:
                if version.identity is not None and version.identity != identity:
                    differences = describe_differences(version.identity, identity)
                    raise OutputError(
                        f"{version.path} was built with other settings ({differences}); "
                        f"omit --version to add v{versions[-1].number + 1} beside it"
                    )
                return version, "complete" if version.complete else "resume"
        return Version(requested, config_dir / f"v{requested}", None, False), "new"
    for version in versions:
        if version.identity == identity:
            return version, "complete" if version.complete else "resume"
    number = versions[-1].number + 1 if versions else 1
    return Version(number, config_dir / f"v{number}", None, False), "new"


def describe_differences(old: dict, new: dict, limit: int = 3) -> str:
    """"seed: 0 -> 1, tokenizer: cl100k_base -> o200k_base" for nested dicts."""
    flat_old, flat_new = _flatten(old), _flatten(new)
    keys = sorted(set(flat_old) | set(flat_new))
    changed = [f"{k}: {flat_old.get(k)} -> {flat_new.get(k)}" for k in keys if flat_old.get(k) != flat_new.get(k)]
    more = f", and {len(changed) - limit} more" if len(changed) > limit else ""
    return ", ".join(changed[:limit]) + more or "unknown difference"


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


class VersionWriter:
    """Writes the shards of one version; knows which are already done."""

    def __init__(self, version: Version, split: str, total_shards: int, target_len: int, schema: pa.Schema = SCHEMA) -> None:
        self.schema = schema  # TASK_SCHEMA for retrieval, math and mix shards
        self.path = version.path
        self.split = split
        self.total = total_shards
        self.group_rows = row_group_rows(target_len)
        self.progress = self.path / PROGRESS

    def start(self, plan: dict, *, clean: bool = True) -> None:
        """Create the version folder with its plan, or join the one that holds this plan.

        A new version folder appears whole (made under a temporary name, then renamed),
        so builds started at once (the slices of a job array) agree on one version.
        ``clean`` deletes temporary files of an interrupted run; slices pass False, since
        a sibling slice may be writing its shard right now.
        """
        try:
            if not self.path.exists():
                self._create(plan)
            self.progress.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create {self.path} ({error.strerror}); choose another --out") from error
        joined = self.progress / PLAN
        if joined.is_file():
            theirs = json.loads(joined.read_text(encoding="utf-8")).get("identity")
            if theirs != plan["identity"]:
                raise OutputError(
                    f"{self.path} was just started by a build with other settings "
                    f"({describe_differences(theirs or {}, plan['identity'])}); re-run to build beside it"
                )
        if clean:
            for stale in self.progress.glob("*.tmp*"):
                stale.unlink(missing_ok=True)  # temporary files of an interrupted run
        write_json_atomic(joined, plan)

    def _create(self, plan: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent))
        try:
            os.chmod(staging, 0o777 & ~os.umask(os.umask(0)))
            (staging / PROGRESS).mkdir()
            write_json_atomic(staging / PROGRESS / PLAN, plan)
            os.rename(staging, self.path)  # fails if a concurrent build created it first
        except OSError:
            if not self.path.is_dir():
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def missing(self) -> list[int]:
        """Shard indices not written yet."""
        return [index for index in range(self.total) if not self.done(index)]

    def shard_path(self, index: int) -> Path:
        return self.path / shard_name(self.split, index, self.total)

    def _record_path(self, index: int) -> Path:
        return self.progress / f"shard-{index:05d}.json"

    def done(self, index: int) -> bool:
        return self.shard_path(index).is_file() and self._record_path(index).is_file()

    def record(self, index: int) -> dict:
        return json.loads(self._record_path(index).read_text(encoding="utf-8"))

    def write_batches(self, index: int, batches: Iterable[pa.Table], skipped: dict[str, int]) -> dict:
        """Stream Arrow ``batches`` into shard ``index`` atomically, in row groups of
        ``group_rows`` whatever the batch sizes; return the shard's record."""
        final = self.shard_path(index)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{final.name}.", suffix=".tmp", dir=self.progress)
        os.close(fd)
        tmp = Path(tmp_name)
        count = 0
        try:
            with pq.ParquetWriter(tmp, self.schema, compression=COMPRESSION) as writer:
                pending: list[pa.Table] = []
                pending_rows = 0
                for batch in batches:
                    pending.append(batch)
                    pending_rows += batch.num_rows
                    while pending_rows >= self.group_rows:
                        table = pa.concat_tables(pending).combine_chunks()
                        writer.write_table(table.slice(0, self.group_rows))
                        count += self.group_rows
                        rest = table.slice(self.group_rows)
                        pending, pending_rows = ([rest] if rest.num_rows else []), rest.num_rows
                if pending_rows or count == 0:
                    table = pa.concat_tables(pending).combine_chunks() if pending else self.schema.empty_table()
                    writer.write_table(table)
                    count += table.num_rows
            os.chmod(tmp, _FILE_MODE)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        record = {"file": final.name, "rows": count, "skipped": dict(sorted(skipped.items()))}
        write_json_atomic(self._record_path(index), record)
        return record

    def finish(self, manifest: dict) -> None:
        """Write the manifest (marking the version complete) and drop the progress folder."""
        write_json_atomic(self.path / MANIFEST, manifest)
        shutil.rmtree(self.progress, ignore_errors=True)


def read_manifest(version_dir: Path) -> dict:
    path = version_dir / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise OutputError(f"{version_dir} has no {MANIFEST}; the build did not finish, re-run it") from error
    except (OSError, ValueError) as error:
        raise OutputError(f"{path} is unreadable ({type(error).__name__}); rebuild this config") from error
