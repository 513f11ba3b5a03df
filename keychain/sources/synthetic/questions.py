"""Multi-hop questions over the world, each answerable from its gold biographies only.

Three types, drawn with fixed weights:

- ``bridge`` (2 hops): one hop inside a phrase, one asked.
  "In which city was the founder of Lund Press born?" -> gold [Lund Press, its founder].
- ``compositional`` (3 or 4 hops): "In what year was the organisation that employs the
  spouse of Ann Lee founded?" -> gold [Ann Lee, her spouse, the spouse's employer].
- ``comparison`` (2 hops): "Who was born first, Ann Lee or Bo Park?" -> gold
  [Ann Lee, Bo Park]; the pair's years differ, and the second entity is usually a near
  miss of the first (a colleague, a firm in the same city).

A chain question's gold biographies are the entities it passes through, in order; its
answer (a name or a year) is read off the last one. A chain that visits an entity twice,
whose answer is an entity on the path, or whose answer already appears in an earlier
gold biography (a shortcut around a hop) is thrown away and another is drawn.

Example:
    >>> from .world import build_world
    >>> from .prose import biography
    >>> world = build_world(0, "train", 120)
    >>> texts = {n: "".join(biography(world, n, "k")) for n in world.names()}
    >>> qs = generate_questions(world, texts, FactGroups.of(world), 30, random.Random("q"))
    >>> all(q.answer in texts[q.path[-1]] or q.question_type == "comparison" for q in qs)
    True
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from .distractors import FactGroups
from .relations import COMPARISONS, Comparison, hops_from
from .world import World

# (question type, hops, weight): bridge 40%, compositional 35%, comparison 25%.
QUESTION_MIX = (
    ("bridge", 2, 0.40),
    ("compositional", 3, 0.22),
    ("compositional", 4, 0.13),
    ("comparison", 2, 0.25),
)
_ATTEMPTS_PER_QUESTION = 60  # draws that fail (dead end, duplicate) cost a retry
_TRIES_PER_TYPE = 30


@dataclass(frozen=True)
class Question:
    text: str
    answer: str
    path: tuple[str, ...]  # entities whose biographies are gold, in reasoning order
    question_type: str
    hops: int


def generate_questions(
    world: World,
    texts: Mapping[str, str],
    groups: FactGroups,
    count: int,
    rng: random.Random,
) -> list[Question]:
    """``count`` questions with distinct texts and distinct underlying facts.

    ``texts`` maps every entity name to its biography body, used to check that each
    answer can be read off the gold biographies (and not off an earlier one).
    """
    names = world.names()
    kinds, weights = [(t, h) for t, h, _ in QUESTION_MIX], [w for *_, w in QUESTION_MIX]
    seen_texts: set[str] = set()
    seen_facts: set[tuple] = set()
    out: list[Question] = []
    budget = _ATTEMPTS_PER_QUESTION * count + 100
    while len(out) < count and budget > 0:
        # Draw the type first and retry within it, so dead ends do not skew the mix.
        qtype, hops = rng.choices(kinds, weights)[0]
        for _ in range(_TRIES_PER_TYPE):
            budget -= 1
            if qtype == "comparison":
                drawn = comparison_question(world, groups, rng)
            else:
                drawn = chain_question(world, texts, rng.choice(names), hops, rng)
            if drawn is None:
                continue
            fact, question = drawn
            if question.text in seen_texts or fact in seen_facts:
                continue
            seen_texts.add(question.text)
            seen_facts.add(fact)
            out.append(question)
            break
    if len(out) < count:
        raise RuntimeError(
            f"synthetic world gave {len(out)} of {count} questions; grow it"
        )
    return out


def chain_question(
    world: World, texts: Mapping[str, str], start: str, hops: int, rng: random.Random
) -> tuple[tuple, Question] | None:
    """A ``hops``-hop question from ``start``, or None when the walk hits a dead end."""
    path, kind, phrase, steps = [start], world.kind(start), start, []
    ends_in_verb = (
        False  # "the city where X was born" may only be wrapped as "... of {}"
    )
    for _ in range(hops - 1):
        hop = rng.choice(hops_from(kind, chainable=True))
        nxt = hop.follow(world, path[-1])
        if nxt is None or nxt in path:
            return None
        template = rng.choice(_wrappers(hop.phrases, ends_in_verb, "{}"))
        ends_in_verb = ends_in_verb or not template.endswith("{}")
        phrase = template.format(phrase)
        path.append(nxt)
        steps.append(hop.name)
        kind = hop.target
    final = rng.choice(hops_from(kind, chainable=False))
    answer = final.follow(world, path[-1])
    if answer is None or answer in path or answer not in texts[path[-1]]:
        return None
    if any(answer in texts[name] for name in path[:-1]):
        return None  # readable without the last hop
    steps.append(final.name)
    qtype = "bridge" if hops == 2 else "compositional"
    text = rng.choice(_wrappers(final.asks, ends_in_verb, "{}?")).format(phrase)
    return (start, *steps), Question(text, answer, tuple(path), qtype, hops)


def _wrappers(
    templates: tuple[str, ...], ends_in_verb: bool, tail: str
) -> tuple[str, ...]:
    """Templates that read well around the phrase: all, or those ending in ``tail``."""
    return (
        tuple(t for t in templates if t.endswith(tail)) if ends_in_verb else templates
    )


def comparison_question(
    world: World, groups: FactGroups, rng: random.Random
) -> tuple[tuple, Question] | None:
    """ "Who was born first, A or B?" and the like, for two entities whose years differ."""
    spec: Comparison = rng.choice(COMPARISONS)
    pool = groups.by_kind[spec.kind]
    first = rng.choice(pool)
    near = [n for n in groups.near(first, rng) if world.kind(n) == spec.kind]
    second = rng.choice(near) if near and rng.random() < 0.8 else rng.choice(pool)
    years = spec.year(world, first), spec.year(world, second)
    if second == first or years[0] == years[1]:
        return None
    pair = (first, second) if rng.random() < 0.5 else (second, first)
    earlier = min(pair, key=lambda n: spec.year(world, n))
    later = pair[0] if earlier == pair[1] else pair[1]
    asks_earlier = rng.random() < 0.6
    template = rng.choice(spec.earlier if asks_earlier else spec.later)
    answer = earlier if asks_earlier else later
    fact = (spec.kind, asks_earlier, frozenset(pair))
    return fact, Question(template.format(*pair), answer, pair, "comparison", 2)
