"""Where a model comes from: a local folder, the Hugging Face cache, or the Hub, checked fast.

``model_problem(name)`` answers before anything loads: a local folder must hold a
``config.json``; a Hub id is fine when it is in the local cache, else the Hub is probed
once (one TCP connection, a few seconds at most) and asked once whether the repository
exists. Offline (``HF_HUB_OFFLINE=1``, ``KEYCHAIN_OFFLINE=1``, or no route to the Hub) a
missing model is one line at once, not transformers' minute of retries; a cached model
switches huggingface_hub to offline mode, so loading it makes no network call.

Example: ``model_problem("nope")`` offline -> ``"model nope: not a local folder and not in
the Hugging Face cache, and the Hub cannot be reached (offline); ..."``.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

PROBE_TIMEOUT_S = 3.0
INFO_TIMEOUT_S = 10.0


def offline_requested() -> bool:
    return any(os.environ.get(name, "") not in ("", "0") for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "KEYCHAIN_OFFLINE"))


@functools.lru_cache(maxsize=1)
def hub_reachable() -> bool:
    """One TCP connection to the Hub endpoint (``HF_ENDPOINT`` respected)."""
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def go_offline() -> None:
    """Make huggingface_hub (and transformers through it) use the cache only."""
    from huggingface_hub import constants

    os.environ["HF_HUB_OFFLINE"] = "1"
    constants.HF_HUB_OFFLINE = True


def looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or name.count("/") > 1  # Hub ids are "name" or "owner/name"


def cached_file(name: str, filename: str = "config.json") -> Path | None:
    """``filename`` of Hub model ``name`` in the local Hugging Face cache, if there."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(name, filename)
    except Exception:  # an id the cache layout cannot hold
        return None
    return Path(found) if isinstance(found, str) else None


def model_problem(name: str, what: str = "model") -> str | None:
    """Why ``name`` cannot be loaded here (one line with the fix), or None."""
    path = Path(name).expanduser()
    if path.exists():
        if path.is_dir() and (path / "config.json").is_file():
            return None
        return f"{what} {name}: not a model folder (no config.json); give a folder saved with save_pretrained or a Hub id"
    if looks_like_path(name):
        return f"{what} {name}: no such folder; check the path"
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        return f"{what} {name}: neither a local folder nor a Hugging Face model id (like Qwen/Qwen2.5-7B-Instruct); check it"
    if cached_file(name) is not None:
        if offline_requested() or not hub_reachable():
            go_offline()  # load from the cache without a network call
        return None
    if offline_requested() or not hub_reachable():
        why = "offline mode is on (HF_HUB_OFFLINE / KEYCHAIN_OFFLINE)" if offline_requested() else "the Hub cannot be reached (offline)"
        return (f"{what} {name}: not a local folder and not in the Hugging Face cache, and {why}; "
                f"download it where there is network (hf download {name}) or give a local folder")
    return _hub_problem(name, what)


def _hub_problem(name: str, what: str) -> str | None:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
    )

    try:
        HfApi().model_info(name, timeout=INFO_TIMEOUT_S)
    except GatedRepoError:
        return f"{what} {name}: gated on the Hub; accept its licence on huggingface.co and log in (hf auth login)"
    except RepositoryNotFoundError:
        return f"{what} {name}: no such model on the Hub (or it is private: hf auth login); check the id"
    except (HfHubHTTPError, OSError):
        return None  # the Hub answered oddly or slowly: let loading report what it finds
    return None
