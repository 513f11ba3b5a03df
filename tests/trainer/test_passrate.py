"""Pass-rate arithmetic, the keep range, and pass@1 grouping, on hand-worked cases."""

from __future__ import annotations

import pyarrow as pa
import pytest

from trainer.errors import DataError
from trainer.evaluate import format_table, group_pass_at_1
from trainer.passrate import keep_mask, parse_keep, row_pass_rates


def _table():
    return pa.table({
        "data_source": ["keychain/hotpotqa", "keychain/hotpotqa", "plain/hotpotqa"],
        "answers": [["Paris"], ["Rome"], ["Oslo"]],
        "target_len": [16384, 16384, 4096],
    })


def test_row_pass_rate_is_mean_reward_of_its_completions():
    completions = [[r"\boxed{Paris}", r"\boxed{Lyon}"], [r"\boxed{rome}"] * 2, ["Oslo"] * 2]
    assert row_pass_rates(_table(), completions, "containment") == [0.5, 1.0, 0.0]


def test_pass_at_1_groups_by_source_and_length():
    groups = group_pass_at_1(_table(), [0.5, 1.0, 0.0])
    assert groups == [
        {"data_source": "keychain/hotpotqa", "target_len": 16384, "rows": 2, "pass_at_1": 0.75},
        {"data_source": "plain/hotpotqa", "target_len": 4096, "rows": 1, "pass_at_1": 0.0},
    ]
    assert format_table(groups).splitlines()[-1].split() == ["all", "3", "0.500"]


def test_keep_range_is_the_papers_1_to_6_of_8_filter():
    low, high = parse_keep("1/8:6/8")
    rates = [k / 8 for k in range(9)]
    assert [k for k, keep in enumerate(keep_mask(rates, low, high)) if keep] == [1, 2, 3, 4, 5, 6]
    with pytest.raises(DataError, match="write it as LO:HI"):
        parse_keep("half")
    with pytest.raises(DataError, match="0 <= LO <= HI <= 1"):
        parse_keep("0.8:0.2")


def test_a_shard_set_written_from_several_numbers_extra_info_index_again(tmp_path):
    import pyarrow.parquet as pq

    from trainer.passrate import SHARD_FILE, write_shard_set

    extra = pa.array([{"split": "train", "index": i} for i in (0, 1, 0)], pa.struct([("split", pa.string()), ("index", pa.int64())]))
    table = pa.table({"id": ["a-0", "a-1", "b-0"], "extra_info": extra, "pass_rate": [0.5, 0.0, 1.0]})
    version = write_shard_set(table, tmp_path / "set", {"test": 1})
    written = pq.read_table(version / SHARD_FILE).column("extra_info").to_pylist()
    assert [e["index"] for e in written] == [0, 1, 2] and [e["config_index"] for e in written] == [0, 1, 0]
