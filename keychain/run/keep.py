"""``--keep-ids FILE``: the source ids a build may use (the difficulty filter's list).

Three formats are read: one id per line; JSON Lines with an ``id`` field (what
``trainer passrate --short`` writes, and the authors' filter lists, e.g.
``{"id": "5a8b57f25542995d1e6f1371"}``); or one JSON list of ids. Blank lines are
ignored. A build keeps to the ids and records the file's sha256 in its identity.

Example: a file with lines ``{"id": "a", "solved": 3}`` and ``{"id": "b", "solved": 5}``
-> ``read_keep_ids(path) == frozenset({'a', 'b'})``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError


def read_keep_ids(path: str | Path) -> frozenset[str]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"--keep-ids {path}: cannot read it ({error}); pass the id list the difficulty filter wrote") from error
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            ids = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise InputError(f"--keep-ids {path}: not a valid JSON list ({error.msg}); fix the file") from error
        if not all(isinstance(i, (str, int)) for i in ids):
            raise InputError(f"--keep-ids {path}: a JSON list of ids must hold strings; fix the file")
        found = [str(i) for i in ids]
    else:
        found = [_line_id(line, path, number) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not found:
        raise InputError(f"--keep-ids {path}: holds no ids; pass the list the difficulty filter wrote")
    return frozenset(found)


def _line_id(line: str, path: Path, number: int) -> str:
    line = line.strip()
    if not line.startswith("{"):
        return line
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise InputError(f"--keep-ids {path} line {number}: not valid JSON ({error.msg}); fix or remove that line") from error
    if not isinstance(record, dict) or not isinstance(record.get("id"), (str, int)):
        raise InputError(f"--keep-ids {path} line {number}: no 'id' field; each JSON line needs one, e.g. {{\"id\": \"...\"}}")
    return str(record["id"])
