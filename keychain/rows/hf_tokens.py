"""Hugging Face tokenizers: read with ``tokenizers`` and jinja2, transformers only as a fallback.

A tokenizer folder holds ``tokenizer.json`` (normalizer, pre-tokenizer, BPE model, added
tokens) and ``tokenizer_config.json`` (chat template, special tokens). Loading the first
with ``tokenizers.Tokenizer.from_file`` and rendering the template with
``chat_template.ChatTemplate`` gives the tokens transformers gives, in a fraction of the
start-up (no transformers import) where a check remembered per folder (``hf_same.py``)
found transformers to agree. The folder goes through ``AutoTokenizer`` instead where it
does not, or might not: no ``tokenizer.json``, tokens the config adds that the file lacks,
``add_prefix_space``/``from_slow`` settings transformers applies on load, a template jinja2
alone cannot compile, or a tokenizer class whose pipeline transformers builds itself.

``prove_tokenizer`` reads the same file to decide whether prompt counts may be summed
from pieces (``junctions.py``): a BPE model without dropout, an NFC/NFD normalizer or none,
isolating regex splits that pass ``prove_pattern``, no prefix space, and added tokens
that neither strip white space nor contain a join.

Example: ``HFCounter.from_folder(Path(qwen_dir), "qwen").count("hello world") == 2``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

from ..errors import ConfigError
from .hf_same import same_as_transformers
from .junctions import GPT2_PATTERN, Proof, junction_splits, prove_pattern
from .piece_count import PieceCount

Message = dict[str, str]
TOKENIZER_FILES = [
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "chat_template.jinja", "chat_template.json", "vocab.json", "merges.txt", "tokenizer.model",
]
_SENTINEL = "\x00keychain-message-content\x00"


class Frame(NamedTuple):
    """``count_prompt(messages) == fixed + count(prefix + last message's content + suffix)``."""

    fixed: int
    prefix: str
    suffix: str


class HFCounter:
    """A Hugging Face tokenizer; prompts go through its chat template when it has one."""

    def __init__(self, name: str, backend, render: Callable[[Sequence[Message]], str] | None, proof: Proof, via: str) -> None:
        self.name = name
        self.via = via  # "tokenizers" (tokenizer.json and jinja2) or "transformers"
        self.backend = backend  # a tokenizers.Tokenizer
        self.render = render
        self.has_chat_template = render is not None
        self.proof = proof
        self.additive = proof.holds  # see junctions.py
        self._frames: dict[tuple, tuple[str, str] | None] = {}
        self._pieces = PieceCount.of(backend)  # None: every count is an encode

    @classmethod
    def from_folder(cls, folder: Path, name: str) -> HFCounter:
        """The fast path where it gives transformers' tokens, else ``from_transformers``."""
        config_file = folder / "tokenizer_config.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
        if (folder / "tokenizer.json").is_file() and not config.get("add_prefix_space") and not config.get("from_slow"):
            from tokenizers import Tokenizer

            from .chat_template import ChatTemplate, read_template, special_tokens

            backend = Tokenizer.from_file(str(folder / "tokenizer.json"))
            if _config_tokens_present(backend, config):
                source = read_template(folder, config)
                try:
                    render = ChatTemplate(source, special_tokens(config)).render if source else None
                except Exception:  # jinja2 alone cannot compile it: transformers' own extensions
                    render = False
                if render is not False and same_as_transformers(folder, backend, render):
                    return cls(name, backend, render, prove_tokenizer(backend), "tokenizers")
        return cls.from_transformers(str(folder), name)

    @classmethod
    def from_transformers(cls, path: str, name: str) -> HFCounter:
        try:
            from transformers import AutoTokenizer
        except ImportError as error:
            raise ConfigError(f"--tokenizer {name} needs the transformers package; install it with: pip install 'keychain[hf]'") from error
        tokenizer = AutoTokenizer.from_pretrained(path)
        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is None:
            raise ConfigError(f"--tokenizer {name} has no fast (Rust) tokenizer; pass a folder with tokenizer.json")
        render = None
        if getattr(tokenizer, "chat_template", None):
            def render(messages):
                return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        return cls(name, backend, render, prove_tokenizer(backend), "transformers")

    def count(self, text: str) -> int:
        tokens = self._pieces(text) if self._pieces is not None else None
        return len(self.backend.encode(text, add_special_tokens=False)) if tokens is None else tokens

    def count_many(self, texts: Sequence[str]) -> list[int]:
        counts = [self._pieces(text) for text in texts] if self._pieces is not None else [None] * len(texts)
        rest = [i for i, tokens in enumerate(counts) if tokens is None]
        if rest:
            encoded = self.backend.encode_batch([texts[i] for i in rest], add_special_tokens=False)
            for i, encoding in zip(rest, encoded):
                counts[i] = len(encoding)
        return counts

    def encode_count(self, text: str) -> int:
        """Tokens of ``text`` from ``Tokenizer.encode`` itself, never from cached pieces."""
        return len(self.backend.encode(text, add_special_tokens=False))

    def render_prompt(self, messages: Sequence[Message]) -> str:
        """The exact text the model reads, generation prompt included."""
        return self.render(messages)

    def count_prompt(self, messages: Sequence[Message], prefix: str = "") -> int:
        """Tokens of the prompt (and of the assistant turn's ``prefix``), by ``Tokenizer.encode``."""
        return self.count_prompts([messages], prefix, batch=False)[0]

    def count_prompts(self, prompts: Sequence[Sequence[Message]], prefix: str = "", batch: bool = True) -> list[int]:
        """``count_prompt`` of each, encoded in one batch over all cores. With a chat template
        the rendered text (which holds its special tokens, so none are added) and ``prefix``
        are one text; without, each message and the prefix count apart."""
        if batch:
            encode = self.backend.encode_batch_fast if hasattr(self.backend, "encode_batch_fast") else self.backend.encode_batch
        else:
            def encode(texts, add_special_tokens):
                return [self.backend.encode(text, add_special_tokens=add_special_tokens) for text in texts]
        if self.render is not None:
            return [len(e) for e in encode([self.render(prompt) + prefix for prompt in prompts], add_special_tokens=False)]
        parts = [[m["content"] for m in prompt] + ([prefix] if prefix else []) for prompt in prompts]
        flat, counts = [len(e) for e in encode([text for texts in parts for text in texts], add_special_tokens=False)], []
        for texts in parts:
            counts.append(sum(flat[: len(texts)]))
            flat = flat[len(texts) :]
        return counts

    def frame(self, messages: Sequence[Message]) -> Frame | None:
        """The template text around the last message's content, or None where the template
        does not render the content verbatim between a fixed prefix and suffix."""
        if self.render is None:
            return Frame(sum(self.count(m["content"]) for m in messages[:-1]), "", "")
        key = tuple((m["role"], m["content"]) for m in messages[:-1]) + (messages[-1]["role"],)
        if key not in self._frames:
            if len(self._frames) > 64:
                self._frames.clear()
            text = self.render([*messages[:-1], {**messages[-1], "content": _SENTINEL}])
            self._frames[key] = tuple(text.split(_SENTINEL)) if text.count(_SENTINEL) == 1 else None
        around = self._frames[key]
        if around is None:
            return None
        prefix, suffix = around
        # A template may branch on the content (strip it, test how it starts): check this one.
        rendered, content = self.render(messages), messages[-1]["content"]
        if len(rendered) != len(prefix) + len(content) + len(suffix) or rendered[len(prefix) : len(prefix) + len(content)] != content:
            return None
        if not (rendered.startswith(prefix) and rendered.endswith(suffix)):
            return None
        return Frame(0, prefix, suffix)


def _config_tokens_present(backend, config: dict) -> bool:
    """Whether every token the config declares is already in tokenizer.json (else transformers adds it)."""
    for token_id, token in (config.get("added_tokens_decoder") or {}).items():
        if backend.id_to_token(int(token_id)) != token.get("content"):
            return False
    named = [config.get(name) for name in ("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token")]
    named += list(config.get("additional_special_tokens") or [])
    for token in named:
        content = token.get("content") if isinstance(token, dict) else token
        if isinstance(content, str) and backend.token_to_id(content) is None:
            return False
    return True


def prove_tokenizer(backend) -> Proof:
    """Whether summed piece counts are exact for this ``tokenizers.Tokenizer`` (module doc)."""
    model = backend.model
    if type(model).__name__ != "BPE" or getattr(model, "dropout", None):
        return Proof(False, "the model is not a BPE without dropout")
    if backend.normalizer is not None:
        state = json.loads(backend.normalizer.__getstate__())
        kinds = [n["type"] for n in state["normalizers"]] if state["type"] == "Sequence" else [state["type"]]
        if any(kind not in ("NFC", "NFD") for kind in kinds):
            return Proof(False, f"normalizer {'+'.join(kinds)} may change text across a join")
    if backend.pre_tokenizer is None:
        return Proof(False, "no pre-tokenizer: the whole text is one piece")
    state = json.loads(backend.pre_tokenizer.__getstate__())
    patterns = []
    for step in state["pretokenizers"] if state["type"] == "Sequence" else [state]:
        if step["type"] == "Split" and step.get("behavior") == "Isolated" and not step.get("invert") and "Regex" in step["pattern"]:
            patterns.append(step["pattern"]["Regex"])
        elif step["type"] == "ByteLevel" and not step.get("add_prefix_space"):
            if step.get("use_regex", True):
                patterns.append(GPT2_PATTERN)
        else:
            return Proof(False, f"pre-tokenizer step {step['type']} is not an isolating regex split")
    if not patterns:
        return Proof(False, "no regex split: the whole text is one piece")
    for pattern in patterns:
        proof = prove_pattern(pattern)
        if not proof.holds:
            return proof
    for token in backend.get_added_tokens_decoder().values():
        content = token.content
        if token.lstrip or token.rstrip or token.single_word:
            return Proof(False, f"added token {content!r} strips white space or needs a word")
        # Could it straddle a join: a head of it ending ``left``, the rest starting ``right``?
        if any(junction_splits(content[:i], content[i:] + "a") for i in range(1, len(content))):
            return Proof(False, f"added token {content!r} holds a join")
    return Proof(True)
