"""Render chosen documents as numbered passages, with KeyChain pairs after sentence ends.

A slot is the end of one sentence of one document body; slots are numbered in context
order. A pair placed in a slot is written as ``" " + pair`` right after that sentence,
so it never splits a word, a title line or another pair. Offsets of every passage and
every pair are kept so rows can record where gold documents and chain pairs sit.

Example:
    >>> from keychain.sources.records import Document
    >>> from keychain.rows.prompts import PromptTemplate
    >>> docs = [Document("A", ("One.", " Two.")), Document("B", ("Three.",))]
    >>> ctx = render_context(PromptTemplate(), docs, {1: ['{"k": "v"}.']})
    >>> print(ctx.text)
    Passage 1:
    A
    One. Two. {"k": "v"}.
    <BLANKLINE>
    Passage 2:
    B
    Three.
    >>> ctx.pair_starts
    [23]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from ..sources.records import Document
from .prompts import PromptTemplate


@dataclass(frozen=True)
class RenderedContext:
    text: str
    doc_starts: list[int]  # offset of each passage, in context order
    pair_starts: list[int]  # offset of each pair's "{", in the order pairs were given per slot


def count_slots(documents: Sequence[Document]) -> int:
    return sum(len(document.sentences) for document in documents)


def render_context(
    template: PromptTemplate,
    documents: Sequence[Document],
    pairs_by_slot: Mapping[int, Sequence[str]],
) -> RenderedContext:
    head_template, tail_template = template.passage.split("{body}")
    separator = template.passage_separator
    parts: list[str] = []
    doc_starts: list[int] = []
    pair_starts: list[int] = []
    offset = 0
    slot = 0
    hosts = iter(sorted(pairs_by_slot))  # slots holding pairs, ascending
    next_host = next(hosts, None)
    for index, document in enumerate(documents, start=1):
        if index > 1:
            parts.append(separator)
            offset += len(separator)
        doc_starts.append(offset)
        head = head_template.format(index=index, title=document.title)
        tail = tail_template.format(index=index, title=document.title) if tail_template else ""
        sentences = document.sentences
        if next_host is None or next_host >= slot + len(sentences):
            # No pair in this passage (most of them): one piece, no per-sentence work.
            piece = head + "".join(sentences) + tail
            parts.append(piece)
            offset += len(piece)
            slot += len(sentences)
            continue
        parts.append(head)
        offset += len(head)
        for sentence in sentences:
            parts.append(sentence)
            offset += len(sentence)
            if slot == next_host:
                for pair in pairs_by_slot[slot]:
                    pair_starts.append(offset + 1)
                    parts.append(" " + pair)
                    offset += len(pair) + 1
                next_host = next(hosts, None)
            slot += 1
        parts.append(tail)
        offset += len(tail)
    return RenderedContext("".join(parts), doc_starts, pair_starts)
