"""The build runs verify's checks on every row before writing it (issue 14, item 2).

Here the sources' guard is bypassed (a SourceData made by hand whose documents hold
KeyChain-shaped pairs), so rows come out that verify would reject: each must be a counted
skip named after the failing check, never a written row.
"""

from __future__ import annotations

import dataclasses

from keychain.check.verify import verify_rows
from keychain.config import BuildConfig
from keychain.rows.build import RowBuilder
from keychain.rows.chains import format_pair
from keychain.rows.prompts import PromptTemplate
from keychain.run.executors import build_batch
from keychain.sources.records import Document
from keychain.store.schema import SCHEMA

from ..fixtures import make_source


def poisoned(source, every: int = 1):
    """``source`` with a stray pair appended to every ``every``-th document (sources would drop them)."""
    documents = list(source.documents)
    for index in range(0, len(documents), every):
        doc = documents[index]
        stray = " " + format_pair(f"{index:08x}-0000-4000-8000-000000000000", "Which code is it?")
        documents[index] = Document(doc.title, doc.sentences + (stray,))
    return dataclasses.replace(source, documents=tuple(documents))


def test_rows_verify_would_reject_are_counted_skips_never_written(counter):
    source = poisoned(make_source(n_items=12, n_docs=200), every=3)
    for task in ("keychain", "plain"):
        config = BuildConfig(source="hotpotqa", lengths=(4096,), task=task, chains=4 if task == "keychain" else None)
        builder = RowBuilder(source, config.spec(4096), PromptTemplate(), counter)
        chunk = [(i, i) for i in range(len(source.items))]
        unchecked = [builder.build(i, source.items[i]) for i, _ in chunk]
        assert verify_rows([r for r in unchecked if isinstance(r, dict)])  # the poison reaches rows

        table, skipped = build_batch(builder, SCHEMA, chunk)
        assert table.num_rows + len(skipped) == len(chunk) and skipped
        assert all(reason.startswith("verify_") for reason in skipped if reason != "key_collision")
        assert verify_rows(table.to_pylist()) == []


def test_clean_rows_pass_the_check_unchanged(tiny_source, counter):
    config = BuildConfig(source="hotpotqa", lengths=(4096,))
    builder = RowBuilder(tiny_source, config.spec(4096), PromptTemplate(), counter)
    chunk = [(i, i) for i in range(8)]
    table, skipped = build_batch(builder, SCHEMA, chunk)
    assert skipped == [] and table.to_pylist() == [builder.build(i, tiny_source.items[i]) for i, _ in chunk]
