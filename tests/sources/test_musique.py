"""MuSiQue: original JSON Lines and the Hub mirror become the same SourceData."""

from __future__ import annotations

import json

import pytest

from keychain.errors import ConfigError, InputError
from keychain.sources import SourceRequest, musique
from keychain.sources.records import Document


def paragraph(idx, title, text, supporting=False):
    return {"idx": idx, "title": title, "paragraph_text": text, "is_supporting": supporting}


def two_hop_record(**changes):
    """An invented 2-hop question: gold 'Fog' (idx 1) then 'Ann Lee' (idx 3)."""
    record = {
        "id": "2hop__11_22",
        "question": "In which city was the author of Fog born?",
        "answer": "Oslo",
        "answer_aliases": ["Oslo", "Christiania", "", "Kristiania"],
        "answerable": True,
        "paragraphs": [
            paragraph(0, "Rain", "Rain is a song. It is sad."),
            paragraph(1, "Fog", "Fog is a novel by Ann Lee. It was written in 1990.", True),
            paragraph(2, "Ann Lee", "Ann Lee is also a painter."),
            paragraph(3, "Ann Lee", "Ann Lee was born in Oslo. She moved to Bergen.", True),
        ],
        "question_decomposition": [
            {
                "id": 11,
                "question": "Fog >> author",
                "answer": "Ann Lee",
                "paragraph_support_idx": 1,
            },
            {
                "id": 22,
                "question": "Where was #1 born?",
                "answer": "Oslo",
                "paragraph_support_idx": 3,
            },
        ],
    }
    record.update(changes)
    return record


def three_hop_record(**changes):
    """An invented 3-hop question that shares the 'Rain' paragraph with ``two_hop_record``."""
    record = {
        "id": "3hop1__33_44_55",
        "question": "What river flows through the birthplace of the singer of Hail?",
        "answer": "Akerselva",
        "answer_aliases": [],
        "answerable": True,
        "paragraphs": [
            paragraph(0, "Hail", "Hail is sung by Bo Lee.", True),
            paragraph(1, "Rain", "Rain is a song. It is sad."),
            paragraph(2, "Bo Lee", "Bo Lee was born in Oslo.", True),
            paragraph(3, "Oslo", "The Akerselva flows through Oslo.", True),
        ],
        "question_decomposition": [
            {
                "id": 33,
                "question": "Hail >> performer",
                "answer": "Bo Lee",
                "paragraph_support_idx": 0,
            },
            {
                "id": 44,
                "question": "#1 >> place of birth",
                "answer": "Oslo",
                "paragraph_support_idx": 2,
            },
            {
                "id": 55,
                "question": "river through #2",
                "answer": "Akerselva",
                "paragraph_support_idx": 3,
            },
        ],
    }
    record.update(changes)
    return record


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_original_file_converts_to_known_items_and_documents(tmp_path):
    path = write_jsonl(
        tmp_path / "musique_ans_v1.0_train.jsonl", [two_hop_record(), three_hop_record()]
    )
    data = musique.load(SourceRequest(split="train", data_files=(path,)))

    assert (data.name, data.split, data.skipped) == ("musique", "train", {})
    assert data.documents == (
        Document("Fog", ("Fog is a novel by Ann Lee.", " It was written in 1990.")),
        Document("Ann Lee", ("Ann Lee was born in Oslo.", " She moved to Bergen.")),
        Document("Rain", ("Rain is a song.", " It is sad.")),
        Document("Ann Lee", ("Ann Lee is also a painter.",)),
        Document("Hail", ("Hail is sung by Bo Lee.",)),
        Document("Bo Lee", ("Bo Lee was born in Oslo.",)),
        Document("Oslo", ("The Akerselva flows through Oslo.",)),
    )
    two, three = data.items
    assert two.source_id == "2hop__11_22"
    assert two.answers == ("Oslo", "Christiania", "Kristiania")
    assert (two.gold, two.others) == ((0, 1), (2, 3))
    assert (two.qa_hops, two.question_type) == (2, "2hop")
    assert three.answers == ("Akerselva",)
    assert (three.gold, three.others) == ((4, 5, 6), (2,))
    assert (three.qa_hops, three.question_type) == (3, "3hop1")


def test_unanswerable_and_bad_records_are_skipped_and_counted(tmp_path):
    records = [
        two_hop_record(),
        two_hop_record(id="2hop__99_98", answerable=False),
        two_hop_record(question="A repeated id?"),
        three_hop_record(id="3hop1__1_2_3", answer="", answer_aliases=[""]),
        three_hop_record(id="3hop1__4_5_6", question=" "),
        three_hop_record(
            id="3hop1__7_8_9",
            paragraphs=[{**p, "is_supporting": False} for p in three_hop_record()["paragraphs"]],
        ),
        three_hop_record(),
    ]
    data = musique.records_to_source(records, "train", {}, "m.jsonl")
    assert [item.source_id for item in data.items] == ["2hop__11_22", "3hop1__33_44_55"]
    assert data.skipped == {"duplicate_id": 1, "missing_gold": 1, "no_answer": 2, "unanswerable": 1}


def test_aliases_alone_are_enough_answers():
    data = musique.records_to_source([two_hop_record(answer="")], "train", {}, "m.jsonl")
    assert data.items[0].answers == ("Oslo", "Christiania", "Kristiania")


def test_id_without_hop_prefix_has_no_question_type():
    data = musique.records_to_source([two_hop_record(id="plain")], "train", {}, "m.jsonl")
    assert data.items[0].question_type is None


def test_hub_mirror_gives_the_same_source_data_as_the_file(tmp_path, monkeypatch, same_content):
    from datasets import Dataset

    records = [two_hop_record(), three_hop_record(), two_hop_record(id="x", answerable=False)]
    path = write_jsonl(tmp_path / "m.jsonl", records)
    from_file = musique.load(SourceRequest(split="validation", data_files=(path,)))
    hub = Dataset.from_list(records)
    monkeypatch.setattr(musique, "_load_hub", lambda split: hub if split == "validation" else None)

    from_hub = musique.load(SourceRequest(split="dev"))

    same_content(from_hub, from_file)
    assert from_hub.origin == {
        "kind": "hub",
        "repo": "dgslibisey/MuSiQue",
        "config": None,
        "split": "validation",
        "fingerprint": hub._fingerprint,
    }


def test_paragraphs_stored_as_columns_read_the_same(same_content):
    def as_columns(rows):
        return {key: [row[key] for row in rows] for key in rows[0]}

    records = [two_hop_record(), three_hop_record()]
    columns = [
        {
            **r,
            "paragraphs": as_columns(r["paragraphs"]),
            "question_decomposition": as_columns(r["question_decomposition"]),
        }
        for r in records
    ]
    same_content(
        musique.records_to_source(columns, "train", {}, "hub"),
        musique.records_to_source(records, "train", {}, "file"),
    )


def test_bad_jsonl_line_is_named_by_number(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(two_hop_record()) + "\n" + '{"id": "broken",\n', encoding="utf-8")
    with pytest.raises(InputError) as error:
        musique.load(SourceRequest(data_files=(path,)))
    assert one_line(error).startswith(f"{path} line 2: not valid JSON (")


def test_record_without_a_field_is_an_input_error(tmp_path):
    record = two_hop_record()
    del record["question_decomposition"]
    path = write_jsonl(tmp_path / "m.jsonl", [record])
    with pytest.raises(InputError) as error:
        musique.load(SourceRequest(data_files=(path,)))
    assert one_line(error) == (
        f"{path} record 1 (id=2hop__11_22): missing field 'question_decomposition'; "
        "is this a MuSiQue file?"
    )


def test_paragraph_without_a_field_is_an_input_error():
    record = two_hop_record()
    del record["paragraphs"][2]["paragraph_text"]
    with pytest.raises(InputError) as error:
        musique.records_to_source([record], "train", {}, "m.jsonl")
    assert one_line(error) == (
        "m.jsonl record 1 (id=2hop__11_22): paragraph 2 has no str field 'paragraph_text'; "
        "is this a MuSiQue file?"
    )


def test_hotpotqa_file_passed_as_musique_is_refused(tmp_path):
    path = tmp_path / "hotpot.json"
    path.write_text(json.dumps([{"_id": "h1", "question": "q"}]), encoding="utf-8")
    with pytest.raises(
        InputError, match="line 1: expected one JSON object per line, found a JSON list"
    ):
        musique.load(SourceRequest(data_files=(path,)))


def test_hub_failure_is_one_line_naming_the_fix(monkeypatch):
    def offline(split):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(musique, "_load_hub", offline)
    with pytest.raises(InputError) as error:
        musique.load(SourceRequest(split="train"))
    assert one_line(error) == (
        "the Hugging Face Hub is offline (KEYCHAIN_OFFLINE=1 is set) and dgslibisey/MuSiQue "
        "is not in the local cache; pass --data-files with the original "
        "musique_ans_v1.0_train.jsonl, or re-run with a network and without KEYCHAIN_OFFLINE"
    )


def test_unknown_hub_split_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown split 'test' for musique from the Hub"):
        musique.load(SourceRequest(split="test"))


# --- the real sample -----------------------------------------------------------------


def test_real_sample_loads_100_answerable_items_with_2_to_4_hops(shared_data):
    path = shared_data / "musique_train_sample.jsonl"
    data = musique.load(SourceRequest(split="train", data_files=(path,)))

    assert len(data.items) == 100 and data.skipped == {}
    assert {item.qa_hops for item in data.items} == {2, 3, 4}
    for item in data.items:
        assert len(item.gold) == item.qa_hops  # one supporting paragraph per hop in this sample
        assert item.question_type.startswith(f"{item.qa_hops}hop")
        assert item.answers and all(answer.strip() for answer in item.answers)
        assert len(set(item.answers)) == len(item.answers)
    for document in data.documents:
        assert document.sentences and document.body.strip()


def test_real_sample_documents_rebuild_the_paragraph_text(shared_data):
    lines = (shared_data / "musique_train_sample.jsonl").read_text(encoding="utf-8").splitlines()
    texts = {
        (p["title"], p["paragraph_text"]) for line in lines for p in json.loads(line)["paragraphs"]
    }
    data = musique.load(SourceRequest(data_files=(shared_data / "musique_train_sample.jsonl",)))
    assert {(d.title, d.body) for d in data.documents} == texts
