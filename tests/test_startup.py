"""Start-up cost: the default inference path never loads TensorFlow/Keras, and runs print nothing extra."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def _photo(tmp_path: Path, astronaut: np.ndarray) -> Path:
    from facemotion.draw import save_image

    return save_image(astronaut, tmp_path / "astronaut.png")


def test_default_prediction_never_imports_tensorflow_or_keras(tmp_path: Path, astronaut: np.ndarray) -> None:
    code = (
        "import sys\n"
        "from facemotion import EmotionClassifier\n"
        "faces = EmotionClassifier().predict(sys.argv[1])\n"
        "assert len(faces) == 1, faces\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'tf_keras') if m in sys.modules)\n"
        "print(heavy)\n"
    )
    done = _python(code, str(_photo(tmp_path, astronaut)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_cli_parser_loads_neither_numpy_nor_opencv() -> None:
    code = (
        "import sys\n"
        "from facemotion.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('numpy', 'cv2', 'tensorflow', 'keras') if m in sys.modules))\n"
    )
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_import_facemotion_loads_nothing_heavy() -> None:
    """`import facemotion` (and its lazy names' table) loads no numpy, OpenCV, LiteRT, TensorFlow or pandas."""
    code = (
        "import sys\n"
        "import facemotion\n"
        "heavy = ('numpy', 'cv2', 'ai_edge_litert', 'tensorflow', 'keras', 'pandas', 'matplotlib', 'scipy')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_cli_run_writes_no_library_chatter_to_stderr(tmp_path: Path, astronaut: np.ndarray) -> None:
    """No TensorFlow, absl or LiteRT log lines in a normal run (the progress bar is off without a terminal).

    facemotion's own one-line summary of what was analysed may be there; nothing else.
    """
    photo = _photo(tmp_path, astronaut)
    done = subprocess.run(
        [sys.executable, "-m", "facemotion.cli", "analyze", str(photo)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "happy" in done.stdout or "neutral" in done.stdout
    assert len(done.stderr.splitlines()) <= 1, done.stderr
    assert not re.search(r"tensorflow|absl|lite|xnnpack|onednn|delegate|warning|info", done.stderr, re.I), done.stderr


@pytest.mark.parametrize("runtime", ["keras"])
def test_keras_runtime_still_available_on_request(runtime: str, astronaut: np.ndarray) -> None:
    pytest.importorskip("tensorflow", reason="the Keras runtime needs the train extra (tests/test_core_install.py)")
    from facemotion import EmotionClassifier

    keras_faces = EmotionClassifier(runtime=runtime, mirror=False).predict(astronaut)
    lite_faces = EmotionClassifier(mirror=False).predict(astronaut)
    assert keras_faces[0].box == lite_faces[0].box
    a = np.array(list(keras_faces[0].probabilities.values()))
    b = np.array(list(lite_faces[0].probabilities.values()))
    assert np.abs(a - b).max() < 0.15  # the int8 export's recorded tolerance
