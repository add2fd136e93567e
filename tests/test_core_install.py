"""Every inference command runs on the core install: no TensorFlow, Keras or mtcnn imported, nothing but LiteRT.

Each command runs in its own process, as a user runs it, on real faces (scikit-image's
astronaut as photos, crops and a short video). The process reports which heavy modules it
loaded; none may be. CI runs this file twice: with the dev install and in a venv holding only
`pip install .` (``FACEMOTION_CORE_INSTALL=1``), where it also checks that TensorFlow and Keras
are absent and that commands needing an extra say which one in a single line.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

HEAVY = ("tensorflow", "keras", "tf_keras", "mtcnn", "pandas")
CORE_ONLY = os.environ.get("FACEMOTION_CORE_INSTALL") == "1"

_RUN_CLI = f"""
import sys
from facemotion.cli import main
code = main(sys.argv[1:])
print("heavy modules:", sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)
sys.exit(code)
"""


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _facemotion(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-c", _RUN_CLI, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _ran_light(done: subprocess.CompletedProcess[str], allow: tuple[str, ...] = ()) -> None:
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("heavy modules:")]
    assert set(json.loads(line.split(":", 1)[1].replace("'", '"'))) <= set(allow), done.stderr[-3000:]


def _one_line_error(done: subprocess.CompletedProcess[str], extra: str) -> None:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert any(f'pip install "facemotion[{extra}]"' in line for line in lines), done.stderr[-3000:]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    """photo.png, two groups of photos, a folder-per-emotion tree of crops and a 3-second video."""
    root = tmp_path_factory.mktemp("core")
    bgr = cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(root / "photo.png"), bgr)
    for group, flip in (("entering", False), ("leaving", True)):
        (root / group).mkdir()
        for i in range(3):
            cv2.imwrite(str(root / group / f"{i}.png"), bgr[:, ::-1] if flip else np.roll(bgr, 8 * i, axis=1))
    face = bgr[30:230, 150:330]  # the astronaut's face, cropped
    for label, image in (("happy", face), ("neutral", face[:, ::-1])):
        (root / "faces" / label).mkdir(parents=True)
        cv2.imwrite(str(root / "faces" / label / "a.png"), image)
    writer = cv2.VideoWriter(str(root / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (512, 512))
    for i in range(30):
        writer.write(np.roll(bgr, 2 * i, axis=0))
    writer.release()
    return root


def test_analyze(media: Path) -> None:
    done = _facemotion("analyze", "photo.png", "--json", cwd=media)
    _ran_light(done)
    (result,) = json.loads(done.stdout)
    assert len(result["faces"]) == 1


def test_analyze_crops_and_annotate(media: Path) -> None:
    _ran_light(_facemotion("analyze", "faces", "--crops", cwd=media))
    _ran_light(_facemotion("analyze", "photo.png", "--annotate", "drawn", cwd=media))
    assert any((media / "drawn").iterdir())


def test_video(media: Path) -> None:
    _ran_light(_facemotion("video", "clip.avi", "--out", "video_out", cwd=media))
    assert (media / "video_out" / "report.html").is_file()
    assert (media / "video_out" / "timeline.png").is_file()


def test_compare(media: Path) -> None:
    done = _facemotion("compare", "entering", "leaving", "--json", cwd=media)
    _ran_light(done)
    assert json.loads(done.stdout)


def test_evaluate_a_litert_model(media: Path) -> None:
    done = _facemotion("evaluate", "faces", "--crops", "--json", cwd=media)
    _ran_light(done)
    assert json.loads(done.stdout)


def test_batch_locally(media: Path) -> None:
    done = _facemotion("batch", "entering", "--out", "batch_out", cwd=media)
    if not _installed("pyarrow"):
        _one_line_error(done, "batch")  # Parquet output needs pyarrow: the `batch` extra
        return
    _ran_light(done, allow=("pandas",))  # pyarrow loads pandas when it is installed
    assert (media / "batch_out" / "inputs.parquet").exists()


def test_every_inference_module_imports_without_heavy_modules() -> None:
    """All of facemotion but training and the network builders imports on the core install, loading nothing heavy."""
    code = (
        "import importlib, sys\n"
        "from pathlib import Path\n"
        "import facemotion\n"
        "root = Path(facemotion.__file__).parent\n"
        "for path in sorted(root.rglob('*.py')):\n"
        "    parts = ('facemotion', *path.relative_to(root).with_suffix('').parts)\n"
        "    if parts[1] not in ('training', 'models') and parts[-1] != '__main__':\n"
        "        importlib.import_module('.'.join(parts[:-1] if parts[-1] == '__init__' else parts))\n"
        f"print(sorted(m for m in {(*HEAVY, 'pyarrow', 'ray')!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


@pytest.mark.skipif(not CORE_ONLY, reason="checks the core-only venv that .ci/run builds (FACEMOTION_CORE_INSTALL=1)")
def test_core_install_has_no_tensorflow_or_keras() -> None:
    assert not [m for m in ("tensorflow", "keras", "tf_keras", "mtcnn") if _installed(m)]


@pytest.mark.skipif(_installed("keras"), reason="Keras is installed: training is available here")
def test_train_names_its_extra(media: Path) -> None:
    _one_line_error(_facemotion("train", "faces", "--out", "model", cwd=media), "train")


@pytest.mark.skipif(_installed("mtcnn"), reason="mtcnn is installed here")
def test_mtcnn_detector_names_its_extra(media: Path) -> None:
    _one_line_error(_facemotion("analyze", "photo.png", "--detector", "mtcnn", cwd=media), "mtcnn")


@pytest.mark.skipif(_installed("tensorflow"), reason="TensorFlow is installed: the Keras runtime is available here")
def test_keras_runtime_names_its_extra(astronaut: np.ndarray) -> None:
    from facemotion import EmotionClassifier
    from facemotion.errors import MissingExtraError

    with pytest.raises(MissingExtraError, match=r"facemotion\[train\]"):
        EmotionClassifier(runtime="keras").predict(astronaut)
