"""2WikiMultiHopQA: original files and every Hub encoding become the same SourceData."""

from __future__ import annotations

import json

import pytest

from keychain.errors import ConfigError, InputError
from keychain.sources import SourceRequest, twowiki
from keychain.sources.records import Document


def compositional_record(**changes):
    """An invented compositional question: gold 'Fog (film)' then 'Bo Lee'."""
    record = {
        "_id": "w1",
        "type": "compositional",
        "question": "Who is the mother of the director of film Fog?",
        "answer": "Ann Lee",
        "context": [
            ["Bo Lee", ["Bo Lee is a film director.", "His mother is Ann Lee."]],
            ["Rain (song)", ["Rain is a song.", "It is sad."]],
            ["Fog (film)", ["Fog is a 1990 film.", "It was directed by Bo Lee."]],
        ],
        "supporting_facts": [["Fog (film)", 1], ["Bo Lee", 1]],
        "evidences": [["Fog (film)", "director", "Bo Lee"], ["Bo Lee", "mother", "Ann Lee"]],
    }
    record.update(changes)
    return record


def comparison_record(**changes):
    """An invented comparison question with four evidence triples over two documents."""
    record = {
        "_id": "w2",
        "type": "bridge_comparison",
        "question": "Which film has the director born first, Hail or Sleet?",
        "answer": "Sleet",
        "context": [
            ["Sleet", ["Sleet is a film by Cy Moe.", "Cy Moe was born in 1920."]],
            ["Hail", ["Hail is a film by Di Noe.", "Di Noe was born in 1950."]],
            ["Rain (song)", ["Rain is a song.", "It is sad."]],
        ],
        "supporting_facts": [["Hail", 0], ["Hail", 1], ["Sleet", 0], ["Sleet", 1]],
        "evidences": [
            ["Hail", "director", "Di Noe"],
            ["Sleet", "director", "Cy Moe"],
            ["Di Noe", "date of birth", "1950"],
            ["Cy Moe", "date of birth", "1920"],
        ],
    }
    record.update(changes)
    return record


def records():
    return [compositional_record(), comparison_record()]


def as_columns(record, body="content"):
    """The datasets ``Sequence``-of-dicts layout: every nested list becomes named columns."""
    return {
        **record,
        "context": {
            "title": [t for t, _ in record["context"]],
            body: [s for _, s in record["context"]],
        },
        "supporting_facts": {
            "title": [t for t, _ in record["supporting_facts"]],
            "sent_id": [i for _, i in record["supporting_facts"]],
        },
        "evidences": {
            "fact": [e[0] for e in record["evidences"]],
            "relation": [e[1] for e in record["evidences"]],
            "entity": [e[2] for e in record["evidences"]],
        },
    }


def as_rows(record):
    """A list-of-structs layout: each pair or triple becomes a dict."""
    return {
        **record,
        "context": [{"title": t, "content": s} for t, s in record["context"]],
        "supporting_facts": [{"title": t, "sent_id": i} for t, i in record["supporting_facts"]],
        "evidences": [{"fact": f, "relation": r, "entity": e} for f, r, e in record["evidences"]],
    }


def as_json_strings(record):
    """Nested fields stored as JSON text, as some Parquet exports do."""
    return {
        **record,
        **{key: json.dumps(record[key]) for key in ("context", "supporting_facts", "evidences")},
    }


ENCODINGS = {
    "columns-content": as_columns,
    "columns-sentences": lambda r: as_columns(r, body="sentences"),
    "rows": as_rows,
    "json-strings": as_json_strings,
}


def write_json(path, items):
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def write_parquet(path, items):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(items), path)
    return path


def one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_original_file_converts_to_known_items_and_documents(tmp_path):
    path = write_json(tmp_path / "dev.json", records())
    data = twowiki.load(SourceRequest(split="dev", data_files=(path,)))

    assert (data.name, data.split, data.skipped) == ("2wiki", "validation", {})
    assert data.documents == (
        Document("Fog (film)", ("Fog is a 1990 film.", "It was directed by Bo Lee.")),
        Document("Bo Lee", ("Bo Lee is a film director.", "His mother is Ann Lee.")),
        Document("Rain (song)", ("Rain is a song.", "It is sad.")),
        Document("Hail", ("Hail is a film by Di Noe.", "Di Noe was born in 1950.")),
        Document("Sleet", ("Sleet is a film by Cy Moe.", "Cy Moe was born in 1920.")),
    )
    first, second = data.items
    assert (first.source_id, first.answers, first.gold, first.others) == (
        "w1",
        ("Ann Lee",),
        (0, 1),
        (2,),
    )
    assert (first.qa_hops, first.question_type) == (2, "compositional")
    assert (second.gold, second.others) == ((3, 4), (2,))
    assert (second.qa_hops, second.question_type) == (4, "bridge_comparison")


def test_without_evidences_hops_count_the_gold_documents():
    record = compositional_record()
    del record["evidences"]
    data = twowiki.records_to_source(
        [record, comparison_record(evidences=[])], "train", {}, "t.json"
    )
    assert [item.qa_hops for item in data.items] == [2, 2]


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_every_hub_encoding_gives_the_same_source_data(encoding, same_content):
    original = twowiki.records_to_source(records(), "train", {}, "train.json")
    encoded = [ENCODINGS[encoding](record) for record in records()]
    same_content(twowiki.records_to_source(encoded, "train", {}, "hub"), original)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_hub_dataset_in_memory_gives_the_same_source_data(encoding, monkeypatch, same_content):
    from datasets import Dataset

    original = twowiki.records_to_source(records(), "train", {}, "train.json")
    hub = Dataset.from_list([ENCODINGS[encoding](record) for record in records()])
    monkeypatch.setattr(twowiki, "_load_hub", lambda split: hub)
    same_content(twowiki.load(SourceRequest(split="train")), original)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_hub_parquet_is_read_through_datasets(
    encoding, tmp_path, monkeypatch, datasets_cache, same_content
):
    write_parquet(tmp_path / "dev.parquet", [ENCODINGS[encoding](record) for record in records()])
    monkeypatch.setattr(twowiki, "HUB_URL", str(tmp_path / "{file}"))

    data = twowiki.load(SourceRequest(split="validation"))

    original = twowiki.records_to_source(records(), "validation", {}, "dev.json")
    same_content(data, original)
    assert data.origin["kind"] == "hub" and data.origin["split"] == "validation"
    assert data.origin["repo"] == "xanhho/2WikiMultihopQA"
    assert data.origin["data_files"] == [str(tmp_path / "dev.parquet")]
    assert isinstance(data.origin["fingerprint"], str)


def test_hub_urls_point_at_the_parquet_files_of_the_hub_copy():
    assert twowiki.hub_url("train") == "hf://datasets/xanhho/2WikiMultihopQA/train.parquet"
    assert twowiki.hub_url("validation") == "hf://datasets/xanhho/2WikiMultihopQA/dev.parquet"


def test_hub_test_split_is_refused_before_loading(monkeypatch):
    monkeypatch.setattr(twowiki, "_load_hub", lambda split: pytest.fail("must not load"))
    with pytest.raises(InputError) as error:
        twowiki.load(SourceRequest(split="test"))
    assert one_line(error) == (
        "2wiki split 'test' has no answers (2WikiMultiHopQA's test set is unlabeled); "
        "use the train or validation split"
    )


def test_test_file_without_answers_says_to_use_train_or_validation(tmp_path):
    unlabeled = []
    for record in records():
        for key in ("answer", "supporting_facts", "evidences"):
            del record[key]
        unlabeled.append(record)
    path = write_json(tmp_path / "test.json", unlabeled)
    with pytest.raises(InputError) as error:
        twowiki.load(SourceRequest(split="test", data_files=(path,)))
    assert one_line(error) == (
        f"{path} record 1 (id=w1): missing field 'answer'; "
        "a test split has no answers; use the train or validation split"
    )


def test_test_parquet_with_empty_answers_says_to_use_train_or_validation(tmp_path, datasets_cache):
    write_parquet(
        tmp_path / "test.parquet",
        [as_columns(compositional_record(answer="")), as_columns(comparison_record(answer=""))],
    )
    from datasets import load_dataset

    hub = load_dataset("parquet", data_files={"test": str(tmp_path / "test.parquet")}, split="test")
    with pytest.raises(InputError) as error:
        twowiki.records_to_source(hub, "test", {"kind": "hub"}, "xanhho/2WikiMultihopQA")
    assert one_line(error) == (
        "xanhho/2WikiMultihopQA: no usable records (skipped no_answer=2); "
        "a test split has no answers; use the train or validation split"
    )


def test_bad_records_are_skipped_and_counted_by_reason():
    items = [
        compositional_record(),
        compositional_record(question="Repeated id?"),
        comparison_record(_id="no-gold", supporting_facts=[["Hail", 0], ["Graupel", 0]]),
        comparison_record(_id="no-answer", answer=None),
        comparison_record(),
    ]
    data = twowiki.records_to_source(items, "train", {}, "train.json")
    assert [item.source_id for item in data.items] == ["w1", "w2"]
    assert data.skipped == {"duplicate_id": 1, "missing_gold": 1, "no_answer": 1}


def test_record_without_a_field_is_an_input_error(tmp_path):
    record = comparison_record()
    del record["type"]
    path = write_json(tmp_path / "train.json", [compositional_record(), record])
    with pytest.raises(InputError) as error:
        twowiki.load(SourceRequest(data_files=(path,)))
    assert one_line(error) == (
        f"{path} record 2 (id=w2): missing field 'type'; is this a 2WikiMultiHopQA file?"
    )


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("evidences", "not json", "'evidences' is not a list of triples"),
        ("context", '{"title": ["Fog (film)"]}', "'context' is not [title, [sentences]] pairs"),
        ("supporting_facts", 7, "'supporting_facts' is not [title, sentence index] pairs"),
    ],
)
def test_malformed_nested_field_is_an_input_error(field, value, problem):
    with pytest.raises(InputError) as error:
        twowiki.records_to_source(
            [compositional_record(**{field: value})], "train", {"kind": "hub"}, "hub"
        )
    assert one_line(error) == (
        f"hub record 1 (id=w1): {problem}; "
        "the Hub copy may have changed format; pass --data-files with the original file"
    )


def test_wrong_top_level_type_is_an_input_error(tmp_path):
    path = write_json(tmp_path / "train.json", {"data": records()})
    with pytest.raises(InputError, match="expected a JSON list of records, found a JSON object"):
        twowiki.load(SourceRequest(data_files=(path,)))


def test_hub_failure_is_one_line_naming_the_fix(monkeypatch):
    def offline(split):
        raise FileNotFoundError("hf://datasets/xanhho/2WikiMultihopQA/train.parquet\nmore")

    monkeypatch.setattr(twowiki, "_load_hub", offline)
    with pytest.raises(InputError) as error:
        twowiki.load(SourceRequest(split="train"))
    assert one_line(error) == (
        "the Hugging Face Hub is offline (KEYCHAIN_OFFLINE=1 is set) and xanhho/2WikiMultihopQA "
        "is not in the local cache; pass --data-files with the original 2WikiMultiHopQA "
        "train.json or dev.json, or re-run with a network and without KEYCHAIN_OFFLINE"
    )


def test_unknown_hub_split_is_a_config_error():
    with pytest.raises(
        ConfigError, match="unknown split 'eval' for 2wiki from the Hub; choose one of"
    ):
        twowiki.load(SourceRequest(split="eval"))
