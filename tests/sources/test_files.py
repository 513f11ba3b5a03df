"""The shared readers, record checks and assembly of the real-data sources."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from keychain.errors import InputError
from keychain.sources.assemble import ItemDraft, Skip, assemble
from keychain.sources.fields import (
    as_pairs,
    as_rows,
    record_error,
    require,
    select_gold,
    wrong_data_fix,
)
from keychain.sources.files import file_origin, read_json_list, read_jsonl
from keychain.sources.records import Document


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message.strip() == message
    return message


# --- read_json_list / read_jsonl -------------------------------------------------------


def test_read_json_list_returns_records_in_file_order(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('[{"_id": "a"}, {"_id": "b"}]', encoding="utf-8")
    assert read_json_list(path) == [{"_id": "a"}, {"_id": "b"}]


@pytest.mark.parametrize("reader", [read_json_list, read_jsonl])
def test_missing_file_names_the_path_and_the_flag(tmp_path, reader):
    path = tmp_path / "nope.json"
    with pytest.raises(InputError) as error:
        reader(path)
    assert one_line(error) == f"{path}: no such file; check the --data-files path"


def test_unreadable_file_names_the_cause(tmp_path, monkeypatch):
    path = tmp_path / "locked.json"
    path.write_text("[]", encoding="utf-8")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(InputError) as error:
        read_json_list(path)
    assert (
        one_line(error) == f"{path}: cannot read (Permission denied); check the file's permissions"
    )


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'[{"_id": "caf\xe9"}]')
    with pytest.raises(InputError) as error:
        read_json_list(path)
    assert one_line(error).startswith(f"{path}: not UTF-8 text (")


def test_malformed_json_list_gives_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"_id": "a"},\n  {"_id": "b",}\n]', encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_json_list(path)
    message = one_line(error)
    assert message.startswith(f"{path} line 3 column 15: not valid JSON (")
    assert message.endswith("; fix the file or download it again")


def test_json_lines_passed_as_json_list_says_so(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text('{"_id": "a"}\n{"_id": "b"}\n', encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_json_list(path)
    assert one_line(error) == (
        f"{path} line 2 column 1: not valid JSON (Extra data); "
        "it looks like JSON Lines; pass the dataset's JSON list file"
    )


@pytest.mark.parametrize(
    ("text", "kind"), [('{"_id": "a"}', "object"), ('"a"', "string"), ("3", "number")]
)
def test_json_list_with_wrong_top_level_type_is_refused(tmp_path, text, kind):
    path = tmp_path / "data.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_json_list(path)
    assert one_line(error) == (
        f"{path}: expected a JSON list of records, found a JSON {kind}; "
        "pass the dataset's original release file"
    )


def test_json_list_of_non_objects_names_the_record(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('[{"_id": "a"}, ["b"]]', encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_json_list(path)
    assert one_line(error).startswith(f"{path} record 2: expected a JSON object, found a JSON list")


def test_read_jsonl_skips_blank_lines(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"id": "a"}\n\n{"id": "b"}\n', encoding="utf-8")
    assert read_jsonl(path) == [{"id": "a"}, {"id": "b"}]


def test_a_json_list_given_where_json_lines_are_read_says_so(tmp_path):
    path = tmp_path / "hotpot_train_v1.1.json"
    path.write_text('[\n  {"_id": "a", "question": "q"},\n  {"_id": "b", "question": "r"}\n]\n', encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_jsonl(path)
    assert one_line(error).startswith(f"{path}: holds one JSON list, not JSON Lines (one object per line)")
    assert "or the --source the file belongs to" in one_line(error)


def test_a_folder_given_as_a_data_file_names_a_file_inside(tmp_path):
    (tmp_path / "hotpot").mkdir()
    (tmp_path / "hotpot" / "train.json").write_text("[]", encoding="utf-8")
    for read in (read_json_list, read_jsonl, lambda path: file_origin([path])):
        with pytest.raises(InputError) as error:
            read(tmp_path / "hotpot")
        assert one_line(error) == (
            f"{tmp_path / 'hotpot'}: is a folder, not a data file; pass the file inside it, "
            f"e.g. --data-files {tmp_path / 'hotpot' / 'train.json'}"
        )


def test_bad_jsonl_line_is_named_by_number(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}\n{"id": "c"\n{"id": "d"}\n', encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_jsonl(path)
    message = one_line(error)
    assert message.startswith(f"{path} line 3: not valid JSON (")
    assert message.endswith("); fix or remove that line")


def test_jsonl_line_that_is_not_an_object_is_refused(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"id": "a"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_jsonl(path)
    assert one_line(error) == (
        f"{path} line 2: expected one JSON object per line, found a JSON list; "
        "is this a JSON Lines file?"
    )


# --- file_origin ---------------------------------------------------------------------


def test_file_origin_records_path_sha256_and_size(tmp_path, monkeypatch):
    from keychain import digest

    monkeypatch.setattr(digest, "_BLOCK", 7)  # several blocks: the hash is streamed
    digest._sha256.cache_clear()
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_bytes(b"[1, 2, 3, 4, 5, 6, 7, 8, 9]")
    second.write_bytes(b"[]")
    assert file_origin([first, second]) == {
        "kind": "file",
        "files": [
            {
                "path": str(first),
                "sha256": hashlib.sha256(first.read_bytes()).hexdigest(),
                "bytes": 27,
            },
            {"path": str(second), "sha256": hashlib.sha256(b"[]").hexdigest(), "bytes": 2},
        ],
    }


def test_file_origin_of_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        file_origin([tmp_path / "gone.json"])


# --- record checks -------------------------------------------------------------------


def test_missing_field_error_names_file_record_id_and_dataset():
    fix = wrong_data_fix({"kind": "file"}, "HotpotQA")
    with pytest.raises(InputError) as error:
        require({"_id": "abc", "question": "q"}, "supporting_facts", "data/h.json", 5, fix)
    assert one_line(error) == (
        "data/h.json record 5 (id=abc): missing field 'supporting_facts'; is this a HotpotQA file?"
    )


def test_missing_field_error_for_hub_data_names_the_hub_id():
    fix = wrong_data_fix({"kind": "hub"}, "HotpotQA")
    with pytest.raises(InputError) as error:
        require({"id": "abc"}, "context", "hotpotqa/hotpot_qa", 2, fix)
    assert one_line(error) == (
        "hotpotqa/hotpot_qa record 2 (id=abc): missing field 'context'; "
        "the Hub copy may have changed format; pass --data-files with the original file"
    )


def test_missing_answer_points_at_the_unlabeled_test_split():
    with pytest.raises(InputError) as error:
        require({"_id": "t1"}, "answer", "test.json", 1, "is this a 2WikiMultiHopQA file?")
    assert one_line(error) == (
        "test.json record 1 (id=t1): missing field 'answer'; "
        "a test split has no answers; use the train or validation split"
    )


def test_require_accepts_id_for_underscore_id_and_reports_neither():
    assert require({"id": 7}, "_id", "x", 1, "fix") == "7"
    with pytest.raises(InputError, match=r"record 1 \(id=None\): missing field '_id' \(or 'id'\)"):
        require({"question": "q"}, "_id", "x", 1, "fix")


def test_record_error_is_one_line():
    error = record_error("f.json", 3, {"_id": "z"}, "bad thing", "do this")
    assert str(error) == "f.json record 3 (id=z): bad thing; do this"


# --- encodings -----------------------------------------------------------------------

PAIRS = [("Fog", ["Fog is grey."]), ("Rain", ["Rain is wet.", " It falls."])]


@pytest.mark.parametrize(
    "value",
    [
        [["Fog", ["Fog is grey."]], ["Rain", ["Rain is wet.", " It falls."]]],
        {"title": ["Fog", "Rain"], "sentences": [["Fog is grey."], ["Rain is wet.", " It falls."]]},
        {"title": ["Fog", "Rain"], "content": [["Fog is grey."], ["Rain is wet.", " It falls."]]},
        [
            {"title": "Fog", "content": ["Fog is grey."]},
            {"title": "Rain", "content": ["Rain is wet.", " It falls."]},
        ],
        json.dumps([["Fog", ["Fog is grey."]], ["Rain", ["Rain is wet.", " It falls."]]]),
        json.dumps(
            {
                "title": ["Fog", "Rain"],
                "sentences": [["Fog is grey."], ["Rain is wet.", " It falls."]],
            }
        ),
    ],
    ids=["pairs", "columns", "columns-content", "rows", "json-pairs", "json-columns"],
)
def test_as_pairs_reads_every_context_encoding(value):
    assert as_pairs(value, ("sentences", "content")) == PAIRS


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        3,
        {"title": ["a"]},
        {"title": ["a", "b"], "sentences": [["x"]]},
        [["a", "b", "c"]],
        [{"name": "a"}],
    ],
)
def test_as_pairs_rejects_other_shapes(value):
    assert as_pairs(value, ("sentences",)) is None


def test_as_rows_turns_columns_into_rows():
    assert as_rows({"title": ["A", "B"], "sent_id": [0, 2]}) == [
        {"title": "A", "sent_id": 0},
        {"title": "B", "sent_id": 2},
    ]
    assert as_rows([{"a": 1}]) == [{"a": 1}]


def test_select_gold_orders_gold_by_titles_and_keeps_all_documents_of_a_title():
    a, b1, c, b2 = (
        Document("A", ("a.",)),
        Document("B", ("b.",)),
        Document("C", ()),
        Document("B", ("b2.",)),
    )
    assert select_gold(["B", "A"], [a, b1, c, b2]) == ((b1, b2, a), (c,))
    assert select_gold(["Z"], [a]) is None
    assert select_gold([], [a]) is None


# --- assemble ------------------------------------------------------------------------

FOG = Document("Fog", ("Fog is grey.",))
RAIN = Document("Rain", ("Rain is wet.",))
SNOW = Document("Snow", ("Snow is white.",))


def test_assemble_pools_shared_documents_once_and_keeps_item_order():
    drafts = [
        ItemDraft("q1", "Q1?", ("A1",), (FOG,), (RAIN,), 2, "bridge"),
        ItemDraft("q2", "Q2?", ("A2",), (SNOW, RAIN), (FOG,), 2, "comparison"),
    ]
    data = assemble("demo", "train", {"kind": "file"}, drafts, "demo.json")
    assert data.documents == (FOG, RAIN, SNOW)
    assert [(i.source_id, i.gold, i.others) for i in data.items] == [
        ("q1", (0,), (1,)),
        ("q2", (2, 1), (0,)),
    ]
    assert data.skipped == {} and data.origin == {"kind": "file"}


def test_assemble_drops_others_that_repeat_a_gold_document():
    drafts = [ItemDraft("q1", "Q?", ("A",), (FOG, FOG), (FOG, RAIN, RAIN))]
    item = assemble("demo", "train", {}, drafts, "demo.json").items[0]
    assert (item.gold, item.others) == ((0,), (1,))


def test_assemble_counts_skips_and_repeated_ids_keep_the_first_record():
    drafts = [
        ItemDraft("q1", "first", ("A",), (FOG,), ()),
        Skip("q2", "no_answer"),
        ItemDraft("q1", "second", ("B",), (RAIN,), ()),
        ItemDraft("q2", "after skip", ("B",), (RAIN,), ()),
        Skip("q3", "missing_gold"),
    ]
    data = assemble("demo", "train", {}, drafts, "demo.json")
    assert [i.question for i in data.items] == ["first"]
    assert data.skipped == {"duplicate_id": 2, "missing_gold": 1, "no_answer": 1}
    assert data.documents == (FOG,)


def test_assemble_without_records_is_an_input_error():
    with pytest.raises(InputError) as error:
        assemble("demo", "train", {}, [], "empty.json")
    assert one_line(error) == "empty.json: no records; pass a file that holds the dataset's records"


def test_assemble_with_only_unanswered_records_points_at_the_test_split():
    with pytest.raises(InputError) as error:
        assemble("demo", "test", {}, [Skip("a", "no_answer"), Skip("b", "no_answer")], "test.json")
    assert one_line(error) == (
        "test.json: no usable records (skipped no_answer=2); "
        "a test split has no answers; use the train or validation split"
    )
