"""Source registry: each source turns its raw records into one ``SourceData``.

One module per source (``hotpotqa``, ``musique``, ``twowiki``, ``synthetic``, ``dapo_math``,
``mathqa``), the shared record types (``records``), field readers (``fields``), file and
Hub loading (``files``, ``hub``) and the conversion to items (``assemble``).
May import: ``errors``, ``digest``, ``text``, ``randomness`` only.

Example:
    >>> data = load_source("synthetic", SourceRequest(seed=0, num=10))
    >>> data.name, len(data.items) >= 10
    ('synthetic', True)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import unknown_choice
from .records import SourceData
from .splits import check_file_splits


@dataclass(frozen=True)
class SourceRequest:
    """What a build asks of a source.

    ``num`` (rows wanted, None for all) and ``max_len`` (largest token budget of the
    build) only matter to sources that generate data: the synthetic world sizes itself
    from them. File and Hub sources return every item of the split.
    """

    split: str = "train"
    data_files: tuple[Path, ...] = ()
    seed: int = 0
    num: int | None = None
    max_len: int = 16384


# name -> module holding ``load(request) -> SourceData``; imported on first use.
_MODULES = {
    "hotpotqa": "hotpotqa",
    "musique": "musique",
    "2wiki": "twowiki",
    "synthetic": "synthetic",
    "dapo-math": "dapo_math",  # math problems (--task math), no documents
    "mathqa": "mathqa",  # multiple choice (--task choice), no documents
}

SOURCE_NAMES = tuple(_MODULES)


def source_loader(name: str) -> Callable[[SourceRequest], SourceData]:
    if name not in _MODULES:
        raise unknown_choice("source", name, SOURCE_NAMES)
    module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    return module.load


def load_source(name: str, request: SourceRequest) -> SourceData:
    check_file_splits(request.data_files, request.split)  # a train file is never built as another split
    return source_loader(name)(request)
