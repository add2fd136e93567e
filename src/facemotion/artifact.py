"""The on-disk model format: a directory with ``config.json``, ``model.keras`` and ``README.md``.

The same directory is shipped in the wheel (the default model), written by
`save_pretrained`, and stored in a Hugging Face Hub repository. Weights are a
Keras 3 ``.keras`` file loaded with ``safe_mode=True`` (no pickles, no Lambda layers).
Reading the config (`load_config`) needs no Keras: the default inference path runs
the LiteRT export and never imports TensorFlow.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from facemotion import __version__
from facemotion.errors import ModelLoadError
from facemotion.labels import EMOTION_OUTPUT, EMOTIONS, VA_OUTPUT
from facemotion.preprocessing import Preprocessing

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "tasks": list(self.tasks),
            "labels": list(self.labels),
            "preprocessing": self.preprocessing.to_dict(),
            "recipe": self.recipe,
            "weights": WEIGHTS_FILE,
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
        if data.get("format") != FORMAT:
            raise ModelLoadError(f'{source}: not a facemotion model config (expected "format": "{FORMAT}")')
        if int(data.get("format_version", 0)) > FORMAT_VERSION:
            raise ModelLoadError(
                f"{source}: format_version {data['format_version']} is newer than this facemotion "
                f"understands ({FORMAT_VERSION}); upgrade facemotion"
            )
        try:
            tasks = tuple(data["tasks"])
            labels = tuple(data.get("labels", EMOTIONS))
            prep = Preprocessing.from_dict(data["preprocessing"])
        except (KeyError, TypeError, ValueError) as err:
            raise ModelLoadError(f"{source}: missing or invalid field: {err}") from None
        if not tasks or set(tasks) - {EMOTION_OUTPUT, VA_OUTPUT}:
            raise ModelLoadError(
                f"{source}: tasks must be a subset of [{EMOTION_OUTPUT!r}, {VA_OUTPUT!r}], got {list(tasks)}"
            )
        if EMOTION_OUTPUT in tasks and labels != EMOTIONS:
            raise ModelLoadError(f"{source}: labels must be {list(EMOTIONS)} in this order, got {list(labels)}")
        card = ModelCard(
            description=str(data.get("description", ModelCard.description)),
            training_data=str(data.get("training_data", "unknown")),
            training_command=str(data.get("training_command", "")),
            metrics=dict(data.get("metrics", {})),
            license=str(data.get("license", "unknown")),
        )
        runtimes = data.get("runtimes", {})
        if not isinstance(runtimes, dict):
            raise ModelLoadError(f"{source}: runtimes must be an object")
        mirror = data.get("mirror", False)
        if not isinstance(mirror, bool):
            raise ModelLoadError(f"{source}: mirror must be true or false")
        temperature = data.get("temperature", 1.0)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0.01 <= temperature <= 100:
            raise ModelLoadError(f"{source}: temperature must be a number between 0.01 and 100, got {temperature!r}")
        return cls(
            tasks,
            labels,
            prep,
            str(data.get("recipe", "unknown")),
            str(data.get("version", "")),
            card,
            runtimes,
            mirror,
            float(temperature),
        )


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
    config = ModelConfig(tasks, EMOTIONS, preprocessing, recipe, __version__, card or ModelCard())
    if getattr(model, "optimizer", None) is not None:  # ship weights only, not the training state
        model = _without_optimizer(model)
    model.save(out / WEIGHTS_FILE)
    (out / CONFIG_FILE).write_text(json.dumps(config.to_dict(), indent=2) + "\n")
    (out / CARD_FILE).write_text(render_card(config))
    return out


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

    >>> artifact_file("model", "../../etc/passwd")
    Traceback (most recent call last):
    ...
    facemotion.errors.ModelLoadError: model/config.json names '../../etc/passwd', which is outside the model directory
    """
    root = Path(directory)
    candidate = Path(name)
    resolved = (root / candidate).resolve()
    if candidate.is_absolute() or not resolved.is_relative_to(root.resolve()):
        raise ModelLoadError(f"{root / CONFIG_FILE} names {name!r}, which is outside the model directory")
    return root / candidate


def load_config(directory: str | Path) -> ModelConfig:
    """Read and check a model directory's ``config.json`` (no Keras needed)."""
    root = Path(directory)
    config_path = root / CONFIG_FILE
    if not root.is_dir():
        raise ModelLoadError(f"{root} is not a model directory")
    if not config_path.is_file():
        raise ModelLoadError(f"{config_path} is missing; a model directory needs {CONFIG_FILE} and {WEIGHTS_FILE}")
    try:
        data = json.loads(config_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelLoadError(f"{config_path} is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{config_path} must hold a JSON object")
    return ModelConfig.from_dict(data, str(config_path))


def load_keras_model(directory: str | Path, config: ModelConfig) -> keras.Model:
    """Load the Keras weights of a model directory safely and check them against its config."""
    import keras

    weights_path = Path(directory) / WEIGHTS_FILE
    if not weights_path.is_file():
        raise ModelLoadError(f"{weights_path} is missing")
    try:
        model = keras.saving.load_model(weights_path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for bad files
        raise ModelLoadError(f"{weights_path} could not be loaded safely: {type(err).__name__}: {err}") from None
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
