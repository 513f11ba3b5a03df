"""The normalised shape every source is converted into.

A source (HotpotQA, MuSiQue, 2WikiMultiHopQA, the synthetic world) becomes one
``SourceData``: its QA items and the pool of all unique documents of that split. Items
point into the pool by index, so a document shared by several items is stored (and
tokenized) once.

Example:
    >>> pool = DocumentPool()
    >>> a = pool.add("Paris", ("Paris is a city.", " It is in France."))
    >>> pool.add("Paris", ("Paris is a city.", " It is in France.")) == a
    True
    >>> pool.documents()[a].body
    'Paris is a city. It is in France.'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class Document:
    """One passage: a title line and a body split into sentences.

    ``"".join(sentences)`` is the body exactly as the source gives it (sentences keep
    their leading white space), so sentence ends are the only places where KeyChain
    pairs may be inserted.
    """

    title: str
    sentences: tuple[str, ...]

    @property
    def body(self) -> str:
        return "".join(self.sentences)

    @property
    def text(self) -> str:
        """Title line and body, the form gold documents are stored and checked in."""
        return f"{self.title}\n{self.body}"


@dataclass(frozen=True, slots=True)
class QAItem:
    """One multi-hop question with its answers and its own documents.

    ``gold`` are the supporting documents (indices into ``SourceData.documents``) in
    source order; ``others`` are the item's own non-supporting documents (HotpotQA's
    eight distractors, MuSiQue's other paragraphs, ...).
    """

    source_id: str
    question: str
    answers: tuple[str, ...]
    gold: tuple[int, ...]
    others: tuple[int, ...] = ()
    qa_hops: int | None = None
    question_type: str | None = None


@dataclass(frozen=True)
class SourceData:
    """All items of one source and split, plus the pool of their unique documents.

    ``skipped`` counts records dropped while loading, by reason (for example
    ``{"unanswerable": 3}``); ``origin`` records where the data came from (file paths
    and sha256, or Hub id and revision) for the manifest; ``documents_excluded`` counts
    documents left out of the pool, by reason (``{"pair_like_text": 2}``).
    """

    name: str
    split: str
    items: tuple[QAItem, ...]
    documents: tuple[Document, ...]
    skipped: Mapping[str, int] = field(default_factory=dict)
    origin: Mapping[str, Any] = field(default_factory=dict)
    documents_excluded: Mapping[str, int] = field(default_factory=dict)


class DocumentPool:
    """Collects unique documents; ``add`` returns the index of an equal document if seen."""

    def __init__(self) -> None:
        self._index: dict[tuple[str, tuple[str, ...]], int] = {}
        self._documents: list[Document] = []

    def add(self, title: str, sentences: tuple[str, ...]) -> int:
        key = (title, tuple(sentences))
        found = self._index.get(key)
        if found is not None:
            return found
        self._index[key] = len(self._documents)
        self._documents.append(Document(title, tuple(sentences)))
        return len(self._documents) - 1

    def documents(self) -> tuple[Document, ...]:
        return tuple(self._documents)

    def __len__(self) -> int:
        return len(self._documents)
