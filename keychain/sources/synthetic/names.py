"""Unique, unambiguous entity names for the synthetic world, drawn with Faker.

Faker is slow per call and weights its name lists by real-world frequency, so it is
asked once for a few hundred first names, surnames and city affixes; the world's RNG
then combines those parts uniformly. Uniform mixing makes rare pairings such as
"Dorian Castellanos" as likely as "Michael Smith", so names seldom match real
people, and a world of thousands of entities costs only a few thousand Faker calls.

A name is only useful as a key if it cannot be confused with another: ``drop_containers``
removes every candidate that contains another candidate ("Ann Lee" rules out
"Ann Leeds"), so in the world no name is a substring of another.

Example:
    >>> drop_containers(["Ann Lee", "Ann Leeds", "Bo Park", "Ann Lee"])
    ['Ann Lee', 'Bo Park']
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from faker import Faker

# First names and surnames that are also real countries, states or well-known cities:
# never used as the core of a city name ("Lake Chad", "West Jordan", "Port Austin").
REAL_PLACE_WORDS = frozenset(
    [
        "America",
        "Asia",
        "Austin",
        "Augusta",
        "Aurora",
        "Brooklyn",
        "Camden",
        "Carolina",
        "Charlotte",
        "Chad",
        "Chester",
        "Cheyenne",
        "Columbia",
        "Dakota",
        "Dallas",
        "Dayton",
        "Denver",
        "Eugene",
        "Florence",
        "Georgia",
        "Helena",
        "Houston",
        "India",
        "Indiana",
        "Israel",
        "Jackson",
        "Jordan",
        "Kenya",
        "Lincoln",
        "Madison",
        "Montgomery",
        "Nevada",
        "Orlando",
        "Paris",
        "Phoenix",
        "Raleigh",
        "Richmond",
        "Salem",
        "Savannah",
        "Sydney",
        "Trenton",
        "Troy",
        "Tyler",
        "Victoria",
        "Virginia",
        "Washington",
    ]
)

# Organisation names end in a word of their trade; the bio states the industry.
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "logistics": ("Logistics", "Freight", "Shipping"),
    "software": ("Software", "Systems", "Digital"),
    "textile": ("Textiles", "Mills", "Fabrics"),
    "food": ("Foods", "Bakeries", "Provisions"),
    "engineering": ("Engineering", "Works", "Machinery"),
    "publishing": ("Press", "Publishing", "Books"),
    "energy": ("Energy", "Power", "Turbines"),
    "pharmaceutical": ("Pharma", "Laboratories", "Biotech"),
    "construction": ("Builders", "Construction", "Masonry"),
    "furniture": ("Furniture", "Woodworks", "Interiors"),
}


@dataclass(frozen=True)
class NameParts:
    """De-duplicated building blocks, in Faker's draw order (so seeded and stable)."""

    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    city_prefixes: tuple[str, ...]
    city_suffixes: tuple[str, ...]


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v.isalpha() and v[0].isupper()))


def draw_parts(fake: Faker) -> NameParts:
    """The parts all names are built from: Faker's en_US lists in a seeded order.

    Every list is taken whole (about 380 female and 320 male first names, 1000
    surnames: some 700K person names) and shuffled with the seeded Faker's own RNG,
    which is far cheaper than drawing names one weighted call at a time.
    """

    def listed(attribute: str) -> list[str]:
        for provider in fake.providers:
            values = getattr(provider, attribute, None)
            if values:
                values = list(values)  # weighted lists are ordered dicts: keep their order
                return fake.random.sample(values, len(values))
        raise RuntimeError(f"Faker has no {attribute!r} list; pin a Faker version that has en_US person data")

    return NameParts(
        female=_unique(listed("first_names_female")),
        male=_unique(listed("first_names_male")),
        last=_unique(listed("last_names")),
        city_prefixes=_unique(listed("city_prefixes")),
        city_suffixes=tuple(dict.fromkeys(listed("city_suffixes"))),
    )


def person_candidates(
    parts: NameParts, rng: random.Random, count: int
) -> list[tuple[str, str]]:
    """``count`` (name, gender) pairs such as ("Dorian Castellanos", "m"); may repeat."""
    out = []
    for _ in range(count):
        gender = rng.choice("fm")
        first = rng.choice(parts.female if gender == "f" else parts.male)
        out.append((f"{first} {rng.choice(parts.last)}", gender))
    return out


def city_candidates(parts: NameParts, rng: random.Random, count: int) -> list[str]:
    """Names like "East Wendy" or "North Jamesport": a compass or water prefix always
    comes first, which keeps them apart from real single-word towns, and the core is
    never a real place name. Rare real matches remain possible ("North Charleston")."""
    out = []
    firsts = tuple(n for n in parts.female + parts.male if n not in REAL_PLACE_WORDS)
    lasts = tuple(n for n in parts.last if n not in REAL_PLACE_WORDS)
    for _ in range(count):
        core = rng.choice(firsts if rng.random() < 0.7 else lasts)
        suffix = rng.choice(parts.city_suffixes) if rng.random() < 0.75 else ""
        out.append(f"{rng.choice(parts.city_prefixes)} {core}{suffix}")
    return out


def organisation_candidates(
    parts: NameParts, rng: random.Random, count: int
) -> list[tuple[str, str]]:
    """``count`` (name, industry) pairs such as ("Okafor & Lind Textiles", "textile")."""
    out = []
    industries = sorted(INDUSTRY_WORDS)
    for _ in range(count):
        industry = rng.choice(industries)
        word = rng.choice(INDUSTRY_WORDS[industry])
        owner = rng.choice(parts.last)
        if rng.random() < 0.35:
            owner = f"{owner} & {rng.choice(parts.last)}"
        out.append((f"{owner} {word}", industry))
    return out


def drop_containers(names: Sequence[str]) -> list[str]:
    """Keep the first copy of each name, minus every name that contains another one.

    Every name starts with a capital letter, so only substrings starting at a capital
    need a look-up: about twenty set probes per name instead of comparing all pairs.
    A name dropped for containing "Ann Lee" leaves "Ann Lee" in place, so what remains
    has no name inside another.
    """
    unique = list(dict.fromkeys(names))
    known = set(unique)
    shortest = min((len(n) for n in unique), default=0)
    kept = []
    for name in unique:
        if not _contains_other(name, known, shortest):
            kept.append(name)
    return kept


def _contains_other(name: str, known: set[str], shortest: int) -> bool:
    size = len(name)
    for start, char in enumerate(name):
        if not char.isupper():
            continue
        for end in range(start + shortest, size + 1):
            if end - start < size and name[start:end] in known:
                return True
    return False
