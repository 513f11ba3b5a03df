"""Checking and decoding the fields of real-data records, in every encoding they come in.

The original release files store ``context`` and ``supporting_facts`` as ``[title, x]``
pairs; Hugging Face copies store them as columns (dict of lists) or lists of dicts, and
some mirrors as JSON strings. These helpers accept all of them, and turn a record that
is not what it should be into one ``InputError`` line naming the record and the fix.

Types are checked field by field, with one rule: a field that is missing, or a container
of the wrong shape (``context`` that is not pairs), means the file is not that dataset and
is one ``InputError``; a field that is there but holds a number (or anything else) where
text is expected makes that record a counted skip named ``<field>_not_text``, never a
conversion (``str(1887)`` would change what a row asks or accepts). A lone string where
a list of aliases is expected is one alias, never a list of its characters.

Example: ``as_pairs({"title": ["A"], "sent_id": [3]}, ("sent_id",)) == [('A', 3)]``;
``answer_list("Oslo", "Christiania") == ('Oslo', 'Christiania')``.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from ..errors import InputError
from .records import Document


def record_id(record: Mapping[str, Any]) -> str | None:
    """The record's id: ``_id`` in the original HotpotQA/2Wiki files, ``id`` elsewhere."""
    value = record.get("_id", record.get("id"))
    return None if value is None else str(value)


def record_error(
    where: str, number: int, record: Mapping[str, Any], problem: str, fix: str
) -> InputError:
    """One-line error about record ``number`` (1-based) of ``where`` (a path or Hub id).

    Example: ``record_error("d.json", 5, {"_id": "abc"}, "missing field 'x'",
    "is this a HotpotQA file?")`` -> "d.json record 5 (id=abc): missing field 'x'; is
    this a HotpotQA file?"
    """
    return InputError(f"{where} record {number} (id={record_id(record)}): {problem}; {fix}")


def wrong_data_fix(origin: Mapping[str, Any], dataset: str) -> str:
    """The fix to name when a record does not look like ``dataset``: depends on the origin."""
    if origin.get("kind") == "hub":
        return "the Hub copy may have changed format; pass --data-files with the original file"
    return f"is this a {dataset} file?"


def require(record: Mapping[str, Any], field: str, where: str, number: int, fix: str) -> Any:
    """``record[field]``, or a one-line InputError naming the record and ``fix``.

    ``"_id"`` accepts ``id`` as well. A missing ``answer`` most likely means an
    unlabeled test split, so that is the fix the error names instead.
    """
    if field == "_id":
        if record_id(record) is None:
            raise record_error(where, number, record, "missing field '_id' (or 'id')", fix)
        return record_id(record)
    if field in record:
        return record[field]
    if field == "answer":
        fix = "a test split has no answers; use the train or validation split"
    raise record_error(where, number, record, f"missing field {field!r}", fix)


def has_text(value: Any) -> bool:
    """True for a string with something besides white space (a usable question or answer)."""
    return isinstance(value, str) and bool(value.strip())


def not_text(**values: Any) -> str | None:
    """``"<name>_not_text"`` for the first value that is there (not None) but not a string.

    Example: ``not_text(question="Who?", answer=1887)`` -> ``'answer_not_text'``;
    ``not_text(question="Who?", type=None)`` -> ``None``
    """
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            return f"{name}_not_text"
    return None


def answer_list(answer: Any, aliases: Any = None) -> tuple[str, ...] | str:
    """The answer then its aliases, without repeats or blank strings; or a skip reason.

    ``aliases`` is a list of strings; one string is one alias (never its characters).
    Example: ``answer_list("Oslo", ["Oslo", "", "Christiania"])`` -> ``('Oslo', 'Christiania')``;
    ``answer_list("Hall", "Christiania")`` -> ``('Hall', 'Christiania')``;
    ``answer_list(1887)`` -> ``'answer_not_text'``
    """
    if isinstance(aliases, str):
        aliases = [aliases]
    elif aliases is None:
        aliases = []
    elif not isinstance(aliases, (list, tuple)):
        return "answer_aliases_not_text"
    if not_text(answer=answer):
        return "answer_not_text"
    if any(not isinstance(alias, str) for alias in aliases):
        return "answer_aliases_not_text"
    return tuple(dict.fromkeys(a for a in (answer, *aliases) if has_text(a)))


def as_rows(value: Any) -> list:
    """A list of rows from a list (returned as is) or a dict of equal-length columns.

    The Hugging Face ``Sequence`` of dicts stores rows as columns; this undoes that.
    Example: ``{"title": ["A", "B"], "sent_id": [0, 2]}`` ->
    ``[{'title': 'A', 'sent_id': 0}, {'title': 'B', 'sent_id': 2}]``
    """
    if isinstance(value, Mapping):
        names = list(value)
        return [dict(zip(names, row)) for row in zip(*(value[name] for name in names))]
    return list(value)


def as_pairs(value: Any, second: Sequence[str]) -> list[tuple[Any, Any]] | None:
    """``(title, x)`` pairs from any encoding of HotpotQA-style ``context``/``supporting_facts``.

    Accepts ``[[title, x], ...]`` (original files), ``{"title": [...], NAME: [...]}`` or
    ``[{"title": ..., NAME: ...}, ...]`` (Hub copies) where NAME is one of ``second``, and
    a JSON string of any of these. Returns None when ``value`` is none of them.
    Example: ``as_pairs({"title": ["A"], "sent_id": [3]}, ("sent_id",))`` -> ``[('A', 3)]``
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, Mapping):
        name = next((n for n in second if n in value), None)
        if "title" not in value or name is None or len(value["title"]) != len(value[name]):
            return None
        return list(zip(value["title"], value[name], strict=True))
    if not isinstance(value, (list, tuple)):
        return None
    pairs = []
    for entry in value:
        if isinstance(entry, Mapping):
            name = next((n for n in second if n in entry), None)
            if "title" not in entry or name is None:
                return None
            pairs.append((entry["title"], entry[name]))
        elif isinstance(entry, (list, tuple)) and len(entry) == 2:
            pairs.append((entry[0], entry[1]))
        else:
            return None
    return pairs


def as_document(title: Any, sentences: Any) -> Document | str | None:
    """``Document`` from a title and a list of sentence strings.

    None when ``sentences`` is not a list (the file is not this dataset); the skip reason
    ``"context_not_text"`` when the title or a sentence is not a string.
    """
    if not isinstance(sentences, (list, tuple)):
        return None
    if not isinstance(title, str) or not all(isinstance(s, str) for s in sentences):
        return "context_not_text"
    return Document(title, tuple(sentences))


def titled_context(
    record: Mapping[str, Any],
    where: str,
    number: int,
    fix: str,
    body: Sequence[str] = ("sentences",),
) -> tuple[list[str], list[Document]] | str:
    """Supporting titles (in order of first mention) and context documents of a
    HotpotQA-style record; ``body`` names the sentence column in column encodings.
    A title or sentence that is not text gives its skip reason instead.

    Example: ``{"supporting_facts": [["B", 0], ["A", 1], ["B", 1]], "context": [["A",
    ["a."]], ["B", ["b."]]]}`` -> ``(['B', 'A'], [Document('A', ('a.',)), Document('B', ('b.',))])``
    """
    facts = as_pairs(require(record, "supporting_facts", where, number, fix), ("sent_id",))
    context = as_pairs(require(record, "context", where, number, fix), body)
    if facts is None:
        problem = "'supporting_facts' is not [title, sentence index] pairs"
        raise record_error(where, number, record, problem, fix)
    documents = [as_document(title, sentences) for title, sentences in context or ()]
    if context is None or None in documents:
        problem = "'context' is not [title, [sentences]] pairs"
        raise record_error(where, number, record, problem, fix)
    if not all(isinstance(title, str) for title, _ in facts):
        return "supporting_facts_not_text"
    if "context_not_text" in documents:
        return "context_not_text"
    return list(dict.fromkeys(title for title, _ in facts)), documents


def select_gold(
    titles: Sequence[str], documents: Sequence[Document]
) -> tuple[tuple[Document, ...], tuple[Document, ...]] | None:
    """(gold, others): the documents titled ``titles`` in that order, then the rest in
    context order; None when there is no title or one names no document.

    Example: ``select_gold(["B"], [Document("A", ()), Document("B", ())])`` ->
    ``((Document('B', ()),), (Document('A', ()),))``
    """
    present = {document.title for document in documents}
    if not titles or any(title not in present for title in titles):
        return None
    gold = tuple(d for title in titles for d in documents if d.title == title)
    others = tuple(d for d in documents if d.title not in titles)
    return gold, others
