"""Token counts of a byte-level BPE tokenizer from a cache of its pre-tokenizer's pieces.

A byte-level BPE encodes each piece of its split pattern on its own (``junctions.py``), so
``count(text)`` is the sum of the counts of its pieces, and text repeats pieces all the
time (words, digits, ``": "``). ``PieceCount`` splits with the tokenizer's own pattern
(from tokenizer.json, run by the ``regex`` module), maps each piece to the byte alphabet,
and asks the tokenizer's own BPE model once per distinct piece. For build-time counting
that is several times faster than ``Tokenizer.encode``, which builds offsets and strings
for every token. Whole-prompt counts (``keychain verify``, ``KEYCHAIN_CHECK_COUNTS``, the
benchmark floor) still go through ``Tokenizer.encode``.

It takes a text only where it reproduces the tokenizer step by step: no added token in it,
already in the normalizer's form (NFC/NFD, or no normalizer), and every character in
scripts whose Unicode categories the regex module and the tokenizer's regex engine share
(ASCII, Latin, Greek, Cyrillic, punctuation, kana, CJK, Hangul); other texts return None
and the caller encodes them. A canary text is counted both ways at load.

Example: ``PieceCount.of(tokenizer)("hello world") == 2`` for Qwen's tokenizer.
"""

from __future__ import annotations

import json
import re
import unicodedata

# Blocks assigned long before any engine's Unicode tables (<= 14.0); text outside them is encoded.
_KNOWN = r"[^\x00-\u024f\u0370-\u03ff\u0400-\u04ff\u1e00-\u1fff\u2000-\u206f\u2070-\u20bf\u3000-\u30ff\u4e00-\u9fff\uac00-\ud7a3]"
_CANARY = (
    "Passage 12:\nÉcole d'été\nIt's 1,234.5 km   away; they'd go.\t{\"a1b2\": \"x\"}.\r\n\n  "
    "日本語のテキスト — «quotes» 2019-10-05\n\n\n  x  \u00a0y ΑΒΓ абв we'LL\n"
)
_MAX_CACHE = 1 << 19


def _byte_alphabet() -> list[str]:
    """GPT-2's map from bytes to printable characters (ByteLevel pre-tokenizer)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    return [table[byte] for byte in range(256)]


class PieceCount:
    """``count(text)`` from cached piece counts; ``None`` for a text it does not take."""

    def __init__(self, pattern: str, model, normalizer: str | None, added: list[str]) -> None:
        import regex

        self._split = regex.compile(pattern).findall
        ascii_pattern = ascii_only(pattern)
        self._split_ascii = re.compile(ascii_pattern).findall if ascii_pattern else self._split
        self._known = regex.compile(_KNOWN).search
        # Added tokens are cut out first, longest first where two start together (as tokenizers does).
        longest_first = sorted(added, key=len, reverse=True)
        self._added = re.compile("(" + "|".join(map(re.escape, longest_first)) + ")").split if added else None
        self._form = normalizer
        self._tokenize = model.tokenize
        self._bytes = _byte_alphabet()
        self._cache: dict[str, int] = {}

    @classmethod
    def of(cls, backend) -> PieceCount | None:
        """For a ``tokenizers.Tokenizer`` made of one isolating regex split, byte-level
        mapping and BPE; None for anything else (it is then encoded as usual)."""
        from .junctions import GPT2_PATTERN

        if type(backend.model).__name__ != "BPE" or getattr(backend.model, "dropout", None):
            return None
        normalizer = None
        if backend.normalizer is not None:
            normalizer = json.loads(backend.normalizer.__getstate__())["type"]
            if normalizer not in ("NFC", "NFD"):
                return None
        if backend.pre_tokenizer is None:
            return None
        state = json.loads(backend.pre_tokenizer.__getstate__())
        steps = state["pretokenizers"] if state["type"] == "Sequence" else [state]
        kinds = [(step["type"], step.get("use_regex", True)) for step in steps]
        if kinds == [("ByteLevel", True)]:
            pattern = GPT2_PATTERN
        elif kinds == [("Split", True), ("ByteLevel", False)] and "Regex" in steps[0]["pattern"]:
            pattern = steps[0]["pattern"]["Regex"]
            if steps[0].get("behavior") != "Isolated" or steps[0].get("invert"):
                return None
        else:
            return None
        if any(step["type"] == "ByteLevel" and step.get("add_prefix_space") for step in steps):
            return None
        added = list(backend.get_added_tokens_decoder().values())
        if any(t.lstrip or t.rstrip or t.single_word for t in added):
            return None  # tokens that take white space or need word edges: left to the tokenizer
        try:
            counter = cls(pattern, backend.model, normalizer, [t.content for t in added])
        except Exception:  # a pattern the regex module does not read
            return None
        expected = len(backend.encode(_CANARY, add_special_tokens=False))
        return counter if counter(_CANARY) == expected else None

    def __call__(self, text: str) -> int | None:
        ascii = text.isascii()
        if not ascii and (self._known(text) or (self._form and not unicodedata.is_normalized(self._form, text))):
            return None
        if self._added is None:
            return self._count(text, ascii)
        parts = self._added(text)  # text, token, text, token, ..., text
        total = len(parts) // 2  # one id per added token
        for part in parts[::2]:
            total += self._count(part, ascii) if part else 0
        return total

    def _count(self, text: str, ascii: bool) -> int:
        pieces = (self._split_ascii if ascii else self._split)(text)
        counts = list(map(self._cache.get, pieces))
        try:
            return sum(counts)
        except TypeError:  # a piece not seen before
            return sum(self._new(piece) if tokens is None else tokens for piece, tokens in zip(pieces, counts))

    def _new(self, piece: str) -> int:
        """Tokens of one piece from the BPE model itself, remembered."""
        cache = self._cache
        tokens = cache.get(piece)
        if tokens is None:
            if len(cache) > _MAX_CACHE:
                cache.clear()
            alphabet = self._bytes
            tokens = cache[piece] = len(self._tokenize("".join([alphabet[b] for b in piece.encode()])))
        return tokens


_ASCII_CLASSES = {"L": "A-Za-z", "N": "0-9", "s": "\\t\\n\\x0b\\x0c\\r "}


def ascii_only(pattern: str) -> str | None:
    r"""The pattern for ASCII text in ``re``'s syntax (``\p{L}`` is ``A-Za-z`` there, ``\s``
    is White_Space's ASCII part): ``re`` splits ASCII text twice as fast as ``regex``. None
    where the pattern holds something this does not translate (``\S`` inside brackets).

    >>> ascii_only(r"[^\r\n\p{L}]?\p{L}+|\s+(?!\S)")
    '[^\\r\\nA-Za-z]?[A-Za-z]+|[\\t\\n\\x0b\\x0c\\r ]+(?![^\\t\\n\\x0b\\x0c\\r ])'
    """
    out, inside, i = [], False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            code = pattern[i + 1]
            if code == "p" and pattern[i + 2] == "{":
                name = pattern[i + 3 : pattern.index("}", i)]
                if name not in ("L", "N"):
                    return None
                body, i = _ASCII_CLASSES[name], pattern.index("}", i) + 1
            elif code in "sS":
                if code == "S" and inside:
                    return None
                body, i = _ASCII_CLASSES["s"], i + 2
            else:
                out.append(pattern[i : i + 2])
                i += 2
                continue
            out.append(body if inside else ("[^" if code == "S" else "[") + body + "]")
            continue
        inside = (inside or c == "[") and not (inside and c == "]")
        out.append(c)
        i += 1
    return "".join(out)
