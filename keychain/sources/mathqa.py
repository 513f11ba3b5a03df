"""MathQA (multiple choice math word problems) as one ``SourceData`` without documents.

Reads the original release JSON (a list of records with ``Problem``, ``Rationale``,
``options`` as one string ``"a ) 12 , b ) 15 , ..."`` and ``correct``, the letter), or
the Hub copy ``allenai/math_qa`` (its Parquet conversion). The question holds the problem
and its options, lettered A-E; the answer is the correct option's letter.

Example:
    >>> record = {"Problem": "what is 5 + 7 ?", "Rationale": "5 + 7 = 12", "correct": "a",
    ...           "options": "a ) 12 , b ) 15 , c ) 18 , d ) 21 , e ) 24"}
    >>> item = records_to_source([record], "train", {}, "mathqa.json").items[0]
    >>> print(item.question)
    what is 5 + 7 ?
    <BLANKLINE>
    Options:
    A) 12
    B) 15
    C) 18
    D) 21
    E) 24
    >>> item.answers, item.source_id
    (('A',), 'train-000001')
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from . import SourceRequest
from .assemble import ItemDraft, Skip, load_files, records_source
from .fields import has_text, not_text, record_error, require
from .files import read_json_list
from .hub import fetch_hub, hub_origin, hub_split
from .records import SourceData

NAME = "mathqa"
DATASET = "MathQA"
HUB_REPO = "allenai/math_qa"
HUB_REVISION = "refs/convert/parquet"  # the Hub's Parquet conversion of the script dataset
HUB_SPLITS = {"train": "train", "validation": "validation", "dev": "validation", "test": "test"}
_OPTION = re.compile(r"(?:^|,)\s*([a-e])\s*\)\s*")


def load(request: SourceRequest) -> SourceData:
    if request.data_files:
        split = HUB_SPLITS.get(request.split, request.split)
        return load_files(NAME, DATASET, request.data_files, split, read_json_list, _convert_for(split))
    split = hub_split(NAME, request.split, HUB_SPLITS)
    dataset = fetch_hub(_load_hub, split, HUB_REPO, "pass --data-files with the original MathQA train.json")
    return records_to_source(dataset, split, hub_origin(HUB_REPO, None, split, dataset), HUB_REPO)


def _load_hub(split: str):  # replaced in tests
    import datasets

    return datasets.load_dataset(HUB_REPO, split=split, revision=HUB_REVISION)


def records_to_source(records: Iterable[Mapping[str, Any]], split: str, origin: Mapping[str, Any], where: str) -> SourceData:
    return records_source(NAME, DATASET, _convert_for(split), records, split, origin, where)


def parse_options(text: str) -> list[tuple[str, str]]:
    """``"a ) 12 , b ) 15"`` -> ``[('A', '12'), ('B', '15')]``; also accepts a list of strings."""
    if isinstance(text, list):
        text = " , ".join(str(option) for option in text)
    marks = list(_OPTION.finditer(text))
    return [
        (mark.group(1).upper(), text[mark.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip(" ,"))
        for i, mark in enumerate(marks)
    ]


def _convert_for(split: str):
    def convert(record: Mapping[str, Any], where: str, number: int, fix: str) -> ItemDraft | Skip:
        source_id = f"{split}-{number:06d}"
        problem = require(record, "Problem", where, number, fix)
        raw_options = require(record, "options", where, number, fix)
        correct = require(record, "correct", where, number, fix)
        category = record.get("category")
        reason = not_text(Problem=problem, correct=correct, category=category)
        if reason or not isinstance(raw_options, (str, list)) or any(not isinstance(o, str) for o in raw_options):
            return Skip(source_id, reason or "options_not_text")
        options, correct = parse_options(raw_options), (correct or "").strip().upper()  # null: no_answer below
        if not has_text(problem):
            return Skip(source_id, "no_question")
        if len(options) < 2:
            raise record_error(where, number, record, f"options {str(record['options'])[:60]!r} are not 'a ) ..., b ) ...'", fix)
        if correct not in {letter for letter, _ in options}:
            return Skip(source_id, "no_answer")
        lines = "\n".join(f"{letter}) {value}" for letter, value in options)
        question = f"{problem.strip()}\n\nOptions:\n{lines}"
        return ItemDraft(source_id, question, (correct,), (), (), None, category or None)

    return convert
