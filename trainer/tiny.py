"""A tiny random Qwen2 model and byte-level BPE tokenizer, made locally (no download).

``create_tiny_model(folder)`` trains a small byte-level BPE with a ChatML chat template
on a fixed built-in corpus, builds a 2-layer ``Qwen2ForCausalLM`` with seeded random
weights and saves both with ``save_pretrained``, so every consumer (TRL's policy and
reference model, keychain's token counter, vLLM) loads it from the path like any Hub
model. The same arguments give the same files; an existing complete folder is reused.

Example: ``create_tiny_model("runs/x/tiny-model")`` -> ``Path("runs/x/tiny-model")``
holding ``config.json``, ``model.safetensors``, ``tokenizer.json`` and the template.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from pathlib import Path

from .errors import ModelError

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MARKER = "tiny-model.json"  # written last: its presence marks the folder complete

VOCAB_SIZE = 1024  # BPE merges on top of the 256 byte symbols and 3 special tokens
HIDDEN_SIZE = 64
LAYERS = 2
HEADS = 4
KV_HEADS = 2
MAX_POSITIONS = 8192  # tokens; room for 4K prompts plus completions


def _corpus(seed: int = 0) -> list[str]:
    """Text like the tiny runs' prompts: a synthetic keychain world, UUID pairs, the template.

    Trained on the same kind of text it will read, the BPE packs about 3 characters per
    token, so a 1K-token budget holds a few biographies besides the chain.
    """
    from keychain.rows import prompts
    from keychain.sources import SourceRequest, load_source

    rng = random.Random(f"tiny-corpus:{seed}")
    world = load_source("synthetic", SourceRequest(split="tiny-tokenizer", seed=seed, num=100, max_len=8192))
    texts = [document.text for document in world.documents]
    texts += [f"{item.question} {' '.join(item.answers)}" for item in world.items]
    texts += [value for value in vars(prompts.PromptTemplate()).values() if isinstance(value, str)] * 20
    hexdigits = "0123456789abcdef"
    for _ in range(300):
        key, value = ("-".join("".join(rng.choice(hexdigits) for _ in range(n)) for n in (8, 4, 4, 4, 12)) for _ in "kv")
        texts.append(json.dumps({key: value}) + ".")
        texts.append(f"<think> {rng.choice(texts[:50])[:40]} </think> \\boxed{{{rng.randint(1900, 2030)}}}")
    return texts


def _train_tokenizer(folder: Path, seed: int):
    return train_chatml_bpe(_corpus(seed), folder, VOCAB_SIZE)


def train_chatml_bpe(corpus: list[str], folder: str | os.PathLike, vocab_size: int):
    """Train a byte-level BPE on ``corpus``, wrap it with ChatML, save it to ``folder``.

    No download: this is how tests, benchmarks and the tiny recipe get a Hugging Face
    fast tokenizer with a chat template. Returns the ``PreTrainedTokenizerFast``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
        padding_side="left",
    )
    wrapped.chat_template = CHATML_TEMPLATE
    wrapped.save_pretrained(str(folder))
    return wrapped


def _build_model(folder: Path, tokenizer, seed: int) -> None:
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN_SIZE,
        intermediate_size=2 * HIDDEN_SIZE,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, do_sample=True
    )
    model.save_pretrained(str(folder))


def is_tiny_model(folder: str | os.PathLike) -> bool:
    return (Path(folder) / MARKER).is_file()


def create_tiny_model(folder: str | os.PathLike, seed: int = 0) -> Path:
    """Create (or reuse) the tiny model and tokenizer in ``folder``; return its path."""
    folder = Path(folder)
    if is_tiny_model(folder):
        return folder
    if folder.exists() and any(folder.iterdir()):
        raise ModelError(f"{folder} exists and is not a tiny model made by trainer; choose another model.path")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    except OSError as error:
        raise ModelError(f"cannot create {folder} ({error.strerror}); choose another model.path") from error
    try:
        tokenizer = _train_tokenizer(staging, seed)
        _build_model(staging, tokenizer, seed)
        recipe = {"layers": LAYERS, "hidden_size": HIDDEN_SIZE, "vocab_size": len(tokenizer), "seed": seed}
        (staging / MARKER).write_text(json.dumps(recipe, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            folder.rmdir()  # an empty folder left by an interrupted run
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
