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


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the --data-files path")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; pass the data file inside it")


def _read_text(path: Path) -> str:
    _check_file(path)
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
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
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


def file_origin(paths: Iterable[Path]) -> dict:
    """Where file data came from, for the manifest: path, sha256 and size of each file.

    Example: ``file_origin([Path("a.json")])`` ->
    ``{"kind": "file", "files": [{"path": "a.json", "sha256": "9f86...", "bytes": 4}]}``
    """
    files = []
    for path in paths:
        path = Path(path)
        _check_file(path)
        try:
            files.append({"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size})
        except OSError as exc:
            raise InputError(
                f"{path}: cannot read ({exc.strerror or exc}); check the file's permissions"
            ) from exc
    return {"kind": "file", "files": files}
