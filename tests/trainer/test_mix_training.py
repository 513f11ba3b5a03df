"""A recipe over a mix of every task family trains with ``reward: {name: containment}``.

The mix (``keychain mix``, counted with the tiny model's tokenizer) holds KeyChain and
plain QA, multikey and multivalue retrieval, DAPO-Math and MathQA choice rows (the last
two from tiny files in their original formats). Stage ``one`` holds out a validation
slice scored every step and ends on its best checkpoint (a random model scores 0
everywhere, so the tie goes to the later step); stage ``two`` mines with that checkpoint.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.tasks.test_math import dapo_file, mathqa_file  # noqa: F401 - fixtures

pytest.importorskip("trl")
pytest.importorskip("math_verify")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from trainer.tiny import create_tiny_model

    return create_tiny_model(tmp_path_factory.mktemp("mix-model") / "tiny")


def test_recipe_over_qa_retrieval_math_and_choice_rows_trains_with_containment(tmp_path, tiny_model, mathqa_file, dapo_file):  # noqa: F811
    from keychain.mix import load_recipe as load_mix
    from keychain.mix import mix
    from trainer.data import read_rows
    from trainer.recipe import parse_recipe
    from trainer.stages import run_recipe

    mix_recipe = tmp_path / "mix.yaml"
    mix_recipe.write_text(yaml.safe_dump({"seed": 0, "tokenizer": str(tiny_model), "components": [
        {"source": "synthetic", "task": "keychain", "len": "1k", "rows": 2},
        {"source": "synthetic", "task": "plain", "len": "1k", "rows": 8},
        {"source": "synthetic", "task": "multikey", "len": "1k", "needles": 4, "rows": 2},
        {"source": "synthetic", "task": "multivalue", "len": "1k", "needles": 4, "rows": 2},
        {"source": "mathqa", "task": "choice", "len": "1k", "data_files": [str(mathqa_file)], "rows": 2},
        {"source": "dapo-math", "task": "math", "len": "1k", "data_files": [str(dapo_file)], "rows": 2},
    ]}))
    mix(load_mix(mix_recipe, tmp_path / "data"), tmp_path / "data", command="test")
    table, _ = read_rows(tmp_path / "data" / "mix")
    families = {source.split("/")[0] for source in table.column("data_source").to_pylist()}
    assert families == {"keychain", "plain", "multikey", "multivalue", "choice", "math"}

    run_dir = tmp_path / "run"
    recipe = parse_recipe({
        "model": {"path": str(tiny_model), "dtype": "float32"},
        "rollout": {"engine": "hf"},
        "reward": {"name": "containment"},
        "grpo": {"group_size": 4, "prompts_per_step": 2, "per_device_batch_size": 8, "max_completion_length": 8,
                 "gradient_checkpointing": False, "learning_rate": 1e-5},
        "stages": [
            {"name": "one", "steps": 2, "eval_rows": 4, "eval_steps": 1, "data": [{"path": str(tmp_path / "data" / "mix")}]},
            {"name": "two", "steps": 1, "data": [{"path": str(tmp_path / "data" / "mix")}],
             "mine": {"rollouts": 2, "max_rows": 4}},
        ],
    }, output_dir=str(run_dir))
    lines: list[str] = []
    one, two = run_recipe(recipe, log=lines.append)

    metrics = [json.loads(line) for line in (run_dir / "stages" / "one" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if "rewards/containment/mean" in m] == [1, 2]
    assert [m["step"] for m in metrics if "eval_reward" in m] == [1, 2]
    data = json.loads((run_dir / "stages" / "one" / "data.json").read_text())
    assert len(data["eval_ids"]) == 4 and data["rows"] == table.num_rows - 4
    assert one["eval"]["best_step"] == 2 and one["checkpoint"].endswith("checkpoint-2")  # a tie: the later step
    assert any("final/ is checkpoint-2" in line for line in lines)
    assert two["started_from"]["model"] == one["final"]
    assert two["started_from"]["optimizer"] == one["checkpoint"]
    mined = json.loads((run_dir / "mined" / "two" / "mined-two" / "v1" / "manifest.json").read_text())
    assert mined["identity"]["model"] == one["final"] and mined["identity"]["reward"] == "containment"
