"""Tasks beyond KeyChain and plain QA: needle retrieval over a haystack, and short math.

    multikey    20 key-value needles in a haystack; the question asks for one key's value
    multivalue  one key with 20 values, each in its own needle; the question asks for all
    niah        one needle at a requested depth (``--depths``), one row set per depth
    math        DAPO-Math problems, boxed answer (``--source dapo-math``)
    choice      MathQA multiple choice, option letter (``--source mathqa``)

Each task has its sources (haystacks for the retrieval tasks, problem sets for math),
its builder (``retrieval.py``, ``math.py``) and its verify checks (``checks.py``); the
pipeline, the shards and the manifest are those of ``keychain build``.
May import: ``rows``, ``sources``, ``store.schema`` and the helpers; never ``config`` or
``run`` (``run.builders`` is where the pipeline enters this package).

Example:
    >>> parse_depths("0,25,50,75,100")
    (0.0, 0.25, 0.5, 0.75, 1.0)
    >>> TASK_SOURCES["choice"]
    ('mathqa',)
"""

from __future__ import annotations

import re

from ..errors import ConfigError

RETRIEVAL_TASKS = ("multikey", "multivalue", "niah")
UNPADDED_TASKS = ("math", "choice")  # short prompts; --len only caps them
HAYSTACKS = ("synthetic", "pg19", "haystack")  # haystack = plain-text files (--haystack)
TASK_SOURCES: dict[str, tuple[str, ...]] = {
    **{task: HAYSTACKS for task in RETRIEVAL_TASKS},
    "math": ("dapo-math",),
    "choice": ("mathqa",),
}
MATH_SOURCES = {"dapo-math": "math", "mathqa": "choice"}  # source -> the one task it serves
DEFAULT_NEEDLES = 20  # the paper's mix: 20 keys (multikey) or 20 values (multivalue)
DEFAULT_DEPTHS = tuple(step / 10 for step in range(11))  # 0%, 10%, ..., 100%
KEY_FORMATS = ("uuid", "hex8")


def parse_depths(text: str) -> tuple[float, ...]:
    """Percentages of the context, "0,25,50" -> (0.0, 0.25, 0.5); checked once here."""
    depths = []
    for part in str(text).split(","):
        if not re.fullmatch(r"\s*\d+(\.\d+)?\s*", part):
            raise ConfigError(f"--depths {text!r}: {part.strip()!r} is not a percentage; write e.g. --depths 0,25,50,75,100")
        value = float(part)
        if value > 100:
            raise ConfigError(f"--depths {text!r}: {value:g} is above 100; depths are percentages of the context")
        depths.append(value / 100)
    if len(set(depths)) != len(depths):
        raise ConfigError(f"--depths {text!r} repeats a depth; pass each depth once")
    return tuple(depths)


def check_task_config(cfg) -> None:
    """The flags a retrieval or math task accepts; one-line ConfigErrors otherwise."""
    task, source = cfg.task, cfg.source
    if source not in TASK_SOURCES[task]:
        hint = {
            "math": "use --source dapo-math",
            "choice": "use --source mathqa",
        }.get(task, "use --source synthetic, pg19, or --haystack FILE... for your own text")
        raise ConfigError(f"--task {task} cannot read source {source!r}; {hint}")
    for flag, value in (("--hops", cfg.hops), ("--chains", cfg.chains)):
        if value is not None:
            raise ConfigError(f"{flag} applies to --task keychain only; drop it for --task {task}")
    if cfg.chains_outside_budget:
        raise ConfigError(f"--chains-outside-budget applies to --task keychain only; drop it for --task {task}")
    if cfg.depths and task != "niah":
        raise ConfigError(f"--depths applies to --task niah only; drop it for --task {task}")
    if any(not 0.0 <= d <= 1.0 for d in cfg.depths):
        raise ConfigError("--depths must lie between 0 and 100 (percent of the context)")
    if cfg.needles is not None and task not in ("multikey", "multivalue"):
        raise ConfigError(f"--needles applies to --task multikey or multivalue only; drop it for --task {task}")
    if cfg.needles is not None and cfg.needles < 1:
        raise ConfigError(f"--needles must be at least 1, got {cfg.needles}")
    if task in UNPADDED_TASKS and cfg.key_format is not None:
        raise ConfigError(f"--key-format applies to retrieval and keychain tasks; drop it for --task {task}")
    if cfg.key_format is not None and cfg.key_format not in KEY_FORMATS:
        raise ConfigError(f"unknown --key-format {cfg.key_format!r}; choose one of {', '.join(KEY_FORMATS)}")
    if task in UNPADDED_TASKS and len(cfg.lengths) > 1:
        raise ConfigError(f"--task {task} builds short prompts and --len only caps them; pass one --len")
    if source == "haystack" and not cfg.data_files:
        raise ConfigError("the haystack source needs text files; pass --haystack FILE... (plain text, e.g. books)")
    if source in ("synthetic", "pg19") and cfg.data_files:
        raise ConfigError(f"the {source} haystack reads no files; drop --data-files, or pass --haystack FILE... alone")


def task_spec(cfg, target_len: int, template_digest: str):
    """The TaskSpec of one length of a retrieval or math build."""
    from .spec import TaskSpec

    retrieval = cfg.task in RETRIEVAL_TASKS
    return TaskSpec(
        source=cfg.source,
        split=cfg.split,
        task=cfg.task,
        target_len=target_len,
        seed=cfg.seed,
        tokenizer=cfg.tokenizer,
        needles=(cfg.needles or DEFAULT_NEEDLES) if cfg.task in ("multikey", "multivalue") else (1 if retrieval else None),
        depths=list(cfg.depths or DEFAULT_DEPTHS) if cfg.task == "niah" else None,  # a list: identities are compared after a JSON round trip
        key_format=(cfg.key_format or "uuid") if retrieval else None,
        template_digest=template_digest,
    )
