"""Input expansion: every input accounted for, special files never opened, linked folders followed once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facemotion.inputs import expand_inputs

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")


@needs_fifo
def test_special_files_and_empty_folders_are_skipped_items(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"x")
    os.mkfifo(tmp_path / "x.jpg")
    (tmp_path / "d.jpg").mkdir()
    found = expand_inputs([tmp_path / "a.jpg", tmp_path / "x.jpg", tmp_path / "d.jpg", "/dev/null", tmp_path])
    assert found.files == [tmp_path / "a.jpg"]
    reasons = {s.path.name: s.reason for s in found.skipped}
    assert "a FIFO" in reasons["x.jpg"] and "empty folder" in reasons["d.jpg"] and "a device" in reasons["null"]
    assert len(found.skipped) == 3  # the FIFO met again inside the folder is not reported twice
    assert found.duplicates == 2  # a.jpg and x.jpg, met again inside the folder


def test_linked_folders_are_followed_once_and_spellings_deduplicated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.png").write_bytes(b"x")
    (real / "sub" / "loop").symlink_to(real)  # a folder loop
    (tmp_path / "link").symlink_to(real)
    found = expand_inputs([tmp_path / "link"])
    assert [p.name for p in found.files] == ["a.png"]
    assert any("folder loop" in s.reason for s in found.skipped)
    monkeypatch.chdir(tmp_path)
    twice = expand_inputs(["real/sub/a.png", str(real / "sub" / "a.png"), "real"])
    assert twice.files == [Path("real/sub/a.png")] and twice.duplicates >= 2


@needs_fifo
@pytest.mark.parametrize("command", ["analyze", "batch"])
def test_a_fifo_named_like_a_photo_never_hangs(command: str, astronaut: np.ndarray, tmp_path: Path) -> None:
    if command == "batch":
        pytest.importorskip("pyarrow", reason="facemotion batch writes Parquet: pip install 'facemotion[ray]'")
    Image.fromarray(astronaut).save(tmp_path / "good.png")
    os.mkfifo(tmp_path / "x.jpg")
    (tmp_path / "d.jpg").mkdir()
    args = [str(tmp_path / "good.png"), str(tmp_path / "x.jpg"), str(tmp_path / "d.jpg")]
    extra = ["--json"] if command == "analyze" else ["--out", str(tmp_path / "out")]
    run = subprocess.run(
        [sys.executable, "-m", "facemotion.cli", command, *args, *extra], capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    if command == "analyze":
        records = {Path(r["path"]).name: r for r in json.loads(run.stdout)}
        assert len(records["good.png"]["faces"]) == 1 and "FIFO" in records["x.jpg"]["error"]
        assert "empty folder" in records["d.jpg"]["error"]
    else:
        import pyarrow.parquet as pq

        inputs = {Path(str(r["path"])).name: r for r in pq.read_table(tmp_path / "out" / "inputs.parquet").to_pylist()}
        assert inputs["good.png"]["faces"] == 1 and "FIFO" in str(inputs["x.jpg"]["error"])
        assert inputs["d.jpg"]["kind"] == "folder" and "empty folder" in str(inputs["d.jpg"]["error"])
        assert "1 analysed" in run.stdout and "2 failed or skipped" in run.stdout
