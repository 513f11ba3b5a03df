"""Whether ``tokenizer.json`` and jinja2 give a folder's tokens as transformers gives them.

transformers does not always use a folder's ``tokenizer.json`` as it is: version 5 builds
the normalizer and pre-tokenizer of a known tokenizer class (``Qwen2Tokenizer``, ...) from
its own code, so a folder whose file says otherwise (a GPT-2-style split saved beside a
Qwen2 model, as ``trainer/tiny.py`` does) is tokenized differently by the model's trainer
than by the file. The tokens that count are the ones the model sees, so the fast path
(``hf_tokens.py``) is taken only where it was checked to agree with transformers: same
normalizer, pre-tokenizer, BPE model and added tokens, same rendered chat template for a
few probe chats. The check loads transformers once per folder (its small files by content,
``tokenizer.json`` by path, size and modification time) and transformers version, and
remembers the answer in ``$KEYCHAIN_CACHE`` (default ``~/.cache/keychain``);
without transformers installed there is nothing to disagree with.

Example: ``same_as_transformers(Path(qwen_dir), backend, render)`` -> ``True`` (remembered).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
          "chat_template.jinja", "chat_template.json", "config.json")
_PROBES = (
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Passage 1:\nA b.\n\nWhich?"}],
    [{"role": "user", "content": " x <think> y\n"}],
)
_CHECK_VERSION = "1"  # bump when the comparison changes


def cache_dir() -> Path:
    if os.environ.get("KEYCHAIN_CACHE"):
        return Path(os.environ["KEYCHAIN_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "keychain"


def same_as_transformers(folder: Path, backend, render) -> bool:
    """True when the fast path gives transformers' tokens for ``folder`` (checked once)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        transformers_version = version("transformers")
    except PackageNotFoundError:
        return True
    digest = hashlib.sha256(f"{_CHECK_VERSION}:{transformers_version}".encode())
    for name in _FILES:
        file = folder / name
        if file.is_file():
            stat = file.stat()
            # Large files (tokenizer.json: megabytes) by path, size and time; the rest by content.
            body = f"{file.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode() if stat.st_size > 1 << 20 else file.read_bytes()
            digest.update(name.encode() + b"\0" + body + b"\0")
    marker = cache_dir() / "tokenizers" / f"{digest.hexdigest()[:32]}.json"
    try:
        return bool(json.loads(marker.read_text(encoding="utf-8"))["same"])
    except (OSError, ValueError, KeyError):
        pass
    same = _compare(folder, backend, render)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        scratch = marker.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps({"same": same, "folder": str(folder), "transformers": transformers_version}))
        scratch.replace(marker)
    except OSError:
        pass  # a read-only cache only means checking again next time
    return same


def _compare(folder: Path, backend, render) -> bool:
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(str(folder))
    other = getattr(reference, "backend_tokenizer", None)
    if other is None or pipeline(other) != pipeline(backend):
        return False
    if bool(getattr(reference, "chat_template", None)) != (render is not None):
        return False
    if render is None:
        return True
    return all(render(chat) == reference.apply_chat_template(chat, tokenize=False, add_generation_prompt=True) for chat in _PROBES)


def pipeline(backend) -> tuple:
    """What decides a tokenizer's ids without special tokens added: normalizer,
    pre-tokenizer (offset trimming aside), model, added tokens."""

    def state(component):
        if component is None:
            return None
        data = json.loads(component.__getstate__())
        return json.dumps(data, sort_keys=True).replace('"trim_offsets": true', '"trim_offsets": false')

    added = sorted(
        (i, t.content, t.special, t.lstrip, t.rstrip, t.single_word, t.normalized) for i, t in backend.get_added_tokens_decoder().items()
    )
    model = hashlib.sha256(backend.model.__getstate__()).hexdigest()
    return state(backend.normalizer), state(backend.pre_tokenizer), model, added
