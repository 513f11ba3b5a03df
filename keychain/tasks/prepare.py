"""The pipeline's entry into this package: builders and row plans for each length.

``prepare`` is what ``pipeline.build`` calls instead of its KeyChain path for a retrieval
or math task: it loads the haystack or problem set once, checks every length's budget
before anything is written, and returns one (builder, plan) per length. Builders have
the pipeline's interface (``source.items``, ``spec``, ``build(index, item)``).

Example: for ``--task niah --len 4k --len 8k --depths 0,50 --num 2`` it returns two
builders over one synthetic haystack, each planning 4 rows (2 per depth).
"""

from __future__ import annotations

from pathlib import Path

from ..plan import Plan
from ..sources import SourceRequest, load_source
from . import RETRIEVAL_TASKS
from .haystack import load_haystack
from .math import MathBuilder
from .retrieval import NeedleBuilder


def prepare(cfg, specs, template, counter) -> list[tuple[object, Plan]]:
    if cfg.task in RETRIEVAL_TASKS:
        haystack = load_haystack(cfg.source, split=cfg.split, seed=cfg.seed, max_len=max(cfg.lengths), files=cfg.data_files)
        builders = [NeedleBuilder(haystack, spec, template, counter, cfg.num) for spec in specs]
        for builder in builders:
            builder.check_budget()
        return [(b, Plan(items=list(range(len(b.source.items))))) for b in builders]
    request = SourceRequest(split=cfg.split, data_files=tuple(Path(f) for f in cfg.data_files), seed=cfg.seed, num=cfg.num)
    source = load_source(cfg.source, request)
    builders = [MathBuilder(source, spec, template, counter) for spec in specs]
    for builder in builders:
        builder.check_budget()
    return [(b, Plan(items=b.order(cfg.num))) for b in builders]
