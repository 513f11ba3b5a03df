r"""Answer normalisation: SQuAD's rule, made Unicode-aware and careful with numbers.

``normalize`` is SQuAD's normalisation (lower case, punctuation deleted, articles a/an/the
removed, white space collapsed) after three steps SQuAD lacks:

- Unicode: NFKD, combining marks dropped, curly quotes folded, every Unicode
  punctuation or symbol character deleted (not only ASCII's), so ``Beyoncé`` = ``Beyonce``;
- numbers: thousands separators dropped and the decimal point kept (``1,000`` = ``1000``,
  ``1.50`` = ``1.5``, and ``1.5`` is not ``15``);
- nothing else: hyphens and apostrophes are deleted as SQuAD deletes them
  (``Jay-Z`` -> ``jayz``).

``parse`` returns the words and the number of list separators of an answer: ``,`` ``;``
``/`` ``|`` ``&`` ``+`` line breaks and, between two other words, ``or``, ``and``, ``nor``,
``either``, ``neither``, ``vs``, ``versus``. The containment reward counts them to tell a hedge
(``yes or no``, ``Paris, London``) from an answer.

Example:
    >>> normalize("The Beyoncé “Halo” tour, 1,000.50 km")
    'beyonce halo tour 1000.5 km'
    >>> parse("Paris or London, maybe")
    Answer(words=('paris', 'london', 'maybe'), separators=2)
    >>> is_number("1000.5"), is_number("1990s")
    (True, False)
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"'})
_DECIMAL = "\ue000"  # private-use stand-in for a decimal point, which punctuation removal would delete
_SEPARATOR = "\ue001"  # private-use stand-in for a list separator character
_NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|\.\d)")
_SEPARATOR_CHARS = re.compile(r"[,;/|&+\n]")
_ARTICLES = frozenset({"a", "an", "the"})
SEPARATOR_WORDS = frozenset({"or", "and", "nor", "either", "neither", "vs", "versus"})


class Answer(NamedTuple):
    words: tuple[str, ...]  # normalised words, separator words excluded
    separators: int  # list separators (characters and words)


def _fold(text: str) -> str:
    """NFKD without combining marks, quotes folded to ASCII, lower case."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_QUOTES).lower()


def _canonical_number(match: re.Match) -> str:
    try:
        value = Decimal(match.group(0).replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only matches numbers
        return match.group(0)
    return format(value.normalize(), "f").replace(".", _DECIMAL)  # 1.50 -> 1.5, 1E+3 -> 1000


def _delete_punctuation(text: str) -> str:
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith(("P", "S")))


def _tokens(text: str, separators: bool) -> list[str]:
    text = _NUMBER.sub(_canonical_number, _fold(text))
    if separators:
        text = _SEPARATOR_CHARS.sub(f" {_SEPARATOR} ", text)
    words = _delete_punctuation(text).split()
    return [word.replace(_DECIMAL, ".") for word in words if word not in _ARTICLES]


def normalize(text: str) -> str:
    """SQuAD normalisation with Unicode folding and canonical numbers (see the module)."""
    return " ".join(_tokens(text, separators=False))


def parse(text: str) -> Answer:
    """The normalised words of an answer and how many list separators it holds."""
    tokens = _tokens(text, separators=True)
    words, count = [], 0
    for i, token in enumerate(tokens):
        if token == _SEPARATOR or (token in SEPARATOR_WORDS and 0 < i < len(tokens) - 1):
            count += 1  # a separator word between two others ("nor" alone is a word)
        else:
            words.append(token)
    return Answer(tuple(words), count)


def is_number(word: str) -> bool:
    """A normalised word that is a number (``12``, ``1000.5``)."""
    return bool(re.fullmatch(r"\d+(?:\.\d+)?", word))
