"""The checks a folder passes before anything is uploaded.

1. The card parses as a ``DatasetCard`` and every config it lists exists: its
   ``data_files`` pattern matches exactly the shards its manifest names.
2. Every shard to upload has the sha256 and row count its manifest records.
3. ``datasets`` loads each config to upload from the local folder, through the card
   about to be pushed (streamed: nothing is copied into the datasets cache).

Each check returns the line that says what passed, or raises a PublishError naming the
first problem and its fix. Example: ``check_shards(newest_versions(OUT))`` -> ``"3
shards match their manifest sha256 and row counts"``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from ..digest import sha256_file
from ..errors import PublishError
from ..store.folder import Published


def card_configs(card_text: str) -> dict[str, list[dict]]:
    """Config name -> its ``data_files`` entries, as the card's YAML states them."""
    from huggingface_hub import DatasetCard

    try:
        card = DatasetCard(card_text, ignore_metadata_errors=False)
    except Exception as error:  # huggingface_hub raises ValueError or yaml errors
        raise PublishError(f"the dataset card does not parse ({error}); run keychain card OUT to rewrite it") from error
    configs = card.data.to_dict().get("configs") or []
    return {entry["config_name"]: entry["data_files"] for entry in configs}


def check_card(out: Path, card_text: str, listed: list[Published]) -> str:
    """Every config in the card is in ``listed`` and its data files are its shards."""
    by_name = {p.config_name: p for p in listed}
    configs = card_configs(card_text)
    if set(configs) != set(by_name):
        extra = sorted(set(configs) ^ set(by_name))
        raise PublishError(f"the card and the folder disagree on config {extra[0]}; run keychain card OUT to rewrite it")
    for name, data_files in configs.items():
        published = by_name[name]
        expected = {f"{published.folder}/{shard['file']}" for shard in published.manifest["shards"]}
        found = {
            path.relative_to(out).as_posix()
            for entry in data_files
            for pattern in ([entry["path"]] if isinstance(entry["path"], str) else entry["path"])
            for path in Path(out).glob(pattern)
        }
        if found != expected:
            raise PublishError(
                f"config {name}: the card's data_files match {len(found)} files, the manifest names {len(expected)}; "
                "rebuild the config or run keychain card OUT"
            )
    return f"card lists {len(configs)} configs, each matching its manifest"


def check_shards(published: list[Published]) -> str:
    """Each shard has its manifest's sha256 and row count."""
    count = 0
    for p in published:
        for shard in p.manifest["shards"]:
            path = p.path / shard["file"]
            fix = f"re-run the build of {p.config_name} or keychain verify {path.parent}"
            if not path.is_file():
                raise PublishError(f"{path} is missing; {fix}")
            if sha256_file(path) != shard["sha256"]:
                raise PublishError(f"{path} sha256 differs from its manifest (the file changed after the build); {fix}")
            if pq.ParquetFile(path).metadata.num_rows != shard["rows"]:
                raise PublishError(f"{path} row count differs from its manifest; {fix}")
            count += 1
    return f"{count} shards match their manifest sha256 and row counts"


def check_loads(card_text: str, listed: list[Published], published: list[Published]) -> str:
    """``datasets`` streams the first row of each config through the card to be pushed.

    The card goes into a scratch folder beside links to the config folders, so the
    check sees exactly what the Hub will serve and writes nothing into ``OUT``.
    """
    import datasets

    with tempfile.TemporaryDirectory(prefix="keychain-push-check-") as scratch:
        Path(scratch, "README.md").write_text(card_text, encoding="utf-8")
        for p in listed:
            os.symlink(p.path.parent.resolve(), Path(scratch, p.config_name), target_is_directory=True)
        for p in published:
            try:
                rows = datasets.load_dataset(scratch, p.config_name, split=p.split, streaming=True)
                first = next(iter(rows))
            except Exception as error:  # datasets raises many types; any of them stops the push
                raise PublishError(
                    f"datasets cannot load config {p.config_name} from the folder ({type(error).__name__}: "
                    f"{str(error).splitlines()[0] if str(error) else ''}); run keychain verify OUT"
                ) from error
            if not first.get("prompt") or set(first["prompt"][0]) != {"role", "content"}:
                raise PublishError(f"config {p.config_name}: the prompt column does not load as chat messages; rebuild it")
    return f"datasets loads {len(published)} configs from the local folder"
