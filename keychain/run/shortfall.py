"""The warning a build prints when it holds clearly fewer rows than ``--num`` asked.

Items are skipped and counted, never truncated (gold documents too long for the budget,
a pool that cannot pad a row to 97%), and a source may hold fewer items than asked; the
summary line counts both, and below 90% of the rows asked a ``warning:`` line says so.

Example: 6 rows of 16 asked, 10 skipped as pool_exhausted ->
``warning: a-plain-1k v1 holds 6 of the 16 rows asked (38%): 10 items skipped
(pool_exhausted 10); a larger --len or more source data gives more rows``.
"""

from __future__ import annotations

from ..config import BuildConfig
from ..tasks import DEFAULT_DEPTHS

SHORTFALL_SHARE = 0.9  # a build that holds less than this share of the rows asked warns


def requested_rows(cfg: BuildConfig) -> int | None:
    """Rows a build asks for per config: ``--num``, times the depths for niah (None: all items).

    >>> requested_rows(BuildConfig(source="synthetic", lengths=(4096,), task="niah", num=2, depths=(0.0, 0.5)))
    4
    """
    if cfg.num is None:
        return None
    return cfg.num * len(cfg.depths or DEFAULT_DEPTHS) if cfg.task == "niah" else cfg.num


def shortfall_warning(config_name: str, version: str, rows: int, skipped: dict, requested: int | None, share: int = 1) -> str | None:
    """The warning line, or None when the build holds at least 90% of ``requested``;
    ``share`` > 1: the build took its task's lane, 1 item in ``share`` (``--items``).

    >>> shortfall_warning("a-plain-1k", "v1", 6, {"pool_exhausted": 10}, 16)
    'warning: a-plain-1k v1 holds 6 of the 16 rows asked (38%): 10 items skipped (pool_exhausted 10); a larger --len or more source data gives more rows'
    >>> shortfall_warning("a-plain-1k", "v1", 15, {"pool_exhausted": 1}, 16) is None
    True
    """
    if not requested or rows >= SHORTFALL_SHARE * requested:
        return None
    total = sum(skipped.values())
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(skipped.items()) if v)
    why, fix = [], "a larger --len or more source data gives more rows"
    if total:
        why.append(f"{total} items skipped ({reasons})")
    if rows + total < requested:
        where = f"this task's share of the source (1 item in {share})" if share > 1 else "the source"
        why.append(f"{where} has only {rows + total} usable items")
        fix = fix if total else "pass more source data or a smaller --num" + (", or --items all" if share > 1 else "")
    return (
        f"warning: {config_name} {version} holds {rows} of the {requested} rows asked "
        f"({rows / requested:.0%}): {' and '.join(why)}; {fix}"
    )
