"""Shared fixtures. Tests never touch the network."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import json
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MEDIA = SHARED / "media"
DATA = SHARED / "data"
GROUP_PHOTOS = MEDIA / "group_photos"
VIDEO = MEDIA / "video" / "short_hamilton_clip.mp4"


def need(path: Path) -> Path:
    """Skip the test, saying why, when a piece of the shared data is absent."""
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (it lives beside the repository in ../shared)")
    return path


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """scikit-image's astronaut: a real RGB photo with one smiling face."""
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny, untrained compact model saved as a real artifact (fast to load and run)."""
    keras = pytest.importorskip("keras", reason="the tiny test model is built with Keras: pip install -e '.[train]'")

    from facemotion.artifact import save_pretrained
    from facemotion.training import build_model, recipe_preprocessing

    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("models") / "tiny"
    return save_pretrained(build_model("compact", width=4), path, recipe_preprocessing("compact"))


@pytest.fixture(scope="session")
def tiny_classifier(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    from facemotion import EmotionClassifier

    return EmotionClassifier(tiny_model_dir)


@pytest.fixture(scope="session")
def face_boxes() -> dict[str, list[dict[str, int]]]:
    return json.loads(need(GROUP_PHOTOS / "voc_face_boxes.json").read_text())


def random_faces(n: int, seed: int = 0, classes: int = 9):  # type: ignore[no-untyped-def]
    """``n`` random 48×48 grey "faces" (a `FaceDataset`) with one-hot labels among the first ``classes``
    emotions and zero valence–arousal."""
    from facemotion.training.datasets import FaceDataset

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    return FaceDataset(
        rng.integers(0, 256, (n, 48, 48, 1), dtype=np.uint8),
        labels,
        np.eye(9, dtype=np.float32)[labels],
        np.zeros((n, 2), np.float32),
        [f"{i}.png" for i in range(n)],
    )


def benchmark(name: str):  # type: ignore[no-untyped-def]
    """The module ``benchmarks/<name>.py``, whose data generators the tests share (one way to make them)."""
    import importlib.util
    import sys

    folder = Path(__file__).resolve().parents[1] / "benchmarks"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # the benchmarks import each other by name
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", folder / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
