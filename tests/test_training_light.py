"""What needs numpy only stays so: evaluation and data loading run without Keras or TensorFlow,
and ``facemotion train`` without them says in one line which extra to install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DATA, need

HIDE = """
import sys

class Hide:  # a core install: no Keras, no TensorFlow
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("keras", "tensorflow", "jax"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Hide())
"""


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "0"}
    return subprocess.run(
        [sys.executable, "-c", HIDE + code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_evaluate_and_loading_need_no_keras(tmp_path: Path) -> None:
    val = need(DATA / "ferplus" / "val")
    for label in ("happy", "sad"):
        (tmp_path / "d" / label).mkdir(parents=True)
        for f in sorted((val / label).iterdir())[:5]:
            shutil.copy(f, tmp_path / "d" / label)
    code = """
from facemotion.cli import main
from facemotion.training import FaceDataset, load_image_folder, evaluate
from facemotion.training.evaluate import classification_report
assert main(["evaluate", "d", "--crops"]) == 0
assert len(load_image_folder("d", __import__("facemotion.preprocessing").preprocessing.Preprocessing())) == 10
assert not any(m.split(".")[0] in ("keras", "tensorflow") for m in sys.modules)
"""
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "n=10  accuracy=" in proc.stdout
    assert "absl" not in proc.stderr and "oneDNN" not in proc.stderr  # TensorFlow never started


def test_train_without_the_extra_says_which_to_install(tmp_path: Path) -> None:
    proc = _run("from facemotion.cli import main; sys.exit(main(['train', 'd', '--out', 'm']))", tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "facemotion: error: this needs keras, which facemotion's core install does not include: "
        'pip install "facemotion[train]"'
    ]


def test_training_names_that_need_keras_name_the_extra(tmp_path: Path) -> None:
    code = """
from facemotion.errors import MissingExtraError
try:
    from facemotion.training import finetune_pretrained
except MissingExtraError as err:
    print(err)
"""
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == (
        "facemotion.training.finetune_pretrained needs keras, which facemotion's core install does not include: "
        'pip install "facemotion[train]"'
    )
