"""DAPO-Math-17k (math problems with integer answers) as one ``SourceData`` without documents.

Reads the Hub dataset ``BytedTsinghua-SIA/DAPO-Math-17k`` or its files (Parquet, JSON
Lines or a JSON list) given as data files. Each record holds verl columns: ``prompt`` (a
chat list whose user message wraps the problem in DAPO's "Answer:" instructions) and
``reward_model.ground_truth``. The problem is taken out of that wrapper (the prompt asks
for ``\\boxed{}`` instead); the release repeats each problem many times, so items are
keyed by the problem text and repeats are counted as ``duplicate_id``.

Example:
    >>> wrapped = DAPO_PREFIX + "Find $x$ if $2x = 6$." + DAPO_SUFFIX
    >>> record = {"prompt": [{"role": "user", "content": wrapped}],
    ...           "reward_model": {"ground_truth": "3", "style": "rule-lighteval/MATH_v2"}}
    >>> data = records_to_source([record, record], "train", {}, "dapo.parquet")
    >>> data.items[0].question, data.items[0].answers, data.skipped
    ('Find $x$ if $2x = 6$.', ('3',), {'duplicate_id': 1})
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import InputError
from . import SourceRequest
from .assemble import ItemDraft, Skip, load_files, records_source
from .fields import has_text, not_text, record_error, require
from .files import read_json_list, read_jsonl
from .hub import fetch_hub, hub_origin, hub_split
from .records import SourceData

NAME = "dapo-math"
DATASET = "DAPO-Math-17k"
HUB_REPO = "BytedTsinghua-SIA/DAPO-Math-17k"
HUB_SPLITS = {"train": "train"}
DAPO_PREFIX = (
    "Solve the following math problem step by step. The last line of your response should "
    "be of the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n"
)
DAPO_SUFFIX = '\n\nRemember to put your answer on its own line after "Answer:".'


def load(request: SourceRequest) -> SourceData:
    if request.data_files:
        return load_files(NAME, DATASET, request.data_files, request.split, read_records, _convert)
    split = hub_split(NAME, request.split, HUB_SPLITS)
    dataset = fetch_hub(_load_hub, split, HUB_REPO, "pass --data-files with the dataset's Parquet file")
    return records_to_source(dataset, split, hub_origin(HUB_REPO, None, split, dataset), HUB_REPO)


def _load_hub(split: str):  # replaced in tests
    import datasets

    return datasets.load_dataset(HUB_REPO, split=split)


def read_records(path: Path) -> list[dict]:
    """Records of a Parquet, JSON Lines or JSON list file, by the file's ending."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path).to_pylist()
        except (OSError, ValueError) as error:
            raise InputError(f"{path}: not a readable Parquet file ({type(error).__name__}); pass the dataset's Parquet file") from error
    return read_jsonl(path) if path.suffix == ".jsonl" else read_json_list(path)


def records_to_source(records: Iterable[Mapping[str, Any]], split: str, origin: Mapping[str, Any], where: str) -> SourceData:
    return records_source(NAME, DATASET, _convert, records, split, origin, where)


def problem_of(content: str) -> str:
    """The problem inside DAPO's user message (the message itself when it has no wrapper)."""
    text = content[len(DAPO_PREFIX) :] if content.startswith(DAPO_PREFIX) else content
    return (text[: -len(DAPO_SUFFIX)] if text.endswith(DAPO_SUFFIX) else text).strip()


def _convert(record: Mapping[str, Any], where: str, number: int, fix: str) -> ItemDraft | Skip:
    prompt = require(record, "prompt", where, number, fix)
    reward = require(record, "reward_model", where, number, fix)
    users = [m.get("content") for m in prompt if isinstance(m, Mapping) and m.get("role") == "user"] if isinstance(prompt, list) else []
    if not users or not isinstance(reward, Mapping) or "ground_truth" not in reward:
        raise record_error(where, number, record, "prompt is not a chat list or reward_model has no ground_truth", fix)
    reason = not_text(prompt=users[-1], ground_truth=reward["ground_truth"])
    if reason or users[-1] is None:  # a number, or null ("content": null): a counted skip
        return Skip(None, reason or "no_question")  # no problem text, so no id to key repeats by
    problem = problem_of(users[-1])
    source_id = "dapo-" + hashlib.sha256(problem.encode()).hexdigest()[:16]
    answer = (reward["ground_truth"] or "").strip()
    if not has_text(problem):
        return Skip(source_id, "no_question")
    if not answer:
        return Skip(source_id, "no_answer")
    return ItemDraft(source_id, problem, (answer,), (), ())
