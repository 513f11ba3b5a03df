"""The hops a question may take through the world, and how each is put into words.

A hop reads one fact off one entity's biography: ``employer`` goes from a person to the
organisation their biography says they work for. Entity hops can be chained inside a
noun phrase ("the founder of the employer of {}"); the last hop of a question is asked
with one of its question templates and may also end in a year.

Example:
    >>> hop = HOPS["founder"]
    >>> hop.asks[0].format(HOPS["employer"].phrases[0].format("Ann Lee"))
    'Who founded the employer of Ann Lee?'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .world import World

ENTITY_KINDS = ("person", "organisation", "city")


@dataclass(frozen=True)
class Hop:
    """One fact type: ``follow(world, name)`` is its value for ``name`` or None.

    ``target`` is the kind of the value ("person", "organisation", "city" or "year");
    ``phrases`` are noun phrases for chaining (only for entity targets) and ``asks``
    are questions ending the chain; both hold one ``{}`` for the inner phrase, and each
    list has at least one entry with ``{}`` last, the only kind that can wrap a phrase
    ending in a verb ("the city where X was born") without reading "... born born?".
    """

    name: str
    domain: str
    target: str
    follow: Callable[[World, str], str | None]
    phrases: tuple[str, ...]
    asks: tuple[str, ...]


def _year(value: int) -> str:
    return str(value)


HOPS: dict[str, Hop] = {
    hop.name: hop
    for hop in (
        Hop(
            "spouse",
            "person",
            "person",
            lambda w, n: w.people[n].spouse,
            ("the spouse of {}", "the person married to {}"),
            ("Who is {} married to?", "Who is the spouse of {}?"),
        ),
        Hop(
            "employer",
            "person",
            "organisation",
            lambda w, n: w.people[n].employer,
            (
                "the employer of {}",
                "the organisation that employs {}",
                "the company {} works for",
            ),
            ("Which organisation does {} work for?", "Who employs {}?"),
        ),
        Hop(
            "birthplace",
            "person",
            "city",
            lambda w, n: w.people[n].birth_city,
            ("the birthplace of {}", "the city where {} was born"),
            (
                "In which city was {} born?",
                "Where was {} born?",
                "What is the birthplace of {}?",
            ),
        ),
        Hop(
            "birth_year",
            "person",
            "year",
            lambda w, n: _year(w.people[n].birth_year),
            (),
            (
                "In what year was {} born?",
                "When was {} born?",
                "What is the birth year of {}?",
            ),
        ),
        Hop(
            "founder",
            "organisation",
            "person",
            lambda w, n: w.organisations[n].founder,
            ("the founder of {}", "the person who founded {}"),
            ("Who founded {}?", "Who is the founder of {}?"),
        ),
        Hop(
            "headquarters",
            "organisation",
            "city",
            lambda w, n: w.organisations[n].headquarters,
            ("the headquarters city of {}", "the city where {} is headquartered"),
            (
                "In which city is {} headquartered?",
                "Where is {} headquartered?",
                "Which city is home to the headquarters of {}?",
            ),
        ),
        Hop(
            "founded_year",
            "organisation",
            "year",
            lambda w, n: _year(w.organisations[n].founded_year),
            (),
            (
                "In what year was {} founded?",
                "When was {} founded?",
                "What is the founding year of {}?",
            ),
        ),
        Hop(
            "mayor",
            "city",
            "person",
            lambda w, n: w.cities[n].mayor,
            ("the mayor of {}",),
            ("Who is the mayor of {}?", "Who serves as mayor of {}?"),
        ),
        Hop(
            "city_founded_year",
            "city",
            "year",
            lambda w, n: _year(w.cities[n].founded_year),
            (),
            (
                "In what year was {} founded?",
                "When was {} founded?",
                "What is the founding year of {}?",
            ),
        ),
    )
}


def hops_from(kind: str, *, chainable: bool) -> tuple[Hop, ...]:
    """Hops that start at ``kind``; ``chainable`` keeps those that can sit in a phrase."""
    return tuple(
        h for h in HOPS.values() if h.domain == kind and (h.phrases or not chainable)
    )


# A comparison asks which of two entities of one kind has the earlier (or later) year.
@dataclass(frozen=True)
class Comparison:
    kind: str
    year: Callable[[World, str], int]
    earlier: tuple[
        str, ...
    ]  # templates whose answer is the entity with the smaller year
    later: tuple[str, ...]


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "person",
        lambda w, n: w.people[n].birth_year,
        ("Who was born first, {} or {}?", "Who is older, {} or {}?"),
        ("Who was born later, {} or {}?", "Who is younger, {} or {}?"),
    ),
    Comparison(
        "organisation",
        lambda w, n: w.organisations[n].founded_year,
        (
            "Which organisation was founded earlier, {} or {}?",
            "Which company is older, {} or {}?",
        ),
        (
            "Which organisation was founded more recently, {} or {}?",
            "Which company is younger, {} or {}?",
        ),
    ),
    Comparison(
        "city",
        lambda w, n: w.cities[n].founded_year,
        ("Which city was founded first, {} or {}?", "Which city is older, {} or {}?"),
        ("Which city was founded later, {} or {}?",),
    ),
)
