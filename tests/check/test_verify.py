"""verify catches each kind of broken row (every check can fail)."""

from __future__ import annotations

import copy

import pytest

from keychain.check.row_checks import check_row, strip_pairs
from keychain.check.verify import fresh_counts, verify_rows
from keychain.config import BuildConfig
from keychain.rows.build import RowBuilder
from keychain.rows.chains import find_pairs, format_pair
from keychain.rows.prompts import PromptTemplate


@pytest.fixture(scope="module")
def rows(tiny_source, counter):
    keychain = RowBuilder(tiny_source, BuildConfig(source="hotpotqa", lengths=(4096,)).spec(4096), PromptTemplate(), counter)
    plain = RowBuilder(
        tiny_source, BuildConfig(source="hotpotqa", lengths=(4096,), task="plain").spec(4096), PromptTemplate(), counter
    )
    return keychain.build(0, tiny_source.items[0]), plain.build(1, tiny_source.items[1])


def failed_checks(row, counter):
    return {check for check, _ in check_row(row, counter, PromptTemplate()).problems}


def edit_user(row, edit):
    broken = copy.deepcopy(row)
    broken["prompt"][-1]["content"] = edit(broken["prompt"][-1]["content"])
    return broken


def test_built_rows_pass(rows, counter):
    for row in rows:
        assert failed_checks(row, counter) == set()


def test_wrong_n_tokens_fails(rows, counter):
    broken = copy.deepcopy(rows[0])
    broken["n_tokens"] -= 1
    assert "n_tokens_fresh" in failed_checks(broken, counter)


def test_fresh_counts_are_whole_recounts_taken_in_batches(rows, counter, tiny_source, qwen_tokenizer):
    from keychain.rows.tokens import load_counter

    qwen = load_counter(qwen_tokenizer)
    spec = BuildConfig(source="hotpotqa", lengths=(2048,), tokenizer=qwen_tokenizer).spec(2048)
    qwen_row = RowBuilder(tiny_source, spec, PromptTemplate(), qwen).build(2, tiny_source.items[2])
    broken = copy.deepcopy(rows[0])
    broken["prompt"] = "not a list of messages"
    batch = [*rows, qwen_row, broken]
    assert fresh_counts(batch) == [counter.count_prompt(rows[0]["prompt"]), counter.count_prompt(rows[1]["prompt"]),
                                   qwen.count_prompt(qwen_row["prompt"]), None]
    wrong = copy.deepcopy(qwen_row)
    wrong["n_tokens"] += 1
    (report,) = verify_rows([*rows, qwen_row, wrong])
    assert report.row_id == wrong["id"] and {check for check, _ in report.problems} == {"n_tokens_fresh", "unique_id"}


def test_over_budget_and_underfilled_fail(rows, counter):
    over = copy.deepcopy(rows[0])
    over["target_len"] = over["n_tokens"] - 1
    assert "budget" in failed_checks(over, counter)
    under = copy.deepcopy(rows[0])
    under["target_len"] = over["n_tokens"] * 2
    assert "budget" in failed_checks(under, counter)


def test_a_missing_chain_pair_breaks_resolution(rows, counter):
    row = rows[0]
    second = format_pair(row["chain_keys"][1], row["chain_keys"][2])
    broken = edit_user(row, lambda text: text.replace(" " + second, ""))
    assert "chain_resolves" in failed_checks(broken, counter)


def test_a_key_used_twice_fails(rows, counter):
    row = rows[0]
    pair = format_pair(row["chain_keys"][2], row["chain_keys"][3])
    broken = edit_user(row, lambda text: text.replace(pair, pair + " " + pair, 1))
    assert "keys_unique" in failed_checks(broken, counter)


def test_a_decoy_chain_ending_at_the_question_fails(rows, counter):
    row = rows[0]
    user = row["prompt"][-1]["content"]
    # The last pair of a decoy chain: its value is a question (has spaces), not the row's.
    decoy = next(p for p in find_pairs(user, "uuid") if " " in p.value and p.value != row["question"])
    broken = edit_user(row, lambda text: text.replace(format_pair(decoy.key, decoy.value), format_pair(decoy.key, row["question"])))
    assert "chain_ends" in failed_checks(broken, counter)


def test_a_key_string_elsewhere_in_the_prompt_fails(rows, counter):
    row = rows[0]
    broken = edit_user(row, lambda text: text.replace("Passage 2:", f"Passage 2: {row['chain_keys'][1]}", 1))
    assert "keys_unique" in failed_checks(broken, counter)


def test_an_altered_gold_document_fails(rows, counter):
    row = rows[0]
    body = row["gold_docs"][1].split("\n", 1)[1]
    broken = edit_user(row, lambda text: text.replace(body[:20], "Something else here.", 1))
    assert "gold_present" in failed_checks(broken, counter)


def test_wrong_depths_fail(rows, counter):
    broken = copy.deepcopy(rows[0])
    broken["gold_depths"] = [min(1.0, d + 0.3) if d < 0.6 else d - 0.3 for d in broken["gold_depths"]]
    assert "depths" in failed_checks(broken, counter)
    broken = copy.deepcopy(rows[0])
    broken["chain_depths"] = list(reversed(broken["chain_depths"]))
    assert "depths" in failed_checks(broken, counter)


def test_answers_must_match_ground_truth_and_occur_in_gold(rows, counter):
    broken = copy.deepcopy(rows[1])
    broken["answers"] = ["elsewhere"]
    assert {"answers", "answer_in_gold"} <= failed_checks(broken, counter)
    broken["reward_model"]["ground_truth"] = ["elsewhere"]
    assert failed_checks(broken, counter) == {"answer_in_gold"}


def test_yes_no_and_comparison_answers_are_reported_not_failed(rows, counter):
    row = copy.deepcopy(rows[1])
    row["answers"] = row["reward_model"]["ground_truth"] = ["yes"]
    report = check_row(row, counter, PromptTemplate())
    assert not report.problems and report.notes


def test_a_pair_in_a_plain_row_fails(rows, counter):
    pair = format_pair("e3e70682-c209-4cac-a29f-6fbed82c07cd", "x?")
    broken = edit_user(rows[1], lambda text: text.replace("Passage 2:", f"{pair}\nPassage 2:", 1))
    assert "plain_clean" in failed_checks(broken, counter)


def test_repeated_ids_fail(rows):
    assert [report.problems[0][0] for report in verify_rows([rows[1], rows[1]])] == ["unique_id"]


def test_stripping_pairs_restores_the_padded_context(rows):
    row = rows[0]
    stripped = strip_pairs(row["prompt"][-1]["content"], "uuid")
    assert '{"' not in stripped
    assert all(doc.split("\n", 1)[1] in stripped for doc in row["gold_docs"])
