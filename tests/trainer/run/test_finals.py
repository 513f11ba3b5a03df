"""final/ from a checkpoint that already holds every step; metrics cut back to the resume point."""

from __future__ import annotations

import json

import pytest

from trainer.errors import RunError
from trainer.run.finals import finish_from_checkpoint, trim_metrics


def test_final_from_a_checkpoint_takes_model_and_tokenizer_not_training_state(tmp_path):
    checkpoint = tmp_path / "checkpoint-2"
    checkpoint.mkdir()
    for name in ("model.safetensors", "config.json", "tokenizer.json", "chat_template.jinja", "optimizer.pt",
                 "scheduler.pt", "rng_state_0.pth", "trainer_state.json", "training_args.bin"):
        (checkpoint / name).write_text(name)
    final = finish_from_checkpoint(checkpoint, tmp_path / "final")
    assert sorted(p.name for p in final.iterdir()) == ["chat_template.jinja", "config.json", "model.safetensors", "tokenizer.json"]
    assert not (tmp_path / ".final.tmp").exists()
    (checkpoint / "model.safetensors").unlink()
    with pytest.raises(RunError, match="no consolidated weights"):
        finish_from_checkpoint(checkpoint, tmp_path / "final2")


def test_metrics_after_the_resume_point_and_cut_lines_are_dropped(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s, "reward": 0.0}) + "\n" for s in (1, 2, 3)) + '{"step": 4, "rew')
    assert trim_metrics(path, 2) == 2
    assert [json.loads(line)["step"] for line in path.read_text().splitlines()] == [1, 2]
