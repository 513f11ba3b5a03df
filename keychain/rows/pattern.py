r"""The subset of regular expressions byte-level pre-tokenizers use, read as classes.

``parse`` turns a split pattern into its alternatives, each a sequence of items (a set of
character classes, a minimum, a maximum) with an optional one-character lookahead. The
classes are the pattern's own literal characters plus other letters, other numbers,
other white space and the rest, so a set like ``[^\r\n\p{L}\p{N}]`` is a finite set of
class names. Supported: ``\p{L}``, ``\p{N}``, ``\s``, ``\S``, escapes of single
characters, ``[...]``/``[^...]`` without ranges, greedy ``? * + {m,n}``, a ``(?i:...)``
group of words as a whole alternative, ``(?!x)``/``(?=x)`` at the end of an alternative.
Anything else raises ``Unsupported`` (the caller then proves nothing).

    >>> branches, classes = parse(r"\p{N}| ?\p{L}+|\s+(?!\S)")
    >>> [(b.text, [(sorted(i.chars), i.low, i.high) for i in b.items]) for b in branches][:2]
    [('\\p{N}', [(['<number>'], 1, 1)]), (' ?\\p{L}+', [([' '], 0, 1), (['<letter>'], 1, 1073741824)])]
    >>> branches[2].lookahead[0], sorted(branches[2].last())
    (True, [' ', '<space>'])
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

# Unicode White_Space: what \s matches. All of it is str.isspace(), so "not isspace" is never \s.
WHITE_SPACE = frozenset("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(map(chr, range(0x2000, 0x200B)))
INF = 1 << 30


class Unsupported(ValueError):
    """The pattern uses something outside the subset the proof reads."""


class Item(NamedTuple):
    chars: frozenset  # classes it matches
    low: int
    high: int


@dataclass(frozen=True)
class Branch:
    text: str
    items: tuple[Item, ...]
    lookahead: tuple[bool, frozenset] | None  # (negative, classes), read right after the items

    def nullable(self) -> bool:
        return all(item.low == 0 for item in self.items)

    def last(self) -> frozenset:
        found: frozenset = frozenset()
        for item in reversed(self.items):
            found |= item.chars
            if item.low:
                break
        return found

    def singles(self) -> frozenset:
        """Classes this branch matches as a one-character word."""
        found: frozenset = frozenset()
        for i, item in enumerate(self.items):
            if all(other.low == 0 for j, other in enumerate(self.items) if j != i):
                found |= item.chars
        return found

    def adjacent(self) -> set[tuple]:
        """Pairs of classes that can sit side by side inside one match."""
        pairs = set()
        for i, item in enumerate(self.items):
            if item.high > 1:
                pairs |= {(a, b) for a in item.chars for b in item.chars}
            for later in self.items[i + 1 :]:
                pairs |= {(a, b) for a in item.chars for b in later.chars}
                if later.low:
                    break
        return pairs


class _Parser:
    """Reads the pattern subset into branches of (class set, min, max) items."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.literals = set()
        self.pos = 0

    def branches(self) -> list[tuple[str, list, object]]:
        raw, start = [], 0
        while True:
            items, look = self._sequence()
            raw.append((self.pattern[start : self.pos], items, look))
            if self.pos >= len(self.pattern):
                return raw
            if self.pattern[self.pos] != "|":
                raise Unsupported(f"unexpected {self.pattern[self.pos]!r} at {self.pos}")
            self.pos += 1
            start = self.pos

    def _sequence(self):
        items, look, p = [], None, self.pattern
        while self.pos < len(p) and p[self.pos] != "|":
            if look is not None:
                raise Unsupported("a lookahead before the end of an alternative")
            if p.startswith("(?i:", self.pos):
                if items:
                    raise Unsupported("a case-insensitive group inside an alternative")
                self.pos += 4
                group = []
                while p[self.pos] != ")":
                    words, _ = self._sequence_until("|)", fold=True)
                    group.append(words)
                    if p[self.pos] == "|":
                        self.pos += 1
                self.pos += 1
                if self.pos < len(p) and p[self.pos] != "|":
                    raise Unsupported("text after a case-insensitive group")
                return ("group", group), None
            if p.startswith(("(?!", "(?="), self.pos):
                negative = p[self.pos + 2] == "!"
                self.pos += 3
                chars = self._atom(fold=False)
                if p[self.pos] != ")":
                    raise Unsupported("a lookahead longer than one character")
                self.pos += 1
                look = (negative, chars)
                continue
            chars = self._atom(fold=False)
            items.append((chars, *self._quantifier()))
        return items, look

    def _sequence_until(self, stops: str, fold: bool):
        items = []
        while self.pattern[self.pos] not in stops:
            chars = self._atom(fold)
            low, high = self._quantifier()
            if (low, high) != (1, 1):
                raise Unsupported("a quantifier inside a case-insensitive group")
            items.append((chars, 1, 1))
        return items, None

    def _atom(self, fold: bool):
        p, c = self.pattern, self.pattern[self.pos]
        if c == "[":
            self.pos += 1
            negate = p[self.pos] == "^"
            self.pos += negate
            parts = []
            while p[self.pos] != "]":
                if p[self.pos] == "-" and parts and p[self.pos + 1] != "]":
                    raise Unsupported("a character range")
                parts.append(self._atom(fold) if p[self.pos] == "\\" else self._literal(p[self.pos], fold, step=True))
            self.pos += 1
            return ("not" if negate else "any", parts)
        if c == "\\":
            code = p[self.pos + 1]
            if code == "p":
                end = p.index("}", self.pos)
                name = p[self.pos + 3 : end]
                self.pos = end + 1
                if name not in ("L", "N"):
                    raise Unsupported(f"\\p{{{name}}}")
                return ("prop", name)
            self.pos += 2
            if code in "sS":
                return ("prop", code)
            char = {"r": "\r", "n": "\n", "t": "\t", "f": "\f", "v": "\v"}.get(code)
            if char is None and (code.isalnum() or code == "_"):
                raise Unsupported(f"the escape \\{code}")
            return self._literal(char or code, fold)
        if c in "().^$|*+?{}":
            raise Unsupported(f"{c!r} at {self.pos}")
        self.pos += 1
        return self._literal(c, fold)

    def _literal(self, char: str, fold: bool, step: bool = False):
        self.pos += step
        chars = {char, char.lower(), char.upper()} if fold else {char}
        self.literals |= chars
        return ("any", [("lit", x) for x in sorted(chars)])

    def _quantifier(self) -> tuple[int, int]:
        p = self.pattern
        if self.pos >= len(p) or p[self.pos] not in "?*+{":
            return 1, 1
        c = p[self.pos]
        if c == "{":
            end = p.index("}", self.pos)
            low, _, high = p[self.pos + 1 : end].partition(",")
            bounds = (int(low), int(high) if high else (INF if "," in p[self.pos : end] else int(low)))
            self.pos = end + 1
        else:
            self.pos += 1
            bounds = {"?": (0, 1), "*": (0, INF), "+": (1, INF)}[c]
        if self.pos < len(p) and p[self.pos] in "?+":
            raise Unsupported("a lazy or possessive quantifier")
        return bounds


def _classes(literals: set) -> dict:
    """Class name -> (is letter, is number, is white space), literals first."""
    found = {lit: (unicodedata.category(lit)[0] == "L", unicodedata.category(lit)[0] == "N", lit in WHITE_SPACE) for lit in literals}
    found.update({"<letter>": (True, False, False), "<number>": (False, True, False), "<space>": (False, False, True), "<other>": (False, False, False)})
    return found


def _evaluate(node, classes: dict) -> frozenset:
    kind = node[0]
    if kind == "lit":
        return frozenset({node[1]})
    if kind == "prop":
        index = {"L": 0, "N": 1, "s": 2, "S": 2}[node[1]]
        chosen = frozenset(name for name, flags in classes.items() if flags[index])
        return frozenset(classes) - chosen if node[1] == "S" else chosen
    union = frozenset().union(*(_evaluate(part, classes) for part in node[1]))
    return frozenset(classes) - union if kind == "not" else union


def parse(pattern: str) -> tuple[list[Branch], dict]:
    """The pattern's alternatives in order, and its character classes."""
    parser = _Parser(pattern)
    raw = parser.branches()
    classes = _classes(parser.literals)
    branches = []
    for text, items, look in raw:
        if isinstance(items, tuple):  # a (?i:...) group: one literal branch per word
            for words in items[1]:
                branches.append(Branch(text, tuple(Item(_evaluate(c, classes), 1, 1) for c, _, _ in words), None))
            continue
        lookahead = (look[0], _evaluate(look[1], classes)) if look else None
        branches.append(Branch(text, tuple(Item(_evaluate(c, classes), lo, hi) for c, lo, hi in items), lookahead))
    return branches, classes
