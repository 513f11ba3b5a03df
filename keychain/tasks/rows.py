"""The row every task writes: the core columns of ``schema.TASK_SCHEMA``, task columns on top.

Columns a task does not use are null, so rows of every task share one schema and one
trainer reads them all.

Example:
    >>> from .spec import TaskSpec
    >>> spec = TaskSpec("mathqa", "train", "choice", 4096, 0, "cl100k_base", None, None, None, "default")
    >>> row = task_row(spec, 3, "q7", [], 12, "2+2?", ["A"], ability="math")
    >>> row["id"], row["data_source"], row["reward_model"]
    ('mathqa-train-choice-q7', 'choice/mathqa', {'style': 'rule', 'ground_truth': ['A']})
"""

from __future__ import annotations

from ..rows.spec import length_label
from ..store.schema import TASK_SCHEMA
from . import UNPADDED_TASKS


def row_id(spec, source_id: str) -> str:
    """source-split-task[-length]-source_id; math rows have no length in their id."""
    label = "" if spec.task in UNPADDED_TASKS else f"-{length_label(spec.target_len)}"
    return f"{spec.source}-{spec.split}-{spec.task}{label}-{source_id}"


def task_row(spec, index: int, source_id: str, prompt: list, n_tokens: int, question: str, answers: list[str], *, ability: str, **columns) -> dict:
    row = dict.fromkeys(TASK_SCHEMA.names)
    row.update(
        id=row_id(spec, source_id),
        data_source=f"{spec.task}/{spec.source}",
        prompt=prompt,
        ability=ability,
        reward_model={"style": "rule", "ground_truth": list(answers)},
        extra_info={"split": spec.split, "index": index},
        source=spec.source,
        source_id=source_id,
        question=question,
        answers=list(answers),
        task=spec.task,
        target_len=spec.target_len,
        n_tokens=n_tokens,
        tokenizer=spec.tokenizer,
        seed=spec.seed,
        gold_titles=[],
        gold_docs=[],
        gold_depths=[],
    )
    unknown = set(columns) - set(row)
    if unknown:
        raise KeyError(f"not schema columns: {sorted(unknown)}")
    row.update(columns)
    return row
