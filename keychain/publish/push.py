"""``keychain push``: publish an output folder to a Hugging Face dataset repository.

One push is: draw the plots that are missing, render the card, check the folder
(``keychain.publish.preflight``), then ``create_repo`` (if missing), one ``create_commit`` of
explicit ``CommitOperationAdd`` operations (never a delete), and a tag per pushed
config version (``<config>-v<N>``), so ``load_dataset(repo, config, revision=tag)``
keeps returning exactly those rows. Each config's files go to its own folder
(``<config>/v<N>/``), so a push never touches another config or an earlier version.
``--dry-run`` stops before the network and prints every operation and the card diff;
it writes nothing (missing plots are drawn in memory to size them; a real push writes
them before its commit).

Example: ``plan_push(OUT, "someone/test")`` for a folder with one 4k config ->
``PushPlan(uploads=[README.md, synthetic-keychain-4k/v1/train-00000-of-00001.parquet,
.../manifest.json, .../stats/*.png], tags=["synthetic-keychain-4k-v1"], ...)``.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .. import __version__
from ..check.plots import expected_plots, missing_plots
from ..errors import PublishError
from ..store.files import write_bytes_atomic
from ..store.folder import (
    MANIFEST,
    Published,
    newest_versions,
    publish_order,
    published_version,
    read_push_record,
    write_push_record,
)
from .card import CARD, render_card
from .hub import FailureClock, RetryPolicy, call_hub, parse_repo_id, set_timeouts
from .preflight import check_card, check_loads, check_shards

REPO_TYPE = "dataset"


@dataclass(frozen=True)
class Upload:
    """One file of the commit: where it goes in the repo and where it is read from."""

    path_in_repo: str
    local: Path | None  # None: the card, sent from memory
    size: int


@dataclass(frozen=True)
class PushPlan:
    repo_id: str
    private: bool
    pushed: tuple[Published, ...]  # the config versions this push uploads
    listed: tuple[Published, ...]  # every config the card lists (pushed now or earlier)
    card: str
    uploads: tuple[Upload, ...]
    tags: tuple[str, ...]
    previous_card: str | None  # what the card diff is against
    previous_label: str
    checked: tuple[str, ...] = field(default=())  # the checks passed while planning
    notes: tuple[str, ...] = field(default=())
    drawn: dict = field(default_factory=dict)  # plot path -> PNG bytes, not on disk yet

    @property
    def commit_message(self) -> str:
        return f"keychain {__version__}: " + ", ".join(f"{p.config_name} {p.version}" for p in self.pushed)


def version_files(published: Published, drawn: dict | None = None) -> list[Path]:
    """A version's files to publish: shards, manifest, its plots (never ``.progress``).

    Plots count when on disk or in ``drawn`` (about to be written).
    """
    plots = [published.stats_dir / name for name in expected_plots(published)]
    plots = [path for path in plots if path.is_file() or path in (drawn or {})]
    return [*published.shard_paths(), published.path / MANIFEST, *plots]


def _listed(out: Path, pushed: list[Published], record: dict | None) -> tuple[list[Published], list[str]]:
    """The card's configs: those pushed now, plus those this repo received earlier."""
    listed, notes = list(pushed), []
    names = {p.config_name for p in pushed}
    for name, version in sorted((record or {}).get("configs", {}).items()):
        if name in names:
            continue
        earlier = published_version(out, name, version)
        if earlier is None:
            notes.append(f"{name} {version} was pushed earlier but is gone from {out}; the card no longer lists it")
        else:
            listed.append(earlier)
    return listed, notes


def plan_push(out: Path, repo: str, names: list[str] | None = None, private: bool = False) -> PushPlan:
    """Everything a push would send, computed locally; writes nothing.

    The shards are checked against their manifests first, so a changed file stops the
    push before anything else reads it.
    """
    out = Path(out)
    repo_id = parse_repo_id(repo)
    pushed = newest_versions(out, names)
    shards_checked = check_shards(pushed)  # before the plots read the shards
    drawn = {path: data for published in pushed for path, data in missing_plots(published).items()}
    record = read_push_record(out, repo_id)
    listed, notes = _listed(out, pushed, record)
    card = render_card(sorted(listed, key=publish_order), repo_id, drawn)
    uploads = [Upload(CARD, None, len(card.encode("utf-8")))]
    for published in pushed:
        uploads += [
            Upload(path.relative_to(out).as_posix(), path, len(drawn[path]) if path in drawn else path.stat().st_size)
            for path in version_files(published, drawn)
        ]
    if record and record.get("card") is not None:
        previous, label = record["card"], f"the card last pushed to {repo_id}"
    elif (out / CARD).is_file():
        previous, label = (out / CARD).read_text(encoding="utf-8"), f"{out / CARD}"
    else:
        previous, label = "", "no card"
    return PushPlan(
        repo_id, private, tuple(pushed), tuple(listed), card, tuple(uploads),
        tuple(p.tag for p in pushed), previous, label, (shards_checked,), tuple(notes), drawn,
    )


def card_diff(plan: PushPlan) -> str:
    """Unified diff from the previous card to the one this push sends ('' if equal)."""
    lines = difflib.unified_diff(
        (plan.previous_card or "").splitlines(keepends=True),
        plan.card.splitlines(keepends=True),
        fromfile=plan.previous_label,
        tofile=f"{plan.repo_id}/{CARD}",
    )
    return "".join(lines)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return ""


def describe(plan: PushPlan, checks: list[str]) -> list[str]:
    """The lines ``--dry-run`` prints: checks, every operation, tags, then the diff."""
    total = sum(u.size for u in plan.uploads)
    visibility = "private" if plan.private else "public"
    lines = [f"checked: {check}" for check in checks]
    lines += [f"note: {note}" for note in plan.notes]
    lines.append(f"create_repo {plan.repo_id} (dataset, {visibility}; kept as it is if it exists)")
    lines.append(f'create_commit "{plan.commit_message}": {len(plan.uploads)} files, {_size(total)}, no deletions')
    lines += [
        f"  add {u.path_in_repo} ({_size(u.size)}{', drawn when pushed' if u.local in plan.drawn else ''})"
        for u in plan.uploads
    ]
    lines += [f"create_tag {tag} (at that commit; kept as it is if it exists)" for tag in plan.tags]
    diff = card_diff(plan)
    lines.append(f"card diff against {plan.previous_label}:" if diff else f"card unchanged from {plan.previous_label}")
    if diff:
        lines.append(diff.rstrip("\n"))
    return lines


def operations(plan: PushPlan) -> list:
    from huggingface_hub import CommitOperationAdd

    return [
        CommitOperationAdd(
            path_in_repo=u.path_in_repo,
            path_or_fileobj=plan.card.encode("utf-8") if u.local is None else str(u.local),
        )
        for u in plan.uploads
    ]


def default_api():
    """``HfApi()`` once a token is available; the token itself is left to huggingface_hub."""
    from huggingface_hub import HfApi, get_token

    if not get_token():
        raise PublishError("no Hugging Face token found; run `hf auth login` or set HF_TOKEN, then push again")
    return HfApi()


def execute(
    plan: PushPlan,
    out: Path,
    api,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
) -> str:
    """Send the plan: create_repo, one create_commit, the tags; return the commit URL."""
    repo_id = plan.repo_id
    for path, data in plan.drawn.items():  # the plots the card shows, written before the commit reads them
        write_bytes_atomic(path, data)
    clock = FailureClock()  # one failure budget for the whole push

    def hub(action, call):
        return call_hub(action, call, repo_id, policy, sleep, log, clock)

    hub("create_repo", lambda: api.create_repo(repo_id, repo_type=REPO_TYPE, private=plan.private, exist_ok=True))
    ops = operations(plan)
    commit = hub(
        "create_commit",
        lambda: api.create_commit(repo_id, ops, commit_message=plan.commit_message, repo_type=REPO_TYPE),
    )
    revision = getattr(commit, "oid", None)
    for published in plan.pushed:
        hub(
            f"create_tag {published.tag}",
            lambda: api.create_tag(
                repo_id,
                tag=published.tag,
                tag_message=f"{published.config_name} {published.version}: {published.rows} rows, keychain {__version__}",
                revision=revision,
                repo_type=REPO_TYPE,
                exist_ok=True,
            ),
        )
    record = read_push_record(out, repo_id) or {}
    write_push_record(
        out,
        {
            "repo_id": repo_id,
            "pushed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "commit": revision,
            "commit_url": str(getattr(commit, "commit_url", "")),
            "configs": {**record.get("configs", {}), **{p.config_name: p.version for p in plan.pushed}},
            "tags": sorted({*record.get("tags", []), *plan.tags}),
            "card": plan.card,
        },
    )
    write_bytes_atomic(Path(out) / CARD, plan.card.encode("utf-8"))  # the folder's card now names the repo
    return str(getattr(commit, "commit_url", "") or f"https://huggingface.co/datasets/{repo_id}")


def push(
    out: Path,
    repo: str,
    names: list[str] | None = None,
    private: bool = False,
    dry_run: bool = False,
    api=None,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
) -> PushPlan:
    """Plan, check, and (unless ``dry_run``) send; the checks run before any network call."""
    plan = plan_push(out, repo, names, private)
    checks = [
        check_card(Path(out), plan.card, list(plan.listed)),
        *plan.checked,
        check_loads(plan.card, list(plan.listed), list(plan.pushed)),
    ]
    if dry_run:
        log("dry run: nothing is sent and nothing is read from the network")
        for line in describe(plan, checks):
            log(line)
        return plan
    for check in checks:
        log(f"checked: {check}")
    set_timeouts()  # huggingface_hub's client would otherwise wait forever on a silent endpoint
    url = execute(plan, Path(out), api or default_api(), policy, sleep, log)
    log(f"pushed {len(plan.uploads)} files to {plan.repo_id}, tagged {', '.join(plan.tags)}: {url}")
    return plan
