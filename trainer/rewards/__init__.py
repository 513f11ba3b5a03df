r"""Rule rewards: one pure scoring path exposed to verl and to TRL.

``score(name, data_source, solution_str, ground_truth)`` dispatches by ``data_source``
through the registry (``registry.py``). Every reward reads the final answer (the last
``\boxed{}`` after the last ``</think>``, see ``answer.py``). One name scores the whole
LoongRL mix (paper Table 1):

    containment        the default. keychain/* and plain/*: whole-word containment either
                       way, hedges, lists and long answers rejected, yes/no and numbers
                       exact (``qa.py``); multikey/* and niah/*: the needle value exactly;
                       multivalue/*: exactly the set of values (``retrieval.py``);
                       math/*: equivalence with math-verify; choice/*: the option letter
                       (``math.py``)
    containment_paper  LoongRL Eq. 3 literally on QA and needle rows (character
                       containment either way): hackable, for reproduction only; the
                       other tasks as ``containment``
    exact_match, f1    normalised equality (the paper's Table 5 compares it) and token F1

``char_share`` is a smoke-test reward for any row: the share of the letter "e" in the
completion. A random tiny model raises it within about 40 CPU steps, which shows the
training loop learns without needing a model that can answer questions.

New task types plug in without touching the trainer: a module in this package (found
and imported here), or any installed package naming its module under the entry-point
group ``trainer.rewards``, registers its scorers with
``@register("containment", "math/*")`` (``registry.py``). A recipe keeps one reward
name and each row is scored by the scorer its ``data_source`` resolves to.

Example:
    >>> compute_score("keychain/hotpotqa", r"<think>...</think> \boxed{The Beatles}", ["Beatles"])
    1.0
    >>> [score(name, "plain/musique", r"\boxed{e}", "The Beatles") for name in ("containment", "containment_paper")]
    [0.0, 1.0]
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from typing import Any, Callable, Iterable, Sequence

from . import qa
from .answer import answer_scorer, final_answer
from .registry import check_reward_name, register, reward_names, scorer_for, unregister

__all__ = [
    "DEFAULT_REWARD",
    "check_reward_name",
    "completion_text",
    "compute_score",
    "compute_score_exact_match",
    "compute_score_f1",
    "compute_score_paper",
    "final_answer",
    "golds_of",
    "register",
    "reward_function",
    "reward_names",
    "score",
    "scorer_for",
    "unregister",
]

DEFAULT_REWARD = "containment"
QA_SOURCES = ("keychain/*", "plain/*")


for _name, _metric in (("containment", qa.containment), ("containment_paper", qa.containment_paper),
                       ("exact_match", qa.exact_match), ("f1", qa.f1)):
    register(_name, *QA_SOURCES)(answer_scorer(_metric))


@register("char_share", "*")
def char_share(solution_str: str, ground_truth: Sequence[str]) -> float:
    """Smoke test: the share of the letter "e" among the completion's characters."""
    return solution_str.count("e") / len(solution_str) if solution_str else 0.0


def _load_plugins() -> None:
    """Import this package's other reward modules and the ``trainer.rewards`` entry points."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    for entry in entry_points(group="trainer.rewards"):
        entry.load()


def golds_of(ground_truth: Any) -> list[str]:
    """A single answer or any sequence of answers (list, tuple, numpy array) as a list."""
    if ground_truth is None:
        return []
    if isinstance(ground_truth, str):
        return [ground_truth]
    return [str(answer) for answer in ground_truth]


def score(name: str, data_source: str, solution_str: str, ground_truth: Any) -> float:
    """Reward ``name`` of one completion of a row from ``data_source``."""
    return float(scorer_for(name, data_source)(solution_str, golds_of(ground_truth)))


def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None) -> float:
    """verl's custom-reward signature, scoring with the default ``containment`` reward."""
    return score(DEFAULT_REWARD, data_source, solution_str, ground_truth)


def compute_score_paper(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None) -> float:
    """verl signature, the paper's literal character containment (hackable; reproduction only)."""
    return score("containment_paper", data_source, solution_str, ground_truth)


def compute_score_exact_match(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None) -> float:
    """verl signature, normalised exact match."""
    return score("exact_match", data_source, solution_str, ground_truth)


def compute_score_f1(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None) -> float:
    """verl signature, SQuAD token F1."""
    return score("f1", data_source, solution_str, ground_truth)


def completion_text(completion: Any) -> str:
    """TRL gives plain strings, or for chat data a list of messages: their contents joined."""
    if isinstance(completion, str):
        return completion
    return "".join(message.get("content") or "" for message in completion)


def reward_function(name: str) -> Callable[..., list[float]]:
    """A TRL reward function for reward ``name``, reading the row's answer columns.

    TRL calls it with ``prompts``, ``completions``, ``completion_ids`` and every dataset
    column as a keyword (one value per completion); the gold answers come from ``answers``
    or, for verl-style data without it, ``reward_model["ground_truth"]``.
    """
    check_reward_name(name)

    def reward(
        prompts: list,
        completions: list,
        completion_ids: list | None = None,
        data_source: list[str] | None = None,
        answers: list | None = None,
        reward_model: list[dict] | None = None,
        **_: Any,
    ) -> list[float]:
        if data_source is None:
            raise KeyError("the training data has no data_source column; keychain shards always have one")
        golds: Iterable = answers if answers is not None else [
            (row or {}).get("ground_truth") for row in (reward_model or [None] * len(completions))
        ]
        return [
            score(name, source, completion_text(completion), gold)
            for source, completion, gold in zip(data_source, completions, golds, strict=True)
        ]

    reward.__name__ = name  # TRL logs rewards/<name>/mean
    return reward


_load_plugins()
