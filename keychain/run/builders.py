"""Settings -> (row builder, row plan) per length, every check done before anything is written.

``prepare`` loads the source once (a QA source, a haystack or a problem set), makes one
builder per requested length and checks each length's budget, so a bad command fails
before the first shard. Builders share one interface (``source.items``, ``spec``,
``build(index, item) -> row | Skip``): ``rows.build.RowBuilder`` for KeyChain and plain
rows, ``tasks.retrieval.NeedleBuilder`` and ``tasks.math.MathBuilder`` for the rest.

Example: for ``--task niah --len 4k --len 8k --depths 0,50 --num 2`` it returns two
builders over one synthetic haystack, each planning 4 rows (2 per depth).
"""

from __future__ import annotations

from pathlib import Path

from ..config import BuildConfig
from ..errors import InputError
from ..rows.build import RowBuilder
from ..rows.pad import DocumentCosts
from ..rows.tokens import load_counter
from ..sources import SourceRequest, load_source
from ..tasks import RETRIEVAL_TASKS, TASK_SOURCES
from ..tasks.haystack import load_haystack
from ..tasks.math import MathBuilder
from ..tasks.retrieval import NeedleBuilder
from .keep import read_keep_ids
from .plan import Plan, check_budget, plan_rows


def prepare(cfg: BuildConfig, specs, template, counter) -> list[tuple[object, Plan]]:
    """One (builder, plan) per spec, in the order given."""
    if cfg.task in RETRIEVAL_TASKS:
        haystack = load_haystack(cfg.source, split=cfg.split, seed=cfg.seed, max_len=max(cfg.lengths), files=cfg.data_files)
        builders = [NeedleBuilder(haystack, spec, template, counter, cfg.num) for spec in specs]
        for builder in builders:
            builder.check_budget()
        return [(b, Plan(items=list(range(len(b.source.items))))) for b in builders]
    if cfg.task in TASK_SOURCES:  # math and choice
        source = load_source(cfg.source, _request(cfg))
        builders = [MathBuilder(source, spec, template, counter) for spec in specs]
        for builder in builders:
            builder.check_budget()
        return [(b, Plan(items=b.order(cfg.num))) for b in builders]
    source = load_source(cfg.source, _request(cfg))
    keep = _keep_ids(cfg, source)
    costs = DocumentCosts(source.documents, counter, template)  # shared: a document costs the same at every length
    prepared = []
    for spec in specs:
        builder = RowBuilder(source, spec, template, counter, costs)
        overhead = check_budget(builder)
        prepared.append((builder, plan_rows(builder, cfg.num, overhead, cfg.item_lane(), keep)))
    return prepared


def _keep_ids(cfg: BuildConfig, source) -> frozenset[str] | None:
    if not cfg.keep_ids:
        return None
    keep = read_keep_ids(cfg.keep_ids)
    if not any(item.source_id in keep for item in source.items):
        raise InputError(
            f"--keep-ids {cfg.keep_ids}: none of its {len(keep)} ids is an item of {source.name} {source.split}; "
            "pass the list the filter wrote for this source and split"
        )
    return keep


def make_builder(cfg: BuildConfig, target_len: int):
    """The row builder of one length of a build, from the config alone (for remote shards)."""
    template = cfg.prompt_template()
    counter = load_counter(cfg.tokenizer)
    spec = cfg.spec(target_len, template.digest)
    if cfg.task in TASK_SOURCES:
        return prepare(cfg, [spec], template, counter)[0][0]
    return RowBuilder(load_source(cfg.source, _request(cfg)), spec, template, counter)


def _request(cfg: BuildConfig) -> SourceRequest:
    # num and max_len size the synthetic world (file and Hub sources ignore them); a size
    # keychain mix set is used as it is.
    num, max_len = cfg.synthetic_size or (cfg.world_items(), max(cfg.lengths))
    return SourceRequest(
        split=cfg.split,
        data_files=tuple(Path(f) for f in cfg.data_files),
        seed=cfg.seed,
        num=num,
        max_len=max_len,
    )
