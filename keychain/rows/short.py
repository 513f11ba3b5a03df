"""Short prompts for the difficulty filter: a source question with its gold documents only.

The paper keeps the source questions Qwen2.5-32B-Instruct answers in 1 to 6 of 8 tries
from the short context (``trainer passrate --short`` samples and scores them, then
``keychain build --keep-ids`` builds from the kept ones). A short prompt is a plain row
without padding: the template's system prompt, the item's gold documents as numbered
passages, then ``Question: ...``; the rows' reward reads its answer the same way.

Example:
    >>> from keychain.sources.records import Document, QAItem, SourceData
    >>> from keychain.rows.prompts import PromptTemplate
    >>> data = SourceData("demo", "train", (QAItem("q1", "Who wrote Fog?", ("Ann",), (0,)),),
    ...                   (Document("Fog", ("Fog is a novel by Ann.",)),))
    >>> print(short_prompt(PromptTemplate(), data, data.items[0])[1]["content"])
    The following are given passages.
    Passage 1:
    Fog
    Fog is a novel by Ann.
    <BLANKLINE>
    Question: Who wrote Fog?
"""

from __future__ import annotations

from ..sources.records import QAItem, SourceData
from .context import render_context
from .prompts import PromptTemplate, messages


def short_prompt(template: PromptTemplate, source: SourceData, item: QAItem) -> list[dict[str, str]]:
    documents = [source.documents[d] for d in item.gold]
    before, after = template.user_frame("plain", question=item.question, head_key=None, key_format=None)
    return messages(template, before + render_context(template, documents, {}).text + after)
