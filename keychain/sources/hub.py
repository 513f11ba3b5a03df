"""Loading real-data sources from the Hugging Face Hub, and naming what went wrong.

The ``datasets`` calls themselves live in each source module (so tests can replace them
with local records in the Hub's shape); these helpers map split names, turn any load
failure into one ``InputError`` line, and record where the data came from.

Example: ``hub_split("hotpotqa", "dev", {"dev": "validation"}) == "validation"``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..errors import ConfigError, InputError, KeychainError


def hub_split(source: str, split: str, splits: Mapping[str, str]) -> str:
    """The Hub split name for ``split`` (``splits`` maps accepted names, e.g. dev -> validation).

    Example: ``hub_split("hotpotqa", "dev", {"dev": "validation"})`` -> ``'validation'``
    """
    if split not in splits:
        raise ConfigError(
            f"unknown split {split!r} for {source} from the Hub; choose one of {', '.join(splits)}"
        )
    return splits[split]


def fetch_hub(load_hub: Callable[[str], Any], split: str, repo: str, fix: str) -> Any:
    """``load_hub(split)``, any failure (network, auth, format) turned into one InputError line."""
    try:
        return load_hub(split)
    except KeychainError:
        raise
    except Exception as exc:  # the Hub stack raises many types; all mean "could not load"
        raise hub_error(repo, exc, fix) from exc


def hub_error(repo: str, exc: BaseException, fix: str) -> InputError:
    """One-line InputError for a failed Hub load, quoting the cause's first line."""
    lines = str(exc).strip().splitlines() or [""]
    cause = lines[0][:200]
    return InputError(
        f"cannot load {repo} from the Hugging Face Hub ({type(exc).__name__}: {cause}); "
        f"check your network, or {fix}"
    )


def hub_origin(repo: str, config: str | None, split: str, dataset: Any) -> dict:
    """Where Hub data came from, for the manifest; the fingerprint names the exact data."""
    return {
        "kind": "hub",
        "repo": repo,
        "config": config,
        "split": split,
        "fingerprint": getattr(dataset, "_fingerprint", None),
    }
