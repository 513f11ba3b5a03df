"""Loading real-data sources from the Hugging Face Hub, and naming what went wrong.

The ``datasets`` calls themselves live in each source module (so tests can replace them
with local records in the Hub's shape); these helpers map split names, decide once whether
the Hub can be reached, turn any load failure into one ``InputError`` line, and record
where the data came from.

Without a network the Hub stack retries every request for about half a minute, so the
network is checked once first: ``KEYCHAIN_OFFLINE=1`` or ``HF_HUB_OFFLINE=1`` means
offline, otherwise one HEAD request to the Hub endpoint with a short timeout decides.
Offline, ``datasets`` runs in its offline mode: a copy in the local Hugging Face cache
still loads, anything else fails at once.

Example: ``hub_split("hotpotqa", "dev", {"dev": "validation"}) == "validation"``.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Mapping

from ..errors import ConfigError, InputError, KeychainError

PROBE_TIMEOUT = 3.0  # seconds for the one HEAD request that tells online from offline
_OFFLINE_VARIABLES = ("KEYCHAIN_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


def hub_split(source: str, split: str, splits: Mapping[str, str]) -> str:
    """The Hub split name for ``split`` (``splits`` maps accepted names, e.g. dev -> validation).

    Example: ``hub_split("hotpotqa", "dev", {"dev": "validation"})`` -> ``'validation'``
    """
    if split not in splits:
        raise ConfigError(
            f"unknown split {split!r} for {source} from the Hub; choose one of {', '.join(splits)}"
        )
    return splits[split]


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def offline_reason(probe: Callable[[str], str | None] | None = None) -> str | None:
    """Why the Hub cannot be used now (None when it can); asks the network at most once.

    Example: with ``KEYCHAIN_OFFLINE=1`` set -> ``'KEYCHAIN_OFFLINE=1 is set'``.
    """
    variable = offline_variable()
    if variable is not None:
        return f"{variable}=1 is set"
    return (probe or probe_endpoint)(hub_endpoint())


def offline_variable() -> str | None:
    """The first of KEYCHAIN_OFFLINE, HF_HUB_OFFLINE, HF_DATASETS_OFFLINE set to a true value."""
    for variable in _OFFLINE_VARIABLES:
        if os.environ.get(variable, "").strip().lower() in ("1", "true", "yes", "on"):
            return variable
    return None


def probe_endpoint(url: str) -> str | None:
    """One HEAD request to ``url``: None if anything answers (any HTTP status), else why not."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=PROBE_TIMEOUT)
    except urllib.error.HTTPError:
        return None  # the server answered; whether it likes the request is not the question
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections, bad URL
        reason = getattr(exc, "reason", exc)
        return f"{url} cannot be reached: {reason}"
    return None


def use_offline_mode() -> None:
    """Switch huggingface_hub and datasets to offline mode: the local cache only, no requests.

    Both libraries read ``HF_HUB_OFFLINE`` when first imported; where they already are
    (a test process, a caller that imported them), their flag is set as well.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    for module_name in ("huggingface_hub.constants", "datasets.config"):
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, "HF_HUB_OFFLINE"):
            module.HF_HUB_OFFLINE = True


def fetch_hub(
    load_hub: Callable[[str], Any],
    split: str,
    repo: str,
    fix: str,
    probe: Callable[[str], str | None] | None = None,
) -> Any:
    """``load_hub(split)`` after one network check; any failure turned into one InputError line.

    Offline (see ``offline_reason``) the load runs in offline mode, so a cached copy still
    loads and a missing one fails in a second instead of after a minute of retries.
    """
    variable = offline_variable()  # read before use_offline_mode sets HF_HUB_OFFLINE
    reason = offline_reason(probe)
    if reason is not None:
        use_offline_mode()
    try:
        return load_hub(split)
    except KeychainError:
        raise
    except Exception as exc:  # the Hub stack raises many types; all mean "could not load"
        if reason is not None:
            raise InputError(
                f"the Hugging Face Hub is offline ({reason}) and {repo} is not in the local "
                f"cache; {fix}, or re-run with a network{f' and without {variable}' if variable else ''}"
            ) from exc
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
