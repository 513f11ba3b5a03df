"""Invented test data: a small multi-hop source with made-up words (no real text)."""

from __future__ import annotations

import random

from keychain.sources.records import DocumentPool, QAItem, SourceData

_SYLLABLES = "ka lo mi ra ten vor ul zi pe dan qua sol fer nix bo tra li gem hu and".split()


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def _sentence(rng: random.Random) -> str:
    words = [_word(rng) for _ in range(rng.randint(6, 14))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def make_source(n_items: int = 40, n_docs: int = 400, seed: int = 0, name: str = "hotpotqa") -> SourceData:
    """A small invented multi-hop source: every item has 2 gold and 4 own documents.

    The answer of item j is the made-up code ``code-j``, stated in its second gold
    document, so verification's answer-in-gold check applies.
    """
    rng = random.Random(f"tiny:{seed}")
    pool = DocumentPool()
    filler = []
    for i in range(n_docs):
        sentences = [_sentence(rng) for _ in range(rng.randint(3, 6))]
        sentences = [sentences[0]] + [" " + s for s in sentences[1:]]
        filler.append(pool.add(f"Filler {i} {_word(rng).capitalize()}", tuple(sentences)))
    items = []
    for j in range(n_items):
        first = pool.add(f"Bridge {j}", (f"Item {j} was made by Maker {j}.", " " + _sentence(rng)))
        second = pool.add(f"Maker {j}", (f"Maker {j} uses the code code-{j}.", " " + _sentence(rng)))
        others = tuple(rng.sample(filler, 4))
        items.append(
            QAItem(
                source_id=f"item{j:04d}",
                question=f"Which code does the maker of item {j} use?",
                answers=(f"code-{j}",),
                gold=(first, second),
                others=others,
                qa_hops=2,
                question_type="bridge",
            )
        )
    return SourceData(name, "train", tuple(items), pool.documents(), origin={"kind": "test"})


def write_hotpot_file(source: SourceData, path) -> None:
    """Write an invented source in HotpotQA's original release format (a JSON list)."""
    import json

    records = []
    for item in source.items:
        documents = [source.documents[d] for d in item.gold + item.others]
        records.append(
            {
                "_id": item.source_id,
                "question": item.question,
                "answer": item.answers[0],
                "type": item.question_type,
                "level": "medium",
                "supporting_facts": [[source.documents[d].title, 0] for d in item.gold],
                "context": [[doc.title, list(doc.sentences)] for doc in documents],
            }
        )
    path.write_text(json.dumps(records), encoding="utf-8")


def make_hf_tokenizer(folder) -> str:
    """Train a tiny byte-level BPE, wrap it with a ChatML chat template, save it; no download."""
    from trainer.tiny import train_chatml_bpe

    rng = random.Random("hf-tokenizer")
    corpus = [" ".join(_sentence(rng) for _ in range(5)) for _ in range(400)]
    corpus += ['{"0c2f3a4b-5d6e-4f70-8192-a3b4c5d6e7f8": "Which code?"}.', "Passage 12:\nTitle\n"] * 20
    train_chatml_bpe(corpus, folder, vocab_size=600)
    return str(folder)


def write_musique_file(source: SourceData, path) -> None:
    """Write an invented source in MuSiQue's original JSON Lines format."""
    import json

    lines = []
    for item in source.items:
        paragraphs = [
            {"idx": i, "title": source.documents[d].title, "paragraph_text": source.documents[d].body,
             "is_supporting": d in item.gold}
            for i, d in enumerate(item.gold + item.others)
        ]
        lines.append(json.dumps({
            "id": f"2hop__{item.source_id}",
            "question": item.question,
            "answer": item.answers[0],
            "answer_aliases": [],
            "answerable": True,
            "paragraphs": paragraphs,
            "question_decomposition": [
                {"id": n, "question": "?", "answer": "?", "paragraph_support_idx": n} for n in range(len(item.gold))
            ],
        }))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_twowiki_file(source: SourceData, path) -> None:
    """Write an invented source in 2WikiMultiHopQA's original format (a JSON list)."""
    import json

    records = []
    for item in source.items:
        documents = [source.documents[d] for d in item.gold + item.others]
        records.append({
            "_id": item.source_id,
            "type": "compositional",
            "question": item.question,
            "answer": item.answers[0],
            "context": [[doc.title, list(doc.sentences)] for doc in documents],
            "supporting_facts": [[source.documents[d].title, 0] for d in item.gold],
            "evidences": [["Item", "made by", "Maker"], ["Maker", "uses", item.answers[0]]],
        })
    path.write_text(json.dumps(records), encoding="utf-8")


# Characters that stress byte-level pre-tokenizers: letters (and the contraction letters),
# digits (one per piece in Qwen, runs of three in cl100k), punctuation runs, apostrophes,
# every kind of white space the patterns tell apart, braces and quotes of KeyChain pairs,
# accents (precomposed and combining), CJK.
JUNCTION_ALPHABET = list("abcsdXYZ0195'\".,:;!?{}()-/<>|") + [" ", " ", " ", "\n", "\n", "\t", "\r", "\u00a0", "é", "e\u0301", "漢", "ß"]


def fuzz_junctions(count, seed: str, trials: int = 8000) -> int:
    """Random (left, right) text pairs: wherever ``junction_splits`` accepts the join,
    ``count(left + right) == count(left) + count(right)``; returns how many were accepted."""
    from keychain.rows.junctions import junction_splits

    rng = random.Random(seed)

    def text() -> str:
        return "".join(rng.choice(JUNCTION_ALPHABET) for _ in range(rng.randint(1, 12)))

    checked = 0
    for _ in range(trials):
        left, right = text(), text()
        if junction_splits(left, right):
            checked += 1
            assert count(left + right) == count(left) + count(right), (left, right)
    return checked
