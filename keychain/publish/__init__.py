"""Publishing a finished folder: the dataset card (``card``, template in ``data_cards/``),
licences and citations (``licenses``), checks before any upload (``preflight``), the Hub
client with bounded retries (``hub``) and ``keychain push`` (``push``).

May import: ``check`` (stats and plots for the card), ``store`` and the helpers.
"""
