"""Build settings, parsed and checked once at the edge.

``BuildConfig`` holds what the user asked for; ``RowSpec`` is everything a single row
depends on for one target length (so a row is a pure function of its spec, the source
and the item). Lengths are parsed here ("16k" -> 16384) and never re-parsed deeper in.

Example:
    >>> parse_length("16k"), parse_length("128K"), parse_length("16384")
    (16384, 131072, 16384)
    >>> length_label(16384), length_label(16000)
    ('16k', '16000')
    >>> BuildConfig(source="synthetic", lengths=(16384,)).spec(16384).chains
    16
    >>> spec = BuildConfig(source="synthetic", lengths=(16384,), preset="loongrl").spec(16384)
    >>> spec.chains, spec.key_format, spec.padding, spec.chains_outside_budget
    (64, 'hex8', 'context', True)
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field

from .errors import ConfigError, unknown_choice
from .rows.prompts import TEMPLATES, PromptTemplate, load_template
from .rows.spec import PADDINGS, RowSpec, length_label
from .sources import SOURCE_NAMES
from .sources.splits import canonical_split
from .tasks import (
    HAYSTACKS,
    MATH_SOURCES,
    RETRIEVAL_TASKS,
    TASK_SOURCES,
    UNPADDED_TASKS,
    check_task_config,
    task_spec,
)

TASKS = ("keychain", "plain", "multikey", "multivalue", "niah", "math", "choice")  # the last five: keychain/tasks/
KEY_FORMATS = ("uuid", "hex8")
EXECUTORS = ("local", "ray")  # where shards are built: keychain/run/executors.py
DEFAULT_HOPS = 4  # keys per chain, as released by the paper's authors (4 pairs per chain)
CHAINS_PER_1K = 1  # chains per 1024 tokens of budget, as in the authors' released script
MIN_LENGTH = 256  # tokens; below this no prompt template fits
# tokens; no tokenizer or model in use takes longer prompts (Qwen2.5-7B-1M: 1M). A larger
# --len is refused before anything is generated; KEYCHAIN_MAX_LEN=N raises the cap.
MAX_LENGTH = 1024 * 1024
MAX_SEED = 2**63 - 1  # stored in the int64 ``seed`` column

_LENGTH = re.compile(r"^\s*(\d+)\s*([kK]?)\s*$")


def parse_length(text: str | int) -> int:
    """"4k" -> 4096, "16k" -> 16384, "128k" -> 131072, "16384" -> 16384."""
    if isinstance(text, int):
        value = text
    else:
        match = _LENGTH.match(str(text))
        if not match:
            raise ConfigError(
                f"--len {text!r} is not a length; write it as 4k, 16k, 128k or a token count like 16384"
            )
        value = int(match.group(1)) * (1024 if match.group(2) else 1)
    if value < MIN_LENGTH:
        raise ConfigError(f"--len {text} is below {MIN_LENGTH} tokens; no prompt fits, use e.g. --len 4k")
    if value > max_length():
        raise ConfigError(
            f"--len {text} is {value:,} tokens, above the {max_length():,}-token cap (no tokenizer or model in use "
            f"takes more); use a smaller --len, or set KEYCHAIN_MAX_LEN={value} if you mean it"
        )
    return value


def max_length() -> int:
    """The largest --len accepted: ``MAX_LENGTH``, or ``KEYCHAIN_MAX_LEN`` (tokens, or e.g. 2048k)."""
    text = os.environ.get("KEYCHAIN_MAX_LEN", "").strip()
    match = _LENGTH.match(text)
    if not text:
        return MAX_LENGTH
    if not match:
        raise ConfigError(f"KEYCHAIN_MAX_LEN={text!r} is not a length; set it to a token count like 2097152 or 2048k")
    return int(match.group(1)) * (1024 if match.group(2) else 1)


def parse_slice(text: str) -> tuple[int, int]:
    """``"2/8"`` -> ``(2, 8)``: slice 2 of 8 (0-based), for job arrays.

    >>> parse_slice("2/8")
    (2, 8)
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise ConfigError(f"--slice {text!r} is not I/N; use e.g. --slice 0/4 (slice 0 of 4, 0-based)")
    return int(match.group(1)), int(match.group(2))


def default_chains(target_len: int, per_1k: int = CHAINS_PER_1K) -> int:
    return max(1, per_1k * target_len // 1024)


@dataclass(frozen=True)
class Preset:
    """A named bundle of build settings (``--preset``); a flag given explicitly wins."""

    description: str
    chains_per_1k: int = CHAINS_PER_1K
    key_format: str = "uuid"
    hops: int = DEFAULT_HOPS
    chains_outside_budget: bool = False
    padding: str = "prompt"
    template: str = "default"  # base prompt template, a key of rows.prompts.TEMPLATES


PRESETS = {
    "exact": Preset(
        "the default: every prompt, chat template and chains included, fills 97-100% of --len; "
        "1 chain per 1K of budget, UUID keys, the paper's system prompt and instruction"
    ),
    "loongrl": Preset(
        "the data the LoongRL models trained on (authors' scripts at HEAD): 4 chains per 1K "
        "(64 at 16K) of 8-hex keys, 4 keys each; the passages alone pad --len minus 128 "
        "tokens, then the chains are added (~21K Qwen tokens at 16K); the authors' "
        "instruction; the assistant turn starts with <think>",
        chains_per_1k=4,
        key_format="hex8",
        chains_outside_budget=True,
        padding="context",
        template="loongrl",
    ),
    "loongrl-table1": Preset(
        "as loongrl with 1 chain per 1K (16 at 16K) of 36-character UUIDs, the authors' "
        "earlier script: the setting that matches the paper's Table 1 lengths and Fig. 6",
        chains_outside_budget=True,
        padding="context",
        template="loongrl",
    ),
}
PRESET_TASKS = ("keychain", "plain")  # presets shape QA rows; other tasks take their own flags

# No leaks between tasks: the seeded order of a source's items is dealt round-robin into
# lanes, and each QA task takes its own lane (keychain even positions, plain odd ones), so
# a KeyChain build and a plain build of one source, split and seed never share an item,
# whether they run in one `keychain mix` or as separate builds into one OUT.
TASK_LANES = {"keychain": (0, 2), "plain": (1, 2)}
ITEM_MODES = ("task", "all")  # --items: the task's lane, or every item (may overlap the other task)


@dataclass(frozen=True)
class BuildConfig:
    """What ``keychain build`` was asked to do; see ``keychain build --help``."""

    source: str
    lengths: tuple[int, ...]
    task: str = "keychain"
    split: str = "train"
    data_files: tuple[str, ...] = ()
    num: int | None = None
    seed: int = 0
    tokenizer: str = "cl100k_base"
    hops: int | None = None
    chains: int | None = None
    key_format: str | None = None
    chains_outside_budget: bool | None = None  # None: the preset's
    template: str | None = None
    preset: str = "exact"
    padding: str | None = None  # None: the preset's
    items: str = "task"  # which items of the seeded order: the task's lane, or all
    lane: tuple[int, int] | None = None  # (I, N): positions p with p % N == I; set by keychain mix
    keep_ids: str | None = None  # file of source ids to build from (the difficulty filter's list)
    # (items, max_len) the synthetic world is generated for; keychain mix gives the
    # components of one world the same size, so their lanes divide the same items.
    synthetic_size: tuple[int, int] | None = None
    out: str = "data"
    workers: int = 1
    shard_rows: int | None = None
    executor: str = "local"
    ray_address: str | None = None
    slice: tuple[int, int] | None = None  # (I, N): build only shards I, I+N, I+2N, ...
    depths: tuple[float, ...] = ()  # niah: needle depths, fractions of the context (0..1)
    needles: int | None = None  # multikey: keys per row, multivalue: values per row (default 20)
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise unknown_choice("task", self.task, TASKS)
        if self.preset not in PRESETS:
            raise unknown_choice("--preset", self.preset, tuple(PRESETS))
        if self.padding is not None and self.padding not in PADDINGS:
            raise unknown_choice("--padding", self.padding, PADDINGS)
        if self.task not in PRESET_TASKS and (self.preset != "exact" or self.padding is not None):
            flag = "--preset" if self.preset != "exact" else "--padding"
            raise ConfigError(f"{flag} applies to --task keychain or plain; drop it for --task {self.task}")
        if (self.padding or PRESETS[self.preset].padding) == "context" and self.chains_outside_budget is False:
            raise ConfigError("--padding context counts the passages alone, so the chains always come on top; drop --chains-inside-budget")
        if self.items not in ITEM_MODES:
            raise ConfigError(f"unknown --items {self.items!r}; choose task (this task's share of the items) or all")
        if self.task not in PRESET_TASKS and (self.keep_ids or self.items != "task" or self.lane):
            raise ConfigError(f"--keep-ids and --items apply to --task keychain or plain; drop them for --task {self.task}")
        if self.lane is not None and not (self.lane[1] >= 1 and 0 <= self.lane[0] < self.lane[1]):
            raise ConfigError(f"item lane {self.lane} is out of range; use (I, N) with 0 <= I < N")
        if self.task in TASK_SOURCES:  # retrieval and math tasks: their own sources and flags
            check_task_config(self)
        elif self.source in HAYSTACKS and self.source not in SOURCE_NAMES:
            tasks = ", ".join(RETRIEVAL_TASKS[:-1]) + f" or {RETRIEVAL_TASKS[-1]}"
            raise ConfigError(f"{self.source} is a haystack without questions; use it with --task {tasks}")
        elif self.source not in SOURCE_NAMES:
            haystacks = tuple(name for name in HAYSTACKS if name not in SOURCE_NAMES and name != "haystack")
            raise unknown_choice("source", self.source, SOURCE_NAMES + haystacks)
        elif self.source in MATH_SOURCES:
            raise ConfigError(f"{self.source} holds math problems without passages; use it with --task {MATH_SOURCES[self.source]}")
        if not self.lengths:
            raise ConfigError("no --len given; pass at least one, e.g. --len 16k")
        if len(set(self.lengths)) != len(self.lengths):
            raise ConfigError("the same --len is given twice; pass each length once")
        object.__setattr__(self, "split", canonical_split(self.source, self.split))  # dev -> validation; unknown: refused
        for name in ("num", "workers", "shard_rows", "hops", "chains"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"--seed must be a whole number from 0 to 2^63-1 (a 64-bit row column), got {self.seed}")
        if self.task == "plain":
            for flag, value in (("--hops", self.hops), ("--chains", self.chains), ("--key-format", self.key_format)):
                if value is not None:
                    raise ConfigError(f"{flag} applies to --task keychain only; drop it for --task plain")
            if self.chains_outside_budget:
                raise ConfigError("--chains-outside-budget applies to --task keychain only; drop it")
        if self.key_format is not None and self.key_format not in KEY_FORMATS:
            raise unknown_choice("--key-format", self.key_format, KEY_FORMATS)
        if self.executor not in EXECUTORS:
            raise unknown_choice("--executor", self.executor, EXECUTORS)
        if self.ray_address and self.executor != "ray":
            raise ConfigError("--ray-address applies to --executor ray only; add --executor ray or drop it")
        if self.executor == "ray" and self.workers != 1:
            raise ConfigError("--workers applies to the local executor; Ray schedules shards over its own workers, drop --workers")
        if self.slice is not None:
            part, parts = self.slice
            if not (parts >= 1 and 0 <= part < parts):
                raise ConfigError(f"--slice {part}/{parts} is out of range; use I/N with 0 <= I < N, e.g. 0/4")
        if self.source == "synthetic" and self.data_files:
            raise ConfigError("the synthetic source reads no files; drop --data-files")

    def spec(self, target_len: int, template_digest: str = "default") -> RowSpec:
        if self.task in TASK_SOURCES:
            return task_spec(self, target_len, template_digest)
        keychain, preset = self.task == "keychain", PRESETS[self.preset]
        outside = preset.chains_outside_budget if self.chains_outside_budget is None else self.chains_outside_budget
        return RowSpec(
            source=self.source,
            split=self.split,
            task=self.task,
            target_len=target_len,
            seed=self.seed,
            tokenizer=self.tokenizer,
            hops=(self.hops or preset.hops) if keychain else None,
            chains=self.keychain_chains(target_len) if keychain else None,
            key_format=(self.key_format or preset.key_format) if keychain else None,
            chains_outside_budget=keychain and outside,
            template_digest=template_digest,
            padding=self.padding or preset.padding,
        )

    def item_lane(self) -> tuple[int, int]:
        """(I, N): this build takes the items at positions p of the seeded order with p % N == I."""
        if self.lane is not None:
            return self.lane
        return TASK_LANES[self.task] if self.items == "task" and self.task in TASK_LANES else (0, 1)

    def world_items(self) -> int | None:
        """Items of the synthetic world this build asks for (None: the source's default):
        ``--num`` for every lane and, for KeyChain and plain alike, a distinct decoy question
        per chain of a KeyChain build of these settings, so the two tasks share one world."""
        if self.num is None:
            return None
        lanes = self.num * self.item_lane()[1]
        if self.task not in PRESET_TASKS:  # no chains, so no decoys
            return lanes
        return max(lanes, max(map(self.keychain_chains, self.lengths)) + 8)

    def keychain_chains(self, target_len: int) -> int:
        """Chains of a KeyChain row at ``target_len`` with these settings (``--chains``, else the preset's rate)."""
        return self.chains or default_chains(target_len, PRESETS[self.preset].chains_per_1k)

    def prompt_template(self) -> PromptTemplate:
        """The preset's template, with the fields of ``--template FILE`` on top."""
        return load_template(self.template, TEMPLATES[PRESETS[self.preset].template])

    def config_name(self, target_len: int) -> str:
        """hotpotqa-keychain-16k; the split is appended when it is not train."""
        name = f"{self.source}-{self.task}-{length_label(target_len)}"
        if self.task in UNPADDED_TASKS:
            name = f"{self.source}-{self.task}"  # short prompts: --len is only a cap
        return name if self.split == "train" else f"{name}-{self.split}"

    def as_dict(self) -> dict:
        settings = asdict(self)
        if self.task not in TASK_SOURCES:  # keychain/plain manifests stay as they were
            del settings["depths"], settings["needles"]
            settings["lane"] = list(self.item_lane())  # resolved: which items the build took
        else:
            for name in ("preset", "padding", "items", "lane", "keep_ids", "synthetic_size"):
                del settings[name]
        return settings
