"""Version folders of a config: which exist, which is complete, which a build should use.

A build whose identity (resolved settings, input hashes, package and schema version)
matches a complete version is a no-op; one that matches an incomplete version resumes
it; any other adds the next version. ``manifest.json``, written last, marks a version
complete; an unfinished one holds its plan in ``.progress/plan.json``.

Example:
    >>> describe_differences({"seed": 0, "spec": {"len": 4096}}, {"seed": 1, "spec": {"len": 4096}})
    'seed: 0 -> 1'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError

MANIFEST = "manifest.json"
PROGRESS = ".progress"
PLAN = "plan.json"
_VERSION_DIR = re.compile(r"^v(\d+)$")


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


def shard_file(version_dir: Path, name: object) -> Path:
    """The path of shard ``name`` (as a manifest lists it) inside ``version_dir``.

    Manifests name shards by bare file name. Anything else (a path with a folder, ``..``,
    an absolute path, or a link leading out of the folder) is refused, so a tampered
    manifest cannot make verify, show, a push or the trainer read a file elsewhere.
    Example: ``shard_file(Path("OUT/a/v1"), "train-00000-of-00001.parquet")`` ->
    ``Path("OUT/a/v1/train-00000-of-00001.parquet")``; ``"../../x.parquet"`` -> OutputError.
    """
    version_dir = Path(version_dir)
    plain = isinstance(name, str) and name not in ("", ".", "..") and not any(c in name for c in "/\\\x00")
    path = version_dir / name if plain else None
    if path is not None and path.is_symlink() and path.resolve().parent != version_dir.resolve():
        path = None
    if path is None:
        raise OutputError(
            f"{version_dir / MANIFEST} names shard {str(name)[:80]!r}, which is not a file in {version_dir}; "
            "the manifest was changed: rebuild this config"
        )
    return path


def read_manifest(version_dir: Path) -> dict:
    path = version_dir / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise OutputError(f"{version_dir} has no {MANIFEST}; the build did not finish, re-run it") from error
    except (OSError, ValueError) as error:
        raise OutputError(f"{path} is unreadable ({type(error).__name__}); rebuild this config") from error


# Sections every manifest has (the card, stats and rebuilds read them): path of keys.
MANIFEST_SECTIONS = (("counts", "built"), ("counts", "skipped"), ("lengths", "n_tokens"), ("lengths", "fill"), ("source",))


def manifest_section(manifest: dict, keys: tuple[str, ...]):
    """``manifest[k1][k2]...`` or None when a level is missing.

    Example: ``manifest_section({"counts": {"built": 3}}, ("counts", "built"))`` -> ``3``
    """
    for key in keys:
        manifest = manifest.get(key) if isinstance(manifest, dict) else None
    return manifest


def missing_section(manifest: dict) -> str | None:
    """The first of ``MANIFEST_SECTIONS`` the manifest lacks, dotted (``"lengths.fill"``), or None."""
    for keys in MANIFEST_SECTIONS:
        if manifest_section(manifest, keys) is None:
            return ".".join(keys)
    return None


def read_manifest_lenient(version_dir: Path) -> dict:
    """The manifest as a dict, or {} when it is missing or damaged (a repair's best effort)."""
    try:
        manifest = read_manifest(version_dir)
    except OutputError:
        return {}
    return manifest if isinstance(manifest, dict) else {}
