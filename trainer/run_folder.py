"""The run folder: where a recipe's stages, checkpoints, mined data and metrics live.

```
RUN/recipe.yaml                 the resolved recipe; a run of another recipe is refused
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

Example: ``RunFolder("/runs/a").final("stage1") == Path("/runs/a/stages/stage1/final")``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import RunError

RECIPE_FILE = "recipe.yaml"


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

    def claim(self, resolved: dict) -> None:
        """Write the resolved recipe, or check it matches the one already there."""
        from keychain.store.versions import describe_differences

        path = self.root / RECIPE_FILE
        if path.is_file():
            try:
                existing = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as error:
                raise RunError(f"{path} is unreadable; delete it or choose another --output-dir") from error
            if existing != resolved:
                raise RunError(
                    f"{self.root} holds a run of another recipe ({describe_differences(existing, resolved)}); "
                    "choose another --output-dir or restore those settings"
                )
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".yaml.tmp")
            tmp.write_text(yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), encoding="utf-8")
            tmp.replace(path)
        except OSError as error:
            raise RunError(f"cannot write {self.root} ({error.strerror}); choose another --output-dir") from error
