"""HotpotQA (distractor setting) as one ``SourceData``.

Reads the original ``hotpot_*_v1.1.json`` release files given as data files, or the Hub
copy ``hotpotqa/hotpot_qa`` (config ``distractor``). Both go through one pure function,
``records_to_source``: the files store ``context`` and ``supporting_facts`` as
``[title, x]`` pairs, the Hub as columns (``{"title": [...], "sentences": [...]}``,
``{"title": [...], "sent_id": [...]}``) and names the id ``id`` instead of ``_id``.

Gold documents are the context paragraphs named in ``supporting_facts``, in the order
the facts first name them; the other context paragraphs are the item's distractors.

Example:
    >>> record = {"_id": "q1", "question": "Where was the author of Fog born?",
    ...     "answer": "Oslo", "type": "bridge",
    ...     "supporting_facts": [["Fog", 0], ["Ann Lee", 1], ["Fog", 1]],
    ...     "context": [["Ann Lee", ["Ann Lee is a writer.", " She was born in Oslo."]],
    ...                 ["Rain", ["Rain is wet."]],
    ...                 ["Fog", ["Fog is a novel.", " Ann Lee wrote it."]]]}
    >>> data = records_to_source([record], "train", {}, "example.json")
    >>> item = data.items[0]
    >>> [data.documents[i].title for i in item.gold + item.others], item.answers
    (['Fog', 'Ann Lee', 'Rain'], ('Oslo',))
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from . import SourceRequest
from .assemble import ItemDraft, Skip, load_files, records_source
from .fields import has_text, not_text, require, select_gold, titled_context
from .files import read_json_list
from .hub import fetch_hub, hub_origin, hub_split
from .records import SourceData

NAME = "hotpotqa"
DATASET = "HotpotQA"
HUB_REPO = "hotpotqa/hotpot_qa"
HUB_CONFIG = "distractor"
HUB_SPLITS = {"train": "train", "validation": "validation", "dev": "validation"}
QA_HOPS = 2  # every HotpotQA question joins two paragraphs


def load(request: SourceRequest) -> SourceData:
    """HotpotQA from ``request.data_files`` if given, else from the Hugging Face Hub."""
    if request.data_files:
        split = HUB_SPLITS.get(request.split, request.split)
        return load_files(NAME, DATASET, request.data_files, split, read_json_list, _convert)
    split = hub_split(NAME, request.split, HUB_SPLITS)
    fix = "pass --data-files with the original hotpot_train_v1.1.json"
    dataset = fetch_hub(_load_hub, split, HUB_REPO, fix)
    origin = hub_origin(HUB_REPO, HUB_CONFIG, split, dataset)
    return records_to_source(dataset, split, origin, HUB_REPO)


def _load_hub(split: str) -> Any:
    import datasets  # heavy: imported only when the Hub is used

    return datasets.load_dataset(HUB_REPO, HUB_CONFIG, split=split)


def records_to_source(
    records: Iterable[Mapping[str, Any]], split: str, origin: Mapping[str, Any], where: str
) -> SourceData:
    """``SourceData`` from HotpotQA records in either shape; ``where`` names them in errors."""
    return records_source(NAME, DATASET, _convert, records, split, origin, where)


def _convert(record: Mapping[str, Any], where: str, number: int, fix: str) -> ItemDraft | Skip:
    source_id = require(record, "_id", where, number, fix)
    question = require(record, "question", where, number, fix)
    answer = require(record, "answer", where, number, fix)
    question_type = record.get("type")  # bridge / comparison; optional
    context = titled_context(record, where, number, fix)
    reason = not_text(question=question, answer=answer, type=question_type)
    if reason or isinstance(context, str):
        return Skip(source_id, reason or context)
    if not has_text(question) or not has_text(answer):
        return Skip(source_id, "no_answer")
    selected = select_gold(*context)
    if selected is None:
        return Skip(source_id, "missing_gold")
    gold, others = selected
    return ItemDraft(source_id, question, (answer,), gold, others, QA_HOPS, question_type)
