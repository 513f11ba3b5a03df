"""Turning converted records into one ``SourceData``.

Each source module converts single records into an ``ItemDraft`` (or a ``Skip`` with a
reason); ``assemble`` drops repeated ids, counts skips by reason and pools the documents.
Documents that could be mistaken for what a build inserts are left out: text shaped like
a KeyChain pair (``{"<uuid or 8 hex>": ...``) would read as a stray chain link, so such a
document is dropped from the pool (counted in ``documents_excluded``) and an item whose
gold document holds one is skipped as ``pair_like_text``; an item with an empty gold
document is skipped as ``empty_gold``.

Example:
    >>> gold = Document("Fog", ("Fog is a novel by Ann Lee.",))
    >>> drafts = [ItemDraft("q1", "Who wrote Fog?", ("Ann Lee",), (gold,), ()),
    ...           ItemDraft("q1", "Who wrote Fog?", ("Ann Lee",), (gold,), ()),
    ...           Skip("q2", "no_answer")]
    >>> data = assemble("demo", "train", {}, drafts, "demo.json")
    >>> len(data.items), data.skipped, data.documents[data.items[0].gold[0]].title
    (1, {'duplicate_id': 1, 'no_answer': 1}, 'Fog')
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from ..errors import InputError
from .fields import wrong_data_fix
from .files import file_origin
from .records import Document, DocumentPool, QAItem, SourceData
from .shape import read_checked


@dataclass(frozen=True)
class ItemDraft:
    """One converted record, its documents not yet pooled."""

    source_id: str
    question: str
    answers: tuple[str, ...]
    gold: tuple[Document, ...]
    others: tuple[Document, ...]
    qa_hops: int | None = None
    question_type: str | None = None


@dataclass(frozen=True)
class Skip:
    """A record dropped while converting, and why (``missing_gold``, ``no_answer``, ...).

    ``source_id`` is None when the record has no usable id (it is then never a repeat).
    """

    source_id: str | None
    reason: str


# The start of a KeyChain pair as verify finds one (rows/chains.py ``find_pairs``): an
# opening brace and quote, then a key in either format and its closing quote. Written
# out here because sources sit below rows; tests/sources check the two agree.
PAIR_LIKE = re.compile(r'\{"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{8})"')


def pair_like(document: Document) -> bool:
    """True when the document's title or body holds text shaped like a KeyChain pair."""
    return '{"' in document.text and PAIR_LIKE.search(document.text) is not None


# convert(record, where, number, fix): one record (numbered from 1) -> draft or skip
Convert = Callable[[Mapping[str, Any], str, int, str], "ItemDraft | Skip"]


def assemble(
    name: str,
    split: str,
    origin: Mapping[str, Any],
    results: Iterable[ItemDraft | Skip],
    where: str,
) -> SourceData:
    """``SourceData`` from converted records, in order; a repeated id keeps the first record.

    Raises InputError when no record is usable, since an empty source fails later with a
    less helpful message.
    """
    pool, items, skipped, seen = DocumentPool(), [], Counter(), set()
    excluded: set[Document] = set()
    for result in results:
        if result.source_id is not None and result.source_id in seen:
            skipped["duplicate_id"] += 1
            continue
        seen.add(result.source_id)
        if isinstance(result, Skip):
            skipped[result.reason] += 1
            continue
        reason = _gold_problem(result.gold)
        if reason:
            skipped[reason] += 1
            excluded.update(d for d in result.gold if reason == "pair_like_text" and pair_like(d))
            continue
        kept = [d for d in result.others if not pair_like(d)]
        excluded.update(d for d in result.others if d not in kept)
        gold = _unique(pool.add(d.title, d.sentences) for d in result.gold)
        others = _unique(pool.add(d.title, d.sentences) for d in kept)
        items.append(
            QAItem(
                source_id=result.source_id,
                question=result.question,
                answers=result.answers,
                gold=gold,
                others=tuple(i for i in others if i not in gold),
                qa_hops=result.qa_hops,
                question_type=result.question_type,
            )
        )
    if not items:
        _raise_empty(where, skipped)
    skips = dict(sorted(skipped.items()))
    left_out = {"pair_like_text": len(excluded)} if excluded else {}
    return SourceData(name, split, tuple(items), pool.documents(), skips, dict(origin), left_out)


def _gold_problem(gold: tuple[Document, ...]) -> str | None:
    """Why these gold documents cannot make a row: ``empty_gold`` or ``pair_like_text``."""
    if any(not document.body.strip() for document in gold):
        return "empty_gold"
    if any(pair_like(document) for document in gold):
        return "pair_like_text"
    return None


def convert_records(
    records: Iterable[Mapping[str, Any]], where: str, fix: str, convert: Convert
) -> Iterator[ItemDraft | Skip]:
    """``convert(record, where, number, fix)`` for each record, numbered from 1."""
    for number, record in enumerate(records, start=1):
        yield convert(record, where, number, fix)


def load_files(
    name: str,
    dataset: str,
    paths: Iterable[Path],
    split: str,
    read: Callable[[Path], list[dict]],
    convert: Convert,
) -> SourceData:
    """``SourceData`` of data files read with ``read`` and converted record by record."""
    paths = [Path(path) for path in paths]
    origin = file_origin(paths)
    fix = wrong_data_fix(origin, dataset)
    drafts = itertools.chain.from_iterable(
        convert_records(read_checked(name, path, read), str(path), fix, convert) for path in paths
    )
    return assemble(name, split, origin, drafts, ", ".join(map(str, paths)))


def records_source(
    name: str,
    dataset: str,
    convert: Convert,
    records: Iterable[Mapping[str, Any]],
    split: str,
    origin: Mapping[str, Any],
    where: str,
) -> SourceData:
    """``SourceData`` of in-memory records (a Hub dataset, test rows); ``where`` names them in errors."""
    drafts = convert_records(records, where, wrong_data_fix(origin, dataset), convert)
    return assemble(name, split, origin, drafts, where)


def _unique(indices: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(indices))


def _raise_empty(where: str, skipped: Counter) -> None:
    if not skipped:
        raise InputError(f"{where}: no records; pass a file that holds the dataset's records")
    counts = ", ".join(f"{reason}={n}" for reason, n in sorted(skipped.items()))
    if set(skipped) == {"no_answer"}:
        fix = "a test split has no answers; use the train or validation split"
    else:
        fix = "check that this is the right dataset and split"
    raise InputError(f"{where}: no usable records (skipped {counts}); {fix}")
