r"""Where a sum of piece counts is exact: junction rules, proven from a pre-tokenizer pattern.

Byte-level BPE tokenizers (cl100k, Qwen, Llama-3, GPT-2) cut text into pieces with a
regular expression, then merge bytes inside each piece only. So ``count(left + right) ==
count(left) + count(right)`` holds wherever the pattern cuts both texts exactly at the
join, whatever it does elsewhere. ``junction_splits`` names the two joins exact counts
use: a *newline join* (``left`` ends with ``\n``, ``right`` starts with a non-space, as
between passages) and a *space join* (``left`` ends with a non-space, ``right`` is one
space then a non-space, as before a KeyChain pair).

``prove_pattern`` decides for a pattern whether both joins are cuts, by reading its
alternatives (the subset these tokenizers use: classes over ``\p{L}``, ``\p{N}``, ``\s``,
literals, greedy quantifiers, ``(?i:...)`` literal branches, one-character lookaheads):

1. every character starts some match and no alternative matches the empty string, so the
   scan leaves no gap that could straddle the join;
2. no alternative accepts a word holding the join's two characters side by side (the
   pairs of adjacent positions of each alternative), so no piece crosses it;
3. a lookahead that reads the join's right character answers as it would at the end of
   ``left`` alone, or the alternative is shadowed there by an earlier one that matches
   the same text first (Qwen's ``\s*[\r\n]+`` before ``\s+(?!\S)``);
4. nothing looks behind (no lookbehind, anchors or word boundaries), so ``right`` is cut
   as it is alone. Anything outside the subset is refused: the caller counts whole.

Characters are grouped into classes: each literal of the pattern, and other letters,
numbers, white space and the rest. Qwen's and cl100k's patterns pass; GPT-2's fails the
newline join (``\s+(?!\S)`` cuts ``"\n\n"`` before ``"Passage"`` as ``"\n" "\n"``).

    >>> prove_pattern(QWEN_LIKE).holds, prove_pattern(GPT2_PATTERN).reason
    (True, 'a lookahead of \\s+(?!\\S) reads the newline join')
"""

from __future__ import annotations

from dataclasses import dataclass

from .pattern import INF, Branch, Unsupported, parse

# The split ByteLevel(use_regex=True) applies (tokenizers' byte_level.rs).
GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
QWEN_LIKE = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def junction_splits(left: str, right: str) -> bool:
    r"""Whether ``left | right`` is a newline join or a space join (see the module doc).

    Exact for a tokenizer whose pattern passes ``prove_pattern`` (and cl100k's). Python's
    ``isspace`` covers every character ``\s`` matches, so the test errs on the safe side.

    >>> junction_splits("end.\n\n", "Passage 2:"), junction_splits("end.", " {\"k\": 1}")
    (True, True)
    >>> junction_splits("end.", "\n\nQuestion"), junction_splits("end. ", " x")
    (False, False)
    """
    if not left or not right:
        return False
    last = left[-1]
    if last == "\n":
        return not right[0].isspace()
    return not last.isspace() and right[0] == " " and len(right) > 1 and not right[1].isspace()


@dataclass(frozen=True)
class Proof:
    holds: bool
    reason: str = ""


def _join_holds(branches: list[Branch], left: frozenset, right: frozenset, name: str) -> Proof:
    for index, branch in enumerate(branches):
        if any(a in left and b in right for a, b in branch.adjacent()):
            return Proof(False, f"{branch.text} can match across the {name}")
        if branch.lookahead is None or not branch.last() & left or not branch.lookahead[1] & right:
            continue  # the lookahead never reads the join, or reads it as the end of the text
        if not _shadowed(branch, branches[:index], left):
            return Proof(False, f"a lookahead of {branch.text} reads the {name}")
    return Proof(True)


def _shadowed(branch: Branch, earlier: list[Branch], left: frozenset) -> bool:
    """Whether every text this branch could match up to the join is matched first by an
    earlier lookahead-free ``A*B+`` (the run is all A, its last character a B)."""
    if len(branch.items) != 1 or branch.items[0].low != 1 or branch.items[0].high != INF:
        return False
    run = branch.items[0].chars
    for other in earlier:
        if other.lookahead is None and len(other.items) == 2:
            star, plus = other.items
            if (star.low, star.high, plus.low, plus.high) == (0, INF, 1, INF) and run <= star.chars | plus.chars and run & left <= plus.chars:
                return True
    return False


def prove_pattern(pattern: str) -> Proof:
    """Whether ``pattern``, used as an isolating split, cuts at both joins of ``junction_splits``."""
    try:
        branches, classes = parse(pattern)
    except (Unsupported, ValueError, IndexError) as error:
        return Proof(False, f"pattern outside the supported subset ({error})")
    every = frozenset(classes)
    if any(branch.nullable() for branch in branches):
        return Proof(False, "an alternative matches the empty string")
    covered = frozenset().union(*(b.singles() for b in branches if b.lookahead is None))
    if covered != every:
        return Proof(False, f"no alternative matches {sorted(every - covered)[0]!r} alone")
    space = frozenset(name for name, flags in classes.items() if flags[2])
    solid = every - space
    newline = frozenset({"\n"}) if "\n" in classes else frozenset({"<space>"})
    blank = frozenset({" "}) if " " in classes else frozenset({"<space>"})
    for left, right, name in ((newline, solid, "newline join"), (solid, blank, "space join")):
        proof = _join_holds(branches, left, right, name)
        if not proof.holds:
            return proof
    return Proof(True)
