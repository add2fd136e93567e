"""Running a loaded model: one LiteRT (or compiled Keras) call per batch of faces.

The LiteRT path imports neither TensorFlow nor Keras; they load only when the Keras
runtime is asked for or a model has no LiteRT export.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, get_args

import numpy as np
from numpy.typing import NDArray

from facemotion.artifact import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    artifact_file,
    file_sha256,
    load_config,
    load_keras_model,
    runtime_file,
)
from facemotion.cpu import default_threads
from facemotion.errors import FacemotionError, ModelLoadError, OptionError
from facemotion.extras import require
from facemotion.hub import DEFAULT_MODEL, MODEL_NAMES, is_hub_id, resolve_model
from facemotion.labels import EMOTION_OUTPUT, VA_OUTPUT, expected_affect
from facemotion.options import is_whole_number
from facemotion.preprocessing import to_model_input
from facemotion.runtime_lite import load_interpreter

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class ModelOutput:
    """Raw model results for N faces: probabilities (N, 9) and valence–arousal (N, 2)."""

    probabilities: NDArray[np.float32]
    affect: NDArray[np.float32]
    affect_from_head: bool


Runtime = Literal["auto", "keras", "tflite", "tflite-int8", "tflite-float32"]
#: ``config.json`` runtime entries: the int8 export (``"tflite"``, any quantization in older
#: models) and an optional float32 export.
EXPORTS = {"tflite-int8": "tflite", "tflite-float32": "tflite_float32"}


def choose_export(runtimes: dict[str, Any], runtime: Runtime) -> str | None:
    """The ``config.json`` runtime entry to run: asked for by name, or the faster one for this CPU.

    Without int8 dot-product instructions (AVX2-only x86, e.g. AMD Zen 3) XNNPACK's float32
    kernels beat its int8 ones, so ``"auto"``/``"tflite"`` take the float32 export there
    when the model has one.
    """
    from facemotion.cpu import has_int8_dot_product  # looked up at call time, so tests can stand in for the CPU

    if runtime in EXPORTS:
        return EXPORTS[runtime] if EXPORTS[runtime] in runtimes else None
    if runtime == "keras":
        return None
    if "tflite_float32" in runtimes and (not has_int8_dot_product() or "tflite" not in runtimes):
        return "tflite_float32"
    return "tflite" if "tflite" in runtimes else None


class TFLiteRunner:
    """Run a ``.tflite`` export in the LiteRT interpreter for batches of any size.

    The interpreter is resized to each new batch size (about 0.5 ms) rather than padding
    batches to fixed sizes: padding 7 faces to 16 cost 16 faces' compute (measured twice
    the time of the exact size on the group photos).
    """

    def __init__(self, model: bytes | Path, tasks: tuple[str, ...], threads: int | None = None) -> None:
        self._interpreter = load_interpreter(model, threads or default_threads())
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._outputs: dict[str, int] = {}
        for detail in self._interpreter.get_output_details():
            width = int(detail["shape"][-1])
            name = EMOTION_OUTPUT if width != 2 else VA_OUTPUT
            if name in tasks:
                self._outputs[name] = detail["index"]
        self._batch = 1
        self._lock = threading.Lock()

    def __call__(self, batch: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        with self._lock:
            if len(batch) != self._batch:
                self._interpreter.resize_tensor_input(self._input, batch.shape)
                self._interpreter.allocate_tensors()
                self._batch = len(batch)
            self._interpreter.set_tensor(self._input, np.ascontiguousarray(batch, np.float32))
            self._interpreter.invoke()
            return {k: np.array(self._interpreter.get_tensor(i)) for k, i in self._outputs.items()}


class ModelIdentity(TypedDict):
    """Which model made a result: what result records store (`FaceModel.identity`).

    ``name``: a bundled model's name (``"default"``), a Hub id, or a local folder's absolute
    path. ``revision``: the Hub commit the files came from (``None`` for bundled and local
    models). ``version``: the ``version`` in ``config.json``. ``runtime``: the runtime that
    runs (`FaceModel.runtime`). ``sha256``: 16 hex digits of a SHA-256 over ``config.json``
    and the weights file in use (the ``.tflite`` export, or ``model.keras``), so two folders
    with the same name but other files never look alike.
    """

    name: str
    revision: str | None
    version: str
    runtime: str
    sha256: str


#: The runtime names `FaceModel` accepts.
RUNTIMES: tuple[str, ...] = get_args(Runtime)


class FaceModel:
    """A facemotion model ready for inference.

    ``source``: a model name (``"default"``; see `facemotion.hub.resolve_model`), a model
    directory or a Hub id (pin ``revision``). With ``runtime="keras"`` (needs
    ``facemotion[train]``) the Keras model is wrapped in a ``tf.function`` with a
    batch-agnostic input signature, so it is traced once and every batch is a single
    compiled call. ``"tflite"`` uses the model's LiteRT export (checked against Keras when
    it was exported): the float32 one on CPUs without int8 dot-product instructions when
    the model has both (`choose_export`), else the int8 one; ``"tflite-int8"`` and
    ``"tflite-float32"`` ask for one; ``"auto"`` (default) is ``"tflite"`` when the model
    has an export, else Keras. ``runtime`` (the attribute) says which one runs.
    ``mirror=True`` also runs every face flipped left–right and averages
    the two predictions (test-time augmentation: about one point more accuracy for twice
    the model time); ``None`` takes the model's own setting (``"mirror"`` in its
    ``config.json``). ``threads``: the LiteRT interpreter's threads (default: every usable
    core, at most 8). Safe to share between threads.

    >>> model = FaceModel("default", runtime="tflite-float32")
    >>> model.runtime, model.identity["name"], len(model.identity["sha256"])
    ('tflite-float32', 'default', 16)
    >>> FaceModel(runtime="gpu")
    Traceback (most recent call last):
    ...
    facemotion.errors.FacemotionError: runtime='gpu' is not one of auto, keras, tflite, tflite-int8, tflite-float32
    """

    def __init__(
        self,
        source: str | Path | None = None,
        revision: str | None = None,
        *,
        cache_dir: str | Path | None = None,
        batch_size: int = 64,
        runtime: Runtime = "auto",
        mirror: bool | None = None,
        threads: int | None = None,
    ) -> None:
        _check_arguments(runtime, mirror, batch_size, threads)
        self.path = resolve_model(source, revision, cache_dir)
        self.config = load_config(self.path)
        self.source, self.revision = _describe_source(source, self.path)
        self.mirror = self.config.mirror if mirror is None else mirror
        self.batch_size = batch_size
        self._keras: keras.Model | None = None
        self._call: Any = None
        self._tflite: TFLiteRunner | None = None
        self._keras_lock = threading.Lock()
        key = choose_export(self.config.runtimes, runtime)
        if runtime not in ("auto", "keras") and key is None:
            raise ModelLoadError(
                f"{self.path} has no {runtime} export; make one with facemotion.training.export.export_tflite"
            )
        if key is not None:
            self.weights_file = runtime_file(self.path, self.config, key)
            self._tflite = TFLiteRunner(self.weights_file, self.config.tasks, threads)
            quantization = self.config.runtimes[key].get("quantization", "int8")
            self.runtime = f"tflite-{quantization}".replace("-none", "-float32")
        else:
            self.weights_file = artifact_file(self.path, WEIGHTS_FILE)
            self._compile()
            self.runtime = "keras"

        files = (artifact_file(self.path, CONFIG_FILE), self.weights_file)
        self._sha256 = hashlib.sha256(b"".join(bytes.fromhex(file_sha256(f)) for f in files)).hexdigest()[:16]

    @property
    def identity(self) -> ModelIdentity:
        """Which model this is, for result records (see `ModelIdentity`); a new dict each time."""
        return ModelIdentity(
            name=self.source,
            revision=self.revision,
            version=self.config.version,
            runtime=self.runtime,
            sha256=self._sha256,
        )

    @property
    def keras_model(self) -> keras.Model:
        """The Keras model (loaded on first use: it imports TensorFlow)."""
        with self._keras_lock:
            if self._keras is None:
                self._keras = load_keras_model(self.path, self.config)
            return self._keras

    def _compile(self) -> None:
        """Wrap the Keras model in a ``tf.function`` traced once for any batch size."""
        tf = require("tensorflow", "train")

        model = self.keras_model
        prep = self.config.preprocessing
        spec = tf.TensorSpec([None, prep.input_size, prep.input_size, prep.channels], tf.float32)
        self._call = tf.function(lambda x: model(x, training=False), input_signature=[spec], reduce_retracing=True)

    def _forward(self, batch: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        if self._tflite is not None:
            return self._tflite(batch)
        return {k: np.asarray(v) for k, v in self._call(batch).items()}

    @property
    def tasks(self) -> tuple[str, ...]:
        return self.config.tasks

    def run(self, faces: list[NDArray[Any]]) -> ModelOutput:
        """Predict for face crops (any size, grey or RGB uint8)."""
        n = len(faces)
        probs = np.zeros((n, len(self.config.labels)), np.float32)
        affect = np.zeros((n, 2), np.float32)
        for start in range(0, n, self.batch_size):
            batch = to_model_input(faces[start : start + self.batch_size], self.config.preprocessing)
            views = [batch, np.ascontiguousarray(batch[:, :, ::-1])] if self.mirror else [batch]
            stop = start + len(batch)
            for out in map(self._forward, views):
                if EMOTION_OUTPUT in out:
                    logits = out[EMOTION_OUTPUT].astype(np.float64) / self.config.temperature  # calibration
                    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
                    probs[start:stop] += exp / exp.sum(axis=1, keepdims=True) / len(views)
                if VA_OUTPUT in out:
                    affect[start:stop] += np.clip(out[VA_OUTPUT], -1.0, 1.0) / len(views)
        has_head = VA_OUTPUT in self.config.tasks
        if not has_head:
            affect = expected_affect(probs)
        return ModelOutput(probs, affect, has_head)


def _check_arguments(runtime: Any, mirror: Any, batch_size: Any, threads: Any) -> None:
    """Refuse constructor arguments that would otherwise be ignored or fail later."""
    if runtime not in RUNTIMES:
        raise FacemotionError(f"runtime={runtime!r} is not one of {', '.join(RUNTIMES)}")
    if mirror is not None and not isinstance(mirror, bool):
        raise FacemotionError(f"mirror={mirror!r} must be True, False or None (the model's own setting)")
    if not is_whole_number(batch_size, minimum=1):
        raise OptionError(f"batch_size={batch_size!r} must be a whole number of at least 1")
    if threads is not None and not is_whole_number(threads, minimum=1):
        raise OptionError(f"threads={threads!r} must be a whole number of at least 1, or None (every core)")


def _describe_source(source: str | Path | None, path: Path) -> tuple[str, str | None]:
    """The name and revision a model is known by: bundled name, Hub id and commit, or absolute path."""
    if source is None or (isinstance(source, str) and source in MODEL_NAMES):
        return source or DEFAULT_MODEL, None
    if isinstance(source, str) and not Path(source).expanduser().exists() and is_hub_id(source):
        return source, path.name  # the snapshot folder is named by its commit
    return str(path.resolve()), None
