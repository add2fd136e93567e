"""The on-disk model format: a directory with ``config.json``, ``model.keras`` and ``README.md``.

The same directory is shipped in the wheel (the default model), written by
`save_pretrained`, and stored in a Hugging Face Hub repository. Weights are a
Keras 3 ``.keras`` file loaded with ``safe_mode=True`` (no pickles, no Lambda layers).
Reading the config (`load_config`) needs no Keras: the default inference path runs
the LiteRT export and never imports TensorFlow. `load_config` checks everything a model
folder says before anything runs: the config's schema (types, ranges, finite numbers),
every LiteRT export it names against it (input shape, outputs), and that every file
stays inside the folder (`artifact_file`). The SHA-256 of each weights file is recorded when
it is written (``weights_sha256``, ``runtimes.*.sha256``) and checked when it is loaded
(`checked_sha256`): a damaged or swapped file is refused instead of giving numbers that
look right. Each problem is one `ModelLoadError` line.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from facemotion import __version__
from facemotion.atomic import atomic_write, replacing
from facemotion.errors import ModelLoadError, OutputError
from facemotion.extras import require
from facemotion.labels import EMOTION_OUTPUT, EMOTIONS, VA_OUTPUT
from facemotion.preprocessing import Preprocessing
from facemotion.runtime_lite import tflite_signature

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)

FORMAT = "facemotion-model"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.keras"
CARD_FILE = "README.md"


@dataclass
class ModelCard:
    """What a model card says: where the model comes from and how good it is."""

    description: str = "A facemotion model: nine emotions and valence–arousal from a face crop."
    training_data: str = "unknown"
    training_command: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    license: str = "mit"


@dataclass(frozen=True)
class ModelConfig:
    """The parsed ``config.json`` of a model artifact."""

    tasks: tuple[str, ...]
    labels: tuple[str, ...]
    preprocessing: Preprocessing
    recipe: str = "compact"
    version: str = __version__
    card: ModelCard = field(default_factory=ModelCard)
    runtimes: dict[str, dict[str, Any]] = field(default_factory=dict)
    mirror: bool = False  # average each face with its mirror image unless the user says otherwise
    temperature: float = 1.0  # probabilities are softmax(logits / temperature): calibration
    weights_sha256: str | None = None  # of model.keras, recorded by save_pretrained; None: not checked

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "tasks": list(self.tasks),
            "labels": list(self.labels),
            "preprocessing": self.preprocessing.to_dict(),
            "recipe": self.recipe,
            "weights": WEIGHTS_FILE,
            **({"weights_sha256": self.weights_sha256} if self.weights_sha256 else {}),
            "version": self.version,
            "training_data": self.card.training_data,
            "training_command": self.card.training_command,
            "metrics": self.card.metrics,
            "license": self.card.license,
            "description": self.card.description,
            "runtimes": self.runtimes,
            "mirror": self.mirror,
            "temperature": self.temperature,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = CONFIG_FILE) -> ModelConfig:
        """Check ``data`` against the config schema (types, ranges, finite numbers) and parse it.

        Every problem is a `ModelLoadError` of one line naming ``source`` and the field.

        >>> ModelConfig.from_dict({"format": FORMAT, "tasks": ["emotion"], "preprocessing": {"margin": "0.1"}})
        Traceback (most recent call last):
        ...
        facemotion.errors.ModelLoadError: config.json: preprocessing.margin must be a number, got '0.1'
        """
        check = _Fields(data, source)
        if data.get("format") != FORMAT:
            raise ModelLoadError(f'{source}: not a facemotion model config (expected "format": "{FORMAT}")')
        version = check.integer("format_version", FORMAT_VERSION, 1, None)
        if version > FORMAT_VERSION:
            raise ModelLoadError(
                f"{source}: format_version {version} is newer than this facemotion understands "
                f"({FORMAT_VERSION}); upgrade facemotion"
            )
        tasks = check.strings("tasks", None)
        if not tasks or set(tasks) - {EMOTION_OUTPUT, VA_OUTPUT} or len(set(tasks)) != len(tasks):
            raise ModelLoadError(
                f"{source}: tasks must be a subset of [{EMOTION_OUTPUT!r}, {VA_OUTPUT!r}], got {list(tasks)!s:.120}"
            )
        labels = check.strings("labels", EMOTIONS)
        if EMOTION_OUTPUT in tasks and labels != EMOTIONS:
            raise ModelLoadError(f"{source}: labels must be {list(EMOTIONS)} in this order, got {list(labels)!s:.200}")
        if check.string("weights", WEIGHTS_FILE) != WEIGHTS_FILE:
            raise ModelLoadError(f"{source}: weights must be {WEIGHTS_FILE!r}, got {data['weights']!r}")
        card = ModelCard(
            description=check.string("description", ModelCard.description),
            training_data=check.string("training_data", "unknown"),
            training_command=check.string("training_command", ""),
            metrics=check.mapping("metrics"),
            license=check.string("license", "unknown"),
        )
        return cls(
            tasks,
            labels,
            _preprocessing(data.get("preprocessing"), source),
            check.string("recipe", "unknown"),
            check.string("version", ""),
            card,
            _runtimes(check.mapping("runtimes"), source),
            check.boolean("mirror", False),
            check.number("temperature", 1.0, 0.01, 100.0),
            check.sha256("weights_sha256"),
        )


#: ``config.json`` runtime entries and the LiteRT quantizations an entry may state.
RUNTIME_ENTRIES = ("tflite", "tflite_float32")
QUANTIZATIONS = ("int8", "none", "float16", "dynamic")
#: Allowed ranges of the preprocessing numbers: a square input side in pixels, a margin per side.
INPUT_SIZE_RANGE = (8, 1024)
MARGIN_RANGE = (0.0, 1.0)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class _Fields:
    """Typed reads of one JSON object's fields; a wrong type or range is a one-line `ModelLoadError`."""

    def __init__(self, data: dict[str, Any], source: str, prefix: str = "") -> None:
        self.data, self.source, self.prefix = data, source, prefix

    def _fail(self, key: str, want: str, value: Any) -> NoReturn:
        raise ModelLoadError(f"{self.source}: {self.prefix}{key} must be {want}, got {value!r:.80}")

    def string(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            self._fail(key, "a string", value)
        return value

    def strings(self, key: str, default: tuple[str, ...] | None) -> tuple[str, ...]:
        if key not in self.data and default is not None:
            return default
        value = self.data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._fail(key, "a list of strings", value)
        return tuple(value)

    def sha256(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not (isinstance(value, str) and SHA256_HEX.fullmatch(value)):
            self._fail(key, "64 lower-case hex digits (a SHA-256)", value)
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            self._fail(key, "a JSON object", value)
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self._fail(key, "true or false", value)
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.data.get(key, default)
        if value not in choices:
            self._fail(key, f"one of {list(choices)}", value)
        return str(value)

    def integer(self, key: str, default: int, low: int, high: int | None) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            self._fail(key, f"a whole number from {low}" + (f" to {high}" if high is not None else " up"), value)
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self._fail(key, "a number", value)
        if not math.isfinite(value) or not low <= value <= high:
            self._fail(key, f"a finite number from {low:g} to {high:g}", value)
        return float(value)


def _preprocessing(data: Any, source: str) -> Preprocessing:
    if not isinstance(data, dict):
        raise ModelLoadError(f"{source}: preprocessing must be a JSON object, got {data!r:.80}")
    known = set(Preprocessing.__dataclass_fields__)
    if set(data) - known:
        raise ModelLoadError(f"{source}: preprocessing has unknown fields {sorted(set(data) - known)}")
    check, default = _Fields(data, source, "preprocessing."), Preprocessing()
    color_mode = check.choice("color_mode", default.color_mode, ("grayscale", "rgb"))
    normalization = check.choice("normalization", default.normalization, ("unit", "vggface"))
    if normalization == "vggface" and color_mode != "rgb":
        raise ModelLoadError(f"{source}: preprocessing.normalization 'vggface' needs color_mode 'rgb'")
    return Preprocessing(
        input_size=check.integer("input_size", default.input_size, *INPUT_SIZE_RANGE),
        color_mode=color_mode,  # type: ignore[arg-type]  # checked against the Literal's values above
        normalization=normalization,  # type: ignore[arg-type]
        margin=check.number("margin", default.margin, *MARGIN_RANGE),
    )


def _runtimes(data: dict[str, Any], source: str) -> dict[str, dict[str, Any]]:
    for key, entry in data.items():
        if key not in RUNTIME_ENTRIES:
            raise ModelLoadError(f"{source}: unknown runtime entry {key!r} (known: {', '.join(RUNTIME_ENTRIES)})")
        if not isinstance(entry, dict):
            raise ModelLoadError(f'{source}: runtimes.{key} must be an object like {{"file": "model.tflite"}}')
        check = _Fields(entry, source, f"runtimes.{key}.")
        if not check.string("file", ""):
            raise ModelLoadError(f"{source}: runtimes.{key}.file must name the .tflite file")
        float32 = key == "tflite_float32"
        check.choice("quantization", "none" if float32 else "int8", ("none",) if float32 else QUANTIZATIONS)
        check.sha256("sha256")
    return data


def check_output_folder(out: Path, overwrite: bool) -> None:
    """Refuse to write a model over a file, or into a folder that holds anything, unless ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is an existing file; give a folder to write the model into")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        what = "a model" if (out / CONFIG_FILE).is_file() else "files"
        raise OutputError(
            f"{out} already holds {what}: give a new folder, or --overwrite (overwrite=True) to replace its model files"
        )


def check_writable(folder: Path, what: str) -> None:
    """Refuse, before any work, a ``folder`` that could not be written: its nearest existing
    ancestor must be a folder that takes a new file (a read-only one failed after training)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{what} {folder} cannot be made: {existing} is a file")
    try:
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as err:
        raise OutputError(f"{what} {folder} cannot be written: {err.strerror or err} in {existing}") from None


def work_folder(out: Path, work_dir: str | Path | None) -> Path:
    """Where a training run into ``out`` keeps its checkpoints: ``work_dir``, by default ``OUT_work`` beside it.

    >>> work_folder(Path("/runs/model"), None).as_posix()
    '/runs/model_work'
    """
    return Path(work_dir) if work_dir else out.with_name(f"{out.name}_work")


def check_training_outputs(out: Path, work: Path) -> None:
    """Refuse, before any work, model and work folders that could not be written (`check_writable`):
    the model is first written beside ``out``, in its parent."""
    for folder, what in (
        (out.parent, "the model folder's parent"),
        (out, "the model folder"),
        (work, "the work folder"),
    ):
        check_writable(folder, what)


def save_pretrained(
    model: keras.Model,
    directory: str | Path,
    preprocessing: Preprocessing,
    *,
    recipe: str = "compact",
    card: ModelCard | None = None,
) -> Path:
    """Write ``model`` as a facemotion model directory and return its path.

    >>> from facemotion.training import build_model, recipe_preprocessing
    >>> path = save_pretrained(build_model(width=4), "tiny-model", recipe_preprocessing("compact"))  # doctest: +SKIP
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    outputs = model.output if isinstance(model.output, dict) else {}
    tasks = tuple(name for name in (EMOTION_OUTPUT, VA_OUTPUT) if name in outputs)
    if not tasks:
        raise ModelLoadError(
            "the model must have an 'emotion' and/or 'valence_arousal' output (see facemotion.models.attach_heads)"
        )
    if getattr(model, "optimizer", None) is not None:  # ship weights only, not the training state
        model = _without_optimizer(model)
    with replacing(out / WEIGHTS_FILE, suffix=".keras") as weights:  # never half a file, nor through a link
        model.save(weights)
        digest = file_sha256(weights)
        (out / CONFIG_FILE).unlink(missing_ok=True)  # an old config would not match the new weights
    config = ModelConfig(
        tasks, EMOTIONS, preprocessing, recipe, __version__, card or ModelCard(), weights_sha256=digest
    )
    write_config(out, config.to_dict())
    atomic_write(out / CARD_FILE, render_card(config).encode("utf-8", errors="backslashreplace"))
    return out


def write_config(directory: Path, data: dict[str, Any]) -> None:
    """Write a model directory's ``config.json`` whole (`facemotion.atomic`), as every writer of it does."""
    atomic_write(directory / CONFIG_FILE, (json.dumps(data, indent=2) + "\n").encode())


def _without_optimizer(model: keras.Model) -> keras.Model:
    clone = model.__class__.from_config(model.get_config())  # built from the config: not compiled
    clone.set_weights(model.get_weights())
    return clone


def render_card(config: ModelConfig) -> str:
    """The model card (README.md) of an artifact, with Hub metadata."""
    card = config.card
    metrics = "\n".join(f"| {k} | {v} |" for k, v in card.metrics.items()) or "| (none recorded) | |"
    return f"""---
library_name: facemotion
license: {card.license}
tags: [facial-expression-recognition, emotion, valence-arousal, keras]
---

# facemotion model

{card.description}

- Tasks: {", ".join(config.tasks)}
- Labels (index order): {", ".join(config.labels)}
- Input: {config.preprocessing.input_size}×{config.preprocessing.input_size} {config.preprocessing.color_mode}, normalization `{config.preprocessing.normalization}`
- Recipe: {config.recipe}
- Mirror averaging by default: {"yes" if config.mirror else "no"}
- Calibration temperature: {config.temperature:g}
- Training data: {card.training_data}
- Reproduce: `{card.training_command or "n/a"}`

## Metrics

| metric | value |
|---|---|
{metrics}

## Use

```python
from facemotion import EmotionClassifier

clf = EmotionClassifier.from_pretrained("path/or/hub-id")
print(clf.predict("photo.jpg"))
```
"""


def artifact_file(directory: str | Path, name: str) -> Path:
    """``directory / name`` for a file a config names, refusing any path that leaves the directory.

    Symbolic links are followed: the file must end up inside the directory or, when the
    directory is a Hugging Face cache snapshot (``models--org--name/snapshots/<commit>``),
    in that repository's ``blobs/`` folder, where the cache keeps the real files.

    >>> artifact_file("model", "../../etc/passwd")
    Traceback (most recent call last):
    ...
    facemotion.errors.ModelLoadError: model/config.json names '../../etc/passwd', which is outside the model directory
    """
    root = Path(directory)
    candidate = Path(name)
    real_root = root.resolve()
    inside = os.path.normpath(real_root / candidate)  # the path as written, links not followed yet
    try:
        resolved = (real_root / candidate).resolve()
    except (OSError, RuntimeError) as err:  # a link to itself: "Symlink loop"
        raise ModelLoadError(f"{root / candidate} cannot be followed: {err}") from None
    allowed = [real_root, *_hub_blobs(real_root)]
    if candidate.is_absolute() or not Path(inside).is_relative_to(real_root):
        raise ModelLoadError(f"{root / CONFIG_FILE} names {name!r}, which is outside the model directory")
    if (root / candidate).is_symlink() and not resolved.exists():
        raise ModelLoadError(
            f"{root / candidate} is a symbolic link to {resolved}, which is missing (a Hugging Face cache "
            "snapshot copied without its blobs? copy it with `cp -rL`, or load it by its Hub id)"
        )
    if not any(resolved.is_relative_to(place) for place in allowed):
        raise ModelLoadError(
            f"{root / candidate} leads to {resolved}, outside the model directory: copy the file into the folder"
        )
    return root / candidate


def _hub_blobs(snapshot: Path) -> list[Path]:
    """The ``blobs/`` folder of a Hugging Face cache snapshot's repository (none for other folders)."""
    snapshots = snapshot.parent
    repo = snapshots.parent
    is_snapshot = snapshots.name == "snapshots" and repo.name.startswith(("models--", "datasets--", "spaces--"))
    return [repo / "blobs"] if is_snapshot and (repo / "blobs").is_dir() else []


def load_config(directory: str | Path, *, check_exports: bool = True) -> ModelConfig:
    """Read and check a model directory's ``config.json`` (no Keras needed).

    The config is checked against its schema (`ModelConfig.from_dict`) and against every
    LiteRT file its ``runtimes`` name (`check_runtime_files`).
    """
    root = Path(directory)
    try:
        if not root.is_dir():
            raise ModelLoadError(f"{root} is not a model directory")
        config_path = artifact_file(root, CONFIG_FILE)
        if not config_path.is_file():
            raise ModelLoadError(f"{config_path} is missing; a model directory needs {CONFIG_FILE} and {WEIGHTS_FILE}")
        data = json.loads(config_path.read_bytes(), object_pairs_hook=_unique_keys)
    except OSError as err:  # a folder or config.json without read (or search) permission
        raise ModelLoadError(f"{err.filename or root} cannot be read: {err.strerror or err}") from None
    except _DuplicateKey as err:
        raise ModelLoadError(f"{config_path} gives the key {err.args[0]!r} twice: keep one") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise ModelLoadError(f"{config_path} is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{config_path} must hold a JSON object")
    config = ModelConfig.from_dict(data, str(config_path))
    if check_exports:  # not when the exports are about to be made again (`export_tflite`)
        check_runtime_files(root, config)
    return config


class _DuplicateKey(ValueError):
    """A JSON object gives a key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's fields, refusing a key given twice (JSON would silently keep the last one)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def runtime_file(directory: str | Path, config: ModelConfig, key: str) -> Path:
    """The file of ``config.runtimes[key]``: inside the model directory and present."""
    file = artifact_file(directory, str(config.runtimes[key]["file"]))
    if not file.is_file():
        raise ModelLoadError(f"{file} is listed in config.json but missing (runtimes.{key})")
    return file


def check_runtime_files(directory: str | Path, config: ModelConfig) -> None:
    """Check every LiteRT export a config names against the config: its SHA-256, input shape, outputs.

    All entries are checked, not only the one this CPU would run, so a model folder is
    either good everywhere or refused everywhere. Reading the shapes allocates no tensors.
    """
    prep = config.preprocessing
    want_input = (prep.input_size, prep.input_size, prep.channels)
    widths = {EMOTION_OUTPUT: len(config.labels), VA_OUTPUT: 2}
    want_outputs = sorted(widths[task] for task in config.tasks)
    for key, entry in config.runtimes.items():
        file = runtime_file(directory, config, key)
        input_shape, output_widths = tflite_signature(file)  # a garbage or cut file: "not a usable LiteRT model"
        if input_shape[1:] != want_input:
            raise ModelLoadError(
                f"{file} takes input {list(input_shape[1:])} but config.json preprocessing says {list(want_input)} "
                f"(input_size {prep.input_size}, {prep.color_mode})"
            )
        if sorted(output_widths) != want_outputs:
            raise ModelLoadError(
                f"{file} has outputs of widths {sorted(output_widths)} but config.json's tasks "
                f"{list(config.tasks)} and {len(config.labels)} labels need {want_outputs}"
            )
        checked_sha256(file, entry.get("sha256"), f"runtimes.{key}.sha256")  # the right network, these weights


def file_sha256(file: Path) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits; an unreadable file is a `ModelLoadError`.

    Read in blocks, and remembered for this version of the file (its size, times and inode), so
    that loading a model hashes each file once."""
    try:
        info = file.stat()  # the change time too: a write that kept the size and reset the time changes it
        return _sha256(str(file.resolve()), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    except OSError as err:
        raise ModelLoadError(f"{file} cannot be read: {err.strerror or err}") from None


@functools.lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int, ctime_ns: int, inode: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def checked_sha256(file: Path, expected: str | None, field: str) -> str:
    """``file``'s SHA-256, refused when ``config.json`` records another one for it under ``field``."""
    digest = file_sha256(file)
    if expected is not None and digest != expected:
        raise ModelLoadError(
            f"{file} does not match the SHA-256 config.json records for it ({field}): the file is damaged "
            "or comes from another model; copy the whole model folder again (a file replaced on purpose is "
            "written with save_pretrained or export_tflite, which record its SHA-256)"
        )
    return digest


def load_keras_model(directory: str | Path, config: ModelConfig) -> keras.Model:
    """Load the Keras weights of a model directory safely and check them against its config."""
    saving = require("keras.saving", "train")
    weights_path = artifact_file(directory, WEIGHTS_FILE)
    if not weights_path.is_file():
        raise ModelLoadError(f"{weights_path} is missing")
    if not os.access(weights_path, os.R_OK):  # is_zipfile would call it "truncated"
        raise ModelLoadError(f"{weights_path} cannot be read: permission denied")
    if not zipfile.is_zipfile(weights_path):  # Keras says "File not found" of a cut .keras file
        raise ModelLoadError(f"{weights_path} is not a whole .keras file (corrupt or truncated: copy it again)")
    checked_sha256(weights_path, config.weights_sha256, "weights_sha256")
    try:
        model = saving.load_model(weights_path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for bad files
        why = " ".join(str(err).split())  # Keras' messages span several lines
        raise ModelLoadError(f"{weights_path} could not be loaded safely: {type(err).__name__}: {why:.300}") from None
    _check_outputs(model, config, weights_path)
    return model


def load_artifact(directory: str | Path) -> tuple[keras.Model, ModelConfig]:
    """Load a model directory; every problem is a `ModelLoadError` naming the file."""
    config = load_config(directory)
    return load_keras_model(directory, config), config


def _check_outputs(model: keras.Model, config: ModelConfig, source: Path) -> None:
    outputs = model.output if isinstance(model.output, dict) else {}
    want = {EMOTION_OUTPUT: len(config.labels), VA_OUTPUT: 2}
    for task in config.tasks:
        if task not in outputs:
            raise ModelLoadError(f"{source}: config.json lists task {task!r} but the model has no such output")
        width = outputs[task].shape[-1]
        if width != want[task]:
            raise ModelLoadError(f"{source}: output {task!r} has {width} units but config.json implies {want[task]}")
    shape = tuple(model.input.shape[1:])
    prep = config.preprocessing
    if shape != (prep.input_size, prep.input_size, prep.channels):
        raise ModelLoadError(f"{source}: model input {shape} does not match config.json preprocessing {prep}")
