"""Small text helpers shared by sources and verification, and the one YAML loader.

``split_sentences`` cuts a paragraph into sentences without changing a character, so
``"".join(split_sentences(t)) == t`` always holds; the white space after a sentence end
stays at the start of the next sentence, the way HotpotQA stores its sentences.

Example:
    >>> split_sentences("Dr. Smith was born in 1901. He died in St. Louis. The end")
    ('Dr. Smith was born in 1901.', ' He died in St. Louis.', ' The end')
"""

from __future__ import annotations

import re
import string
from typing import Any

import yaml

# A sentence ends at . ! or ? (plus closing quotes or brackets), when white space and
# then a capital letter, a digit or an opening quote or bracket follow.
_BOUNDARY = re.compile(r"""[.!?]["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])""")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.$")

# Words that end with a period but do not end a sentence.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep pres
    rev fr hon no vol vols pp fig figs ed eds inc ltd co corp bros jan feb mar apr jun
    jul aug sep sept oct nov dec vs etc approx est dept univ assn ave blvd rd al e.g
    i.e u.s u.k""".split()
)


def split_sentences(text: str) -> tuple[str, ...]:
    """Split ``text`` at sentence ends; the pieces concatenate back to ``text``."""
    cuts = []
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        head = text[max(0, match.start() - 12) : match.start() + 1]
        word = _WORD_BEFORE.search(head)
        if word and (len(word.group(1)) == 1 or word.group(1).lower() in ABBREVIATIONS):
            continue  # "J. K. Rowling", "St. Louis"
        cuts.append(end)
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(text[start:cut])
        start = cut
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return tuple(pieces)


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD-style normalisation: lower case, no punctuation or articles, single spaces.

    Example: ``normalize_answer("The  Eiffel-Tower!") == "eiffeltower"``
    """
    text = text.lower().translate(_PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


MAX_YAML_NODES = 100_000  # values in a YAML document once aliases are expanded; recipes hold hundreds


class YamlTooLarge(yaml.YAMLError):
    """A YAML document whose aliases expand past ``MAX_YAML_NODES`` (an alias bomb)."""

    def __init__(self, mark, recursive: bool = False) -> None:
        self.problem = (
            "an alias refers to the node that holds it (a recursive alias); write the values out" if recursive
            else f"aliases expand it to more than {MAX_YAML_NODES:,} values (an alias bomb?); write the values out"
        )
        self.problem_mark = mark
        super().__init__(f"line {mark.line + 1}: {self.problem}")


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that counts every node as expanded and stops past the bound.

    Each node's expanded size is known when it is composed (an alias counts the whole
    node it names), so ``a: &a [*b, *b, ...]`` nine levels deep is refused after reading
    a few hundred bytes, before any object is built.
    """

    def compose_document(self):
        self._sizes: dict[int, int] = {}
        try:
            return super().compose_document()
        finally:
            self._sizes = {}

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):  # its size is the named node's, known once that is done
            event = self.peek_event()
            named = self.anchors.get(event.anchor)
            if named is not None and id(named) not in self._sizes:
                raise YamlTooLarge(event.start_mark, recursive=True)
            return super().compose_node(parent, index)
        node = super().compose_node(parent, index)
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = []
        size = 1 + sum(self._sizes[id(child)] for child in children)
        if size > MAX_YAML_NODES:
            raise YamlTooLarge(node.start_mark)
        self._sizes[id(node)] = size
        return node


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with a bound on the expanded size: raises ``YamlTooLarge`` (a
    ``yaml.YAMLError``) for an alias bomb; ordinary anchors and aliases still work.

    Example: ``load_yaml("a: &x [1, 2]\nb: *x")`` -> ``{'a': [1, 2], 'b': [1, 2]}``
    """
    return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 (a SafeLoader subclass)
