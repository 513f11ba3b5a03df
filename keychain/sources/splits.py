"""The split names each source has, and a file that names another split.

``--split`` takes the names a source's releases use; ``dev`` is read as ``validation``
(the original HotpotQA, MuSiQue and 2WikiMultiHopQA files call it dev). Anything else is
refused with the list. A data file whose name says it holds another split
(``hotpot_train_v1.1.json`` built as ``--split validation``) is refused too: its items
would be labelled with the wrong split, and a train and an evaluation build could then
share items.

Example:
    >>> canonical_split("hotpotqa", "dev"), canonical_split("synthetic", "test")
    ('validation', 'test')
    >>> canonical_split("hotpotqa", "tran")
    Traceback (most recent call last):
    keychain.errors.ConfigError: --split 'tran' is not a split of hotpotqa; did you mean train? choose one of train, validation, dev
    >>> file_split("hotpot_dev_distractor_v1.json"), file_split("musique_ans_v1.0_train.jsonl"), file_split("mine.json")
    ('validation', 'train', None)
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Iterable

from ..errors import ConfigError, InputError

SPLITS = {
    "hotpotqa": ("train", "validation"),  # the distractor setting's releases
    "musique": ("train", "validation", "test"),  # test: no answers (refused when read)
    "2wiki": ("train", "validation", "test"),  # test: no answers (refused when read)
    "synthetic": ("train", "validation", "test"),  # one fictional world per split
    "dapo-math": ("train",),
    "mathqa": ("train", "validation", "test"),
    "pg19": ("train", "validation", "test"),
    "haystack": ("train", "validation", "test"),  # --haystack files: a label only
}
ALIASES = {"dev": "validation"}
_FILE_WORDS = {"train": "train", "dev": "validation", "validation": "validation", "val": "validation", "test": "test"}


def canonical_split(source: str, split: str) -> str:
    """The split's name as keychain records it (``dev`` -> ``validation``), or a ConfigError."""
    names = SPLITS.get(source)
    split = ALIASES.get(split, split)
    if names is not None and split not in names:
        choices = names + tuple(alias for alias, name in ALIASES.items() if name in names)
        close = difflib.get_close_matches(split, choices, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise ConfigError(f"--split {split!r} is not a split of {source}; {hint}choose one of {', '.join(choices)}")
    if names is None and not re.fullmatch(r"[A-Za-z0-9_]+", split or ""):
        raise ConfigError(f"--split {split!r} is not a split name; use e.g. train or validation")
    return split


def file_split(name: str) -> str | None:
    """The split a file's name says it holds (a word train, dev, validation, val or test), if any."""
    words = {_FILE_WORDS[w] for w in re.split(r"[^a-z]+", Path(name).name.lower()) if w in _FILE_WORDS}
    return words.pop() if len(words) == 1 else None


def check_file_splits(paths: Iterable[Path], split: str) -> None:
    """Refuse a data file whose name says it holds another split than ``split``."""
    for path in paths:
        named = file_split(str(path))
        if named is not None and named != ALIASES.get(split, split):
            raise InputError(
                f"{path}: the file name says it holds the {named} split, but --split is {split}; "
                f"pass --split {named}, or the {split} file"
            )
