"""Chat templates rendered with jinja2 the way transformers renders them, without transformers.

Importing transformers and building its tokenizer costs seconds; the template is just a
jinja2 program in the tokenizer folder. ``ChatTemplate`` compiles it in the environment
transformers uses for ``apply_chat_template`` (sandboxed, ``trim_blocks``,
``lstrip_blocks``, loop controls, its ``tojson`` filter, ``raise_exception`` and
``strftime_now``, ``{% generation %}`` blocks rendered as their body) and passes the same
variables (``messages``, ``tools=None``, ``documents=None``, ``add_generation_prompt`` and
the named special tokens), so it renders the same text; tests compare the two on the Qwen
template. ``read_template`` finds the template where transformers looks for it.

Example:
    >>> t = ChatTemplate("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
    ...                  "{% if add_generation_prompt %}<assistant>{% endif %}", {})
    >>> t.render([{"role": "user", "content": "Hi"}])
    '<user>Hi<assistant>'
"""

from __future__ import annotations

import json
from pathlib import Path

NAMED_TOKENS = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


def read_template(folder: Path, config: dict) -> str | None:
    """The chat template of a tokenizer folder: ``chat_template.jinja``, ``chat_template.json``
    or ``tokenizer_config.json`` (a named list picks ``default``); None when there is none."""
    jinja_file = folder / "chat_template.jinja"
    if jinja_file.is_file():
        return jinja_file.read_text(encoding="utf-8")
    json_file = folder / "chat_template.json"
    template = json.loads(json_file.read_text(encoding="utf-8")).get("chat_template") if json_file.is_file() else None
    template = template or config.get("chat_template")
    if isinstance(template, list):
        named = {entry.get("name"): entry.get("template") for entry in template if isinstance(entry, dict)}
        template = named.get("default")
    return template if isinstance(template, str) and template else None


def special_tokens(config: dict) -> dict[str, str]:
    """The named special tokens a template may use (``{{ bos_token }}``), as strings."""
    found = {}
    for name in NAMED_TOKENS:
        value = config.get(name)
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str):
            found[name] = value
    return found


class ChatTemplate:
    """A compiled chat template; ``render(messages)`` adds the generation prompt."""

    def __init__(self, source: str, variables: dict[str, str]) -> None:
        import jinja2
        from jinja2.ext import Extension, loopcontrols
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        class Generation(Extension):
            """``{% generation %}...{% endgeneration %}`` marks assistant text; it renders its body."""

            tags = {"generation"}

            def parse(self, parser):
                lineno = next(parser.stream).lineno
                body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
                return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

            def _body(self, caller):
                return caller()

        def raise_exception(message):
            raise jinja2.exceptions.TemplateError(message)

        def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
            return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

        def strftime_now(format):
            from datetime import datetime

            return datetime.now().strftime(format)

        environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
        environment.filters["tojson"] = tojson
        environment.globals["raise_exception"] = raise_exception
        environment.globals["strftime_now"] = strftime_now
        self.source = source
        self._template = environment.from_string(source)
        self._variables = dict(variables)

    def render(self, messages) -> str:
        chat = [dict(message) for message in messages]
        return self._template.render(messages=chat, tools=None, documents=None, add_generation_prompt=True, **self._variables)
