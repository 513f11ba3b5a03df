"""Where a model comes from: a local folder, the Hugging Face cache, or the Hub, checked fast.

``model_problem(name)`` answers before anything loads: a local folder must hold a
``config.json``; a Hub id is fine when it is in the local cache, else the Hub is probed
once (keychain's one 3-second probe) and asked once whether the repository exists.
Offline (``HF_HUB_OFFLINE=1``, ``KEYCHAIN_OFFLINE=1``, or no answer from the Hub) a missing
model is one line at once, not transformers' minute of retries; a cached model switches
huggingface_hub to offline mode, so loading it makes no network call.

Example: ``model_problem("nope")`` offline -> ``"model nope: not a local folder and not in
the Hugging Face cache, and the Hub is offline (KEYCHAIN_OFFLINE=1 is set); ..."``.
"""

from __future__ import annotations

import functools
from pathlib import Path

INFO_TIMEOUT_S = 10.0


@functools.lru_cache(maxsize=1)
def offline() -> str | None:
    """Why the Hub cannot be used (an offline variable, or no answer to one 3 s probe), asked
    once per process; None when it can (``keychain.sources.hub`` decides, as for data)."""
    from keychain.sources.hub import offline_reason

    return offline_reason()


def go_offline() -> None:
    """Make huggingface_hub (and transformers through it) use the cache only."""
    from keychain.sources.hub import use_offline_mode

    use_offline_mode()


def agree_offline() -> None:
    """Under a launcher, every process uses the cache only when the main one decided to
    (``model_problem`` on the main process probes the Hub once and may go offline)."""
    from keychain.sources.hub import offline_variable

    from .distributed import broadcast

    if broadcast(offline_variable() is not None):
        go_offline()


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
        if offline() is not None:
            go_offline()  # load from the cache without a network call
        return None
    if offline() is not None:
        return (f"{what} {name}: not a local folder and not in the Hugging Face cache, and the Hub is offline "
                f"({offline()}); download it where there is network (hf download {name}) or give a local folder")
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
