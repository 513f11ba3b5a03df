"""Why ``rollout.importance_sampling`` defaults to token_truncate: TRL 1.16's own code, on CPU.

vLLM reports each sampled token's log-probability after top-p ("processed_logprobs",
which TRL asks for): ``log p - log Z_t`` with Z_t the nucleus mass. The trainer's
log-probability has no top-p, so the per-token ratio trainer/vLLM is Z_t <= 1. Here the
tiny model samples with top_p 0.9 through transformers, vLLM's log-probabilities are
computed with vLLM's top-p rule, and TRL's ``_generate_and_score_completions`` computes
its correction from them, unchanged. With TRL's default ``sequence_mask`` a completion's
weight is prod_t Z_t, which shrinks with its length; with ``token_truncate`` each token
keeps its own ratio, whatever the length.
"""

from __future__ import annotations

import pytest

pytest.importorskip("trl")
torch = pytest.importorskip("torch")

from datasets import Dataset  # noqa: E402
from trl import GRPOConfig  # noqa: E402

from trainer.hooks import KeychainGRPOTrainer  # noqa: E402
from trainer.tiny import create_tiny_model  # noqa: E402

TOP_P, LENGTH = 0.9, 24


def vllm_processed_logprobs(model, prompt_ids: list[int], completion_ids: list[int]) -> list[float]:
    """Log-probabilities of the sampled tokens after vLLM's top-p masking (``apply_top_k_top_p``)."""
    ids = torch.tensor([prompt_ids + completion_ids])
    with torch.no_grad():
        logits = model(ids).logits[0, len(prompt_ids) - 1 : -1].float()
    ascending, order = logits.sort(dim=-1)
    cumulative = ascending.softmax(dim=-1).cumsum(dim=-1)
    drop = cumulative <= 1 - TOP_P
    drop[:, -1] = False  # vLLM keeps at least one token
    masked = logits.scatter(-1, order, ascending.masked_fill(drop, float("-inf")))
    return masked.log_softmax(dim=-1).gather(-1, torch.tensor(completion_ids).unsqueeze(1)).squeeze(1).tolist()


def _weights(model: str, tmp_path, mode: str):
    """TRL's importance weights and completion mask for one generation batch."""
    args = GRPOConfig(output_dir=str(tmp_path / "out"), use_cpu=True, bf16=False, per_device_train_batch_size=8,
                      num_generations=4, max_completion_length=LENGTH, top_p=TOP_P, report_to="none",
                      activation_checkpointing=False, seed=0, vllm_importance_sampling_mode=mode)
    dataset = Dataset.from_list([{"prompt": [{"role": "user", "content": text}]} for text in ("hello", "world")])
    trainer = KeychainGRPOTrainer(model=model, reward_funcs=lambda completions, **_: [0.0] * len(completions),
                                  args=args, train_dataset=dataset)
    hf_generate = trainer._generate

    def generate_like_vllm(prompts):
        trainer.use_vllm = False  # sample with transformers (top_p applied), then report vLLM's log-probs
        prompt_ids, completion_ids, *rest = hf_generate(prompts)
        trainer.use_vllm = True
        rest[2] = [vllm_processed_logprobs(trainer.model, p, c) for p, c in zip(prompt_ids, completion_ids)]
        return (prompt_ids, completion_ids, *rest)

    trainer._generate = generate_like_vllm
    trainer.use_vllm = trainer.vllm_importance_sampling_correction = True
    trainer.model.train()
    torch.manual_seed(0)
    output = trainer._generate_and_score_completions([dataset[i] for i in (0, 0, 0, 0, 1, 1, 1, 1)])
    return output["importance_sampling_ratio"], output["completion_mask"]


def test_sequence_level_correction_decays_with_length_and_token_level_does_not(tmp_path):
    model = str(create_tiny_model(tmp_path / "tiny"))
    sequence, mask = _weights(model, tmp_path, "sequence_mask")
    lengths = mask.sum(dim=1)
    # a random model's nucleus holds just over 90% of the mass at every token: weight ~ 0.9 ** length
    assert sequence.shape == (8, 1) and lengths.min() == LENGTH
    assert torch.allclose(sequence.squeeze(1), TOP_P ** lengths.float(), rtol=0.05)  # 0.08 at 24 tokens, 1e-188 at 4096
    token, mask = _weights(model, tmp_path, "token_truncate")
    per_token = token[mask.bool()]
    assert token.shape == mask.shape and per_token.min() >= TOP_P - 1e-4 and per_token.max() <= 1.0 + 1e-5
