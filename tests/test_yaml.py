"""YAML alias bombs are refused at once, with one line (issue 14, item 9).

A mix recipe's description holding a 9x9 ``&a``/``*a`` tree reached 16 GB in 120 s; the
same tree in a trainer recipe, a template or a ``--set`` value is now refused while the
YAML is read, before any key is checked, and ordinary anchors still work.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from keychain.errors import ConfigError
from keychain.text import MAX_YAML_NODES, YamlTooLarge, load_yaml

BOMB = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'] + [
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)
]


def test_ordinary_anchors_aliases_and_merge_keys_still_load():
    assert load_yaml("base: &b {lr: 1}\nstage: {<<: *b, steps: 2}\nnames: &n [x, y]\nagain: *n\n") == {
        "base": {"lr": 1}, "stage": {"lr": 1, "steps": 2}, "names": ["x", "y"], "again": ["x", "y"],
    }


def test_an_alias_bomb_is_refused_while_reading_in_bounded_memory():
    with pytest.raises(YamlTooLarge) as error:
        load_yaml("\n".join(BOMB))
    assert isinstance(error.value, yaml.YAMLError) and "\n" not in str(error.value)
    assert str(error.value).startswith("line 6: aliases expand it to more than 100,000 values")
    # Bounded time and memory without a wall-clock assertion: a process allowed 1 GB of
    # address space refuses it within the timeout (the 9**10 expanded values are never made).
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))\n"
              "from keychain.text import YamlTooLarge, load_yaml\n"
              "try:\n    load_yaml(sys.stdin.read())\nexcept YamlTooLarge:\n    print('refused')\n")
    done = subprocess.run([sys.executable, "-c", script], input="\n".join(BOMB), capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout) == (0, "refused\n"), done.stderr[-2000:]


def test_the_bound_counts_expanded_values():
    row = "a: &a [" + ", ".join(["1"] * 999) + "]\n"  # 1000 nodes with its sequence
    assert len(load_yaml(row + "b: [" + ", ".join(["*a"] * 98) + "]")["b"]) == 98  # about 100,000 in all
    with pytest.raises(YamlTooLarge):
        load_yaml(row + "b: [" + ", ".join(["*a"] * (MAX_YAML_NODES // 1000 + 1)) + "]")


def test_a_recursive_alias_is_refused():
    with pytest.raises(YamlTooLarge, match="recursive alias"):
        load_yaml("a: &a [1, *a]")


def test_mix_recipe_and_template_bombs_are_one_line_errors(tmp_path):
    from keychain.mix import load_recipe
    from keychain.rows.prompts import load_template

    recipe = tmp_path / "bomb.yaml"
    recipe.write_text("description:\n" + "\n".join("  " + line for line in BOMB)
                      + "\ncomponents:\n  - {source: synthetic, task: keychain, len: 4k, rows: 2}\n")
    with pytest.raises(ConfigError, match="aliases expand it to more than 100,000 values"):
        load_recipe(recipe, tmp_path / "out")
    template = tmp_path / "template.yaml"
    template.write_text("\n".join(BOMB) + "\n")
    with pytest.raises(ConfigError, match="--template .*alias bomb"):
        load_template(template)
    assert not (tmp_path / "out").exists()
