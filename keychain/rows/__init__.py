"""One row: what it depends on (``spec``), how its tokens are counted (``tokens``, ``exact``),
how documents fill the budget (``pad``, ``context``), the KeyChain pairs (``chains``), the
prompt wording (``prompts``) and the builder that puts them together (``build``).

May import: ``sources`` (records), ``randomness``, ``text``, ``errors``. Never ``config``,
``run``, ``check`` or anything above.
"""
