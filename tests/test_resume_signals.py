"""Ctrl-C and SIGTERM keep finished work: `batch` (local and Ray) and `analyze --out`, then a re-run resumes.

Each test starts the real command in a subprocess, waits until some inputs are on disk,
signals it, and checks the exit status, the files left, and that a re-run adds exactly the rest.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

N = 60


@pytest.fixture(scope="module")
def photos(astronaut: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    for i in range(N):
        Image.fromarray(np.roll(astronaut, 7 * i, axis=1)).save(folder / f"p{i:02d}.jpg")
    return folder


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.is_file() else 0


def _interrupt(args: list[str], progress: Path, signum: int, expected: int) -> str:
    """Run ``facemotion ARGS``, signal it once ``progress`` has two lines; its stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "facemotion.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A test run started in the background (`pytest &`) has SIGINT ignored, and its children
        # inherit that, as a command run with `nohup ... &` should: the child gets the terminal's default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 240
        while _lines(progress) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the command ended before it could be interrupted"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == expected, err
    assert "Traceback" not in err and "Aborted" not in err and "Stack trace" not in err, err
    return err


@pytest.mark.parametrize(
    ("engine", "signum", "expected"), [("local", signal.SIGINT, 130), ("ray", signal.SIGTERM, 143)]
)
def test_batch_interrupted_keeps_finished_inputs_and_resumes(
    photos: Path, tmp_path: Path, engine: str, signum: int, expected: int
) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="facemotion batch writes Parquet: pip install 'facemotion[ray]'")
    if engine == "ray":
        pytest.importorskip("ray", reason="the Ray engine needs the extra: pip install 'facemotion[ray]'")
    out = tmp_path / "out"
    args = ["batch", str(photos), "--out", str(out), "--engine", engine, "--workers", "1"]
    err = _interrupt(args, out / "progress.jsonl", signum, expected)
    assert f"finished so far are in {out}" in err
    inputs = pq.read_table(out / "inputs.parquet").to_pylist()
    assert 2 <= len(inputs) < N and all(r["error"] is None for r in inputs)
    faces = pq.read_table(out / "faces.parquet").to_pylist()
    assert len(faces) == sum(int(r["faces"]) for r in inputs)  # the parts hold exactly the finished inputs
    rerun = subprocess.run(
        [sys.executable, "-m", "facemotion.cli", "batch", str(photos), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{N - len(inputs)} analysed, {len(inputs)} already done" in rerun.stdout
    inputs = pq.read_table(out / "inputs.parquet").to_pylist()
    assert len(inputs) == N and pq.read_table(out / "faces.parquet").num_rows == sum(int(r["faces"]) for r in inputs)


def test_analyze_out_terminated_keeps_every_finished_record(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    err = _interrupt(["analyze", str(photos), "--out", str(out)], out, signal.SIGTERM, 143)
    assert f"finished in this run are in {out}" in err
    done = [json.loads(line) for line in out.read_text().splitlines()]  # every line whole
    assert 2 <= len(done) < N
    rerun = subprocess.run(
        [sys.executable, "-m", "facemotion.cli", "analyze", str(photos), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == len({r["path"] for r in records}) == N
