"""The code's layout: no import cycles, each layer imports only the layers below it.

Imports are read with ``ast`` from the source (function-level and ``TYPE_CHECKING``
imports included: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Bottom layer first; a unit may import only units listed before it (or itself).
KEYCHAIN_LAYERS = [
    {"errors", "randomness", "text", "digest", "data_cards"},
    {"sources", "store"},
    {"rows"},
    {"tasks"},
    {"config"},
    {"run", "check"},
    {"publish"},
    {"mix"},
    {"cli"},
]
MAX_TOP_LEVEL_MODULES = 12
MAX_MODULE_LINES = 300


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: str) -> set[str]:
    """Modules of ``package`` that ``path`` imports, as dotted names."""
    name = module_name(path)
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base[: len(base) - (node.level - 1)]
                target = ".".join(parts + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t == package or t.startswith(package + "."))
    return found


def graph(package: str) -> dict[str, set[str]]:
    files = {module_name(p): p for p in (ROOT / package).rglob("*.py")}
    edges = {}
    for name, path in files.items():
        edges[name] = {t for t in imports_of(path, package) if t in files and t != name}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of nodes, or None. Example: {a: {b}, b: {a}} -> [a, b, a]."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_known_answers():
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize("package", ["keychain", "trainer"])
def test_no_import_cycle_between_modules(package):
    edges = graph(package)
    # A package's __init__ is imported by its modules implicitly; count only explicit imports.
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges))


@pytest.mark.parametrize("package", ["keychain", "trainer"])
def test_no_import_cycle_between_subpackages(package):
    unit = lambda name: ".".join(name.split(".")[:2])  # noqa: E731
    edges: dict[str, set[str]] = {}
    for name, targets in graph(package).items():
        edges.setdefault(unit(name), set()).update(unit(t) for t in targets if unit(t) not in (unit(name), package))
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges))


def test_keychain_layers_import_only_downwards():
    rank = {unit: i for i, layer in enumerate(KEYCHAIN_LAYERS) for unit in layer}
    upward = []
    for name, targets in graph("keychain").items():
        if name == "keychain":
            continue
        mine = name.split(".")[1]
        for target in targets:
            if target == "keychain":
                continue  # __version__
            theirs = target.split(".")[1]
            if rank[theirs] > rank[mine]:
                upward.append(f"{name} imports {target}")
    assert not upward, "; ".join(sorted(upward))


def test_every_keychain_unit_has_a_layer():
    units = {p.stem if p.is_file() else p.name for p in (ROOT / "keychain").iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and p.name != "__pycache__")}
    assert units <= {u for layer in KEYCHAIN_LAYERS for u in layer}, units - {u for layer in KEYCHAIN_LAYERS for u in layer}


def test_top_level_of_keychain_stays_small():
    modules = [p for p in (ROOT / "keychain").glob("*.py") if p.name != "__init__.py"]
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, sorted(p.name for p in modules)


def test_every_package_says_what_it_owns():
    for init in list((ROOT / "keychain").rglob("__init__.py")) + list((ROOT / "trainer").rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(ROOT)} has no docstring"


def test_modules_stay_short():
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for p in list((ROOT / "keychain").rglob("*.py")) + list((ROOT / "trainer").rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES + 20]
    assert not long, ", ".join(long)


def test_every_package_is_installed():
    """pyproject lists packages explicitly (data_cards is mapped in): none may be missing."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {module_name(p) for p in (ROOT / "keychain").rglob("__init__.py")}
    on_disk |= {module_name(p) for p in (ROOT / "trainer").rglob("__init__.py")}
    assert on_disk | {"keychain.data_cards"} == listed
