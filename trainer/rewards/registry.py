"""Rewards by name, and per name one scorer per data source.

A scorer is a plain function ``(solution_str, ground_truth) -> float``. It is
registered under a reward name (what a recipe's ``reward.name`` picks) and the
``data_source`` patterns it serves: an exact source (``keychain/hotpotqa``), a family
(``keychain/*``) or every source (``*``). Scoring a row looks up the most specific
pattern for its ``data_source``, so a new task type (retrieval, math) plugs in with one
decorated function and no change to the trainer.

Example:
    >>> @register("demo_length", "*")
    ... def _demo(solution_str, ground_truth):
    ...     return float(len(solution_str))
    >>> scorer_for("demo_length", "keychain/hotpotqa")("abc", ["x"])
    3.0
    >>> _ = unregister("demo_length")
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..errors import RecipeError

Scorer = Callable[[str, Sequence[str]], float]

_REGISTRY: dict[str, dict[str, Scorer]] = {}


def register(name: str, *data_sources: str) -> Callable[[Scorer], Scorer]:
    """Decorator: serve reward ``name`` for ``data_sources`` (patterns) with this scorer."""
    if not data_sources:
        raise ValueError("register() needs at least one data_source pattern, e.g. 'keychain/*' or '*'")

    def decorate(scorer: Scorer) -> Scorer:
        table = _REGISTRY.setdefault(name, {})
        for pattern in data_sources:
            table[pattern] = scorer
        return scorer

    return decorate


def unregister(name: str) -> dict[str, Scorer]:
    """Remove reward ``name`` (tests and notebooks); returns what it held."""
    return _REGISTRY.pop(name, {})


def reward_names() -> list[str]:
    return sorted(_REGISTRY)


def check_reward_name(name: str) -> None:
    if name not in _REGISTRY:
        raise RecipeError(f"{name!r} is not a registered reward; choose one of {', '.join(reward_names())}")


def scorer_for(name: str, data_source: str) -> Scorer:
    """The scorer of reward ``name`` for ``data_source``: exact, then family, then ``*``."""
    check_reward_name(name)
    table = _REGISTRY[name]
    family = data_source.split("/", 1)[0] + "/*"
    for pattern in (data_source, family, "*"):
        if pattern in table:
            return table[pattern]
    served = ", ".join(sorted(table))
    raise RecipeError(
        f"reward {name!r} has no scorer for data_source {data_source!r} (it serves {served}); "
        "register one in trainer.rewards or choose another reward.name"
    )
