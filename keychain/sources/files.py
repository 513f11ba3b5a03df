"""Reading the original release files of the real-data sources.

Every way a data file can be wrong becomes one ``InputError`` line that names the file,
the place and the fix.

Example: a file ``[{"_id": "a"}]`` -> ``read_json_list(path) == [{'_id': 'a'}]``; a JSON
Lines file with a broken line 37 -> "PATH line 37: not valid JSON (...); fix or remove
that line".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from ..digest import sha256_file
from ..errors import InputError


def check_data_file(path: Path) -> None:
    """A one-line InputError unless ``path`` is a file; a folder's error names a file in it.

    Example: a folder ``hotpot/`` holding ``train.json`` -> "hotpot: is a folder, not a
    data file; pass the file inside it, e.g. --data-files hotpot/train.json".
    """
    path = Path(path)
    if path.is_dir():
        inside = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        example = f", e.g. --data-files {inside[0]}" if inside else " (it holds no files)"
        raise InputError(f"{path}: is a folder, not a data file; pass the file inside it{example}")
    if not path.exists():
        raise InputError(f"{path}: no such file; check the --data-files path")


def _read_text(path: Path) -> str:
    check_data_file(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "pass the dataset's original JSON release file"
        ) from exc
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read ({exc.strerror or exc}); check the file's permissions"
        ) from exc


def _json_kind(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "number")


def read_json_list(path: Path) -> list[dict]:
    """Records of a file holding one JSON list of objects (HotpotQA, 2Wiki releases).

    Example: a file ``[{"_id": "a"}, {"_id": "b"}]`` -> ``[{'_id': 'a'}, {'_id': 'b'}]``;
    a file ``{"_id": "a"}`` -> InputError "...: expected a JSON list of records, ...".
    """
    path = Path(path)
    text = _read_text(path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = "fix the file or download it again"
        if exc.msg == "Extra data" and exc.lineno > 1:
            hint = "it looks like JSON Lines; pass the dataset's JSON list file"
        raise InputError(
            f"{path} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg}); {hint}"
        ) from exc
    if not isinstance(value, list):
        raise InputError(
            f"{path}: expected a JSON list of records, found a JSON {_json_kind(value)}; "
            "pass the dataset's original release file"
        )
    for number, record in enumerate(value, start=1):
        if not isinstance(record, dict):
            raise InputError(
                f"{path} record {number}: expected a JSON object, found a JSON "
                f"{_json_kind(record)}; pass the dataset's original release file"
            )
    return value


def read_jsonl(path: Path) -> list[dict]:
    """Records of a JSON Lines file (one object per line; blank lines are ignored).

    Example: lines ``{"id": "a"}`` and ``{"id": "b"}`` -> ``[{'id': 'a'}, {'id': 'b'}]``;
    a broken line 37 -> InputError "PATH line 37: not valid JSON (...); fix or remove that line".
    """
    path, records = Path(path), []
    text = _read_text(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if not records and _is_json_list(text):
                raise InputError(
                    f"{path}: holds one JSON list, not JSON Lines (one object per line) as this "
                    "source's release does; pass the source's original .jsonl file, or the --source "
                    "the file belongs to (HotpotQA and 2WikiMultiHopQA ship JSON lists)"
                ) from exc
            raise InputError(
                f"{path} line {number}: not valid JSON ({exc.msg}); fix or remove that line"
            ) from exc
        if not isinstance(record, dict):
            raise InputError(
                f"{path} line {number}: expected one JSON object per line, found a JSON "
                f"{_json_kind(record)}; is this a JSON Lines file?"
            )
        records.append(record)
    return records


def _is_json_list(text: str) -> bool:
    if not text.lstrip().startswith("["):
        return False
    try:
        return isinstance(json.loads(text), list)
    except json.JSONDecodeError:
        return False


def file_origin(paths: Iterable[Path]) -> dict:
    """Where file data came from, for the manifest: path, sha256 and size of each file.

    Example: ``file_origin([Path("a.json")])`` ->
    ``{"kind": "file", "files": [{"path": "a.json", "sha256": "9f86...", "bytes": 4}]}``
    """
    files = []
    for path in paths:
        path = Path(path)
        check_data_file(path)
        try:
            files.append({"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size})
        except OSError as exc:
            raise InputError(
                f"{path}: cannot read ({exc.strerror or exc}); check the file's permissions"
            ) from exc
    return {"kind": "file", "files": files}
