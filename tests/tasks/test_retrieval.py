"""Retrieval tasks: exact budgets, needles unique and where asked, verify catches tampering."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from keychain.check.show import show
from keychain.check.verify import iter_rows, verify_folder, verify_rows
from keychain.config import BuildConfig
from keychain.errors import BudgetError, ConfigError
from keychain.rows.prompts import PromptTemplate
from keychain.run.pipeline import build
from keychain.store.versions import read_manifest
from keychain.tasks import parse_depths
from keychain.tasks.haystack import file_haystack, load_haystack, paragraphs_of
from keychain.tasks.retrieval import NeedleBuilder


@pytest.fixture(scope="module")
def haystack():
    return load_haystack("synthetic", split="train", seed=0, max_len=8192)


def rows_of(haystack, counter, task, length=4096, num=4, **flags):
    cfg = BuildConfig(source="synthetic", lengths=(length,), task=task, num=num, **flags)
    builder = NeedleBuilder(haystack, cfg.spec(length), PromptTemplate(), counter, num)
    builder.check_budget()
    return [builder.build(i, item) for i, item in enumerate(builder.source.items)]


@pytest.mark.parametrize("task", ["multikey", "multivalue", "niah"])
def test_every_row_fills_its_budget_and_passes_verify(haystack, counter, task):
    flags = {"depths": (0.0, 0.5, 1.0)} if task == "niah" else {}
    rows = rows_of(haystack, counter, task, **flags)
    assert all(0.97 * 4096 <= r["n_tokens"] <= 4096 for r in rows)
    assert verify_rows(rows) == []


def test_multikey_asks_one_of_twenty_distinct_keys(haystack, counter):
    for row in rows_of(haystack, counter, "multikey"):
        keys = [n.split(" for ")[1].split(" is: ")[0] for n in row["needles"]]
        values = [n.split(" is: ")[1][:-1] for n in row["needles"]]
        assert len(set(keys)) == 20 and len(set(values)) == 20
        asked = [v for k, v in zip(keys, values) if k in row["question"]]
        assert asked == row["answers"] == row["reward_model"]["ground_truth"]


def test_multivalue_answers_are_the_twenty_values_of_one_key(haystack, counter):
    row = rows_of(haystack, counter, "multivalue", num=1)[0]
    assert len({n.split(" is: ")[0] for n in row["needles"]}) == 1
    assert sorted(row["answers"]) == sorted(n.split(" is: ")[1][:-1] for n in row["needles"])


@pytest.mark.parametrize("depth", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_niah_needle_sits_at_the_requested_depth(haystack, counter, depth):
    rows = rows_of(haystack, counter, "niah", num=2, depths=(depth,))
    for row in rows:
        assert row["needle_depth"] == depth
        assert abs(row["needle_depths"][0] - depth) < 0.03


def test_verify_catches_a_moved_needle_and_a_second_copy(haystack, counter):
    row = rows_of(haystack, counter, "niah", num=1, depths=(0.5,))[0]
    moved = {**row, "needle_depth": 0.1}
    user = row["prompt"][1]["content"]
    doubled = {**row, "prompt": [row["prompt"][0], {"role": "user", "content": user.replace("\n\n", " " + row["needles"][0] + "\n\n", 2)}]}
    assert {c for r in verify_rows([moved]) for c, _ in r.problems} == {"needle_depth"}
    assert "needles_found" in {c for r in verify_rows([doubled]) for c, _ in r.problems}


def test_rows_are_deterministic_and_differ_by_seed(haystack, counter):
    first = rows_of(haystack, counter, "multikey", num=2)
    assert first == rows_of(haystack, counter, "multikey", num=2)
    other = BuildConfig(source="synthetic", lengths=(4096,), task="multikey", num=2, seed=1)
    builder = NeedleBuilder(haystack, other.spec(4096), PromptTemplate(), counter, 2)
    assert builder.build(0, builder.source.items[0])["answers"] != first[0]["answers"]


def test_file_haystack_reads_paragraphs_and_sentences(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text("The first line\nwraps here. Second sentence.\n\n\nA new paragraph.\n", encoding="utf-8")
    stack = file_haystack([book])
    assert stack.pieces == ("The first line wraps here.", " Second sentence.", "\n\nA new paragraph.")
    assert paragraphs_of("") == []


def test_cli_style_build_with_haystack_files_and_grid(tmp_path):
    book = tmp_path / "book.txt"
    sentences = [f"Sentence number {i} tells of the river and the mill near the old bridge." for i in range(900)]
    book.write_text("\n\n".join(" ".join(sentences[i : i + 6]) for i in range(0, 900, 6)), encoding="utf-8")
    cfg = BuildConfig(source="haystack", data_files=(str(book),), lengths=(2048, 4096), task="niah", num=2,
                      depths=parse_depths("0,50,100"), out=str(tmp_path / "out"))
    results = build(cfg, command="test")
    assert [r.config_name for r in results] == ["haystack-niah-2k", "haystack-niah-4k"] and all(r.rows == 6 for r in results)
    reports = verify_folder(tmp_path / "out")
    assert all(r.ok for r in reports)
    version = results[0].path
    rows = list(iter_rows(version, read_manifest(version)))
    assert sorted({r["needle_depth"] for r in rows}) == [0.0, 0.5, 1.0]
    shown = io.StringIO()
    show(tmp_path / "out", 0, "haystack-niah-2k", Console(file=shown, width=120))
    assert "1 needles, requested depth" in shown.getvalue() and "passages" not in shown.getvalue()


def test_a_haystack_too_small_is_one_clear_error(tmp_path):
    book = tmp_path / "short.txt"
    book.write_text("Only a few words here. Nothing more.", encoding="utf-8")
    cfg = BuildConfig(source="haystack", data_files=(str(book),), lengths=(4096,), task="multikey", out=str(tmp_path / "o"))
    with pytest.raises(BudgetError, match="haystack holds .* tokens.*--haystack"):
        build(cfg, command="test")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"task": "niah", "source": "hotpotqa"}, "cannot read source 'hotpotqa'"),
        ({"task": "multikey", "depths": (0.5,)}, "--depths applies to --task niah only"),
        ({"task": "niah", "needles": 3}, "--needles applies to --task multikey or multivalue"),
        ({"task": "multikey", "chains": 2}, "--chains applies to --task keychain only"),
        ({"task": "multikey", "source": "haystack"}, "needs text files"),
    ],
)
def test_bad_retrieval_settings_name_the_fix(flags, message):
    with pytest.raises(ConfigError, match=message):
        BuildConfig(**{"source": "synthetic", "lengths": (4096,), **flags})


def test_depths_parse_percentages():
    assert parse_depths("0, 10,100") == (0.0, 0.1, 1.0)
    with pytest.raises(ConfigError, match="not a percentage"):
        parse_depths("0,half")


def test_pg19_streams_books_until_the_haystack_is_long_enough(monkeypatch):
    from keychain.tasks import haystack as module

    books = [{"short_book_title": f"Book {b}", "text": "\n\n".join(f"Line {i} of book {b}. It goes on." for i in range(400))} for b in range(50)]
    monkeypatch.setattr(module, "_load_pg19", lambda split: iter(books))
    stack = module.pg19_haystack("train", 4096)
    assert stack.name == "pg19" and 1 < len(stack.origin["books"]) < 50


def test_the_templates_assistant_prefix_is_counted_and_stays_in_the_budget(tmp_path, haystack, counter):
    template = PromptTemplate(assistant_prefix="<think>")
    cfg = BuildConfig(source="synthetic", lengths=(4096,), task="niah", num=2, depths=(0.5,))
    builder = NeedleBuilder(haystack, cfg.spec(4096), template, counter, 2)
    builder.check_budget()
    rows = [builder.build(i, item) for i, item in enumerate(builder.source.items)]
    for row in rows:
        assert row["n_tokens"] == counter.count_prompt(row["prompt"]) + counter.count("<think>")
        assert 0.97 * 4096 <= row["n_tokens"] <= 4096
    assert verify_rows(rows, template) == []
    # The repro: a template file holding only the prefix, built and verified as the CLI does.
    path = tmp_path / "t.yaml"
    path.write_text('assistant_prefix: "<think>"\n', encoding="utf-8")
    out = tmp_path / "out"
    (result,) = build(BuildConfig(source="synthetic", task="niah", lengths=(4096,), num=2, template=str(path), out=str(out)), command="t")
    assert result.rows > 0 and all(r.ok for r in verify_folder(out))
