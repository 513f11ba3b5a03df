"""The shards of one version, written atomically and resumably.

Each shard is streamed into a temporary file in the version's hidden ``.progress/``
folder and renamed into place, followed by a small JSON record of its row and skip
counts, size and sha256; an interrupted build leaves no partial shard and a re-run
builds only what is missing. A re-run hashes the shards written before the interruption
and rebuilds any that no longer match their record. ``finish`` writes the manifest
last, which marks the version complete.

Example:
    >>> shard_name("train", 0, 2)
    'train-00000-of-00002.parquet'
    >>> default_shard_rows(16384), default_shard_rows(131072)
    (2048, 256)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from ..digest import sha256_file
from ..errors import OutputError
from .files import FILE_MODE, write_json_atomic
from .schema import SCHEMA
from .versions import MANIFEST, PLAN, PROGRESS, Version, describe_differences

COMPRESSION = "zstd"


def shard_name(split: str, index: int, total: int) -> str:
    return f"{split}-{index:05d}-of-{total:05d}.parquet"


def default_shard_rows(target_len: int) -> int:
    """About 2**25 prompt tokens (~128 MB of text) per shard."""
    return max(16, 2**25 // target_len)


def row_group_rows(target_len: int) -> int:
    """About 2**21 prompt tokens (~8 MB of text) per Parquet row group."""
    return max(8, 2**21 // target_len)


class ShardMismatch(OutputError):
    """A rebuilt shard's bytes differ from what they were expected to be."""

    def __init__(self, name: str, digest: str) -> None:
        super().__init__(f"{name} rebuilds to sha256 {digest[:12]}..., not what the manifest records")
        self.name, self.digest = name, digest


class VersionWriter:
    """Writes the shards of one version; knows which are already done."""

    def __init__(self, version: Version, split: str, total_shards: int, target_len: int, schema: pa.Schema = SCHEMA) -> None:
        self.schema = schema  # TASK_SCHEMA for retrieval, math and mix shards
        self.path = version.path
        self.split = split
        self.total = total_shards
        self.group_rows = row_group_rows(target_len)
        self.progress = self.path / PROGRESS
        self._checked: set[int] = set()  # shards whose file was hashed against its record

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
            self.clean()
        write_json_atomic(joined, plan)

    def clean(self) -> list[Path]:
        """Delete what a killed run left behind; only a build that owns the version may call it."""
        return clean_leftovers(self.path, finished=False)

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

    def missing(self, indices: Iterable[int] | None = None, *, check: bool = True) -> list[int]:
        """Shard indices (of ``indices``, all by default) not written yet, or whose file no
        longer matches its record. Only the shards asked about are hashed (and a bad one
        deleted): a slice passes its own. ``check=False`` only looks whether each shard and
        its record are there: no hashing, nothing deleted (a sibling slice's shards)."""
        wanted = range(self.total) if indices is None else indices
        if not check:
            return [i for i in wanted if not (self.shard_path(i).is_file() and self._record_path(i).is_file())]
        return [index for index in wanted if not self.done(index)]

    def shard_path(self, index: int) -> Path:
        return self.path / shard_name(self.split, index, self.total)

    def _record_path(self, index: int) -> Path:
        return self.progress / f"shard-{index:05d}.json"

    def done(self, index: int) -> bool:
        """True when shard ``index`` is written and matches its record (size and sha256,
        hashed once per writer): a shard changed or cut short since is built again."""
        path, record_path = self.shard_path(index), self._record_path(index)
        if not (path.is_file() and record_path.is_file()):
            return False
        if index in self._checked:
            return True
        try:
            record = self.record(index)
            intact = path.stat().st_size == record.get("bytes") and sha256_file(path) == record.get("sha256")
        except (OSError, ValueError):
            intact = False
        if not intact:  # a record from an older keychain has no sha256: rebuilt as well
            path.unlink(missing_ok=True)
            record_path.unlink(missing_ok=True)
            return False
        self._checked.add(index)
        return True

    def record(self, index: int) -> dict:
        return json.loads(self._record_path(index).read_text(encoding="utf-8"))

    def write_batches(
        self, index: int, batches: Iterable[pa.Table], skipped: dict[str, int], expect: str | None = None
    ) -> dict:
        """Stream Arrow ``batches`` into shard ``index`` atomically, in row groups of
        ``group_rows`` whatever the batch sizes; return the shard's record.

        ``expect`` (a sha256) is for repairs: the shard replaces the file only when its
        bytes hash to it, else ``ShardMismatch`` is raised and the folder is left as it was.
        """
        final = self.shard_path(index)
        self.progress.mkdir(parents=True, exist_ok=True)
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
            os.chmod(tmp, FILE_MODE)
            digest = sha256_file(tmp)
            if expect is not None and digest != expect:
                raise ShardMismatch(final.name, digest)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        record = {
            "file": final.name, "rows": count, "skipped": dict(sorted(skipped.items())),
            "bytes": final.stat().st_size, "sha256": digest,
        }
        write_json_atomic(self._record_path(index), record)
        self._checked.add(index)
        return record

    def adopt(self, index: int, record: dict) -> None:
        """Record an existing shard as done (a repair keeps the shards that match the manifest)."""
        self.progress.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self._record_path(index), record)
        self._checked.add(index)

    def finish(self, manifest: dict) -> None:
        """Write the manifest (marking the version complete) and drop the progress folder."""
        write_json_atomic(self.path / MANIFEST, manifest)
        shutil.rmtree(self.progress, ignore_errors=True)


def clean_leftovers(version_dir: Path, finished: bool = True) -> list[Path]:
    """Delete what a killed run left in or beside a version, and return it: temporary
    shards and JSON files, a staging folder of the version, and in a ``finished`` one its
    progress folder (a kill between the manifest and the clean-up)."""
    version_dir = Path(version_dir)
    progress = version_dir / PROGRESS
    stale = [*version_dir.glob(".*.tmp"), *version_dir.parent.glob(f".{version_dir.name}.*.tmp")]
    stale += [progress] if finished and progress.exists() else list(progress.glob("*.tmp*"))
    for path in stale:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return stale
