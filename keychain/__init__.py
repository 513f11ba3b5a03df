"""keychain: exact-length KeyChain long-context QA data (LoongRL, arXiv 2510.19363)."""

__version__ = "0.1.0"
