"""Every Python block of the README and the docs runs on its own (in a folder with the files it names).

A block preceded by ``<!-- no-test: reason -->`` is skipped (with that reason): it needs a
network or an account.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, GROUP_PHOTOS, VIDEO

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)```", re.S)


def _blocks() -> list[tuple[str, str, str | None]]:
    out = []
    for page in PAGES:
        for i, m in enumerate(BLOCK.finditer(page.read_text())):
            skip = re.match(r"<!-- no-test: (.*) -->", m["before"].strip())
            out.append((f"{page.relative_to(ROOT)}#{i + 1}", m["code"], skip.group(1) if skip else None))
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the examples name: photos, a video, two groups, small folder-per-emotion sets."""
    if not (GROUP_PHOTOS.is_dir() and VIDEO.is_file() and (DATA / "ferplus").is_dir()):
        pytest.skip("the docs examples read the shared photos, video and FER+ faces (../shared)")
    work = tmp_path_factory.mktemp("docs")
    photos = sorted(GROUP_PHOTOS.glob("voc_*.jpg"))
    shutil.copy(photos[0], work / "photo.jpg")
    shutil.copy(photos[0], work / "team.jpg")
    shutil.copy(VIDEO, work / "viewers.mp4")
    for group, picks in (("entering", photos[1:4]), ("leaving", photos[4:7])):
        (work / group).mkdir()
        for p in picks:
            shutil.copy(p, work / group / p.name)
    for name, split, offset in (("my_faces", "train", 0), ("my_faces_val", "val", 0), ("my_faces_test", "val", 6)):
        for label in ("anger", "happy", "neutral", "sad", "surprise"):
            (work / name / label).mkdir(parents=True)
            for f in sorted((DATA / "ferplus" / split / label).glob("*.png"))[offset : offset + 6]:
                shutil.copy(f, work / name / label / f.name)
    faces = sorted((DATA / "ferplus" / "val" / "happy").glob("*.png"))
    shutil.copy(faces[0], work / "face1.png")
    shutil.copy(faces[1], work / "face2.png")
    return work


@pytest.mark.parametrize(("where", "code", "skip"), _blocks(), ids=[b[0] for b in _blocks()])
def test_docs_block_runs(where: str, code: str, skip: str | None, workdir: Path) -> None:
    if skip:
        pytest.skip(skip)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{where} failed:\n{code}\n{done.stderr[-3000:]}"
