"""Finding model directories: local paths, the bundled default, and the Hugging Face Hub.

Hub downloads go through ``huggingface_hub``'s cache, so a model downloaded once
loads offline afterwards (``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

from pathlib import Path

from facemotion.artifact import CARD_FILE, CONFIG_FILE, WEIGHTS_FILE
from facemotion.errors import ModelLoadError

#: The model shipped inside the package.
DEFAULT_MODEL_DIR = Path(__file__).parent / "default_model"


def resolve_model(
    model: str | Path | None = None, revision: str | None = None, cache_dir: str | Path | None = None
) -> Path:
    """Return a local directory for ``model``: ``None`` (bundled default), a directory, or a Hub id.

    A Hub id (``"org/name"``) is fetched with `huggingface_hub.snapshot_download`
    at ``revision`` (a tag, branch or commit; pin one for reproducible results) into
    ``cache_dir`` (default: the Hugging Face cache).
    """
    if model is None:
        if not (DEFAULT_MODEL_DIR / CONFIG_FILE).is_file():
            raise ModelLoadError(
                f"the bundled default model is missing from {DEFAULT_MODEL_DIR}; reinstall facemotion "
                "or pass a model directory / Hub id"
            )
        return DEFAULT_MODEL_DIR
    path = Path(model).expanduser()
    if path.exists():
        return path
    text = str(model)
    if text.count("/") != 1 or text.startswith((".", "/", "~")):
        raise ModelLoadError(f"{text} is neither an existing model directory nor a Hub id like 'org/name'")
    return _download(text, revision, cache_dir)


def _download(repo_id: str, revision: str | None, cache_dir: str | Path | None) -> Path:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError
    except ImportError:  # pragma: no cover - huggingface_hub is a core dependency
        raise ModelLoadError("loading from the Hub needs huggingface_hub: pip install huggingface_hub") from None
    try:
        return Path(
            snapshot_download(
                repo_id,
                revision=revision,
                cache_dir=cache_dir,
                allow_patterns=[CONFIG_FILE, WEIGHTS_FILE, CARD_FILE, "*.tflite"],
            )
        )
    except LocalEntryNotFoundError:
        raise ModelLoadError(
            f"{repo_id} (revision {revision or 'main'}) is not in the local Hugging Face cache and the Hub cannot be "
            "reached (offline?); connect once to download it, or unset HF_HUB_OFFLINE"
        ) from None
    except RepositoryNotFoundError:
        raise ModelLoadError(
            f"{repo_id} does not exist on the Hub (or is private: log in with `hf auth login`)"
        ) from None
    except (HfHubHTTPError, OSError, ValueError) as err:
        raise ModelLoadError(f"could not download {repo_id}: {err}") from None


def push_to_hub(
    directory: str | Path,
    repo_id: str,
    *,
    revision: str | None = None,
    private: bool = False,
    token: str | None = None,
    commit_message: str = "Upload facemotion model",
) -> str:
    """Upload a model directory to a Hub repository (created if needed); returns the commit URL."""
    from huggingface_hub import HfApi

    root = Path(directory)
    if not (root / CONFIG_FILE).is_file() or not (root / WEIGHTS_FILE).is_file():
        raise ModelLoadError(f"{root} is not a model directory (needs {CONFIG_FILE} and {WEIGHTS_FILE})")
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    info = api.upload_folder(
        folder_path=str(root),
        repo_id=repo_id,
        revision=revision,
        commit_message=commit_message,
        allow_patterns=[CONFIG_FILE, WEIGHTS_FILE, CARD_FILE, "*.tflite"],
    )
    return str(info)
