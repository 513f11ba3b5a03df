"""The synthetic source: multi-hop QA over a fictional world, generated offline.

No fact refers to the real world, so a model cannot answer from memory: it has to read
the documents. ``load`` builds a world from ``(seed, split)`` (train and validation
worlds differ), writes one biography per entity, and asks questions over it:

    world.py      people, organisations, cities and their consistent facts
    prose.py      one short biography per entity, facts in varied phrasing
    relations.py  the hops a question can take, and their wording
    questions.py  bridge, compositional and comparison questions
    distractors.py  near-miss biographies for each question

The world is sized from the request: at least ``num`` items (1000 when None) and
``max_len // 1024 + 8`` items (the distinct decoy questions one row at ``max_len``
needs), and a pool of about 2.5 x ``max_len`` tokens of biographies. Its memory is
estimated before anything is generated (``memory_estimate``), and a world that would not
fit in the memory available is refused with one line.

Example:
    >>> data = load(SourceRequest(split="train", seed=0, num=20, max_len=4096))
    >>> len(data.items), data.items[0].source_id, data.name
    (20, 'w0-000000', 'synthetic')
"""

from __future__ import annotations

import math
import random

import faker

from ...errors import ConfigError
from .. import SourceRequest
from ..records import DocumentPool, QAItem, SourceData
from .distractors import FactGroups, near_misses
from .prose import biography
from .questions import Question, generate_questions
from .world import World, build_world

__all__ = ["World", "build_world_for", "item_count", "load", "memory_estimate", "people_count"]

DEFAULT_ITEMS = 1000
POOL_HEADROOM = 2.5  # pool tokens per token of max_len: a row never runs out of padding
# cl100k tokens of biography per person, counting the share of organisations (1 per 5
# people) and cities (1 per 10): measured ~86, rounded down so the pool errs large.
TOKENS_PER_PERSON = 75
# bytes per person: world, biography and question objects measured at 2.5-3.7 KB per person
# (tracemalloc, 1K-20K people), doubled for the build's per-document caches.
BYTES_PER_PERSON = 8 * 1024


def item_count(request: SourceRequest) -> int:
    """Items to generate. Example: num=None, max_len=131072 -> max(1000, 136) = 1000."""
    wanted = DEFAULT_ITEMS if request.num is None else request.num
    return max(wanted, request.max_len // 1024 + 8)


def people_count(request: SourceRequest) -> int:
    """People in the world: one per item, or enough for the token pool if that is more.

    Example: max_len=131072 -> ceil(2.5 * 131072 / 75) = 4370 people (5681 documents).
    """
    by_tokens = math.ceil(POOL_HEADROOM * request.max_len / TOKENS_PER_PERSON)
    return max(item_count(request), by_tokens)


def memory_estimate(request: SourceRequest) -> int:
    """Bytes the world of ``request`` takes. Example: num=1000, max_len=16384 -> 8,192,000."""
    return people_count(request) * BYTES_PER_PERSON


def available_memory() -> int | None:
    """Bytes of memory this machine can still give (Linux ``MemAvailable``), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def build_world_for(request: SourceRequest) -> World:
    """The world ``load`` asks its questions about, for tests and inspection."""
    _check(request)
    needed, available = memory_estimate(request), available_memory()
    if available is not None and needed > available:
        raise ConfigError(
            f"the synthetic world for --num {request.num} at --len {request.max_len} needs about "
            f"{needed / 2**30:.1f} GiB of memory ({people_count(request):,} people), more than the "
            f"{available / 2**30:.1f} GiB available; use a smaller --num or --len"
        )
    return build_world(request.seed, request.split, people_count(request))


def load(request: SourceRequest) -> SourceData:
    world = build_world_for(request)
    key = f"{request.seed}:{request.split}"
    pool = DocumentPool()
    index, texts = {}, {}
    for name in world.names():
        sentences = biography(world, name, key)
        index[name] = pool.add(name, sentences)
        texts[name] = "".join(sentences)
    groups = FactGroups.of(world)
    questions = generate_questions(
        world, texts, groups, item_count(request), random.Random(f"{key}:questions")
    )
    items = tuple(
        _item(world, groups, index, question, f"w{request.seed}-{n:06d}", key)
        for n, question in enumerate(questions)
    )
    return SourceData(
        name="synthetic",
        split=request.split,
        items=items,
        documents=pool.documents(),
        skipped={},
        origin={
            "kind": "generated",
            "generator": "keychain.synthetic",
            "faker": faker.VERSION,
            "seed": request.seed,
            "entities": world.counts(),
        },
    )


def _item(
    world: World,
    groups: FactGroups,
    index: dict[str, int],
    question: Question,
    source_id: str,
    key: str,
) -> QAItem:
    others = near_misses(
        world, groups, question.path, random.Random(f"{key}:others:{source_id}")
    )
    return QAItem(
        source_id=source_id,
        question=question.text,
        answers=(question.answer,),
        gold=tuple(index[name] for name in question.path),
        others=tuple(index[name] for name in others),
        qa_hops=question.hops,
        question_type=question.question_type,
    )


def _check(request: SourceRequest) -> None:
    if request.data_files:
        raise ConfigError("the synthetic source reads no files; drop --data-files")
    if request.num is not None and request.num < 1:
        raise ConfigError(
            f"--num must be at least 1 for the synthetic source, got {request.num}"
        )
    if request.max_len < 1:
        raise ConfigError(f"--len must be positive, got {request.max_len}")
