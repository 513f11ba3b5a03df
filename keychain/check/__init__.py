"""Reading built data back: the row invariants (``row_checks``), ``keychain verify``
(``verify``), ``keychain show`` (``show``), statistics (``stats``) and plots (``plots``).

May import: ``rows``, ``tasks``, ``store`` and the helpers. Never ``run`` (checks must not
reuse the code they check beyond the shared prompt wording and tokenizers) or ``publish``.
"""
