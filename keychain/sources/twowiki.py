"""2WikiMultiHopQA as one ``SourceData``.

Reads the original ``train.json``/``dev.json`` release files (JSON lists shaped like
HotpotQA's, plus ``evidences`` triples) given as data files, or the Hub copy
``xanhho/2WikiMultihopQA``. That repository's loading script is refused by current
``datasets``, so its Parquet files are read directly. How those files encode
``context``, ``supporting_facts`` and ``evidences`` is not pinned down, so every
encoding seen in the wild is accepted: ``[title, x]`` pairs, columns
(``{"title": [...], "sentences"|"content": [...]}``), rows of dicts, or a JSON string of
any of these. The test split carries no answers and is refused.

Example:
    >>> record = {"_id": "a1", "type": "compositional",
    ...     "question": "Who is the mother of the director of Fog?", "answer": "Ann Lee",
    ...     "supporting_facts": '[["Fog", 0], ["Bo Lee", 0]]',
    ...     "context": {"title": ["Bo Lee", "Fog", "Rain"],
    ...                 "content": [["Bo Lee is the son of Ann Lee."],
    ...                             ["Fog is a film by Bo Lee."], ["Rain is wet."]]},
    ...     "evidences": [["Fog", "director", "Bo Lee"], ["Bo Lee", "mother", "Ann Lee"]]}
    >>> data = records_to_source([record], "train", {}, "dev.json")
    >>> item = data.items[0]
    >>> [data.documents[i].title for i in item.gold], item.qa_hops, item.question_type
    (['Fog', 'Bo Lee'], 2, 'compositional')
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from ..errors import InputError
from . import SourceRequest
from .assemble import ItemDraft, Skip, load_files, records_source
from .fields import (
    as_rows,
    has_text,
    not_text,
    record_error,
    require,
    select_gold,
    titled_context,
)
from .files import read_json_list
from .hub import fetch_hub, hub_origin, hub_split
from .records import SourceData

NAME = "2wiki"
DATASET = "2WikiMultiHopQA"
HUB_REPO = "xanhho/2WikiMultihopQA"
HUB_URL = "hf://datasets/xanhho/2WikiMultihopQA/{file}"  # tests point this at local files
HUB_FILES = {"train": "train.parquet", "validation": "dev.parquet"}
HUB_SPLITS = {"train": "train", "validation": "validation", "dev": "validation"}
UNLABELED_SPLITS = ("test",)


def load(request: SourceRequest) -> SourceData:
    """2WikiMultiHopQA from ``request.data_files`` if given, else from the Hub's Parquet files."""
    if request.data_files:
        split = HUB_SPLITS.get(request.split, request.split)
        return load_files(NAME, DATASET, request.data_files, split, read_json_list, _convert)
    if request.split in UNLABELED_SPLITS:
        raise InputError(
            f"2wiki split {request.split!r} has no answers (2WikiMultiHopQA's test set is "
            "unlabeled); use the train or validation split"
        )
    split = hub_split(NAME, request.split, HUB_SPLITS)
    fix = "pass --data-files with the original 2WikiMultiHopQA train.json or dev.json"
    dataset = fetch_hub(_load_hub, split, HUB_REPO, fix)
    origin = hub_origin(HUB_REPO, None, split, dataset)
    origin["data_files"] = [hub_url(split)]
    return records_to_source(dataset, split, origin, HUB_REPO)


def hub_url(split: str) -> str:
    """The Parquet file holding ``split`` (train or validation) in the Hub copy."""
    return HUB_URL.format(file=HUB_FILES[split])


def _load_hub(split: str) -> Any:
    import datasets  # heavy: imported only when the Hub is used

    return datasets.load_dataset("parquet", data_files={split: hub_url(split)}, split=split)


def records_to_source(
    records: Iterable[Mapping[str, Any]], split: str, origin: Mapping[str, Any], where: str
) -> SourceData:
    """``SourceData`` from 2Wiki records in any encoding; ``where`` names them in errors."""
    return records_source(NAME, DATASET, _convert, records, split, origin, where)


def _convert(record: Mapping[str, Any], where: str, number: int, fix: str) -> ItemDraft | Skip:
    source_id = require(record, "_id", where, number, fix)
    question = require(record, "question", where, number, fix)
    answer = require(record, "answer", where, number, fix)
    question_type = require(record, "type", where, number, fix)
    context = titled_context(record, where, number, fix, ("sentences", "content"))
    evidences = _evidence_count(record.get("evidences"))
    if evidences is None:
        raise record_error(where, number, record, "'evidences' is not a list of triples", fix)
    reason = not_text(question=question, answer=answer, type=question_type)
    if reason or isinstance(context, str):
        return Skip(source_id, reason or context)
    if not has_text(question) or not has_text(answer):
        return Skip(source_id, "no_answer")
    selected = select_gold(*context)
    if selected is None:
        return Skip(source_id, "missing_gold")
    gold, others = selected
    qa_hops = evidences or len(gold)  # no evidence triples: one hop per gold document
    return ItemDraft(source_id, question, (answer,), gold, others, qa_hops, question_type)


def _evidence_count(value: Any) -> int | None:
    """How many evidence triples ``value`` holds, in any encoding; 0 when absent.

    Example: ``'[["Fog", "director", "Bo Lee"]]'`` -> 1;
    ``{"fact": ["Fog"], "relation": ["director"], "entity": ["Bo Lee"]}`` -> 1
    """
    if value is None:
        return 0
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, (Mapping, list, tuple)):
        return len(as_rows(value))
    return None
