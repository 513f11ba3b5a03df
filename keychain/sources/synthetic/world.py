"""A consistent fictional world: people, organisations and cities, and their facts.

Everything is drawn from two seeded generators built from strings, so a world depends
on ``(seed, split, size)`` only: Faker (seeded per instance) supplies name parts, and
``random.Random(f"{seed}:{split}:world")`` makes every other choice.

Facts and the rules that keep them consistent:

- a person is born in a city in a year (1950-2000);
- a married person's spouse is another person who is married to them, and the wedding
  came after both turned 20;
- every organisation has one founder, who was at least 22 when founding it and founds
  nothing else; founders and mayors work for no one, everyone else works for one
  organisation that already existed when they joined;
- every organisation is headquartered in a city; every city has one mayor, a person
  who is 30 or older at taking office, and a founding year (1620-1930).

Example:
    >>> world = build_world(seed=0, split="train", people=120)
    >>> org = next(iter(world.organisations.values()))
    >>> founder = world.people[org.founder]
    >>> founder.founded == org.name and founder.birth_year + 22 <= org.founded_year
    True
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from faker import Faker

from ...errors import ConfigError
from .names import (
    city_candidates,
    draw_parts,
    drop_containers,
    organisation_candidates,
    person_candidates,
)

# People per organisation and per city: about four employees per organisation and
# ten people born in each city, so near-miss documents exist for every relation.
PEOPLE_PER_ORGANISATION = 5
PEOPLE_PER_CITY = 10
MIN_PEOPLE = 60

_SPARE_SCHEDULE = (0.1, 0.5, 1.5, 4.0)  # extra candidates per name needed, by attempt

LATEST_YEAR = 2023  # the world's "now": no fact is dated later

OCCUPATIONS = (
    "accountant",
    "architect",
    "baker",
    "carpenter",
    "chemist",
    "civil engineer",
    "dentist",
    "electrician",
    "economist",
    "graphic designer",
    "historian",
    "interpreter",
    "journalist",
    "librarian",
    "marine biologist",
    "nurse",
    "optician",
    "pharmacist",
    "photographer",
    "physiotherapist",
    "software developer",
    "surveyor",
    "teacher",
    "translator",
    "urban planner",
    "veterinarian",
)
HOBBIES = (
    "birdwatching",
    "chess",
    "gardening",
    "long-distance running",
    "pottery",
    "sailing",
    "woodcarving",
    "amateur astronomy",
    "rock climbing",
    "choral singing",
    "watercolour painting",
    "cycling",
    "baking bread",
    "fly fishing",
    "jazz piano",
)
CITY_FEATURES = (
    "covered market",
    "old stone bridge",
    "botanical garden",
    "summer music festival",
    "railway museum",
    "lakeside promenade",
    "clock tower",
    "annual cheese fair",
    "public library",
    "rose gardens",
    "riverside park",
    "lantern parade",
)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    gender: str  # "f" or "m": picks the pronouns of the biography
    birth_year: int
    birth_city: str
    occupation: str
    hobby: str
    employer: str | None = None
    employed_since: int | None = None
    spouse: str | None = None
    married_year: int | None = None
    founded: str | None = None  # organisation this person founded
    mayor_of: str | None = None
    mayor_since: int | None = None


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    industry: str
    founder: str
    founded_year: int
    headquarters: str  # a city name
    staff: int


@dataclass(frozen=True, slots=True)
class City:
    name: str
    founded_year: int
    mayor: str
    population: int
    feature: str


@dataclass(frozen=True)
class World:
    """Entities by name, in creation order; every name is unique across all three."""

    people: Mapping[str, Person]
    organisations: Mapping[str, Organisation]
    cities: Mapping[str, City]

    def kind(self, name: str) -> str:
        if name in self.people:
            return "person"
        if name in self.organisations:
            return "organisation"
        return "city"

    def names(self) -> tuple[str, ...]:
        """Cities, then organisations, then people: the order documents are pooled in."""
        return (*self.cities, *self.organisations, *self.people)

    def counts(self) -> dict[str, int]:
        return {
            "people": len(self.people),
            "organisations": len(self.organisations),
            "cities": len(self.cities),
        }


def build_world(seed: int, split: str, people: int) -> World:
    """A world of ``people`` persons with proportional organisations and cities."""
    key = f"{seed}:{split}"
    rng = random.Random(f"{key}:world")
    fake = Faker("en_US")
    fake.seed_instance(f"{key}:names")
    n_people = max(MIN_PEOPLE, people)
    n_orgs = n_people // PEOPLE_PER_ORGANISATION
    n_cities = n_people // PEOPLE_PER_CITY
    persons, orgs, cities = _names(fake, rng, n_people, n_orgs, n_cities)

    births = {name: rng.randint(1950, 2000) for name, _ in persons}
    city_names = list(cities)
    founders = rng.sample([n for n, _ in persons if births[n] <= 1985], n_orgs)
    founder_set = set(founders)
    free = [n for n, _ in persons if n not in founder_set]
    mayors = rng.sample([n for n in free if births[n] <= 1993], n_cities)
    taken = founder_set | set(mayors)

    organisations = {}
    for (org, industry), founder in zip(orgs.items(), founders):
        year = rng.randint(
            births[founder] + 22, min(births[founder] + 55, LATEST_YEAR - 1)
        )
        organisations[org] = Organisation(
            org, industry, founder, year, rng.choice(city_names), rng.randint(12, 9000)
        )
    city_table = {
        city: City(
            city,
            rng.randint(1620, 1930),
            mayor,
            rng.randint(4_000, 900_000),
            rng.choice(CITY_FEATURES),
        )
        for city, mayor in zip(city_names, mayors)
    }
    spouses = _marriages(rng, [n for n, _ in persons], births)

    founded = {o.founder: o for o in organisations.values()}
    mayor_of = {c.mayor: c for c in city_table.values()}
    org_list = list(organisations.values())
    table = {}
    for name, gender in persons:
        born = births[name]
        facts: dict = {}
        if name in founded:
            facts["founded"] = founded[name].name
            occupation = "entrepreneur"
        elif name in mayor_of:
            city = mayor_of[name]
            facts["mayor_of"] = city.name
            facts["mayor_since"] = rng.randint(max(born + 30, 1990), LATEST_YEAR)
            occupation = "politician"
        else:
            occupation = rng.choice(OCCUPATIONS)
        if name not in taken:
            org = rng.choice(org_list)
            facts["employer"] = org.name
            facts["employed_since"] = rng.randint(
                max(org.founded_year, born + 20), LATEST_YEAR
            )
        if name in spouses:
            facts["spouse"], facts["married_year"] = spouses[name]
        table[name] = Person(
            name,
            gender,
            born,
            rng.choice(city_names),
            occupation,
            rng.choice(HOBBIES),
            **facts,
        )
    return World(table, organisations, city_table)


def _names(
    fake: Faker, rng: random.Random, n_people: int, n_orgs: int, n_cities: int
) -> tuple[list[tuple[str, str]], dict[str, str], list[str]]:
    """Draw spare candidates of each kind, drop clashes, keep the first n of each.

    10% spare is plenty for ordinary worlds; very large ones, where random names
    collide more often, retry with more spare (a fixed, bounded schedule).
    """
    parts = draw_parts(fake)
    for spare in _SPARE_SCHEDULE:
        person_list = person_candidates(parts, rng, _with_spare(n_people, spare))
        org_list = organisation_candidates(parts, rng, _with_spare(n_orgs, spare))
        city_list = city_candidates(parts, rng, _with_spare(n_cities, spare))
        kept = set(
            drop_containers(
                [n for n, _ in person_list] + [n for n, _ in org_list] + city_list
            )
        )
        # drop_containers kept one copy of each name: claim it for the first kind.
        persons = _claim(person_list, kept, n_people)
        orgs = dict(_claim(org_list, kept, n_orgs))
        cities = [c for c, _ in _claim([(c, "") for c in city_list], kept, n_cities)]
        if len(persons) == n_people and len(orgs) == n_orgs and len(cities) == n_cities:
            return persons, orgs, cities
    raise ConfigError(
        f"the synthetic world cannot name {n_people} distinct people; lower --num or --len"
    )


def _with_spare(count: int, spare: float) -> int:
    return count + int(count * spare) + 8


def _claim(
    pairs: list[tuple[str, str]], kept: set[str], limit: int
) -> list[tuple[str, str]]:
    out = []
    for name, tag in pairs:
        if len(out) == limit:
            break
        if name in kept:
            kept.discard(name)  # a name is claimed once, by the first kind to reach it
            out.append((name, tag))
    return out


def _marriages(
    rng: random.Random, names: list[str], births: Mapping[str, int]
) -> dict[str, tuple[str, int]]:
    """Marry about 60% of people to someone of a similar age; both sides are recorded."""
    pool = [n for n in names if rng.random() < 0.6]
    pool.sort(key=lambda n: births[n])  # stable: ties keep creation order
    out = {}
    for a, b in zip(pool[0::2], pool[1::2]):
        older = max(births[a], births[b])
        year = rng.randint(older + 20, min(older + 40, LATEST_YEAR))
        out[a] = (b, year)
        out[b] = (a, year)
    return out
