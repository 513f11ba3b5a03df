"""Haystacks: long prose that needles are hidden in, as a sequence of sentences.

Three kinds, all cut into paragraphs and sentences (``text.split_sentences``):

* ``synthetic`` (offline default): the biographies of the synthetic world, in a seeded
  order, one paragraph each; sized from the largest ``--len`` like the synthetic source;
* ``haystack``: plain-text files (``--haystack FILE...``, e.g. books), paragraphs at
  blank lines, line breaks inside a paragraph folded to spaces;
* ``pg19``: books of ``deepmind/pg19`` streamed from the Hub until there is enough text.

A haystack is a tuple of pieces: each sentence with what precedes it (a space inside a
paragraph, a blank line at a paragraph start), so any run of pieces, its leading white
space stripped, reads as the original text.

Example:
    >>> stack = haystack_from_paragraphs("t", [("One.", " Two."), ("Three.",)], {})
    >>> stack.pieces
    ('One.', ' Two.', '\\n\\nThree.')
    >>> stack.text(1, 2)
    'Two.\\n\\nThree.'
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import InputError
from ..sources import SourceRequest, load_source
from ..sources.files import _read_text, file_origin
from ..sources.hub import fetch_hub, hub_origin
from ..text import split_sentences

PARAGRAPH_BREAK = "\n\n"
PG19 = "deepmind/pg19"
CHARS_PER_TOKEN = 4  # English prose, cl100k: about 4.2; lower, so a streamed haystack errs large
HEADROOM = 2.5  # haystack tokens per token of the largest --len, as the synthetic pool
_BLANK_LINES = re.compile(r"\n\s*\n")


@dataclass
class Haystack:
    name: str
    pieces: tuple[str, ...]
    origin: dict
    _costs: list[int] = field(default_factory=list, repr=False)

    def text(self, start: int, count: int) -> str:
        """``count`` pieces from ``start`` (wrapping around the end), leading space stripped."""
        return "".join(self.piece(start + i) for i in range(count)).lstrip()

    def piece(self, index: int) -> str:
        return self.pieces[index % len(self.pieces)]

    def costs(self, counter, start: int, count: int) -> list[int]:
        """Token counts of ``count`` pieces from ``start``, each counted once and cached."""
        if not self._costs:
            self._costs = [-1] * len(self.pieces)
        n = len(self.pieces)
        indices = [(start + i) % n for i in range(count)]
        todo = [i for i in dict.fromkeys(indices) if self._costs[i] < 0]
        for index, cost in zip(todo, counter.count_many([self.pieces[i] for i in todo])):
            self._costs[index] = cost
        return [self._costs[i] for i in indices]

    def paragraph_starts(self) -> list[int]:
        return [i for i, piece in enumerate(self.pieces) if i == 0 or piece.startswith(PARAGRAPH_BREAK)]


def haystack_from_paragraphs(name: str, paragraphs: Iterable[Sequence[str]], origin: dict) -> Haystack:
    pieces: list[str] = []
    for sentences in paragraphs:
        sentences = [s for s in sentences if s.strip()]
        if not sentences:
            continue
        first = sentences[0].lstrip()
        pieces.append(first if not pieces else PARAGRAPH_BREAK + first)
        pieces.extend(s if s[:1].isspace() else " " + s for s in sentences[1:])
    return Haystack(name, tuple(pieces), origin)


def paragraphs_of(text: str) -> list[tuple[str, ...]]:
    """Paragraphs (at blank lines) of plain text, each split into sentences."""
    return [split_sentences(" ".join(block.split())) for block in _BLANK_LINES.split(text) if block.strip()]


def load_haystack(source: str, *, split: str, seed: int, max_len: int, files: Sequence[str] = ()) -> Haystack:
    if source == "synthetic":
        return synthetic_haystack(split, seed, max_len)
    if source == "haystack":
        return file_haystack([Path(f) for f in files])
    if source == "pg19":
        return pg19_haystack(split, max_len)
    raise InputError(f"unknown haystack {source!r}; use synthetic, pg19 or --haystack FILE...")


def synthetic_haystack(split: str, seed: int, max_len: int) -> Haystack:
    """The synthetic world's biographies in a seeded order: fictional prose, offline."""
    world = load_source("synthetic", SourceRequest(split=split, seed=seed, num=1, max_len=max_len))
    documents = list(world.documents)
    random.Random(f"{seed}:{split}:haystack-order").shuffle(documents)
    return haystack_from_paragraphs("synthetic", (d.sentences for d in documents), dict(world.origin))


def file_haystack(paths: Sequence[Path]) -> Haystack:
    paragraphs = []
    for path in paths:
        found = paragraphs_of(_read_text(path))
        if not found:
            raise InputError(f"{path}: holds no text; pass plain-text files (e.g. books) as --haystack")
        paragraphs.extend(found)
    return haystack_from_paragraphs("haystack", paragraphs, file_origin(paths))


def _load_pg19(split: str):  # replaced in tests; streams so no full download happens
    import datasets

    return datasets.load_dataset(PG19, split=split, streaming=True)


def pg19_haystack(split: str, max_len: int) -> Haystack:
    """Books of PG-19 in the split's order until they hold about 2.5 x ``max_len`` tokens."""
    split = {"dev": "validation"}.get(split, split)
    stream = fetch_hub(_load_pg19, split, PG19, "use the offline synthetic haystack or --haystack FILE...")
    wanted = HEADROOM * max_len * CHARS_PER_TOKEN
    paragraphs, chars, titles = [], 0, []
    for book in stream:
        paragraphs.extend(paragraphs_of(book["text"]))
        chars += len(book["text"])
        titles.append(book.get("short_book_title"))
        if chars >= wanted:
            break
    if not paragraphs:
        raise InputError(f"{PG19} split {split} gave no text; check the split name (train, validation, test)")
    origin = {**hub_origin(PG19, None, split, stream), "books": titles}
    return haystack_from_paragraphs("pg19", paragraphs, origin)
