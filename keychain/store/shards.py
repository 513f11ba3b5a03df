"""The shards of one version, written atomically and resumably.

Each shard is streamed into a temporary file in the version's hidden ``.progress/``
folder and renamed into place, followed by a small JSON record of its row and skip
counts; an interrupted build leaves no partial shard and a re-run builds only what is
missing. ``finish`` writes the manifest last, which marks the version complete.

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
            os.chmod(tmp, FILE_MODE)
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
