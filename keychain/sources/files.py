"""Shared pieces of the real-data sources: reading files, checking records, assembling.

The readers turn every way a data file can be wrong into one ``InputError`` line that
names the file, the place and the fix. ``assemble`` turns per-record results (an
``ItemDraft`` or a ``Skip``) into one ``SourceData``: it drops repeated ids, counts skips
by reason and pools the documents, so each source module only converts single records.

Example:
    >>> gold = Document("Fog", ("Fog is a novel by Ann Lee.",))
    >>> drafts = [ItemDraft("q1", "Who wrote Fog?", ("Ann Lee",), (gold,), ()),
    ...           ItemDraft("q1", "Who wrote Fog?", ("Ann Lee",), (gold,), ()),
    ...           Skip("q2", "no_answer")]
    >>> data = assemble("demo", "train", {}, drafts, "demo.json")
    >>> len(data.items), data.skipped, data.documents[data.items[0].gold[0]].title
    (1, {'duplicate_id': 1, 'no_answer': 1}, 'Fog')
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from ..errors import ConfigError, InputError, KeychainError
from ..records import Document, DocumentPool, QAItem, SourceData

_HASH_CHUNK = 1 << 20  # bytes read per step while hashing a data file


# --- reading -------------------------------------------------------------------------


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the --data-files path")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; pass the data file inside it")


def _read_text(path: Path) -> str:
    _check_file(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "pass the dataset's original JSON release file"
        ) from exc
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read ({exc.strerror or exc}); check the file's permissions"
        ) from exc


def _json_kind(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "number")


def read_json_list(path: Path) -> list[dict]:
    """Records of a file holding one JSON list of objects (HotpotQA, 2Wiki releases).

    Example: a file ``[{"_id": "a"}, {"_id": "b"}]`` -> ``[{'_id': 'a'}, {'_id': 'b'}]``;
    a file ``{"_id": "a"}`` -> InputError "...: expected a JSON list of records, ...".
    """
    path = Path(path)
    text = _read_text(path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = "fix the file or download it again"
        if exc.msg == "Extra data" and exc.lineno > 1:
            hint = "it looks like JSON Lines; pass the dataset's JSON list file"
        raise InputError(
            f"{path} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg}); {hint}"
        ) from exc
    if not isinstance(value, list):
        raise InputError(
            f"{path}: expected a JSON list of records, found a JSON {_json_kind(value)}; "
            "pass the dataset's original release file"
        )
    for number, record in enumerate(value, start=1):
        if not isinstance(record, dict):
            raise InputError(
                f"{path} record {number}: expected a JSON object, found a JSON "
                f"{_json_kind(record)}; pass the dataset's original release file"
            )
    return value


def read_jsonl(path: Path) -> list[dict]:
    """Records of a JSON Lines file (one object per line; blank lines are ignored).

    Example: lines ``{"id": "a"}`` and ``{"id": "b"}`` -> ``[{'id': 'a'}, {'id': 'b'}]``;
    a broken line 37 -> InputError "PATH line 37: not valid JSON (...); fix or remove that line".
    """
    path, records = Path(path), []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path} line {number}: not valid JSON ({exc.msg}); fix or remove that line"
            ) from exc
        if not isinstance(record, dict):
            raise InputError(
                f"{path} line {number}: expected one JSON object per line, found a JSON "
                f"{_json_kind(record)}; is this a JSON Lines file?"
            )
        records.append(record)
    return records


def file_origin(paths: Iterable[Path]) -> dict:
    """Where file data came from, for the manifest: path, sha256 and size of each file.

    Example: ``file_origin([Path("a.json")])`` ->
    ``{"kind": "file", "files": [{"path": "a.json", "sha256": "9f86...", "bytes": 4}]}``
    """
    files = []
    for path in paths:
        path = Path(path)
        _check_file(path)
        digest, size = hashlib.sha256(), 0
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_HASH_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise InputError(
                f"{path}: cannot read ({exc.strerror or exc}); check the file's permissions"
            ) from exc
        files.append({"path": str(path), "sha256": digest.hexdigest(), "bytes": size})
    return {"kind": "file", "files": files}


# --- checking records ----------------------------------------------------------------


def record_id(record: Mapping[str, Any]) -> str | None:
    """The record's id: ``_id`` in the original HotpotQA/2Wiki files, ``id`` elsewhere."""
    value = record.get("_id", record.get("id"))
    return None if value is None else str(value)


def record_error(
    where: str, number: int, record: Mapping[str, Any], problem: str, fix: str
) -> InputError:
    """One-line error about record ``number`` (1-based) of ``where`` (a path or Hub id).

    Example: ``record_error("d.json", 5, {"_id": "abc"}, "missing field 'x'",
    "is this a HotpotQA file?")`` -> "d.json record 5 (id=abc): missing field 'x'; is
    this a HotpotQA file?"
    """
    return InputError(f"{where} record {number} (id={record_id(record)}): {problem}; {fix}")


def wrong_data_fix(origin: Mapping[str, Any], dataset: str) -> str:
    """The fix to name when a record does not look like ``dataset``: depends on the origin."""
    if origin.get("kind") == "hub":
        return "the Hub copy may have changed format; pass --data-files with the original file"
    return f"is this a {dataset} file?"


def require(record: Mapping[str, Any], field: str, where: str, number: int, fix: str) -> Any:
    """``record[field]``, or a one-line InputError naming the record and ``fix``.

    ``"_id"`` accepts ``id`` as well. A missing ``answer`` most likely means an
    unlabeled test split, so that is the fix the error names instead.
    """
    if field == "_id":
        if record_id(record) is None:
            raise record_error(where, number, record, "missing field '_id' (or 'id')", fix)
        return record_id(record)
    if field in record:
        return record[field]
    if field == "answer":
        fix = "a test split has no answers; use the train or validation split"
    raise record_error(where, number, record, f"missing field {field!r}", fix)


def has_text(value: Any) -> bool:
    """True for a string with something besides white space (a usable question or answer)."""
    return isinstance(value, str) and bool(value.strip())


def as_rows(value: Any) -> list:
    """A list of rows from a list (returned as is) or a dict of equal-length columns.

    The Hugging Face ``Sequence`` of dicts stores rows as columns; this undoes that.
    Example: ``{"title": ["A", "B"], "sent_id": [0, 2]}`` ->
    ``[{'title': 'A', 'sent_id': 0}, {'title': 'B', 'sent_id': 2}]``
    """
    if isinstance(value, Mapping):
        names = list(value)
        return [dict(zip(names, row)) for row in zip(*(value[name] for name in names))]
    return list(value)


def as_pairs(value: Any, second: Sequence[str]) -> list[tuple[Any, Any]] | None:
    """``(title, x)`` pairs from any encoding of HotpotQA-style ``context``/``supporting_facts``.

    Accepts ``[[title, x], ...]`` (original files), ``{"title": [...], NAME: [...]}`` or
    ``[{"title": ..., NAME: ...}, ...]`` (Hub copies) where NAME is one of ``second``, and
    a JSON string of any of these. Returns None when ``value`` is none of them.
    Example: ``as_pairs({"title": ["A"], "sent_id": [3]}, ("sent_id",))`` -> ``[('A', 3)]``
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, Mapping):
        name = next((n for n in second if n in value), None)
        if "title" not in value or name is None or len(value["title"]) != len(value[name]):
            return None
        return list(zip(value["title"], value[name], strict=True))
    if not isinstance(value, (list, tuple)):
        return None
    pairs = []
    for entry in value:
        if isinstance(entry, Mapping):
            name = next((n for n in second if n in entry), None)
            if "title" not in entry or name is None:
                return None
            pairs.append((entry["title"], entry[name]))
        elif isinstance(entry, (list, tuple)) and len(entry) == 2:
            pairs.append((entry[0], entry[1]))
        else:
            return None
    return pairs


def as_document(title: Any, sentences: Any) -> Document | None:
    """``Document`` from a title and a list of sentence strings; None if they are not that."""
    if not isinstance(title, str) or isinstance(sentences, (str, bytes, Mapping)):
        return None
    if not isinstance(sentences, (list, tuple)) or not all(isinstance(s, str) for s in sentences):
        return None
    return Document(title, tuple(sentences))


def titled_context(
    record: Mapping[str, Any],
    where: str,
    number: int,
    fix: str,
    body: Sequence[str] = ("sentences",),
) -> tuple[list[str], list[Document]]:
    """Supporting titles (in order of first mention) and context documents of a
    HotpotQA-style record; ``body`` names the sentence column in column encodings.

    Example: ``{"supporting_facts": [["B", 0], ["A", 1], ["B", 1]], "context": [["A",
    ["a."]], ["B", ["b."]]]}`` -> ``(['B', 'A'], [Document('A', ('a.',)), Document('B', ('b.',))])``
    """
    facts = as_pairs(require(record, "supporting_facts", where, number, fix), ("sent_id",))
    context = as_pairs(require(record, "context", where, number, fix), body)
    if facts is None or not all(isinstance(title, str) for title, _ in facts):
        problem = "'supporting_facts' is not [title, sentence index] pairs"
        raise record_error(where, number, record, problem, fix)
    documents = [as_document(title, sentences) for title, sentences in context or ()]
    if context is None or None in documents:
        problem = "'context' is not [title, [sentences]] pairs"
        raise record_error(where, number, record, problem, fix)
    return list(dict.fromkeys(title for title, _ in facts)), documents


def select_gold(
    titles: Sequence[str], documents: Sequence[Document]
) -> tuple[tuple[Document, ...], tuple[Document, ...]] | None:
    """(gold, others): the documents titled ``titles`` in that order, then the rest in
    context order; None when there is no title or one names no document.

    Example: ``select_gold(["B"], [Document("A", ()), Document("B", ())])`` ->
    ``((Document('B', ()),), (Document('A', ()),))``
    """
    present = {document.title for document in documents}
    if not titles or any(title not in present for title in titles):
        return None
    gold = tuple(d for title in titles for d in documents if d.title == title)
    others = tuple(d for d in documents if d.title not in titles)
    return gold, others


# --- assembling ----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemDraft:
    """One converted record, its documents not yet pooled."""

    source_id: str
    question: str
    answers: tuple[str, ...]
    gold: tuple[Document, ...]
    others: tuple[Document, ...]
    qa_hops: int | None = None
    question_type: str | None = None


@dataclass(frozen=True)
class Skip:
    """A record dropped while converting, and why (``missing_gold``, ``no_answer``, ...)."""

    source_id: str
    reason: str


# convert(record, where, number, fix): one record (numbered from 1) -> draft or skip
Convert = Callable[[Mapping[str, Any], str, int, str], "ItemDraft | Skip"]


def assemble(
    name: str,
    split: str,
    origin: Mapping[str, Any],
    results: Iterable[ItemDraft | Skip],
    where: str,
) -> SourceData:
    """``SourceData`` from converted records, in order; a repeated id keeps the first record.

    Raises InputError when no record is usable, since an empty source fails later with a
    less helpful message.
    """
    pool, items, skipped, seen = DocumentPool(), [], Counter(), set()
    for result in results:
        if result.source_id in seen:
            skipped["duplicate_id"] += 1
            continue
        seen.add(result.source_id)
        if isinstance(result, Skip):
            skipped[result.reason] += 1
            continue
        gold = _unique(pool.add(d.title, d.sentences) for d in result.gold)
        others = _unique(pool.add(d.title, d.sentences) for d in result.others)
        items.append(
            QAItem(
                source_id=result.source_id,
                question=result.question,
                answers=result.answers,
                gold=gold,
                others=tuple(i for i in others if i not in gold),
                qa_hops=result.qa_hops,
                question_type=result.question_type,
            )
        )
    if not items:
        _raise_empty(where, skipped)
    skips = dict(sorted(skipped.items()))
    return SourceData(name, split, tuple(items), pool.documents(), skips, dict(origin))


def convert_records(
    records: Iterable[Mapping[str, Any]], where: str, fix: str, convert: Convert
) -> Iterator[ItemDraft | Skip]:
    """``convert(record, where, number, fix)`` for each record, numbered from 1."""
    for number, record in enumerate(records, start=1):
        yield convert(record, where, number, fix)


def load_files(
    name: str,
    dataset: str,
    paths: Iterable[Path],
    split: str,
    read: Callable[[Path], list[dict]],
    convert: Convert,
) -> SourceData:
    """``SourceData`` of data files read with ``read`` and converted record by record."""
    paths = [Path(path) for path in paths]
    origin = file_origin(paths)
    fix = wrong_data_fix(origin, dataset)
    drafts = itertools.chain.from_iterable(
        convert_records(read(path), str(path), fix, convert) for path in paths
    )
    return assemble(name, split, origin, drafts, ", ".join(map(str, paths)))


def _unique(indices: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(indices))


def _raise_empty(where: str, skipped: Counter) -> None:
    if not skipped:
        raise InputError(f"{where}: no records; pass a file that holds the dataset's records")
    counts = ", ".join(f"{reason}={n}" for reason, n in sorted(skipped.items()))
    if set(skipped) == {"no_answer"}:
        fix = "a test split has no answers; use the train or validation split"
    else:
        fix = "check that this is the right dataset and split"
    raise InputError(f"{where}: no usable records (skipped {counts}); {fix}")


# --- the Hugging Face Hub ------------------------------------------------------------


def hub_split(source: str, split: str, splits: Mapping[str, str]) -> str:
    """The Hub split name for ``split`` (``splits`` maps accepted names, e.g. dev -> validation).

    Example: ``hub_split("hotpotqa", "dev", {"dev": "validation"})`` -> ``'validation'``
    """
    if split not in splits:
        raise ConfigError(
            f"unknown split {split!r} for {source} from the Hub; choose one of {', '.join(splits)}"
        )
    return splits[split]


def fetch_hub(load_hub: Callable[[str], Any], split: str, repo: str, fix: str) -> Any:
    """``load_hub(split)``, any failure (network, auth, format) turned into one InputError line."""
    try:
        return load_hub(split)
    except KeychainError:
        raise
    except Exception as exc:  # the Hub stack raises many types; all mean "could not load"
        raise hub_error(repo, exc, fix) from exc


def hub_error(repo: str, exc: BaseException, fix: str) -> InputError:
    """One-line InputError for a failed Hub load, quoting the cause's first line."""
    lines = str(exc).strip().splitlines() or [""]
    cause = lines[0][:200]
    return InputError(
        f"cannot load {repo} from the Hugging Face Hub ({type(exc).__name__}: {cause}); "
        f"check your network, or {fix}"
    )


def hub_origin(repo: str, config: str | None, split: str, dataset: Any) -> dict:
    """Where Hub data came from, for the manifest; the fingerprint names the exact data."""
    return {
        "kind": "hub",
        "repo": repo,
        "config": config,
        "split": split,
        "fingerprint": getattr(dataset, "_fingerprint", None),
    }
