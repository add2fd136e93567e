"""Every example script runs on small real inputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, GROUP_PHOTOS, VIDEO, need

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(*args: str, cwd: Path, code: int = 0) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == code, proc.stderr[-3000:]
    return proc.stdout if code == 0 else proc.stderr


def test_group_photo(tmp_path: Path) -> None:
    photo = need(GROUP_PHOTOS / "voc_2007_007763.jpg")
    out = _run(str(EXAMPLES / "group_photo.py"), str(photo), "--out", "g.png", cwd=tmp_path)
    assert "7 faces" in out and (tmp_path / "g.png").stat().st_size > 10_000


def test_ad_reaction(tmp_path: Path) -> None:
    out = _run(str(EXAMPLES / "ad_reaction.py"), str(need(VIDEO)), "--out", "r", "--fps", "2", cwd=tmp_path)
    assert "people" in out and (tmp_path / "r" / "timeline.png").is_file()


def test_entering_vs_leaving(tmp_path: Path) -> None:
    photos = sorted(need(GROUP_PHOTOS).glob("voc_*.jpg"))
    for i, p in enumerate(photos):
        folder = tmp_path / ("in" if i % 2 else "out")
        folder.mkdir(exist_ok=True)
        shutil.copy(p, folder)
    out = _run(str(EXAMPLES / "entering_vs_leaving.py"), "in", "out", cwd=tmp_path)
    assert "valence" in out and "CI" in out


def test_finetune_folder(tmp_path: Path) -> None:
    val = need(DATA / "ferplus" / "val")
    for label in ("happy", "sad"):
        (tmp_path / "d" / label).mkdir(parents=True)
        for f in sorted((val / label).iterdir())[:16]:
            shutil.copy(f, tmp_path / "d" / label)
        (tmp_path / "t" / label).mkdir(parents=True)
        for f in sorted((val / label).iterdir())[16:24]:
            shutil.copy(f, tmp_path / "t" / label)
    out = _run(str(EXAMPLES / "finetune_folder.py"), "d", "--out", "m", cwd=tmp_path)
    assert "hold-out faces: 6 (20 % of each class" in out and "hold-out accuracy" in out
    assert "no --test folder" in out and "accuracy=" not in out  # never scored on its own training faces
    assert (tmp_path / "m" / "config.json").is_file()
    assert (tmp_path / "m" / "model_float32.tflite").is_file()  # fine-tuned models run without TensorFlow too
    out = _run(str(EXAMPLES / "finetune_folder.py"), "d", "--out", "m2", "--test", "t", cwd=tmp_path)
    assert "on t:\nn=16  accuracy=" in out


def test_load_from_hub(tmp_path: Path, tiny_model_dir: Path) -> None:
    from test_artifact import _fill_hub_cache

    _fill_hub_cache(tmp_path / "cache", "facemotion/tiny", tiny_model_dir, "v1.0")
    photo = need(GROUP_PHOTOS / "whitehouse_two_people.jpg")
    out = _run(
        str(EXAMPLES / "load_from_hub.py"),
        "facemotion/tiny",
        str(photo),
        "--revision",
        "v1.0",
        "--cache-dir",
        "cache",
        cwd=tmp_path,
    )
    assert "loaded facemotion/tiny" in out and out.count("valence") == 2
    err = _run(str(EXAMPLES / "load_from_hub.py"), "facemotion/not-cached", str(photo), cwd=tmp_path, code=1)
    assert len(err.strip().splitlines()) == 1 and err.startswith("load_from_hub: ") and "Traceback" not in err


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_has_a_test(script: str) -> None:
    assert f'"{script}"' in Path(__file__).read_text()
