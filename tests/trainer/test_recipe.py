"""Recipe parsing: defaults, merged stage settings, --set overrides, errors with full key paths."""

from __future__ import annotations

import pytest

from trainer.errors import RecipeError
from trainer.recipe import dump_recipe, load_recipe, parse_recipe

from .conftest import RECIPES


def _raw(**extra):
    raw = {
        "model": {"path": "Qwen/Qwen2.5-7B-Instruct"},
        "grpo": {"learning_rate": "1e-6"},
        "stages": [
            {"name": "warmup", "steps": 4, "data": [{"path": "/data/a"}]},
            {"name": "stage1", "steps": 10, "data": [{"path": "/data/b"}], "grpo": {"learning_rate": 2e-6}},
        ],
    }
    raw.update(extra)
    return raw


def test_stage_overrides_merge_over_grpo_defaults():
    recipe = parse_recipe(_raw(), output_dir="/runs/x")
    assert recipe.stages[0].grpo.learning_rate == 1e-6
    assert recipe.stages[1].grpo.learning_rate == 2e-6
    assert recipe.stages[1].grpo.group_size == 8 and recipe.grpo.kl_beta == 0.001
    assert "learning_rate: 2.0e-06" in dump_recipe(recipe)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r["grpo"].update(lr_rate=1), r"^grpo\.lr_rate: unknown key; did you mean learning_rate\?"),
        (lambda r: r["stages"][1]["grpo"].update(lr=1), r"^stages\[1\]\.grpo\.lr: unknown key; did you mean learning_rate\?"),
        (lambda r: r["stages"][0]["data"][0].update(wieght=1), r"^stages\[0\]\.data\[0\]\.wieght: unknown key; did you mean weight\?"),
        (lambda r: r.update(rollout={"engine": "vlm"}), r"^rollout\.engine: 'vlm' is not allowed; did you mean vllm\?"),
        (lambda r: r["model"].update(torch_dtype="bf16"), r"^model\.torch_dtype: unknown key; did you mean dtype\?"),
        (lambda r: r["stages"][0].update(epochs=1), r"^stages\[0\]\.steps: give exactly one of steps or epochs"),
        (lambda r: r["stages"][1].update(steps=None, epochs=2), r"^stages\[1\]\.epochs: stage_schedule continue spans"),
        (lambda r: r["stages"][1].update(eval_steps=5), r"^stages\[1\]\.eval_steps: .* only with eval_rows"),
        (lambda r: r["grpo"].update(loss_type="grpo"), r"^grpo\.drop_equal_groups: needs loss_type dapo, cispo, vespo"),
        (lambda r: r.update(rollout={"importance_sampling": "sequence"}), r"^rollout\.importance_sampling: 'sequence' is not allowed"),
        (lambda r: r["grpo"].update(group_size=1), r"^grpo\.group_size: must be at least 2"),
        (lambda r: r["grpo"].update(learning_rate="fast"), r"^grpo\.learning_rate: expected a number"),
        (lambda r: r["stages"][1].update(name="warmup"), r"^stages: the name 'warmup' is used twice"),
        (lambda r: r.update(reward={"name": "nope"}), r"^reward\.name: 'nope' is not a registered reward"),
        (lambda r: r["stages"][1].update(mine={"pass_rate_below": 2}), r"^stages\[1\]\.mine\.pass_rate_below: a pass rate in \(0, 1\]"),
        (lambda r: r.update(rollout={"max_model_length": 8000}, grpo={"max_prompt_length": "16k"}),
         r"^rollout\.max_model_length: 8000 tokens cannot hold"),
        (lambda r: r["stages"][0]["data"][0].update(build={"len": "16k"}), r"^stages\[0\]\.data\[0\]\.path: must end in synthetic-keychain-16k"),
    ],
)
def test_bad_recipes_name_the_full_key_path(change, message):
    raw = _raw()
    change(raw)
    with pytest.raises(RecipeError, match=message):
        parse_recipe(raw, output_dir="/runs/x")


def test_set_overrides_edit_sections_and_stages_by_index_or_name(tmp_path):
    recipe = load_recipe(
        RECIPES / "tiny.yaml",
        ["grpo.learning_rate=2e-5", "stages[1].steps=5", "stages.stage2.mine.rollouts=2"],
        output_dir=str(tmp_path),
    )
    assert recipe.stages[0].grpo.learning_rate == 2e-5
    assert recipe.stages[1].steps == 5 and recipe.stages[2].mine.rollouts == 2
    assert recipe.model.path == str(tmp_path / "tiny-model")  # {output_dir} substituted
    with pytest.raises(RecipeError, match="no stage named 'stage9'"):
        load_recipe(RECIPES / "tiny.yaml", ["stages.stage9.steps=1"], output_dir=str(tmp_path))
    with pytest.raises(RecipeError, match="write it as section.key=value"):
        load_recipe(RECIPES / "tiny.yaml", ["grpo.learning_rate"], output_dir=str(tmp_path))


@pytest.mark.parametrize("name", ["tiny.yaml", "7b.yaml", "14b.yaml"])
def test_shipped_recipes_parse(name, tmp_path):
    recipe = load_recipe(RECIPES / name, output_dir=str(tmp_path))
    assert len(recipe.stages) >= 2 and recipe.stages[-1].mine is not None


def test_unreadable_or_malformed_recipe_is_one_line(tmp_path):
    with pytest.raises(RecipeError, match="cannot read the recipe"):
        load_recipe(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(bad, output_dir=str(tmp_path))


BOMB_LINES = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'] + [
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)
]


def test_an_alias_bomb_in_a_recipe_or_a_set_value_is_one_line_before_any_key_check(tmp_path):
    recipe = tmp_path / "bomb.yaml"
    recipe.write_text("\n".join(BOMB_LINES) + "\nmodel: {path: x}\n")
    with pytest.raises(RecipeError) as error:
        load_recipe(recipe)
    assert str(error.value).startswith(f"{recipe} line 6: not valid YAML (aliases expand it to more than 100,000 values")
    nested = ", ".join(["*b"] * 10)
    value = f"[&a [1,1,1,1,1,1,1,1,1,1], &b [{', '.join(['*a'] * 10)}], &c [{nested}], [{', '.join(['*c'] * 10)}], [{', '.join(['*c'] * 100)}]]"
    with pytest.raises(RecipeError, match="--set .*aliases expand it to more than 100,000 values"):
        load_recipe(RECIPES / "tiny.yaml", [f"grpo.learning_rate={value}"])
