"""Build frozen dataclasses from nested YAML data, with the full key path in every error.

``from_dict(cls, data, path)`` checks every key against the dataclass fields (unknown
keys get a "did you mean" from the field names and their ``hint`` aliases), checks and
coerces every value against its annotation (``bool``, ``int``, ``float``, ``str``,
``Literal[...]``, ``X | None``, ``tuple[X, ...]``, nested dataclasses) and prefixes the
path to any ``RecipeError`` raised by a ``__post_init__``. A field's ``metadata["parse"]``
turns a value into its final form once, here at the edge ("16k" -> 16384).

YAML 1.1 reads ``1e-6`` as a string; float fields accept such strings.

Example:
    >>> from dataclasses import dataclass, field
    >>> @dataclass(frozen=True)
    ... class Opt:
    ...     learning_rate: float = field(default=1e-6, metadata={"hint": ("lr",)})
    >>> from_dict(Opt, {"learning_rate": "2e-6"}, "grpo")
    Opt(learning_rate=2e-06)
    >>> try:
    ...     from_dict(Opt, {"lr": 1}, "grpo")
    ... except RecipeError as error:
    ...     print(error)
    grpo.lr: unknown key; did you mean learning_rate?
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints

from ..errors import RecipeError


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if not isinstance(value, (dict, list)) else type(value).__name__


def _suggest(key: str, fields: list[dataclasses.Field]) -> str:
    names = {f.name: f.name for f in fields}
    for f in fields:
        for alias in f.metadata.get("hint", ()):
            names[alias] = f.name
    if key in names and names[key] != key:
        return f"; did you mean {names[key]}?"
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {names[close[0]]}?"
    return f"; expected one of {', '.join(f.name for f in fields)}"


def from_dict(cls: type, data: Any, path: str) -> Any:
    """An instance of dataclass ``cls`` from mapping ``data`` found at ``path``."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: expected a mapping of keys, got {_describe(data)}")
    fields = [f for f in dataclasses.fields(cls) if f.init]
    known = {f.name: f for f in fields}
    for key in data:
        if key not in known:
            raise RecipeError(f"{_join(path, str(key))}: unknown key{_suggest(str(key), fields)}")
    hints = get_type_hints(cls)
    values = {}
    for name, value in data.items():
        spec = known[name]
        where = _join(path, name)
        parse = spec.metadata.get("parse")
        if parse is not None and value is not None:
            try:
                value = parse(value)  # "16k" -> 16384, before the type check
            except RecipeError as error:
                raise RecipeError(f"{where}: {error}") from error
        values[name] = coerce(hints[name], value, where)
    missing = [
        f.name
        for f in fields
        if f.name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise RecipeError(f"{_join(path, missing[0])}: missing; every {cls.__name__.lower()} needs it")
    try:
        return cls(**values)
    except RecipeError as error:
        raise RecipeError(f"{_join(path, str(error))}" if path else str(error)) from error


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def coerce(annotation: Any, value: Any, where: str) -> Any:
    """``value`` checked against ``annotation`` (and converted where that is lossless)."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if value is None:
            if len(options) < len(get_args(annotation)):
                return None
            raise RecipeError(f"{where}: must be set, got null")
        errors = []
        for option in options:
            try:
                return coerce(option, value, where)
            except RecipeError as error:
                errors.append(error)
        raise errors[0]
    if origin is Literal:
        choices = get_args(annotation)
        if value not in choices:
            close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.5)
            hint = f"did you mean {close[0]}? " if close else ""
            raise RecipeError(f"{where}: {value!r} is not allowed; {hint}choose one of {', '.join(map(str, choices))}")
        return value
    if origin is tuple:
        item_type = get_args(annotation)[0]
        if not isinstance(value, list):
            raise RecipeError(f"{where}: expected a list, got {_describe(value)}")
        return tuple(coerce(item_type, item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin is dict or annotation is dict:
        if not isinstance(value, dict):
            raise RecipeError(f"{where}: expected a mapping, got {_describe(value)}")
        return dict(value)
    if dataclasses.is_dataclass(annotation):
        return from_dict(annotation, value, where)
    if annotation is bool:
        if not isinstance(value, bool):
            raise RecipeError(f"{where}: expected true or false, got {_describe(value)}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecipeError(f"{where}: expected a whole number, got {_describe(value)}")
        return value
    if annotation is float:
        if isinstance(value, bool):
            raise RecipeError(f"{where}: expected a number, got {_describe(value)}")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise RecipeError(f"{where}: expected a number, got {_describe(value)}")
    if annotation is str:
        if not isinstance(value, str):
            raise RecipeError(f"{where}: expected text, got {_describe(value)}")
        return value
    if annotation is Any:
        return value
    raise TypeError(f"recipe.tree cannot check {annotation!r} at {where}")  # a bug in a dataclass, not user input


def to_plain(value: Any) -> Any:
    """Dataclasses, tuples and dicts to plain dicts and lists (for YAML and JSON)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    return value
