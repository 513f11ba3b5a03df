"""Dataset card templates (``keychain.md``), installed as the package ``keychain.data_cards``.

The folder sits at the repository root so the templates are easy to find and edit;
``pyproject.toml`` maps it into the installed package, and ``keychain.publish.card`` reads
it with ``importlib.resources``.
"""
