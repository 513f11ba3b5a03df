"""Near-miss documents: biographies that share a fact with the reasoning path.

Entities are grouped by the facts they share: the people who work for one organisation,
the people born in one city, the organisations headquartered in one city, the cities
founded in one decade. An entity belongs to the groups of its own facts and, for an
organisation or city, to the groups it is the value of (an organisation sits with its
employees, a city with the people born there). The near misses of a question are other
members of its gold entities' groups: for "Who founded Lund Press?" they are Lund
Press's employees and the other firms based in its city, each a plausible wrong answer.

Example:
    >>> from .world import build_world
    >>> world = build_world(0, "train", 120)
    >>> index = FactGroups.of(world)
    >>> org = next(iter(world.organisations))
    >>> staff = index.members[("employer", org)]
    >>> all(world.people[p].employer == org for p in staff)
    True
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .world import World

MIN_OTHERS, MAX_OTHERS = 4, 8
# Members read per fact group: groups grow with the world (a decade holds 300 cities
# in a 100k-person world), and a dozen near misses per gold entity is plenty.
PER_GROUP = 12


@dataclass(frozen=True)
class FactGroups:
    """``groups_of[name]`` are the fact keys of ``name``; ``members[key]`` who shares it;
    ``by_kind[kind]`` all names of one kind ("person", "organisation", "city")."""

    groups_of: Mapping[str, tuple[tuple[str, object], ...]]
    members: Mapping[tuple[str, object], tuple[str, ...]]
    by_kind: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, world: World) -> FactGroups:
        members: dict[tuple[str, object], list[str]] = defaultdict(list)
        groups_of: dict[str, list[tuple[str, object]]] = {}
        for p in world.people.values():
            keys = [("birth_city", p.birth_city)]
            if p.employer:
                keys.append(("employer", p.employer))
            for key in keys:
                members[key].append(p.name)
            groups_of[p.name] = keys
        for o in world.organisations.values():
            members[("headquarters", o.headquarters)].append(o.name)
            groups_of[o.name] = [("employer", o.name), ("headquarters", o.headquarters)]
        for c in world.cities.values():
            decade = ("decade", c.founded_year // 10)
            members[decade].append(c.name)
            groups_of[c.name] = [
                ("birth_city", c.name),
                ("headquarters", c.name),
                decade,
            ]
        return cls(
            {name: tuple(keys) for name, keys in groups_of.items()},
            {key: tuple(names) for key, names in members.items()},
            {
                "person": tuple(world.people),
                "organisation": tuple(world.organisations),
                "city": tuple(world.cities),
            },
        )

    def near(self, name: str, rng: random.Random) -> list[str]:
        """Up to ``PER_GROUP`` members of each of ``name``'s groups, ``name`` excluded."""
        out = []
        for key in self.groups_of[name]:
            members = self.members.get(key, ())
            if len(members) > PER_GROUP:
                members = rng.sample(members, PER_GROUP)
            out.extend(m for m in members if m != name)
        return out


def near_misses(
    world: World, groups: FactGroups, gold: Sequence[str], rng: random.Random
) -> tuple[str, ...]:
    """4 to 8 entity names, none of them gold: near misses first, then random fill."""
    wanted = rng.randint(MIN_OTHERS, MAX_OTHERS)
    banned = set(gold)
    near = (n for g in gold for n in groups.near(g, rng) if n not in banned)
    candidates = list(dict.fromkeys(near))
    chosen = rng.sample(candidates, min(wanted, len(candidates)))
    # Small worlds can run short of near misses; top up with entities of a gold kind.
    pools = [groups.by_kind[world.kind(g)] for g in gold]
    for attempt in range(20 * MAX_OTHERS):
        if len(chosen) == wanted:
            break
        pick = rng.choice(pools[attempt % len(pools)])
        if pick not in banned and pick not in chosen:
            chosen.append(pick)
    return tuple(chosen)
