"""The run folder: claiming it for a recipe, cleaning what a kill left, finding complete checkpoints."""

from __future__ import annotations

import json

import pytest

from trainer.errors import RunError
from trainer.run.folder import RunFolder, last_complete_checkpoint


def _checkpoint(folder, complete: bool) -> None:
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights")
    (folder / "optimizer.pt").write_bytes(b"adam")
    if complete:  # transformers writes trainer_state.json last
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": int(folder.name.split("-")[1])}))


def test_clean_removes_what_a_kill_leaves_and_nothing_else(tmp_path):
    run = RunFolder(tmp_path)
    stage = tmp_path / "stages" / "s"
    _checkpoint(stage / "checkpoint-1", complete=True)
    _checkpoint(stage / "checkpoint-2", complete=False)  # killed while saving
    keep = [tmp_path / "recipe.yaml", stage / "metrics.jsonl", tmp_path / "data" / "c" / "v1" / ".progress" / "plan.json",
            tmp_path / "tiny-model" / "config.json"]
    litter = [stage / ".summary.json.k2j4.tmp", tmp_path / ".recipe.yaml.a1b2.tmp",
              tmp_path / "data" / "c" / "v1" / ".progress" / "train-00000-of-00001.parquet.x9.tmp"]
    litter_dirs = [stage / ".final.tmp", tmp_path / "mined" / "s" / "mined-s" / ".v1.q8w.tmp", tmp_path / ".tiny-model.z3.tmp"]
    for path in keep + litter:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    for folder in litter_dirs:
        folder.mkdir(parents=True)
        (folder / "part").write_text("x")
    lines = run.clean()
    assert all(path.exists() for path in keep) and (stage / "checkpoint-1" / "trainer_state.json").is_file()
    assert not any(path.exists() for path in litter + litter_dirs) and not (stage / "checkpoint-2").exists()
    assert "removed stages/s/checkpoint-2 (killed while it was being saved)" in lines
    assert len(lines) == len(litter) + len(litter_dirs) + 1
    assert run.clean() == []


def test_a_recipe_that_never_trained_is_replaced_one_that_trained_is_kept(tmp_path):
    run = RunFolder(tmp_path)
    assert run.claim({"seed": 0, "grpo": {"per_device_batch_size": 128}}) is None
    note = run.claim({"seed": 0, "grpo": {"per_device_batch_size": 4}})  # the first start failed before a step
    assert note.endswith("replaced the recipe of a start that never trained (grpo.per_device_batch_size: 128 -> 4)")
    assert run.claim({"seed": 0, "grpo": {"per_device_batch_size": 4}}) is None
    (tmp_path / "stages" / "s").mkdir(parents=True)
    (tmp_path / "stages" / "s" / "metrics.jsonl").write_text('{"step": 1}\n')  # one optimizer step logged
    with pytest.raises(RunError, match=r"holds a run of another recipe \(seed: 0 -> 1\)"):
        run.claim({"seed": 1, "grpo": {"per_device_batch_size": 4}})


def test_a_damaged_or_hostile_recipe_file_is_one_line(tmp_path):
    run = RunFolder(tmp_path)
    (tmp_path / "recipe.yaml").write_text("a: [unclosed\n")
    with pytest.raises(RunError, match="recipe.yaml is unreadable; delete it or choose another --output-dir"):
        run.claim({"seed": 0})
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    (tmp_path / "recipe.yaml").write_text(bomb)  # 10**9 values once expanded: refused before it is built
    with pytest.raises(RunError, match="recipe.yaml is unreadable"):
        run.claim({"seed": 0})


def test_resume_point_is_the_newest_complete_checkpoint(tmp_path):
    for step, complete in ((1, True), (2, True), (3, False)):
        _checkpoint(tmp_path / f"checkpoint-{step}", complete)
    (tmp_path / "checkpoint-2" / "trainer_state.json").write_text('{"global_st')  # cut short mid-write
    found, skipped = last_complete_checkpoint(tmp_path)
    assert found.name == "checkpoint-1" and [p.name for p in skipped] == ["checkpoint-3", "checkpoint-2"]
    assert last_complete_checkpoint(tmp_path / "missing") == (None, [])
