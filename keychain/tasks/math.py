r"""Math rows: one short problem per row, no padding, the answer in ``\boxed{}``.

``math`` rows (DAPO-Math) ask for the answer; ``choice`` rows (MathQA) list lettered
options and ask for the letter. ``--len`` only caps the prompt: a longer problem is
skipped and counted (``too_long``).

Example: ``MathBuilder(source, spec, template, counter).build(0, item)`` for the item
"What is 5 + 7?" with answer "12" gives a row whose user message is the problem and the
boxed-answer instruction, ``answers == ["12"]`` and ``data_source == "math/dapo-math"``.
"""

from __future__ import annotations

import random

from ..errors import BudgetError
from ..randomness import LazyPermutation
from ..rows.prompts import PromptTemplate, messages, prompt_tokens
from ..rows.spec import Skip
from ..sources.records import QAItem, SourceData
from .prompts import CHOICE_USER, MATH_USER
from .rows import task_row
from .spec import TaskSpec

ABILITY = "math"


class MathBuilder:
    """Builds math or choice rows of one spec; the pipeline's builder interface."""

    def __init__(self, source: SourceData, spec: TaskSpec, template: PromptTemplate, counter) -> None:
        self.source = source
        self.spec = spec
        self.template = template
        self.counter = counter
        self.user = CHOICE_USER if spec.task == "choice" else MATH_USER

    def prompt(self, item: QAItem) -> list[dict[str, str]]:
        return messages(self.template, self.user.format(problem=item.question))

    def check_budget(self) -> None:
        if not self.source.items:
            raise BudgetError(f"the {self.source.name} {self.source.split} split has no usable problems; check the data")
        shortest = prompt_tokens(self.counter, self.prompt(QAItem("", "", ("",), ())), self.template)
        if shortest >= self.spec.target_len:
            raise BudgetError(f"--len {self.spec.target_len} cannot hold the prompt template ({shortest} tokens); use a larger --len")

    def order(self, num: int | None) -> list[int]:
        """Up to ``num`` items in a seeded random order (all of them when None)."""
        spec = self.spec
        rng = random.Random(f"{spec.seed}:{spec.source}:{spec.split}:select")
        return LazyPermutation(len(self.source.items), rng).take(num or len(self.source.items))

    def build(self, index: int, item: QAItem) -> dict | Skip:
        prompt = self.prompt(item)
        n_tokens = prompt_tokens(self.counter, prompt, self.template)
        if n_tokens > self.spec.target_len:
            return Skip("too_long")
        return task_row(
            self.spec, index, item.source_id, prompt, n_tokens, item.question, list(item.answers),
            ability=ABILITY, question_type=item.question_type,
        )
