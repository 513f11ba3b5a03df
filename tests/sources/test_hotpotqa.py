"""HotpotQA: original files and the Hub copy become the same SourceData."""

from __future__ import annotations

import json

import pytest

from keychain.errors import ConfigError, InputError
from keychain.sources import SourceRequest, hotpotqa, load_source
from keychain.sources.records import Document
from keychain.text import normalize_answer


def bridge_record(**changes):
    """An invented bridge question; gold 'Fog' then 'Ann Lee', distractors in between."""
    record = {
        "_id": "h1",
        "question": "In which city was the author of Fog born?",
        "answer": "Oslo",
        "type": "bridge",
        "level": "easy",
        "supporting_facts": [["Fog", 0], ["Ann Lee", 1], ["Fog", 1]],
        "context": [
            ["Ann Lee", ["Ann Lee is a writer.", " She was born in Oslo."]],
            ["Rain", ["Rain is a song.", " It is sad."]],
            ["Fog", ["Fog is a novel.", " Ann Lee wrote it in 1990."]],
        ],
    }
    record.update(changes)
    return record


def comparison_record(**changes):
    """An invented comparison question sharing the 'Rain' document with ``bridge_record``."""
    record = {
        "_id": "h2",
        "question": "Which is older, Sleet or Hail?",
        "answer": "Hail",
        "type": "comparison",
        "level": "medium",
        "supporting_facts": [["Sleet", 0], ["Hail", 0]],
        "context": [
            ["Hail", ["Hail is a band formed in 1970."]],
            ["Rain", ["Rain is a song.", " It is sad."]],
            ["Sleet", ["Sleet is a band formed in 1985."]],
        ],
    }
    record.update(changes)
    return record


def to_hub_shape(record):
    """The Hub's layout of a record: ``id``, and columns for context and supporting facts."""
    hub = {
        key: value
        for key, value in record.items()
        if key not in ("_id", "context", "supporting_facts")
    }
    hub["id"] = record["_id"]
    hub["supporting_facts"] = {
        "title": [title for title, _ in record["supporting_facts"]],
        "sent_id": [index for _, index in record["supporting_facts"]],
    }
    hub["context"] = {
        "title": [title for title, _ in record["context"]],
        "sentences": [sentences for _, sentences in record["context"]],
    }
    return hub


def write_json(path, records):
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_original_file_converts_to_known_items_and_documents(tmp_path):
    path = write_json(tmp_path / "hotpot_train_v1.1.json", [bridge_record(), comparison_record()])
    data = hotpotqa.load(SourceRequest(split="train", data_files=(path,)))

    assert (data.name, data.split, data.skipped) == ("hotpotqa", "train", {})
    assert data.documents == (
        Document("Fog", ("Fog is a novel.", " Ann Lee wrote it in 1990.")),
        Document("Ann Lee", ("Ann Lee is a writer.", " She was born in Oslo.")),
        Document("Rain", ("Rain is a song.", " It is sad.")),
        Document("Sleet", ("Sleet is a band formed in 1985.",)),
        Document("Hail", ("Hail is a band formed in 1970.",)),
    )
    bridge, comparison = data.items
    assert bridge.source_id == "h1"
    assert bridge.question == "In which city was the author of Fog born?"
    assert bridge.answers == ("Oslo",)
    assert (bridge.gold, bridge.others) == ((0, 1), (2,))
    assert (bridge.qa_hops, bridge.question_type) == (2, "bridge")
    assert (comparison.gold, comparison.others) == ((3, 4), (2,))
    assert comparison.question_type == "comparison"


def test_sentences_keep_their_leading_spaces(tmp_path):
    path = write_json(tmp_path / "h.json", [bridge_record()])
    data = hotpotqa.load(SourceRequest(data_files=(path,)))
    gold = data.documents[data.items[0].gold[0]]
    assert gold.sentences[1] == " Ann Lee wrote it in 1990."
    assert gold.body == "Fog is a novel. Ann Lee wrote it in 1990."


def test_file_origin_records_the_file_hash(tmp_path):
    path = write_json(tmp_path / "h.json", [bridge_record()])
    data = hotpotqa.load(SourceRequest(data_files=(path,)))
    assert data.origin["kind"] == "file"
    assert [f["path"] for f in data.origin["files"]] == [str(path)]
    assert len(data.origin["files"][0]["sha256"]) == 64


def test_hub_shape_gives_the_same_source_data_as_the_file(tmp_path, monkeypatch, same_content):
    from datasets import Dataset

    records = [bridge_record(), comparison_record()]
    from_file = hotpotqa.load(
        SourceRequest(split="validation", data_files=(write_json(tmp_path / "h.json", records),))
    )
    hub = Dataset.from_list([to_hub_shape(r) for r in records])
    asked = []
    monkeypatch.setattr(hotpotqa, "_load_hub", lambda split: asked.append(split) or hub)

    from_hub = hotpotqa.load(SourceRequest(split="dev"))

    assert asked == ["validation"]
    same_content(from_hub, from_file)
    assert from_hub.origin == {
        "kind": "hub",
        "repo": "hotpotqa/hotpot_qa",
        "config": "distractor",
        "split": "validation",
        "fingerprint": hub._fingerprint,
    }


def test_records_to_source_accepts_both_shapes_mixed():
    records = [bridge_record(), to_hub_shape(comparison_record())]
    data = hotpotqa.records_to_source(records, "train", {}, "mixed")
    assert [item.source_id for item in data.items] == ["h1", "h2"]


def test_several_files_keep_file_order_and_drop_repeated_ids(tmp_path):
    first = write_json(tmp_path / "a.json", [comparison_record()])
    second = write_json(tmp_path / "b.json", [bridge_record(), comparison_record()])
    data = hotpotqa.load(SourceRequest(data_files=(first, second)))
    assert [item.source_id for item in data.items] == ["h2", "h1"]
    assert data.skipped == {"duplicate_id": 1}
    assert len(data.origin["files"]) == 2


def test_bad_records_are_skipped_and_counted_by_reason(tmp_path):
    records = [
        bridge_record(),
        bridge_record(question="A repeated id?"),
        comparison_record(_id="no-gold", supporting_facts=[["Sleet", 0], ["Graupel", 0]]),
        comparison_record(_id="no-facts", supporting_facts=[]),
        comparison_record(_id="empty-answer", answer=" "),
        comparison_record(_id="empty-question", question=""),
        comparison_record(),
    ]
    data = hotpotqa.records_to_source(records, "train", {}, "h.json")
    assert [item.source_id for item in data.items] == ["h1", "h2"]
    assert data.skipped == {"duplicate_id": 1, "missing_gold": 2, "no_answer": 2}


def test_duplicate_context_titles_all_go_to_gold():
    context = bridge_record()["context"] + [["Fog", ["Fog is also a film."]]]
    data = hotpotqa.records_to_source([bridge_record(context=context)], "train", {}, "h.json")
    titles = [data.documents[i].title for i in data.items[0].gold]
    assert titles == ["Fog", "Fog", "Ann Lee"]


def test_record_without_a_field_is_an_input_error_not_a_skip(tmp_path):
    record = bridge_record()
    del record["supporting_facts"]
    path = write_json(tmp_path / "h.json", [comparison_record(), record])
    with pytest.raises(InputError) as error:
        hotpotqa.load(SourceRequest(data_files=(path,)))
    assert one_line(error) == (
        f"{path} record 2 (id=h1): missing field 'supporting_facts'; is this a HotpotQA file?"
    )


def test_test_split_file_without_answers_says_to_use_train_or_validation(tmp_path):
    record = bridge_record()
    del record["answer"], record["supporting_facts"]
    path = write_json(tmp_path / "hotpot_test.json", [record])
    with pytest.raises(
        InputError, match="a test split has no answers; use the train or validation split"
    ):
        hotpotqa.load(SourceRequest(data_files=(path,)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("context", [["Fog", "Fog is a novel."]]),
        ("context", {"title": ["Fog"]}),
        ("supporting_facts", "Fog"),
    ],
)
def test_malformed_context_or_facts_is_an_input_error(field, value):
    with pytest.raises(InputError) as error:
        hotpotqa.records_to_source([bridge_record(**{field: value})], "train", {}, "h.json")
    assert one_line(error).startswith(f"h.json record 1 (id=h1): '{field}' is not")


def test_missing_data_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file; check the --data-files path"):
        hotpotqa.load(SourceRequest(data_files=(tmp_path / "hotpot_train_v1.1.json",)))


def test_hub_failure_is_one_line_naming_the_fix(monkeypatch):
    def offline(split):
        raise ConnectionError(
            "Couldn't reach 'hotpotqa/hotpot_qa' on the Hub\n(LocalEntryNotFoundError)"
        )

    monkeypatch.setattr(hotpotqa, "_load_hub", offline)
    with pytest.raises(InputError) as error:
        hotpotqa.load(SourceRequest(split="train"))
    assert one_line(error) == (
        "the Hugging Face Hub is offline (KEYCHAIN_OFFLINE=1 is set) and hotpotqa/hotpot_qa "
        "is not in the local cache; pass --data-files with the original hotpot_train_v1.1.json, "
        "or re-run with a network and without KEYCHAIN_OFFLINE"
    )


def test_unknown_hub_split_is_a_config_error_naming_the_valid_ones():
    with pytest.raises(ConfigError, match="choose one of train, validation, dev"):
        hotpotqa.load(SourceRequest(split="test"))


def test_registry_loads_hotpotqa(tmp_path):
    path = write_json(tmp_path / "h.json", [bridge_record()])
    assert load_source("hotpotqa", SourceRequest(data_files=(path,))).name == "hotpotqa"


# --- the real sample -----------------------------------------------------------------


def test_real_sample_loads_100_items_with_gold_holding_the_answer(shared_data):
    path = shared_data / "hotpotqa_train_sample.json"
    data = hotpotqa.load(SourceRequest(split="train", data_files=(path,)))

    assert len(data.items) == 100 and data.skipped == {}
    assert all(len(item.gold) == 2 and item.qa_hops == 2 for item in data.items)
    assert {item.question_type for item in data.items} == {"bridge", "comparison"}
    missing = []
    for item in data.items:
        answer = item.answers[0]
        if answer.lower() in ("yes", "no"):
            continue
        gold_text = "\n".join(data.documents[i].text for i in item.gold).lower()
        if answer.lower() not in gold_text:
            missing.append((item.source_id, answer))
    assert missing == [], f"answers not found verbatim in their gold documents: {missing}"


def test_real_sample_keeps_every_context_paragraph(shared_data):
    records = json.loads((shared_data / "hotpotqa_train_sample.json").read_text(encoding="utf-8"))
    data = hotpotqa.records_to_source(records, "train", {}, "sample")
    for record, item in zip(records, data.items, strict=True):
        assert len(item.gold) + len(item.others) == len(record["context"])
    sizes = sorted(len(item.gold) + len(item.others) for item in data.items)
    assert sizes == [4] + [10] * 99  # one record of the sample has only 4 paragraphs
    answers = {normalize_answer(item.answers[0]) for item in data.items}
    assert {"yes", "no"} <= answers


def test_real_sample_in_hub_shape_gives_identical_source_data(shared_data, same_content):
    from datasets import Dataset

    records = json.loads((shared_data / "hotpotqa_train_sample.json").read_text(encoding="utf-8"))
    original = hotpotqa.records_to_source(records, "train", {}, "sample")
    hub_records = [to_hub_shape(record) for record in records]
    same_content(hotpotqa.records_to_source(hub_records, "train", {}, "hub"), original)
    same_content(
        hotpotqa.records_to_source(Dataset.from_list(hub_records), "train", {}, "hub"), original
    )
