"""The run folder: where a recipe's stages, checkpoints, mined data and metrics live.

```
RUN/recipe.yaml                 the resolved recipe; a run of another recipe is refused
RUN/.lock                       pid and host of the `trainer run` using the folder (empty: free)
RUN/stages/NAME/checkpoint-N/   TRL checkpoints (resume points, optimizer state included)
RUN/stages/NAME/final/          model + tokenizer at the end of the stage, or its best checkpoint with
                                eval_rows (the next stage's start, and what it mines with)
RUN/stages/NAME/metrics.jsonl   every logged metric (TRL's and eval_*), one JSON object per logging step
RUN/stages/NAME/data.json       rows per shard set: read, cut as too long, used; held-out eval_ids
RUN/stages/NAME/summary.json    written last: the stage is finished and is skipped on re-runs; names
                                the checkpoint final/ holds, validation rewards and the best step
RUN/mined/NAME/CONFIG/vN/       the stage's mined shard set, with a pass_rate column
RUN/summary.json                one line per stage
```

One process owns a folder at a time (``lock``); the owner removes what a killed run left
(``clean``): temporary files and checkpoints killed while being written. A recipe that
never reached its first optimizer step can be replaced by a corrected one (``claim``).

Example: ``RunFolder("/runs/a").final("stage1") == Path("/runs/a/stages/stage1/final")``.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from keychain.text import load_yaml

from ..errors import RunError
from .lock import RunLock

RECIPE_FILE = "recipe.yaml"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def write_json(path: Path, payload: Any) -> None:
    """Atomic JSON write (temporary file, then rename)."""
    from keychain.store.files import write_json_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, payload)
    except OSError as error:
        raise RunError(f"cannot write {path} ({error.strerror}); check the output folder") from error


def read_json(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise RunError(f"{path} is unreadable ({type(error).__name__}); delete it to redo that step") from error


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """``{"a.b[0].c": leaf}`` of nested dicts and lists."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _leaves(item, f"{path}.{key}" if path else str(key)).items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _leaves(item, f"{path}[{i}]").items()}
    return {path: value}


def recipe_changes(old: Any, new: Any, most: int = 3) -> str:
    """The settings that differ, by key path: ``"seed: 0 -> 1"``, at most ``most`` of them named.

    >>> recipe_changes({"seed": 0, "grpo": {"lr": 1}}, {"seed": 1, "grpo": {"lr": 2}})
    'grpo.lr: 1 -> 2, seed: 0 -> 1'
    """
    before, after = _leaves(old), _leaves(new)
    changed = [f"{key}: {before.get(key, '(none)')} -> {after.get(key, '(none)')}"
               for key in sorted(set(before) | set(after)) if before.get(key, "(none)") != after.get(key, "(none)")]
    more = f" and {len(changed) - most} more" if len(changed) > most else ""
    return ", ".join(changed[:most]) + more


def checkpoint_step(path: Path) -> int | None:
    match = _CHECKPOINT.match(path.name)
    return int(match.group(1)) if match else None


def checkpoint_state(path: Path) -> dict | None:
    """The trainer state of a complete checkpoint, or None when it was cut short.

    transformers writes ``trainer_state.json`` last, after the weights, optimizer and
    scheduler, so a checkpoint with a readable state and weights is whole.
    """
    try:
        state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    has_weights = any((path / name).is_file() for name in WEIGHTS) or any(path.glob("global_step*")) \
        or any(path.glob("pytorch_model_fsdp_*"))
    return state if isinstance(state, dict) and "global_step" in state and has_weights else None


def checkpoints(stage_dir: Path) -> list[Path]:
    """The stage's checkpoint folders, newest first."""
    if not stage_dir.is_dir():
        return []
    found = [p for p in stage_dir.iterdir() if p.is_dir() and checkpoint_step(p) is not None]
    return sorted(found, key=checkpoint_step, reverse=True)


def last_complete_checkpoint(stage_dir: Path) -> tuple[Path | None, list[Path]]:
    """(newest complete checkpoint, newer incomplete ones skipped to reach it)."""
    skipped = []
    for path in checkpoints(stage_dir):
        if checkpoint_state(path) is not None:
            return path, skipped
        skipped.append(path)
    return None, skipped


def _is_temporary(path: Path) -> bool:
    """Names trainer and keychain give files before renaming them into place."""
    name = path.name
    return (name.startswith(".") and name.endswith(".tmp")) or name in ("final.tmp", "recipe.yaml.tmp") \
        or (path.parent.name == ".progress" and ".tmp" in name)


@dataclass(frozen=True)
class RunFolder:
    root: Path

    def __init__(self, root: str | Path) -> None:
        object.__setattr__(self, "root", Path(root))

    def stage_dir(self, name: str) -> Path:
        return self.root / "stages" / name

    def final(self, name: str) -> Path:
        return self.stage_dir(name) / "final"

    def mined(self, name: str) -> Path:
        return self.root / "mined" / name

    def stage_summary(self, name: str) -> dict | None:
        return read_json(self.stage_dir(name) / "summary.json")

    @contextlib.contextmanager
    def lock(self) -> Iterator[RunLock]:
        """Own the folder for the duration (see ``run_lock``); a second run is refused."""
        held = RunLock(self.root / ".lock").acquire()
        try:
            yield held
        finally:
            held.release()

    def has_trained(self) -> bool:
        """Whether any stage took an optimizer step (a checkpoint, metrics, a final model)."""
        stages = self.root / "stages"
        if not stages.is_dir():
            return False
        for stage_dir in stages.iterdir():
            metrics = stage_dir / "metrics.jsonl"
            if (stage_dir / "summary.json").exists() or (stage_dir / "final").exists() or checkpoints(stage_dir) \
                    or (metrics.is_file() and metrics.stat().st_size > 0):
                return True
        return False

    def claim(self, resolved: dict) -> str | None:
        """Write the resolved recipe, or check it matches the one already there.

        A different recipe is refused once the folder holds training; before that (a start
        that failed early) it replaces the old one, and the returned line says so.
        """
        path = self.root / RECIPE_FILE
        note = None
        if path.is_file():
            try:
                existing = load_yaml(path.read_text(encoding="utf-8"))  # bounded: an alias bomb is one line
            except (OSError, yaml.YAMLError) as error:
                raise RunError(f"{path} is unreadable; delete it or choose another --output-dir") from error
            if existing == resolved:
                return None
            changes = recipe_changes(existing if isinstance(existing, dict) else {}, resolved)
            if self.has_trained():
                raise RunError(f"{self.root} holds a run of another recipe ({changes}); "
                               "choose another --output-dir or restore those settings")
            note = f"{path}: replaced the recipe of a start that never trained ({changes})"
        try:
            from keychain.store.files import write_bytes_atomic

            self.root.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(path, yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True).encode("utf-8"))
        except OSError as error:
            raise RunError(f"cannot write {self.root} ({error.strerror}); choose another --output-dir") from error
        return note

    def clean(self) -> list[str]:
        """Remove what a killed run left: temporary files and half-written checkpoints."""
        removed = []
        if not self.root.is_dir():
            return removed
        for path in sorted(self.root.rglob("*"), key=lambda p: len(p.parts)):
            if path.exists() and _is_temporary(path):
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
                removed.append(f"removed {path.relative_to(self.root)} (temporary file of an interrupted run)")
        stages = self.root / "stages"
        for stage_dir in sorted(stages.iterdir()) if stages.is_dir() else ():
            for checkpoint in checkpoints(stage_dir):
                if checkpoint_state(checkpoint) is None:
                    shutil.rmtree(checkpoint)
                    removed.append(f"removed {checkpoint.relative_to(self.root)} (killed while it was being saved)")
        return removed
