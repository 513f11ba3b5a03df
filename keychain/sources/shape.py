"""Which source a data file's records look like, so a file given as the wrong one is refused.

Each source's original release has fields the others lack: MuSiQue records have
``paragraphs`` and ``question_decomposition``; 2WikiMultiHopQA's have HotpotQA's
``context`` and ``supporting_facts`` plus ``evidences``; HotpotQA's have no
``evidences``; DAPO-Math rows a ``prompt`` and a ``reward_model``; MathQA's ``Problem``
and ``options``. A file whose first record looks like another source is refused with one
line naming it, before anything is converted (a HotpotQA file read as 2wiki would
otherwise build, and the card would licence its text as Apache 2.0).

Example:
    >>> looks_like({"_id": "a", "question": "?", "answer": "b", "supporting_facts": [], "context": []})
    'hotpotqa'
    >>> looks_like({"id": "2hop__1", "paragraphs": [], "question_decomposition": []})
    'musique'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import InputError

TITLES = {"hotpotqa": "HotpotQA", "musique": "MuSiQue", "2wiki": "2WikiMultiHopQA", "dapo-math": "DAPO-Math", "mathqa": "MathQA"}
SIGNS = {
    "hotpotqa": "context and supporting_facts, no evidences",
    "musique": "paragraphs and question_decomposition",
    "2wiki": "context, supporting_facts and evidences",
    "dapo-math": "prompt and reward_model",
    "mathqa": "Problem and options",
}


def looks_like(record: Any) -> str | None:
    """The source whose release records carry this record's distinctive fields, if any."""
    if not isinstance(record, Mapping):
        return None
    if "paragraphs" in record and "question_decomposition" in record:
        return "musique"
    if "context" in record and "supporting_facts" in record:
        return "2wiki" if "evidences" in record else "hotpotqa"
    if "prompt" in record and "reward_model" in record:
        return "dapo-math"
    if "Problem" in record and "options" in record:
        return "mathqa"
    return None


def read_checked(name: str, path: Path, read: Callable[[Path], list[dict]]) -> list[dict]:
    """``read(path)``, refused with one line when its records look like another source."""
    try:
        records = read(path)
    except InputError as error:
        other = looks_like(_first_record(path))  # the file may be another source's format
        if other is not None and other != name:
            raise _wrong_source(path, name, other) from error
        raise
    other = looks_like(records[0]) if records else None
    if other is not None and other != name:
        raise _wrong_source(path, name, other)
    return records


def _wrong_source(path: Path, name: str, other: str) -> InputError:
    return InputError(
        f"{path}: its records look like {TITLES[other]} ({SIGNS[other]}), not {TITLES.get(name, name)} "
        f"({SIGNS.get(name, 'its own fields')}); pass --source {other}, or the {TITLES.get(name, name)} file"
    )


def _first_record(path: Path) -> Any:
    """The first record of a JSON list or JSON Lines file, read as far as needed; None if neither."""
    try:
        with open(path, encoding="utf-8") as file:
            head = file.read(1 << 20)
    except (OSError, UnicodeDecodeError):
        return None
    text = head.lstrip()
    decoder = json.JSONDecoder()
    try:
        if text.startswith("["):
            return decoder.raw_decode(text[1:].lstrip())[0]
        return decoder.raw_decode(text)[0]
    except ValueError:
        return None
