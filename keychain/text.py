"""Small text helpers shared by sources and verification.

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
