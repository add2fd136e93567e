import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facemotion.cli import main

from conftest import DATA, GROUP_PHOTOS, need


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_json_keeps_good_results_and_reports_bad_ones(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(astronaut).save(folder / "a.jpg")
    (folder / "broken.jpg").write_bytes(b"not really a jpeg")
    (folder / "notes.txt").write_text("ignored: not an image suffix")
    code, out, err = _run(
        capsys, "analyze", str(folder), str(tmp_path / "missing.png"), "--json", "--model", str(tiny_model_dir)
    )
    records = json.loads(out)
    assert code == 1 and "Traceback" not in err
    assert [Path(r["path"]).name for r in records] == ["a.jpg", "broken.jpg", "missing.png"]
    good, broken, missing = records
    assert good["error"] is None and len(good["faces"]) == 1
    face = good["faces"][0]
    assert set(face) >= {"box", "score", "label", "detection_score", "probabilities", "valence", "arousal"}
    assert len(face["box"]) == 4 and len(face["probabilities"]) == 9
    assert "corrupt" in broken["error"] or "not an image" in broken["error"]
    assert "no such file" in missing["error"]


def test_analyze_table_crops_and_annotate(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path
) -> None:
    path = tmp_path / "face.png"
    Image.fromarray(astronaut[50:250, 120:320]).save(path)
    code, out, _ = _run(capsys, "analyze", str(path), "--crops", "--model", str(tiny_model_dir))
    assert code == 0 and "(crop)" in out
    whole = tmp_path / "whole.png"
    Image.fromarray(astronaut).save(whole)
    code, out, err = _run(
        capsys, "analyze", str(whole), "--annotate", str(tmp_path / "ann"), "--model", str(tiny_model_dir)
    )
    drawn = np.asarray(Image.open(tmp_path / "ann" / "whole_annotated.png"))
    assert code == 0 and drawn.shape == astronaut.shape and not np.array_equal(drawn, astronaut)
    assert f"1 annotated picture(s) written to {tmp_path / 'ann'}/" in err  # the user is told where


def test_analyze_reads_large_photos_reduced_with_boxes_in_their_pixels(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tiny_model_dir: Path,
    astronaut: np.ndarray,
    tmp_path: Path,
) -> None:
    """A photo over MAX_DECODED_PIXELS is never decoded at full size; boxes and drawing still fit it."""
    import facemotion.draw
    import facemotion.io

    path = tmp_path / "big.jpg"
    Image.fromarray(astronaut).save(path, quality=95)
    args = ["analyze", str(path), "--json", "--annotate", str(tmp_path / "ann"), "--model", str(tiny_model_dir)]
    code, out, _ = _run(capsys, *args)
    full_box = json.loads(out)[0]["faces"][0]["box"]
    assert code == 0

    def no_full_decode(*_: object, **__: object) -> None:
        raise AssertionError("read_image decoded the whole photo")

    monkeypatch.setattr(facemotion.io, "read_image", no_full_decode)
    monkeypatch.setattr(facemotion.io, "MAX_DECODED_PIXELS", 512 * 512 // 4)  # astronaut counts as large
    monkeypatch.setattr(facemotion.draw, "MIN_DRAWN_SIDE", 256)  # a real reduced photo is never a thumbnail
    code, out, _ = _run(capsys, *args[:4], str(tmp_path / "ann_reduced"), *args[5:])
    (record,) = json.loads(out)
    assert code == 0 and record["error"] is None and len(record["faces"]) == 1
    box = record["faces"][0]["box"]  # in the photo's own pixels, found at half size
    assert np.abs(np.subtract(box, full_box)).max() <= 8, (box, full_box)
    drawn = np.asarray(Image.open(tmp_path / "ann_reduced" / "big_annotated.png"))
    assert drawn.shape == (256, 256, 3)  # drawn as analysed
    x, y, w, _ = (round(v / 2) for v in box)
    reduced, _ = facemotion.io.read_image_reduced(path)
    assert not np.array_equal(drawn[y, x : x + w], reduced[y, x : x + w])  # the box's top edge is on the face
    assert np.array_equal(drawn[:40, -20:], reduced[:40, -20:])  # and nothing is drawn far from it


def test_annotate_keeps_every_photo_when_names_clash(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path
) -> None:
    """Two cameras' IMG_0001.jpg (and an IMG_0001.png) each get their own annotated picture."""
    photos = [tmp_path / "in" / "cam1" / "IMG_0001.jpg", tmp_path / "in" / "cam2" / "IMG_0001.jpg"]
    photos.append(tmp_path / "in" / "cam2" / "IMG_0001.png")
    for k, path in enumerate(photos):
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.roll(astronaut, 40 * k, axis=1)).save(path)
    code, _, _ = _run(
        capsys, "analyze", str(tmp_path / "in"), "--annotate", str(tmp_path / "ann"), "--model", str(tiny_model_dir)
    )
    drawn = sorted(p.name for p in (tmp_path / "ann").iterdir())
    assert code == 0
    assert drawn == [
        "cam1__IMG_0001_jpg_annotated.png",
        "cam2__IMG_0001_jpg_annotated.png",
        "cam2__IMG_0001_png_annotated.png",
    ]
    pictures = [np.asarray(Image.open(tmp_path / "ann" / name)) for name in drawn]
    assert not np.array_equal(pictures[0], pictures[1])


def test_analyze_out_resumes(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path
) -> None:
    for name in ("one.png", "two.png"):
        Image.fromarray(astronaut).save(tmp_path / name)
    out_file = tmp_path / "results.jsonl"
    args = ["analyze", str(tmp_path / "one.png"), "--json", "--out", str(out_file), "--model", str(tiny_model_dir)]
    assert _run(capsys, *args)[0] == 0
    with out_file.open("a") as handle:
        handle.write('{"path": "cut sho')  # what a crash during a write leaves
    code, out, _ = _run(capsys, *args[:2], str(tmp_path / "two.png"), *args[2:])
    assert code == 0
    assert [Path(r["path"]).name for r in json.loads(out)] == ["two.png"]  # one.png was already done
    lines = [json.loads(line) for line in out_file.read_text().splitlines()]  # the torn line is gone
    assert [Path(r["path"]).name for r in lines] == ["one.png", "two.png"]
    assert lines[0]["settings"] == lines[1]["settings"] and str(tiny_model_dir) in lines[0]["model"]


def test_wrong_model_is_a_clean_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "analyze", "x.jpg", "--model", str(tmp_path))
    assert code == 2 and "config.json is missing" in err and "Traceback" not in err


def test_evaluate_json_on_a_partial_tree(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, tmp_path: Path
) -> None:
    val = need(DATA / "ferplus" / "val")
    for label in ("happy", "sad"):
        (tmp_path / label).mkdir()
        for f in sorted((val / label).iterdir())[:5]:
            shutil.copy(f, tmp_path / label / f.name)
    code, out, _ = _run(capsys, "evaluate", str(tmp_path), "--crops", "--json", "--model", str(tiny_model_dir))
    report = json.loads(out)
    assert code == 0 and report["n"] == 10
    assert set(report["per_class"]) == {"happy", "sad"}
    assert len(report["confusion"]) == 9 and report["labels"][4] == "happy"
    assert 0 <= report["accuracy"] <= 1 and 0 <= report["macro_f1"] <= 1
    code, out, _ = _run(
        capsys, "evaluate", str(tmp_path), "--crops", "--json", "--mirror", "--model", str(tiny_model_dir)
    )
    assert code == 0 and json.loads(out)["n"] == 10


def test_group_photo_folder(capsys: pytest.CaptureFixture[str], tiny_model_dir: Path) -> None:
    photo = need(GROUP_PHOTOS / "voc_2007_007763.jpg")
    code, out, _ = _run(capsys, "analyze", str(photo), "--json", "--model", str(tiny_model_dir))
    assert code == 0 and len(json.loads(out)[0]["faces"]) == 7


def test_crops_folder_with_a_bad_file(capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (40 + i, 40), dtype=np.uint8)).save(tmp_path / f"face{i}.png")
    (tmp_path / "face2.png").write_bytes(b"\x89PNG broken")
    code, out, _ = _run(capsys, "analyze", str(tmp_path), "--crops", "--json", "--model", str(tiny_model_dir))
    records = json.loads(out)
    assert code == 1 and [Path(r["path"]).name for r in records] == [f"face{i}.png" for i in range(5)]
    assert [r["error"] is None for r in records] == [True, True, False, True, True]
    assert all(len(r["faces"]) == 1 and r["faces"][0]["box"] is None for r in records if r["error"] is None)


def test_empty_folder_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = _run(capsys, "analyze", str(tmp_path / "empty"))
    assert code == 2 and "no images found under" in err
    pytest.importorskip("pyarrow", reason="facemotion batch writes Parquet: pip install 'facemotion[batch]'")
    code, _, err = _run(capsys, "batch", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert code == 2 and "no images or videos found under" in err  # the same rule in both commands


def test_empty_folder_among_inputs_is_reported_not_fatal(
    capsys: pytest.CaptureFixture[str], astronaut: np.ndarray, tmp_path: Path
) -> None:
    Image.fromarray(astronaut).save(tmp_path / "a.png")
    (tmp_path / "d.jpg").mkdir()  # a folder named like a photo, empty
    code, out, err = _run(capsys, "analyze", str(tmp_path / "a.png"), str(tmp_path / "d.jpg"), "--json")
    records = {Path(r["path"]).name: r for r in json.loads(out)}
    assert code == 1 and len(records["a.png"]["faces"]) == 1
    assert "empty folder" in records["d.jpg"]["error"] and "1 analysed" in err and "1 failed or skipped" in err


@pytest.mark.parametrize(
    "args",
    [
        ["batch", "x", "--out", "o", "--workers", "0"],
        ["batch", "x", "--out", "o", "--fps", "nan"],
        ["batch", "x", "--out", "o", "--fps", "-5"],
        ["batch", "x", "--out", "o", "--chunk-seconds", "0"],
        ["batch", "x", "--out", "o", "--chunk-seconds", "inf"],
    ],
)
def test_numbers_are_checked_when_parsing(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2 and "expected a" in capsys.readouterr().err


def test_out_that_is_a_folder_or_unwritable_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "analyze", "x.jpg", "--out", str(tmp_path))
    assert code == 2 and "that is a folder" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "file").write_text("x")
    code, _, err = _run(capsys, "analyze", "x.jpg", "--out", str(tmp_path / "file" / "r.jsonl"))
    assert code == 2 and "cannot write there" in err and len(err.strip().splitlines()) == 1


def test_broken_pipe_ends_quietly(astronaut: np.ndarray, tmp_path: Path) -> None:
    """``facemotion analyze DIR | head -1``: no traceback when head stops reading."""
    import subprocess
    import sys

    for i in range(40):
        Image.fromarray(astronaut[:: 1 + i % 3, :: 1 + i % 3]).save(tmp_path / f"{i:02d}.png")
    run = subprocess.run(
        f"{sys.executable} -m facemotion.cli analyze {tmp_path} | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in run.stderr and "BrokenPipe" not in run.stderr, run.stderr


def test_annotate_into_an_existing_file_says_what_to_do(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file")
    code, _, err = _run(
        capsys, "analyze", str(need(GROUP_PHOTOS / "voc_2007_007763.jpg")), "--annotate", str(tmp_path / "taken")
    )
    assert code == 2 and "existing file; give a folder" in err


def test_annotate_with_crops_is_refused_not_ignored(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    photo = str(need(GROUP_PHOTOS / "voc_2007_007763.jpg"))
    code, _, err = _run(capsys, "analyze", photo, "--crops", "--annotate", str(tmp_path / "drawn"))
    assert code == 2 and "with --crops nothing is detected to draw" in err
    assert not (tmp_path / "drawn").exists()


def test_video_refuses_photos_and_names_missing_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "video", str(need(GROUP_PHOTOS / "voc_2007_007763.jpg")), "--out", str(tmp_path / "v"))
    assert code == 2 and "still image, not a video" in err
    code, _, err = _run(capsys, "video", str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "v"))
    assert code == 2 and "no such file" in err
    code, _, err = _run(capsys, "video", str(tmp_path / "nope.jpg"), "--out", str(tmp_path / "v"))
    assert code == 2 and "no such file" in err  # a missing photo is missing, not "a still image"


def test_table_shows_paths_relative_to_the_input_folder(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "analyze", str(need(GROUP_PHOTOS)))
    assert code == 0
    rows = [line.split()[0] for line in out.splitlines()[1:]]
    assert "voc_2007_007763.jpg" in rows and not any(r.startswith(("d/", "..")) for r in rows)


def test_evaluate_photos_reports_end_to_end_accuracy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Detect mode counts a photo without a face as wrong, next to the accuracy on found faces."""
    for label in ("happy", "neutral"):
        (tmp_path / label).mkdir()
        for f in sorted(need(DATA / "portraits" / label).iterdir())[:5]:
            shutil.copy(f, tmp_path / label / f.name)
    Image.fromarray(np.full((120, 160, 3), 90, np.uint8)).save(tmp_path / "happy" / "wall.png")  # no face at all
    code, out, _ = _run(capsys, "evaluate", str(tmp_path), "--json")
    report = json.loads(out)
    assert code == 0 and report["no_face"] == 1 and report["n"] == 10
    assert report["found_rate"] == pytest.approx(10 / 11)
    assert report["end_to_end_accuracy"] == pytest.approx(report["accuracy"] * 10 / 11)


def test_batch_command_local_engine(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("pyarrow", reason="facemotion batch writes Parquet: pip install 'facemotion[batch]'")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(need(GROUP_PHOTOS / "voc_2007_007763.jpg"), folder)
    (folder / "bad.png").write_bytes(b"nope")
    code, out, _ = _run(capsys, "batch", str(folder), "--out", str(tmp_path / "out"))
    assert code == 1 and "2 inputs: 1 analysed" in out and "7 faces" in out and "1 failed" in out
    assert (tmp_path / "out" / "faces.parquet").is_dir() and (tmp_path / "out" / "inputs.parquet").is_file()


def test_model_help_names_every_way_to_give_a_model(capsys: pytest.CaptureFixture[str]) -> None:
    from facemotion.hub import MODEL_NAMES

    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(name in text for name in MODEL_NAMES) and "./NAME" in text and "Hub id" in text
