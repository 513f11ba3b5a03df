"""MuSiQue-Ans as one ``SourceData``.

Reads the original ``musique_ans_v1.0_*.jsonl`` (or ``musique_full_v1.0_*.jsonl``) files
given as data files, or the Hub mirror ``dgslibisey/MuSiQue``, which keeps the same field
names. Only answerable items are kept. Each paragraph becomes a document whose body is
cut into sentences; the supporting paragraphs are gold, in paragraph order. The hop
count is the length of ``question_decomposition`` and the question type is the id
prefix ("2hop", "3hop1", ...).

Example:
    >>> record = {"id": "2hop__1_2", "question": "Where was the author of Fog born?",
    ...     "answer": "Oslo", "answer_aliases": ["Oslo", "Christiania", ""],
    ...     "answerable": True,
    ...     "paragraphs": [
    ...         {"idx": 0, "title": "Rain", "paragraph_text": "Rain is wet.",
    ...          "is_supporting": False},
    ...         {"idx": 1, "title": "Fog", "paragraph_text": "Fog is a novel. Ann Lee wrote it.",
    ...          "is_supporting": True},
    ...         {"idx": 2, "title": "Ann Lee", "paragraph_text": "Ann Lee was born in Oslo.",
    ...          "is_supporting": True}],
    ...     "question_decomposition": [{"question": "Who wrote Fog?"},
    ...                                {"question": "Where was #1 born?"}]}
    >>> data = records_to_source([record], "train", {}, "example.jsonl")
    >>> item = data.items[0]
    >>> item.answers, item.qa_hops, item.question_type
    (('Oslo', 'Christiania'), 2, '2hop')
    >>> [data.documents[i].sentences for i in item.gold]
    [('Fog is a novel.', ' Ann Lee wrote it.'), ('Ann Lee was born in Oslo.',)]
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..text import split_sentences
from . import SourceRequest
from .assemble import ItemDraft, Skip, load_files, records_source
from .fields import answer_list, as_rows, has_text, not_text, record_error, require
from .files import read_jsonl
from .hub import fetch_hub, hub_origin, hub_split
from .records import Document, SourceData

NAME = "musique"
DATASET = "MuSiQue"
HUB_REPO = "dgslibisey/MuSiQue"
HUB_SPLITS = {"train": "train", "validation": "validation", "dev": "validation"}


def load(request: SourceRequest) -> SourceData:
    """MuSiQue from ``request.data_files`` if given, else from the Hugging Face Hub."""
    if request.data_files:
        split = HUB_SPLITS.get(request.split, request.split)
        return load_files(NAME, DATASET, request.data_files, split, read_jsonl, _convert)
    split = hub_split(NAME, request.split, HUB_SPLITS)
    fix = "pass --data-files with the original musique_ans_v1.0_train.jsonl"
    dataset = fetch_hub(_load_hub, split, HUB_REPO, fix)
    origin = hub_origin(HUB_REPO, None, split, dataset)
    return records_to_source(dataset, split, origin, HUB_REPO)


def _load_hub(split: str) -> Any:
    import datasets  # heavy: imported only when the Hub is used

    return datasets.load_dataset(HUB_REPO, split=split)


def records_to_source(
    records: Iterable[Mapping[str, Any]], split: str, origin: Mapping[str, Any], where: str
) -> SourceData:
    """``SourceData`` from MuSiQue records; ``where`` (a path or Hub id) names them in errors."""
    return records_source(NAME, DATASET, _convert, records, split, origin, where)


def _convert(record: Mapping[str, Any], where: str, number: int, fix: str) -> ItemDraft | Skip:
    source_id = require(record, "_id", where, number, fix)
    question = require(record, "question", where, number, fix)
    answer = require(record, "answer", where, number, fix)
    paragraphs = as_rows(require(record, "paragraphs", where, number, fix))
    hops = as_rows(require(record, "question_decomposition", where, number, fix))
    documents, supporting = [], []
    for position, paragraph in enumerate(paragraphs):
        document, is_supporting = _paragraph(paragraph, position, record, where, number, fix)
        documents.append(document)
        supporting.append(is_supporting)

    answerable = record.get("answerable", True)
    if not isinstance(answerable, bool):
        return Skip(source_id, "answerable_not_bool")  # "False" as text would read as true
    if not answerable:
        return Skip(source_id, "unanswerable")
    answers = answer_list(answer, record.get("answer_aliases"))
    reason = not_text(question=question) or (answers if isinstance(answers, str) else None)
    if reason or any(isinstance(d, str) for d in documents):
        return Skip(source_id, reason or "paragraph_not_text")
    if not has_text(question) or not answers:
        return Skip(source_id, "no_answer")
    if not any(supporting):
        return Skip(source_id, "missing_gold")
    gold = tuple(d for d, is_gold in zip(documents, supporting, strict=True) if is_gold)
    others = tuple(d for d, is_gold in zip(documents, supporting, strict=True) if not is_gold)
    question_type = source_id.split("__")[0] if "__" in source_id else None
    return ItemDraft(source_id, question, answers, gold, others, len(hops), question_type)


def _paragraph(
    paragraph: Any, position: int, record: Mapping[str, Any], where: str, number: int, fix: str
) -> tuple[Document | str, bool]:
    """(document, is_supporting) of one paragraph; its text is cut into sentences.

    A missing field is an InputError; a title or text that is there but not a string
    gives ``"paragraph_not_text"`` in place of the document (the record is skipped).
    """
    for name in ("title", "paragraph_text", "is_supporting"):
        if not isinstance(paragraph, Mapping) or paragraph.get(name) is None:
            kind = "bool" if name == "is_supporting" else "str"
            problem = f"paragraph {position} has no {kind} field {name!r}"
            raise record_error(where, number, record, problem, fix)
    if not isinstance(paragraph["is_supporting"], bool):
        problem = f"paragraph {position} has no bool field 'is_supporting'"
        raise record_error(where, number, record, problem, fix)
    title, text = paragraph["title"], paragraph["paragraph_text"]
    if not isinstance(title, str) or not isinstance(text, str):
        return "paragraph_not_text", paragraph["is_supporting"]
    return Document(title, split_sentences(text)), paragraph["is_supporting"]
