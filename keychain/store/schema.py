"""The explicit Arrow schema of every shard, and its version.

The column names follow verl's RL dataset convention (``data_source``, ``prompt``,
``ability``, ``reward_model``, ``extra_info``) so shards load unchanged in verl and in
TRL (``prompt`` is a list of ``{role, content}`` messages); the remaining columns
describe how the row was made. KeyChain-only columns are null in plain rows.

Bump ``SCHEMA_VERSION`` whenever a column is added, removed or changes meaning. The
versions count one catalogue of columns: 1 = the KeyChain/plain columns, 2 = plus the
retrieval columns (``TASK_SCHEMA``), 3 = plus ``context_tokens`` in both, and mixes'
``extra_info`` names the component row (``MIX_SCHEMA``).

Example:
    >>> SCHEMA.field("prompt").type
    ListType(list<item: struct<role: string, content: string>>)
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 3

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])

# (name, type, meaning): the meaning column feeds the README and the dataset card.
COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("id", pa.string(), "unique row id: source-split-task-length-source_id"),
    ("data_source", pa.string(), "task/source, e.g. keychain/hotpotqa; selects the reward function"),
    ("prompt", pa.list_(MESSAGE), "chat messages (system, user) as the model receives them"),
    ("ability", pa.string(), "task family, longcontext_qa"),
    (
        "reward_model",
        pa.struct([("style", pa.string()), ("ground_truth", pa.list_(pa.string()))]),
        "verl reward spec: style 'rule', ground_truth = answers",
    ),
    ("extra_info", pa.struct([("split", pa.string()), ("index", pa.int64())]), "source split and row index"),
    ("source", pa.string(), "source dataset: hotpotqa, musique, 2wiki or synthetic"),
    ("source_id", pa.string(), "the item's id in its source dataset"),
    ("question", pa.string(), "the question the row asks (hidden at the end of the true chain in keychain rows)"),
    ("answers", pa.list_(pa.string()), "accepted answers (MuSiQue aliases included)"),
    ("question_type", pa.string(), "source question type (bridge, comparison, 2hop, compositional, ...)"),
    ("qa_hops", pa.int32(), "reasoning hops of the source question, where the source has them"),
    ("task", pa.string(), "keychain or plain"),
    ("target_len", pa.int32(), "token budget of the prompt"),
    ("n_tokens", pa.int32(), "tokens of the prompt as the model sees it (chat template included for HF tokenizers)"),
    (
        "context_tokens",
        pa.int32(),
        "tokens of the passages alone, pairs left out, no template (builds padded by context, e.g. --preset loongrl; else null)",
    ),
    ("tokenizer", pa.string(), "tokenizer n_tokens was counted with"),
    ("seed", pa.int64(), "build seed"),
    ("num_docs", pa.int32(), "passages in the context"),
    ("gold_titles", pa.list_(pa.string()), "titles of the supporting documents"),
    ("gold_docs", pa.list_(pa.string()), "supporting documents, title line and body, verbatim"),
    ("gold_depths", pa.list_(pa.float64()), "relative position (0..1) of each supporting document in the context"),
    ("head_key", pa.string(), "key the true chain starts from (keychain rows)"),
    ("chain_keys", pa.list_(pa.string()), "the true chain's keys, in order (keychain rows)"),
    ("hops", pa.int32(), "keys per chain = pairs followed from head key to question (keychain rows)"),
    ("num_chains", pa.int32(), "chains in the context, the true one included (keychain rows)"),
    ("chain_depths", pa.list_(pa.float64()), "relative position (0..1) of each true-chain pair, in chain order"),
]

SCHEMA = pa.schema([pa.field(name, dtype) for name, dtype, _ in COLUMNS])

# Retrieval and math tasks (keychain/tasks/) write every column above plus these; their
# shards use TASK_SCHEMA, mixes of any tasks MIX_SCHEMA. KeyChain and plain shards use
# SCHEMA, without these columns.
TASK_SCHEMA_VERSION = 3
TASK_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("needle_depth", pa.float64(), "requested relative position (0..1) of the needle (niah rows)"),
    ("needles", pa.list_(pa.string()), "needle sentences hidden in the haystack, in context order (retrieval rows)"),
    ("needle_depths", pa.list_(pa.float64()), "relative position (0..1) of each needle, in context order"),
]
TASK_SCHEMA = pa.schema([pa.field(name, dtype) for name, dtype, _ in COLUMNS + TASK_COLUMNS])
COLUMN_MEANINGS = {name: meaning for name, _, meaning in COLUMNS + TASK_COLUMNS}

# A mix renumbers extra_info.index over all its rows (verl copies it into each item's
# index, so it must be unique); the component's config and row index move beside it.
MIX_EXTRA_INFO = pa.struct(
    [("split", pa.string()), ("index", pa.int64()), ("config", pa.string()), ("config_index", pa.int64())]
)
MIX_SCHEMA = TASK_SCHEMA.set(TASK_SCHEMA.get_field_index("extra_info"), pa.field("extra_info", MIX_EXTRA_INFO))
MIX_SCHEMA_VERSION = TASK_SCHEMA_VERSION


def schema_for(task: str) -> tuple[pa.Schema, int]:
    """(schema, version) a task's shards are written with: ``keychain`` -> (SCHEMA, 1)."""
    return (SCHEMA, SCHEMA_VERSION) if task in ("keychain", "plain") else (TASK_SCHEMA, TASK_SCHEMA_VERSION)


def rows_to_table(rows: list[dict]) -> pa.Table:
    """Rows (dicts with exactly the schema's columns) to a table with the explicit schema."""
    return pa.Table.from_pylist(rows, schema=SCHEMA)
