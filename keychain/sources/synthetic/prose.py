"""Short biographies that state an entity's facts in varied, natural phrasing.

Each entity gets one document titled with its name: an opening sentence that names it,
its remaining facts and one colour detail that no question asks about (a degree, a
product line, a local industry) in shuffled order, then one or two neutral fillers. Sentences end
with a period and are stored HotpotQA-style: the first without, the others with one
leading space, so ``"".join(sentences)`` is the body. The phrasing is drawn from
``random.Random(f"{key}:bio:{name}")``, so a biography depends on its entity alone.

Example (the phrasing varies with the key; the facts do not):
    >>> from .world import City
    >>> city = City("East Wendy", 1788, "Ann Lee", 41_000, "clock tower")
    >>> sentences = city_biography(city, "0:train")
    >>> sentences[0].startswith(" "), all(s.endswith(".") for s in sentences)
    (False, True)
    >>> body = "".join(sentences)
    >>> "1788" in body and "Ann Lee" in body and "41,000" in body
    True
"""

from __future__ import annotations

import random

from .world import City, Organisation, Person, World

_SUBJECTS = (
    "mathematics",
    "economics",
    "chemistry",
    "history",
    "law",
    "medicine",
    "mechanical engineering",
    "philosophy",
    "biology",
    "architecture",
    "music",
    "modern languages",
    "geography",
    "computer science",
    "physics",
)
_PRODUCTS = {
    "logistics": "warehousing and overnight freight services",
    "software": "accounting and scheduling programs",
    "textile": "woollen cloth and upholstery fabrics",
    "food": "breads, preserves and ready meals",
    "engineering": "pumps, valves and industrial gearboxes",
    "publishing": "school textbooks and regional newspapers",
    "energy": "wind turbines and grid storage systems",
    "pharmaceutical": "generic medicines and diagnostic kits",
    "construction": "bridges, schools and housing estates",
    "furniture": "oak tables, chairs and kitchen fittings",
}
_SECTORS = (
    "fishing and boat building",
    "farming and food processing",
    "tourism",
    "light manufacturing",
    "shipping and warehousing",
    "education and research",
    "timber and paper mills",
    "retail and services",
)
_PRONOUNS = {"f": ("She", "she", "her", "her"), "m": ("He", "he", "him", "his")}


def biography(world: World, name: str, key: str) -> tuple[str, ...]:
    """The sentences of ``name``'s biography, whichever kind of entity it is."""
    if name in world.people:
        return person_biography(world.people[name], key)
    if name in world.organisations:
        return organisation_biography(world.organisations[name], key)
    return city_biography(world.cities[name], key)


def person_biography(person: Person, key: str) -> tuple[str, ...]:
    rng = random.Random(f"{key}:bio:{person.name}")
    he, him_he, him, his = _PRONOUNS[person.gender]
    n, year, city, job = (
        person.name,
        person.birth_year,
        person.birth_city,
        person.occupation,
    )
    opening = rng.choice(
        (
            f"{n} is {_a(job)} who was born in {city} in {year}.",
            f"{n} was born in {year} in {city} and works as {_a(job)}.",
            f"Born in {city} in {year}, {n} is {_a(job)}.",
            f"{n} (born {year} in {city}) is {_a(job)}.",
        )
    )
    facts = []
    if person.employer:
        org, since = person.employer, person.employed_since
        facts.append(
            rng.choice(
                (
                    f"{he} works for {org}.",
                    f"{he} has been employed by {org} since {since}.",
                    f"Since {since}, {him_he} has worked at {org}.",
                    f"{his.capitalize()} employer is {org}, which {him_he} joined in {since}.",
                )
            )
        )
    if person.founded:
        facts.append(
            rng.choice(
                (
                    f"{he} founded {person.founded}.",
                    f"{he} is the founder of {person.founded}.",
                    f"{person.founded} was founded by {him}.",
                )
            )
        )
    if person.mayor_of:
        place, since = person.mayor_of, person.mayor_since
        facts.append(
            rng.choice(
                (
                    f"{he} is the mayor of {place}.",
                    f"Since {since}, {him_he} has served as mayor of {place}.",
                    f"{he} was elected mayor of {place} in {since}.",
                )
            )
        )
    if person.spouse:
        spouse, wed = person.spouse, person.married_year
        facts.append(
            rng.choice(
                (
                    f"{he} is married to {spouse}.",
                    f"{he} married {spouse} in {wed}.",
                    f"{his.capitalize()} spouse is {spouse}, whom {him_he} married in {wed}.",
                )
            )
        )
    facts.append(
        rng.choice(
            (
                f"{he} studied {rng.choice(_SUBJECTS)} before starting {his} career.",
                f"{he} holds a degree in {rng.choice(_SUBJECTS)}.",
                f"As a student, {him_he} trained in {rng.choice(_SUBJECTS)}.",
            )
        )
    )
    rng.shuffle(facts)
    fillers = [
        rng.choice(
            (
                f"In {his} spare time {him_he} enjoys {person.hobby}.",
                f"Outside work, {him_he} is known for a lifelong passion for {person.hobby}.",
                f"Friends say {him_he} rarely misses a weekend of {person.hobby}.",
                f"{he} took up {person.hobby} as a teenager and still practises it.",
            )
        )
    ]
    if rng.random() < 0.5:
        fillers.append(
            rng.choice(
                (
                    f"Colleagues describe {him} as patient, precise and good-humoured.",
                    f"{he} volunteers at a community kitchen twice a month.",
                    f"{he} keeps a small collection of old maps and travel guides.",
                )
            )
        )
    return _sentences([opening, *facts, *fillers])


def organisation_biography(org: Organisation, key: str) -> tuple[str, ...]:
    rng = random.Random(f"{key}:bio:{org.name}")
    n, year, founder, trade = org.name, org.founded_year, org.founder, org.industry
    opening = rng.choice(
        (
            f"{n} is {_a(trade)} company founded in {year} by {founder}.",
            f"Founded by {founder} in {year}, {n} is {_a(trade)} business.",
            f"{n} is {_a(trade)} firm that {founder} founded in {year}.",
            f"{founder} founded {n}, {_a(trade)} company, in {year}.",
        )
    )
    facts = [
        rng.choice(
            (
                f"It is headquartered in {org.headquarters}.",
                f"The company has its headquarters in {org.headquarters}.",
                f"Its head office is in {org.headquarters}.",
            )
        ),
        rng.choice(
            (
                f"It employs about {org.staff:,} people.",
                f"The firm has a staff of roughly {org.staff:,}.",
            )
        ),
        rng.choice(
            (
                f"Its main lines of business are {_PRODUCTS[trade]}.",
                f"The company is best known for its {_PRODUCTS[trade]}.",
            )
        ),
    ]
    rng.shuffle(facts)
    filler = rng.choice(
        (
            "It sells mostly to regional customers.",
            "Its annual report is published each spring.",
            "The company describes itself as a family of careful craftspeople.",
            "It has won several awards for workplace safety.",
        )
    )
    return _sentences([opening, *facts, filler])


def city_biography(city: City, key: str) -> tuple[str, ...]:
    rng = random.Random(f"{key}:bio:{city.name}")
    n, year = city.name, city.founded_year
    opening = rng.choice(
        (
            f"{n} is a city that was founded in {year}.",
            f"Founded in {year}, {n} has grown from a small settlement into a city.",
            f"The city of {n} was founded in {year}.",
        )
    )
    facts = [
        rng.choice(
            (
                f"Its mayor is {city.mayor}.",
                f"The current mayor of {n} is {city.mayor}.",
                f"{city.mayor} serves as the city's mayor.",
            )
        ),
        rng.choice(
            (
                f"It has a population of about {city.population:,}.",
                f"Roughly {city.population:,} people live there.",
            )
        ),
        rng.choice(
            (
                f"Its economy rests mainly on {rng.choice(_SECTORS)}.",
                f"Most residents work in {rng.choice(_SECTORS)}.",
            )
        ),
    ]
    rng.shuffle(facts)
    filler = rng.choice(
        (
            f"Visitors often mention its {city.feature}.",
            f"The city is best known for its {city.feature}.",
            f"Local guides point first to the {city.feature}.",
        )
    )
    return _sentences([opening, *facts, filler])


def _a(word: str) -> str:
    """``"accountant" -> "an accountant"``."""
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _sentences(parts: list[str]) -> tuple[str, ...]:
    return tuple(part if i == 0 else f" {part}" for i, part in enumerate(parts))
