"""Loading a recipe: YAML -> ``--set`` overrides -> checked, resolved ``Recipe``.

A recipe is YAML nested by section (``model``, ``rollout``, ``grpo``, ``reward``,
``stages``, ``output_dir``, ``seed``); unknown keys are rejected with their full path
and a suggestion. ``grpo`` holds the defaults of every stage; a stage's own ``grpo``
overrides single keys, and the resolved recipe stores each stage's merged settings.
``--set grpo.learning_rate=2e-6`` (or ``stages[1].steps=10``, ``stages.stage2.steps=10``)
edits the raw YAML before it is checked. The text ``{output_dir}`` in any string is
replaced by the run folder, so a recipe can keep its model and data inside the run.

Paths become absolute here (relative to the working directory), so the resolved
recipe written into the run folder means the same thing from anywhere.

Example:
    >>> recipe = parse_recipe({"model": {"path": "Qwen/Qwen2.5-7B-Instruct"},
    ...     "stages": [{"name": "one", "steps": 2, "data": [{"path": "/data/x"}],
    ...                 "grpo": {"learning_rate": "2e-6"}}]}, output_dir="/runs/a")
    >>> recipe.stages[0].grpo.learning_rate, recipe.grpo.learning_rate, recipe.stages[0].grpo.group_size
    (2e-06, 1e-06, 8)
"""

from __future__ import annotations

import copy
import re
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import yaml

from keychain.text import YamlTooLarge, load_yaml

from ..errors import RecipeError
from .settings import GRPOSettings
from .stage import Recipe
from .tree import from_dict, to_plain

OUTPUT_DIR_PLACEHOLDER = "{output_dir}"
_SET_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


def load_recipe(path: str | Path, overrides: list[str] = (), output_dir: str | None = None) -> Recipe:
    """Read a recipe file, apply ``--set`` overrides, check it, and return it resolved."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RecipeError(f"{path}: cannot read the recipe ({error.strerror}); check the path") from error
    try:
        raw = load_yaml(text)  # yaml.safe_load with a bound: an alias bomb is refused before any key check
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise RecipeError(f"{path}{where}: not valid YAML ({getattr(error, 'problem', error)}); fix the recipe") from error
    if not isinstance(raw, dict):
        raise RecipeError(f"{path}: a recipe is a mapping with model, stages, ...; got {type(raw).__name__}")
    for assignment in overrides:
        apply_override(raw, assignment)
    return parse_recipe(raw, output_dir=output_dir)


def parse_recipe(raw: dict, output_dir: str | None = None) -> Recipe:
    """A checked ``Recipe`` from raw YAML data; ``output_dir`` overrides the recipe's own."""
    raw = copy.deepcopy(raw)
    chosen = output_dir if output_dir is not None else raw.get("output_dir")
    if chosen is None:
        raise RecipeError("output_dir: missing; pass --output-dir DIR or set output_dir in the recipe")
    if not isinstance(chosen, str) or not chosen:
        raise RecipeError(f"output_dir: expected a folder path, got {chosen!r}")
    run_dir = str(Path(chosen).expanduser().absolute())
    raw["output_dir"] = run_dir
    raw = _substitute(raw, run_dir)

    stages = raw.get("stages")
    if not isinstance(stages, list):
        raise RecipeError(f"stages: expected a list of stages, got {type(stages).__name__ if stages is not None else 'nothing'}")
    defaults = raw.get("grpo") or {}
    from_dict(GRPOSettings, defaults, "grpo")  # report errors of the defaults at their own path first
    for i, stage in enumerate(stages):
        if isinstance(stage, dict):
            own = stage.get("grpo") or {}
            if not isinstance(own, dict):
                raise RecipeError(f"stages[{i}].grpo: expected a mapping of overrides, got {type(own).__name__}")
            for key in own:
                if key not in _field_names(GRPOSettings):
                    from_dict(GRPOSettings, {key: own[key]}, f"stages[{i}].grpo")  # raises with a suggestion
            stage["grpo"] = {**defaults, **own}
    return _absolute_paths(from_dict(Recipe, raw, ""))


def _field_names(cls) -> set[str]:
    return {f.name for f in fields(cls)}


def _substitute(value: Any, run_dir: str) -> Any:
    if isinstance(value, str):
        return value.replace(OUTPUT_DIR_PLACEHOLDER, run_dir)
    if isinstance(value, list):
        return [_substitute(item, run_dir) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, run_dir) for key, item in value.items()}
    return value


def _absolute(path: str) -> str:
    return str(Path(path).expanduser().absolute())


def _looks_local(name: str) -> bool:
    """A local folder (existing, or written as a path) rather than a Hub id or encoding name."""
    return name.startswith((".", "/", "~")) or Path(name).expanduser().exists()


def _absolute_paths(recipe: Recipe) -> Recipe:
    model = recipe.model
    if model.create_tiny or _looks_local(model.path):
        model = replace(model, path=_absolute(model.path))
    stages = []
    for stage in recipe.stages:
        data = []
        for source in stage.data:
            build = source.build
            if build is not None and _looks_local(build.tokenizer):
                build = replace(build, tokenizer=_absolute(build.tokenizer))
            data.append(replace(source, path=_absolute(source.path), build=build))
        stages.append(replace(stage, data=tuple(data)))
    return replace(recipe, model=model, stages=tuple(stages))


def apply_override(raw: dict, assignment: str) -> None:
    """Apply ``a.b[2].c=value`` (value read as YAML) to the raw recipe, in place.

    ``stages.NAME.key=value`` addresses a stage by name.
    """
    key, sep, text = assignment.partition("=")
    if not sep or not key.strip():
        raise RecipeError(f"--set {assignment!r}: write it as section.key=value, e.g. grpo.learning_rate=2e-6")
    try:
        value = load_yaml(text) if text.strip() else ""
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) if isinstance(error, YamlTooLarge) else "the value is not valid YAML; quote it"
        raise RecipeError(f"--set {assignment!r}: {problem}") from error
    parts = key.strip().split(".")
    node: Any = raw
    trail = ""
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        match = _SET_PART.match(part)
        if match is None:
            raise RecipeError(f"--set {assignment!r}: {part!r} is not a key; use names like grpo.learning_rate or stages[1].steps")
        name, index = match.group(1), match.group(2)
        if isinstance(node, list):  # stages.NAME.key: a stage chosen by its name
            chosen = [item for item in node if isinstance(item, dict) and item.get("name") == name]
            if not chosen:
                names = ", ".join(str(item.get("name")) for item in node if isinstance(item, dict))
                raise RecipeError(f"--set {assignment!r}: no stage named {name!r}; the recipe has {names}")
            node, trail = chosen[0], f"{trail}.{name}"
            if last:
                raise RecipeError(f"--set {assignment!r}: name a key inside the stage, e.g. {key}.steps=10")
            continue
        if not isinstance(node, dict):
            raise RecipeError(f"--set {assignment!r}: {trail or 'the recipe'} is not a section")
        trail = f"{trail}.{name}" if trail else name
        if index is not None:
            items = node.get(name)
            if not isinstance(items, list) or int(index) >= len(items):
                count = len(items) if isinstance(items, list) else 0
                raise RecipeError(f"--set {assignment!r}: {trail} has {count} entries; index from 0 to {count - 1}")
            trail = f"{trail}[{index}]"
            if last:
                items[int(index)] = value
                return
            node = items[int(index)]
            continue
        if last:
            node[name] = value
            return
        if name not in node or node[name] is None:
            node[name] = {}
        node = node[name]


def recipe_to_dict(recipe: Recipe) -> dict:
    return to_plain(recipe)


def dump_recipe(recipe: Recipe) -> str:
    """The resolved recipe as YAML: every default filled in, every stage's grpo merged."""
    return yaml.safe_dump(recipe_to_dict(recipe), sort_keys=False, allow_unicode=True)
