"""KeyChain: seeded chains of keys, their JSON pairs, where they go, and how they resolve.

A row holds ``C`` chains of ``H`` keys. Within a chain each key maps to the next key and
the last key maps to a question: chain 0 ends at the row's question, every other chain at
a different question of the same source. Each mapping is written as a JSON object made by
a JSON encoder, followed by a period, and inserted after a sentence end.

Example (hand-worked; see tests/test_chains.py):
    >>> chains = KeyChains(keys=(("k1", "k2"), ("k3", "k4")), ends=("Q?", "D?"))
    >>> chains.pairs()
    [('k1', 'k2'), ('k2', 'Q?'), ('k3', 'k4'), ('k4', 'D?')]
    >>> format_pair("k1", 'Say "hi"?')
    '{"k1": "Say \\\\"hi\\\\"?"}.'
    >>> resolve_chain(dict(chains.pairs()), "k1", limit=5)
    (['k1', 'k2'], 'Q?')
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, NamedTuple, Sequence

from ..errors import BudgetError
from ..randomness import LazyPermutation

KEY_PATTERNS = {
    "uuid": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "hex8": re.compile(r"[0-9a-f]{8}"),
}
_HEX_RUN = re.compile(r"[0-9a-f]{8,}")
# A UUID's tail, found from its first dash: scanning for "-" is several times faster than
# trying a hex run at every letter a-f of English text; the 8 hex before it are checked after.
_UUID_TAIL = re.compile(r"-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX8 = re.compile(r"[0-9a-f]{8}")


_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))  # variant and version bits
_UUID4_SET = (0x8000 << 48) | (4 << 76)  # RFC 4122 variant, version 4


def new_key(rng: random.Random, key_format: str) -> str:
    """A UUID4 string (36 characters) or 8 hex characters, drawn from ``rng``.

    The UUID is ``str(uuid.UUID(int=bits, version=4))``, formatted directly (the
    ``uuid`` module's validation costs more than the draw).
    """
    if key_format == "uuid":
        h = f"{(rng.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if key_format == "hex8":
        return f"{rng.getrandbits(32):08x}"
    raise ValueError(f"unknown key format {key_format!r}")


def draw_keys(rng: random.Random, count: int, key_format: str, avoid: frozenset[str] = frozenset()) -> list[str]:
    """``count`` distinct keys, none of them in ``avoid``."""
    keys: list[str] = []
    seen = set(avoid)
    while len(keys) < count:
        key = new_key(rng, key_format)
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


@dataclass(frozen=True)
class KeyChains:
    """``keys[c]`` are chain c's keys in order; ``ends[c]`` is what its last key maps to."""

    keys: tuple[tuple[str, ...], ...]
    ends: tuple[str, ...]

    @property
    def head_key(self) -> str:
        return self.keys[0][0]

    @property
    def true_keys(self) -> tuple[str, ...]:
        return self.keys[0]

    def all_keys(self) -> list[str]:
        return [key for chain in self.keys for key in chain]

    def pairs(self) -> list[tuple[str, str]]:
        result = []
        for chain, end in zip(self.keys, self.ends):
            targets = chain[1:] + (end,)
            result.extend(zip(chain, targets))
        return result


def pick_decoys(rng: random.Random, questions: Sequence[str], own: str, count: int) -> list[str]:
    """``count`` distinct questions from ``questions``, none equal to ``own``."""
    chosen: list[str] = []
    seen = {own}
    for index in LazyPermutation(len(questions), rng):
        if len(chosen) == count:
            break
        text = questions[index]
        if text not in seen:
            seen.add(text)
            chosen.append(text)
    if len(chosen) < count:
        raise BudgetError(
            f"{count + 1} chains need {count} decoy questions but the source has only "
            f"{len(chosen)} other distinct questions; pass --chains {len(chosen) + 1} or fewer, or use more data"
        )
    return chosen


def make_chains(
    rng: random.Random,
    *,
    question: str,
    decoys: Sequence[str],
    hops: int,
    key_format: str,
    avoid: frozenset[str] = frozenset(),
) -> KeyChains:
    """Chain 0 leads to ``question``; chain c > 0 leads to ``decoys[c - 1]``."""
    keys = draw_keys(rng, hops * (len(decoys) + 1), key_format, avoid)
    grouped = tuple(tuple(keys[c * hops : (c + 1) * hops]) for c in range(len(decoys) + 1))
    return KeyChains(keys=grouped, ends=(question, *decoys))


_json_string = json.encoder.encode_basestring  # the encoder json.dumps(ensure_ascii=False) uses


def format_pair(key: str, value: str) -> str:
    """``{"<key>": "<value>"}.`` made by the JSON encoder, so quotes are escaped.

    Byte for byte ``json.dumps({key: value}, ensure_ascii=False) + "."``.
    """
    return "{" + _json_string(key) + ": " + _json_string(value) + "}."


def place_pairs(rng: random.Random, n_pairs: int, n_slots: int) -> list[int]:
    """A slot (sentence end) for each pair: distinct slots while there are enough."""
    if n_slots <= 0:
        raise BudgetError("the context has no sentence end to insert KeyChain pairs after")
    if n_slots >= n_pairs:
        return rng.sample(range(n_slots), n_pairs)
    return [rng.randrange(n_slots) for _ in range(n_pairs)]


class FoundPair(NamedTuple):  # a tuple: rows hold dozens, made on every verify
    key: str
    value: str
    start: int  # character offset of "{" in the searched text
    end: int  # offset just after the closing "."


_DECODER = json.JSONDecoder()


def find_pairs(text: str, key_format: str) -> list[FoundPair]:
    """Every ``{"<key>": "<value>"}.`` in ``text`` whose key has the row's key format."""
    key_start = re.compile(r'\{"(?=' + KEY_PATTERNS[key_format].pattern + r'")')
    found = []
    for match in key_start.finditer(text):
        try:
            obj, end = _DECODER.raw_decode(text, match.start())
        except ValueError:
            continue
        if (
            isinstance(obj, dict)
            and len(obj) == 1
            and end < len(text)
            and text[end] == "."
        ):
            (key, value), = obj.items()
            if isinstance(value, str):
                found.append(FoundPair(key, value, match.start(), end + 1))
    return found


def resolve_chain(mapping: Mapping[str, str], head: str, limit: int) -> tuple[list[str], str | None]:
    """Follow keys from ``head`` until a value is not a key; at most ``limit`` steps.

    Returns the keys visited and the value reached (None when the chain is broken or
    longer than ``limit``).
    """
    path, current = [], head
    for _ in range(limit):
        if current not in mapping:
            return path, None
        path.append(current)
        current = mapping[current]
        if current not in mapping:
            return path, current
    return path, None


def key_strings(text: str, key_format: str) -> frozenset[str]:
    """Every key-shaped string in ``text``: what a key must not be equal to."""
    return frozenset(key_occurrences(text, key_format))


def key_occurrences(text: str, key_format: str) -> Counter:
    """How often each key-shaped string occurs in ``text`` (overlaps counted)."""
    if key_format == "uuid":
        tails = [match.start() for match in _UUID_TAIL.finditer(text)]  # each tail is 28 characters
        found = [text[start - 8 : start + 28] for start in tails if start >= 8]
        return Counter([key for key in found if _HEX8.fullmatch(key, 0, 8)])
    counts: Counter = Counter()
    for run in _HEX_RUN.findall(text):
        for start in range(len(run) - 7):
            counts[run[start : start + 8]] += 1
    return counts
