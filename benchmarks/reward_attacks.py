r"""Constant-answer attacks on the QA rewards, measured on real HotpotQA and MuSiQue items.

A reward is a measurement instrument: an answer that knows nothing about the item must
not score. For every item of the real samples in ``../shared/data`` (100 HotpotQA, 100
MuSiQue) each attack is boxed (``<think>...</think> \boxed{ATTACK}``) and scored with
``trainer.rewards.score`` against the item's answers; the table gives the share of items
scored 1. The true answers are scored too (every one should score 1).

Attacks: every letter and digit, ``yes or no``, the titles of all the item's passages
joined by ", " and by " ", and the best single constant among every word and word pair
of every gold answer (a policy that learns the most frequent answer fragment); ``yes``
and ``no`` are listed apart, as honest guesses whose share is the base rate of yes/no
questions. Needle rows: a 7-digit value asked on a multikey row against a digit, a
3-digit prefix and the value itself.

    python benchmarks/reward_attacks.py [--reward containment --reward containment_paper]
"""

from __future__ import annotations

import argparse
import random
import string
import sys
from pathlib import Path

# run as a script, this file's folder comes first on sys.path and would hide the trainer package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = {"hotpotqa": "hotpotqa_train_sample.json", "musique": "musique_train_sample.jsonl"}


def load_items(data_dir: Path = SHARED_DATA) -> list[dict]:
    """Every item of the samples as ``{data_source, answers, titles}`` (plain QA rows)."""
    from keychain.sources import SourceRequest, load_source

    items = []
    for source, name in FILES.items():
        data = load_source(source, SourceRequest(data_files=(data_dir / name,)))
        for item in data.items:
            titles = [data.documents[i].title for i in item.gold + item.others]
            items.append({"data_source": f"plain/{source}", "answers": list(item.answers), "titles": titles})
    return items


def boxed(answer: str) -> str:
    return f"<think>I will answer.</think> \\boxed{{{answer}}}"


def share(reward: str, items: list[dict], answer_of) -> float:
    """Share of ``items`` whose boxed ``answer_of(item)`` scores 1 with ``reward``."""
    from trainer.rewards import score

    hits = sum(score(reward, item["data_source"], boxed(answer_of(item)), item["answers"]) == 1.0 for item in items)
    return hits / len(items)


def gold_fragments(items: list[dict]) -> list[str]:
    """Every word and adjacent word pair of every gold answer (candidate constants)."""
    fragments = set()
    for item in items:
        for answer in item["answers"]:
            words = answer.split()
            fragments.update(words)
            fragments.update(" ".join(pair) for pair in zip(words, words[1:]))
    return sorted(text for text in fragments if text.lower() not in ("yes", "no"))


def needle_values(count: int = 200) -> list[str]:
    rng = random.Random("reward-attacks:needles")
    return [str(rng.randrange(1_000_000, 10_000_000)) for _ in range(count)]


def attack_table(reward: str, items: list[dict]) -> list[tuple]:
    """(attack, share of items scored 1[, the constant found]) rows for one reward."""
    rows = []
    letters = {c: share(reward, items, lambda _, c=c: c) for c in string.ascii_lowercase}
    digits = {d: share(reward, items, lambda _, d=d: d) for d in string.digits}
    for letter in "ner":  # the three best letters under the paper's rule
        rows.append((f"`{letter}`", letters[letter]))
    rows.append(("any letter (max of a-z)", max(letters.values())))
    rows.append(("any digit (max of 0-9)", max(digits.values())))
    rows.append(("`yes or no`", share(reward, items, lambda _: "yes or no")))
    rows.append(("every passage title, joined by ', '", share(reward, items, lambda item: ", ".join(item["titles"]))))
    rows.append(("every passage title, joined by ' '", share(reward, items, lambda item: " ".join(item["titles"]))))
    fragments = gold_fragments(items)
    best = max(fragments, key=lambda text: (share(reward, items, lambda _: text), text))
    rows.append((f"best of {len(fragments)} gold words and word pairs", share(reward, items, lambda _: best), best))
    rows.append(("`yes` (a guess: base rate)", share(reward, items, lambda _: "yes")))
    rows.append(("`no` (a guess: base rate)", share(reward, items, lambda _: "no")))
    rows.append(("the true answer (first gold)", share(reward, items, lambda item: item["answers"][0])))
    every = [{**item, "answers": item["answers"], "one": answer} for item in items for answer in item["answers"]]
    rows.append((f"each gold answer ({len(every)})", share(reward, every, lambda item: item["one"])))
    needles = [{"data_source": "multikey/synthetic", "answers": [value]} for value in needle_values()]
    rows.append(("needle 7-digit value: its last digit", share(reward, needles, lambda item: item["answers"][0][-1])))
    rows.append(("needle 7-digit value: its first 3 digits", share(reward, needles, lambda item: item["answers"][0][:3])))
    rows.append(("needle 7-digit value: the value", share(reward, needles, lambda item: item["answers"][0])))
    return rows


def _cell(row: tuple) -> str:
    return f"{row[1]:.1%}" + (f" (`{row[2]}`)" if len(row) > 2 else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reward", action="append", help="reward name (repeat); default: containment")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="folder with the real samples")
    args = parser.parse_args(argv)
    if not all((args.data / name).is_file() for name in FILES.values()):
        print(f"{args.data}: the real HotpotQA/MuSiQue samples are missing; pass --data DIR", file=sys.stderr)
        return 1
    rewards = args.reward or ["containment"]
    items = load_items(args.data)
    tables = [attack_table(reward, items) for reward in rewards]
    print(f"{len(items)} items ({', '.join(FILES)}); share of items scored 1\n")
    print("| attack | " + " | ".join(f"`{reward}`" for reward in rewards) + " |")
    print("|---" * (len(rewards) + 1) + "|")
    for i, (label, *_) in enumerate(tables[0]):
        print(f"| {label} | " + " | ".join(_cell(table[i]) for table in tables) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
