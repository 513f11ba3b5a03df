"""Prompt templates: the only place prompt wording lives.

The defaults follow the LoongRL paper: the system prompt is the paper's Fig. 5 text word
for word (the same text as the ``qwen_orz_boxed`` chat template of the authors' verl
fork); the KeyChain user prompt gives the passages, then says there is one correct
question, found only by following the chain of key:value pairs from the head key (quoted,
as in the paper's data example), to be found first and then answered; the plain prompt
gives the passages, then ``Question: ...``. ``LOONGRL_TEMPLATE`` holds the wording of the
authors' row builder instead (head key bare, no closing sentence) and primes the assistant
turn with ``<think>`` as their chat template does.

``assistant_prefix`` (empty by default) is text the assistant turn starts with: it is not
a message of the row, it is counted in ``n_tokens`` right after the generation prompt,
and a trainer must add it to the prompt it renders (``trainer``: the recipe's
``model.assistant_prefix``).

Any field can be replaced from a YAML file (``--template FILE``); unknown fields and
missing placeholders are errors.

Example:
    >>> t = PromptTemplate()
    >>> t.passage.format(index=1, title="Paris", body="Paris is a city.")
    'Passage 1:\\nParis\\nParis is a city.'
    >>> "{head_key}" in t.keychain_instruction
    True
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from ..errors import ConfigError
from ..text import load_yaml

# The paper's Fig. 5 system prompt, word for word (= the verl fork's qwen_orz_boxed template).
SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The User asks a question, and the "
    "Assistant solves it. The Assistant first thinks about the reasoning process in the "
    "mind and then provides the User with the answer. The reasoning process is enclosed "
    "within <think> </think> and answer is enclosed within \\boxed{} tags, respectively, "
    "i.e., <think> reasoning process here </think> \\boxed{answer here}."
)
THINK_PREFIX = "<think>"  # how the reference chat template starts the assistant turn
# The KeyChain instruction of the authors' row builder (LoongRL verl fork,
# longcontextqa_needle_like_dataset_system.py): UUID wording whatever the key format,
# head key bare, no closing sentence.
REFERENCE_INSTRUCTION = (
    "In the context above, there is one correct question to answer. The correct question "
    "can only be found by following the correct consecutive chain of key:value pairs "
    "encoded with UUID strings (e.g., f81d4fae-7dec-11d0-a765-00a0c91e6bf6), starting "
    "from {head_key}."
)

KEY_EXAMPLES = {
    "uuid": ("UUID", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
    "hex8": ("8-character hexadecimal", "1f0a9c3e"),
}

# Placeholders each format-string field must contain (and may only contain); the system
# prompt and the separator are plain text, used as they are.
_REQUIRED = {
    "passage": {"index", "title", "body"},
    "keychain_user": {"context", "instruction"},
    "keychain_instruction": {"head_key"},
    "plain_user": {"context", "question"},
}
_ALLOWED = {
    **_REQUIRED,
    "keychain_instruction": {"head_key", "key_kind", "key_example"},
}


@dataclass(frozen=True)
class PromptTemplate:
    system: str = SYSTEM_PROMPT
    passage: str = "Passage {index}:\n{title}\n{body}"
    passage_separator: str = "\n\n"
    keychain_user: str = "Please read the following text.\n{context}\n\n{instruction}"
    keychain_instruction: str = (
        "In the context above, there is one correct question to answer. The correct "
        "question can only be found by following the correct consecutive chain of "
        "key:value pairs encoded with {key_kind} strings (e.g., {key_example}), starting "
        'from "{head_key}". Find the correct question first, then answer it.'
    )
    plain_user: str = "The following are given passages.\n{context}\n\nQuestion: {question}"
    assistant_prefix: str = ""  # text the assistant turn starts with, e.g. "<think>"

    def __post_init__(self) -> None:
        for name in ("system", "passage_separator", "assistant_prefix", *_REQUIRED):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"template field {name!r} must be a string")
        for name, required in _REQUIRED.items():
            value = getattr(self, name)
            found = _placeholders(value, name)
            missing = required - found
            extra = found - _ALLOWED[name]
            if missing:
                raise ConfigError(f"template field {name!r} lacks {{{sorted(missing)[0]}}}; add it")
            if extra:
                raise ConfigError(
                    f"template field {name!r} has unknown placeholder {{{sorted(extra)[0]}}}; "
                    f"allowed: {', '.join('{' + p + '}' for p in sorted(_ALLOWED[name])) or 'none'}"
                )
        for name, placeholder in (("keychain_user", "{context}"), ("plain_user", "{context}"), ("passage", "{body}")):
            if getattr(self, name).count(placeholder) != 1:
                raise ConfigError(f"template field {name!r} must hold {placeholder} exactly once")

    @property
    def digest(self) -> str:
        """Short content hash, part of a build's identity."""
        if self == PromptTemplate():
            return "default"
        payload = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:16]

    def user_frame(self, task: str, *, question: str, head_key: str | None, key_format: str | None) -> tuple[str, str]:
        """The user message split around the passages: (text before, text after)."""
        if task == "keychain":
            kind, example = KEY_EXAMPLES[key_format or "uuid"]
            instruction = self.keychain_instruction.format(head_key=head_key, key_kind=kind, key_example=example)
            before, after = self.keychain_user.split("{context}")
            return before.format(instruction=instruction), after.format(instruction=instruction)
        before, after = self.plain_user.split("{context}")
        return before.format(question=question), after.format(question=question)


def _placeholders(text: str, name: str) -> set[str]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise ConfigError(f"template field {name!r} is not a valid format string ({error}); escape braces as {{{{ }}}}") from error
    return {field_name for _, field_name, _, _ in parsed if field_name is not None}


def load_template(path: str | None, base: PromptTemplate | None = None) -> PromptTemplate:
    """``base`` (the default template unless a preset names another), or ``base`` with the
    fields of a YAML file."""
    base = base or PromptTemplate()
    if path is None:
        return base
    import yaml

    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"--template {path}: no such file; pass a YAML file with template fields")
    try:
        data = load_yaml(file.read_text(encoding="utf-8"))  # bounded: an alias bomb is one line
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"--template {path}: not valid YAML ({str(error).splitlines()[0]}); fix the file") from error
    if not isinstance(data, dict):
        raise ConfigError(f"--template {path}: expected a mapping of template fields at the top level")
    known = {f.name for f in fields(PromptTemplate)}
    for key in data:
        if key not in known:
            raise ConfigError(f"--template {path}: unknown field {key!r}; known fields: {', '.join(sorted(known))}")
    return replace(base, **data)


LOONGRL_TEMPLATE = PromptTemplate(keychain_instruction=REFERENCE_INSTRUCTION, assistant_prefix=THINK_PREFIX)
TEMPLATES = {"default": PromptTemplate(), "loongrl": LOONGRL_TEMPLATE}  # the base a preset starts from


def prompt_tokens(counter, prompt: list[dict[str, str]], template: PromptTemplate | str) -> int:
    """Tokens of ``prompt`` as the model reads it, the assistant turn's prefix included:
    ``template``'s ``assistant_prefix`` (or the prefix itself, a string). Required, so no
    builder can count a prompt without it; every row's ``n_tokens`` is counted here.

    With a chat template the prefix follows the rendered generation prompt and is counted
    with it; otherwise it counts as one more message's content. Counted whole by the
    tokenizer itself (``TokenCounter.count_prompt``), never from cached pieces.
    """
    prefix = template if isinstance(template, str) else template.assistant_prefix
    return counter.count_prompt(prompt, prefix)


def prompt_frame(counter, prompt: list[dict[str, str]], template: PromptTemplate | str):
    """The counter's frame around the user message (``tokens.Frame``), the assistant turn's
    prefix (``template``'s, as in ``prompt_tokens``) in it: after the generation prompt, or
    counted as one more message. None where the counter cannot split the prompt (count it whole)."""
    prefix = template if isinstance(template, str) else template.assistant_prefix
    frame = counter.frame(prompt)
    if frame is None or not prefix:
        return frame
    if getattr(counter, "has_chat_template", False):
        return frame._replace(suffix=frame.suffix + prefix)
    return frame._replace(fixed=frame.fixed + counter.count(prefix))


def messages(template: PromptTemplate, user: str) -> list[dict[str, str]]:
    """The chat prompt; an empty system field leaves the system message out."""
    if not template.system:
        return [{"role": "user", "content": user}]
    return [{"role": "system", "content": template.system}, {"role": "user", "content": user}]
