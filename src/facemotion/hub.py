"""Finding model directories: model names (bundled models), local paths, and the Hugging Face Hub.

Hub downloads go through ``huggingface_hub``'s cache, so a model downloaded once
loads offline afterwards (``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from facemotion import __version__
from facemotion.artifact import CARD_FILE, CONFIG_FILE, WEIGHTS_FILE, artifact_file, checked_sha256, load_config
from facemotion.errors import HubError, ModelLoadError

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).parent
#: Model names resolved offline to folders inside the package. A name is bundled when its
#: folder holds a ``config.json``; adding a model to the family is dropping its folder in.
MODEL_NAMES: dict[str, Path] = {
    "fast": PACKAGE_DIR / "fast_model",
    "default": PACKAGE_DIR / "default_model",
    "accurate": PACKAGE_DIR / "accurate_model",
}
#: The model used when none is named.
DEFAULT_MODEL = "default"
DEFAULT_MODEL_DIR = MODEL_NAMES[DEFAULT_MODEL]


def bundled_models() -> list[str]:
    """The model names this installation ships, in `MODEL_NAMES` order.

    >>> "default" in bundled_models()
    True
    """
    return [name for name, folder in MODEL_NAMES.items() if (folder / CONFIG_FILE).is_file()]


def is_hub_id(model: str) -> bool:
    """Whether ``model`` reads as a Hub id ``"org/name"`` (not a path).

    >>> is_hub_id("org/name"), is_hub_id("./org/name"), is_hub_id("default")
    (True, False, False)
    """
    return model.count("/") == 1 and not model.startswith((".", "/", "~"))


def resolve_model(
    model: str | Path | None = None, revision: str | None = None, cache_dir: str | Path | None = None
) -> Path:
    """Return a local directory for ``model``: a model name, a directory, or a Hub id.

    - ``None`` or a name in `MODEL_NAMES` (``"default"``, ``"fast"``, ``"accurate"``): the
      model bundled in the package; a name this installation does not ship is a
      `ModelLoadError` listing the bundled ones. Names win over folders: a local folder
      called ``fast`` is given as ``"./fast"`` or ``Path("fast")``.
    - an existing directory (a `pathlib.Path` is always taken as a path).
    - a Hub id (``"org/name"``), fetched with `huggingface_hub.snapshot_download` at
      ``revision`` (a tag, branch or commit; pin one for reproducible results) into
      ``cache_dir`` (default: the Hugging Face cache); offline, it is served from the cache.

    >>> resolve_model("default") == resolve_model() == DEFAULT_MODEL_DIR
    True
    """
    if not isinstance(model, (str, Path, type(None))) or model == "":
        raise ModelLoadError(f"model must be a name, a folder or a Hub id, got {model!r:.80}")
    if revision is not None and (not isinstance(revision, str) or not revision.strip()):
        raise ModelLoadError(f"revision must be a tag, branch or commit (a string), got {revision!r:.80}")
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise ModelLoadError(f"cache_dir must be a folder (a str or a path), got {cache_dir!r:.80}")
    name = DEFAULT_MODEL if model is None else model
    local = (isinstance(name, str) and name in MODEL_NAMES) or Path(name).expanduser().exists()
    if local and revision is not None:
        raise ModelLoadError(
            f"revision={revision!r} applies to Hub models only; {name} is a "
            f"{'bundled model' if isinstance(name, str) and name in MODEL_NAMES else 'local folder'}, leave it out"
        )
    if isinstance(name, str) and name in MODEL_NAMES:
        return _bundled(name)
    path = Path(name).expanduser()
    if path.exists():
        return path
    if isinstance(model, Path):
        raise ModelLoadError(f"no such model directory: {model} (a pathlib.Path is always a local folder)")
    text = str(model)
    if not is_hub_id(text):
        hint = f" (names are lower-case: {text.lower()!r})" if text.lower() in MODEL_NAMES else ""
        raise ModelLoadError(
            f"{text} is neither a model name (bundled: {', '.join(bundled_models())}), an existing model "
            f"directory nor a Hub id like 'org/name'{hint}"
        )
    return _download(text, revision, cache_dir)


def _bundled(name: str) -> Path:
    folder = MODEL_NAMES[name]
    if (folder / CONFIG_FILE).is_file():
        return folder
    bundled = ", ".join(bundled_models()) or "none"
    if name == DEFAULT_MODEL:
        raise ModelLoadError(
            f"the bundled default model is missing from {folder}; reinstall facemotion or pass a model directory / Hub id"
        )
    raise ModelLoadError(
        f"model {name!r} is not bundled in facemotion {__version__} (bundled: {bundled}); a GPU-trained {name} "
        f"model is planned — see docs/models.md (a local folder named {name} is given as ./{name})"
    )


def _download(repo_id: str, revision: str | None, cache_dir: str | Path | None) -> Path:
    try:
        from huggingface_hub import constants, snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError
    except ImportError:  # pragma: no cover - huggingface_hub is a core dependency
        raise ModelLoadError("loading from the Hub needs huggingface_hub: pip install huggingface_hub") from None
    offline, answers = bool(constants.HF_HUB_OFFLINE), False
    try:
        answers = not offline and _answers(repo_id, revision)
        return Path(
            snapshot_download(
                repo_id,
                revision=revision,
                cache_dir=cache_dir,
                local_files_only=not answers,
                allow_patterns=[CONFIG_FILE, WEIGHTS_FILE, CARD_FILE, "*.tflite"],
            )
        )
    except LocalEntryNotFoundError as err:
        if offline:
            why = "HF_HUB_OFFLINE is set; unset it to download the model once"
        elif answers:  # huggingface_hub says "not found locally" of a server error too
            why = f"the Hub answered with an error: {str(err.__cause__ or err).splitlines()[0]:.200}"
        else:
            why = "the Hub cannot be reached (or did not answer in time); connect to the network once to download it"
        raise ModelLoadError(
            f"{repo_id} is no local folder, and as a Hub id (revision {revision or 'main'}) it is not in the "
            f"local Hugging Face cache and {why}"
        ) from None
    except RepositoryNotFoundError:
        raise ModelLoadError(
            f"{repo_id} does not exist on the Hub (or is private: log in with `hf auth login`)"
        ) from None
    except (HfHubHTTPError, OSError, ValueError) as err:
        raise ModelLoadError(f"could not download {repo_id}: {err}") from None


#: Seconds to wait for the Hub's first answer (``huggingface_hub`` waits without end: a proxy that
#: accepts and never answers hung loading a cached model, and publishing).
HUB_TIMEOUT = 10.0


def _answers(repo_id: str, revision: str | None) -> bool:
    """Whether the Hub answers about ``repo_id`` within `HUB_TIMEOUT` (a try: huggingface_hub may try
    twice); without an answer (no network, a timeout, a proxy, a captive portal's page) the cached copy is
    looked for, with a warning. An error the Hub answers ("no such repository", a refused token) goes on
    to the download, which reports it when the cache has no copy."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        HfApi().repo_info(repo_id, revision=revision, timeout=HUB_TIMEOUT)
    except HfHubHTTPError:
        return True
    except Exception as err:  # the HTTP client's own errors, whichever client huggingface_hub uses
        log.warning("the Hub did not answer (%s: %s); looking for %s in the cache", type(err).__name__, err, repo_id)
        return False
    return True


def push_to_hub(
    directory: str | Path,
    repo_id: str,
    *,
    revision: str | None = None,
    private: bool = False,
    token: str | None = None,
    commit_message: str = "Upload facemotion model",
) -> str:
    """Upload a model directory to a Hub repository (created if needed); returns the commit URL.

    The folder is checked as a download would be (`facemotion.artifact.load_config`)
    before anything is sent, so a model that would not load is never published. Anything
    the Hub or the network refuses (offline, no token, no rights, an invalid id) is a
    `HubError` saying which.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalTokenNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    root = Path(directory)
    if not (root / CONFIG_FILE).is_file() or not (root / WEIGHTS_FILE).is_file():
        raise ModelLoadError(f"{root} is not a model directory (needs {CONFIG_FILE} and {WEIGHTS_FILE})")
    config = load_config(root)  # its LiteRT exports and their SHA-256 included
    checked_sha256(artifact_file(root, WEIGHTS_FILE), config.weights_sha256, "weights_sha256")
    files = [CONFIG_FILE, WEIGHTS_FILE, CARD_FILE, *(str(entry["file"]) for entry in config.runtimes.values())]
    if not is_hub_id(repo_id):
        raise HubError(f"{repo_id!r} is not a Hub repository id: give it as 'org/name'")
    try:
        api = HfApi(token=token)
        with contextlib.suppress(RepositoryNotFoundError):  # a new repository
            api.repo_info(repo_id, timeout=HUB_TIMEOUT)  # the Hub answers at all (see HUB_TIMEOUT)
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision is not None:  # a new branch is made; an existing one gets a new commit
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        info = api.upload_folder(
            folder_path=str(root),
            repo_id=repo_id,
            revision=revision,
            commit_message=commit_message,
            allow_patterns=files,  # the files the config names: never a stale export beside them
        )
    except OfflineModeIsEnabled:
        raise HubError(f"cannot publish to {repo_id}: HF_HUB_OFFLINE is set (unset it to upload)") from None
    except LocalTokenNotFoundError:
        raise HubError(f"cannot publish to {repo_id}: not logged in (run `hf auth login`, or give a token)") from None
    except HfHubHTTPError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise HubError(f"the Hub refused publishing to {repo_id}: {first}") from err
    except Exception as err:  # no network or no answer (the HTTP client's own errors), an invalid name or revision
        raise HubError(f"cannot publish to {repo_id}: {type(err).__name__}: {err}") from err
    return str(info)
