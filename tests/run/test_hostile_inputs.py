"""A hostile-input corpus (issue 14): every row built from it passes verify, or is a counted skip.

The corpus is a HotpotQA-format file of invented records whose documents, titles,
questions and answers hold what broke builds or verify before: text shaped like KeyChain
pairs and bare UUIDs, quotes, backslashes, braces, ``\\boxed{}``, ``</think>``, emoji,
right-to-left text and direction overrides, NUL characters, fake passage headings, a
100K-character document, numbers where text belongs, empty gold documents and repeated
ids. Each record either becomes a row that passes verify or is counted, with its reason,
in the manifest and the summary line.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from keychain.check.verify import verify_folder
from keychain.config import BuildConfig
from keychain.rows.chains import format_pair, new_key
from keychain.run import pipeline
from keychain.run.progress import LineReporter
from keychain.store.versions import read_manifest

from ..fixtures import _sentence

HOSTILE = [
    'She said "no" and left.',
    "A back\\slash and a double \\\\ one.",
    "Braces {like} {{these}} and {\"a\": 1} stay.",
    "The answer is \\boxed{42} here.",
    "It ends </think> too early <think> again.",
    "Emoji \U0001F600 and \U0001F468\u200d\U0001F469\u200d\U0001F467 appear.",
    "Hebrew \u05e9\u05dc\u05d5\u05dd and Arabic \u0645\u0631\u062d\u0628\u0627 read right to left.",
    "An override \u202eesrever\u202c sits here.",
    "A NUL \x00 character and a bell \x07 too.",
    "Passage 3:\nFake heading inside a body.",
    "A bare key 0c2f3a4b-5d6e-4f70-8192-a3b4c5d6e7f8 and 1f0a9c3e appear.",
]


def pair_text(rng: random.Random) -> str:
    key_format = rng.choice(["uuid", "hex8"])
    return format_pair(new_key(rng, key_format), rng.choice(["Who is it?", new_key(rng, key_format)]))


def hostile_records(n_items: int = 60, seed: int = 0) -> list[dict]:
    rng = random.Random(f"hostile:{seed}")
    records = []
    for j in range(n_items):
        def doc(title: str, first: str) -> list:
            body = [first] + [" " + rng.choice(HOSTILE if rng.random() < 0.5 else [_sentence(rng)]) for _ in range(4)]
            if rng.random() < 0.1:
                body.insert(rng.randrange(1, len(body)), " " + pair_text(rng))
            return [title, body]

        gold = [doc(f"Bridge {j} \u05e9", f"Item {j} was made by Maker {j}."),
                doc(f"Maker {j} \"{{x}}\"", f"Maker {j} uses the code code-{j}\\{j}.")]
        others = [doc(f"Filler {j}-{k} \U0001F600", _sentence(rng)) for k in range(12)]
        records.append({
            "_id": f"h{j:03d}", "question": f"Which code does the maker of item {j} use? \\boxed{{}} \"{j}\"",
            "answer": f"code-{j}\\{j}", "type": "bridge",
            "supporting_facts": [[gold[0][0], 0], [gold[1][0], 0]], "context": gold + others,
        })
    long_body = [f"Item L was made by Maker L. {'lorem ipsum dolor ' * 5600}".strip()]
    records.append({**records[0], "_id": "long", "question": "Which code does the maker of item L use?",
                    "answer": "Maker L", "context": [["Bridge L", long_body], records[0]["context"][1]],
                    "supporting_facts": [["Bridge L", 0]]})
    records.append({**records[1], "_id": "pairq", "question": "Find " + pair_text(rng) + " then answer."})
    records.append({**records[2], "_id": "number", "answer": 1990})
    records.append({**records[3], "_id": "empty", "context": [["Empty", ["  "]]], "supporting_facts": [["Empty", 0]]})
    records.append({**records[4]})  # a repeated id
    return records


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, int]:
    records = hostile_records()
    assert len(records[-5]["context"][0][1][0]) > 100_000
    path = tmp_path_factory.mktemp("hostile") / "hostile_hotpot.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path, len(records)


@pytest.mark.parametrize("task", ["keychain", "plain"])
def test_every_row_built_from_the_hostile_corpus_passes_verify_or_is_a_counted_skip(tmp_path, corpus, task):
    path, records = corpus
    chains = 8 if task == "keychain" else None  # the corpus is small: fewer decoy questions than 1 per 1K
    config = BuildConfig(source="hotpotqa", data_files=(str(path),), lengths=(4096, 32768), task=task, chains=chains, out=str(tmp_path),
                         items="all")  # every record is accounted for, not the task's lane
    reporter = LineReporter(open(tmp_path / "progress.log", "w"), interval_s=3600)
    results = pipeline.build(config, command="keychain build (hostile)", reporter=reporter)
    reports = verify_folder(tmp_path)
    assert all(report.ok for report in reports), [r.problems for report in reports for r in report.failed_rows[:3]]
    for result in results:
        manifest = read_manifest(result.path)
        at_load = manifest["source"]["skipped_at_load"]
        assert at_load == {"answer_not_text": 1, "duplicate_id": 1, "empty_gold": 1, "pair_like_text": at_load["pair_like_text"]}
        assert manifest["source"]["documents_excluded"]["pair_like_text"] > 0
        assert result.rows > 0 and result.rows + sum(result.skipped.values()) + sum(at_load.values()) == records
        assert "at load" in result.summary() and "duplicate_id 1" in result.summary()
    by_len = {read_manifest(r.path)["config"]["target_len"]: r for r in results}
    assert by_len[4096].skipped.get("gold_too_long") == 1  # the 100K-character gold document
    if task == "plain":  # a question holding a pair reads as a stray chain link: the build's own check skips it
        assert all(r.skipped.get("verify_plain_clean") == 1 for r in results)
