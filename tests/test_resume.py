"""The output contract of `analyze --out` and `batch`: resume by resolved input and settings, crash-safe files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from facemotion.cli import main
from facemotion.scale.contract import RecordLog, SettingsMismatch, resume, source_key

RECORDS = st.lists(
    st.fixed_dictionaries({"path": st.text(min_size=1, max_size=20), "error": st.none() | st.text(max_size=10)}),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(records=RECORDS, cut=st.floats(0, 1))
def test_a_torn_jsonl_keeps_every_whole_record_and_is_repaired(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, object]], cut: float
) -> None:
    log = RecordLog(tmp_path_factory.mktemp("log") / "r.jsonl")
    log.append(records)
    data = log.path.read_bytes()
    at = int(cut * len(data))
    log.path.write_bytes(data[:at])  # a crash at any byte
    whole = data[:at].count(b"\n")
    assert log.load() == records[:whole]
    assert log.path.read_bytes() == data[: data[:at].rfind(b"\n") + 1]  # the torn line is cut off the file
    log.append([{"path": "next", "error": None}])
    lines = log.path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [*records[:whole], {"path": "next", "error": None}]


def test_resume_keeps_one_record_per_input_and_retries_failures(tmp_path: Path) -> None:
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(b"x")
    keys = [source_key(tmp_path / "a.jpg"), source_key(tmp_path / "b.jpg")]
    log = RecordLog(tmp_path / "r.jsonl")
    config = {"model": "m@1", "fps": 5.0}
    for _ in range(3):  # b fails every time: recorded once, retried each run
        _, done = resume(log, keys, config)
        todo = [k for k in keys if k["path"] not in done]
        log.append([k | {"settings": config, "error": None if "a.jpg" in k["path"] else "broken"} for k in todo])
    records = log.load()
    assert [Path(r["path"]).name for r in records] == ["a.jpg", "b.jpg"] and records[1]["error"] == "broken"
    os.utime(tmp_path / "a.jpg", ns=(1, 1))  # an edited file is analysed again
    _, done = resume(log, [source_key(tmp_path / "a.jpg")], config)
    assert done == set() and [Path(r["path"]).name for r in log.load()] == ["b.jpg"]
    with pytest.raises(SettingsMismatch, match=r"fps 5\.0 there, 2\.0 now.*--overwrite"):
        resume(log, keys, config | {"fps": 2.0})
    assert resume(log, keys, config | {"fps": 2.0}, overwrite=True) == ([], set())


@pytest.fixture
def photos(astronaut: np.ndarray, tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.roll(astronaut, 30 * i, axis=1)).save(folder / f"p{i}.png")
    (folder / "bad.png").write_bytes(b"not a png")
    return folder


def _quiet(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


def test_analyze_out_across_spellings_and_settings(
    capsys: pytest.CaptureFixture[str], photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(photos.parent)
    out = tmp_path / "r.jsonl"
    assert _quiet(capsys, "analyze", "photos", "photos/p0.png", "--out", str(out))[0] == 1  # bad.png fails
    assert _quiet(capsys, "analyze", str(photos.resolve()), "--out", str(out))[0] == 1
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(Path(r["path"]).name for r in records) == ["bad.png", "p0.png", "p1.png", "p2.png"]
    assert all(Path(r["path"]).is_absolute() and r["size"] > 0 for r in records)
    code, err = _quiet(capsys, "analyze", "photos", "--out", str(out), "--mirror")
    assert code == 2 and "mirror False there, True now" in err and "--overwrite" in err
    code, _ = _quiet(capsys, "analyze", "photos", "--out", str(out), "--mirror", "--overwrite")
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 4 and all(r["settings"]["mirror"] is True for r in records)


def _tables(out: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    import pyarrow.parquet as pq

    return pq.read_table(out / "faces.parquet").to_pylist(), pq.read_table(out / "inputs.parquet").to_pylist()


def test_batch_resume_repairs_and_refuses(
    capsys: pytest.CaptureFixture[str], photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pyarrow", reason="facemotion batch writes Parquet: pip install 'facemotion[ray]'")
    from facemotion.scale import input_id, run_batch

    monkeypatch.chdir(photos.parent)
    out = tmp_path / "out"
    first = run_batch(["photos", "photos/p1.png"], out)
    assert (first["analysed"], first["failed"], first["duplicates"]) == (3, 1, 1)
    faces, inputs = _tables(out)
    again = run_batch([str(photos.resolve())], out)  # $PWD/DIR after DIR: nothing new
    assert (again["skipped"], again["analysed"], again["failed"]) == (3, 0, 1)
    assert _tables(out)[0] == faces and len(_tables(out)[1]) == len(inputs) == 4
    bad = next(r for r in inputs if str(r["path"]).endswith("bad.png"))
    assert bad["error"] and bad["model"] and json.loads(str(bad["settings"]))["fps"] == 5.0

    part = out / "faces.parquet" / f"input={input_id(str(photos / 'p1.png'))}" / "part-0.parquet"
    part.write_bytes(b"")  # a 0-byte part: detected and redone
    (out / "inputs.parquet").write_bytes((out / "inputs.parquet").read_bytes()[:100])  # a cut inputs.parquet
    redo = run_batch(["photos"], out)
    assert (redo["analysed"], redo["skipped"]) == (1, 2)
    assert len(_tables(out)[0]) == len(faces) and len(_tables(out)[1]) == 4

    with pytest.raises(SettingsMismatch, match=r"fps 5\.0 there, 2\.0 now"):
        run_batch(["photos"], out, sample_fps=2.0)
    code, err = _quiet(capsys, "batch", "photos", "--out", str(out), "--mirror")
    assert code == 2 and "mirror False there, True now" in err and len(err.strip().splitlines()) == 1
    code, _ = _quiet(capsys, "batch", "photos", "--out", str(out), "--mirror", "--overwrite")
    inputs = _tables(out)[1]
    assert code == 1 and len(inputs) == 4 and all(json.loads(str(r["settings"]))["mirror"] for r in inputs)
