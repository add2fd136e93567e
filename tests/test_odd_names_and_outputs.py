"""File names that are not UTF-8, output files that are not ours, and decoders that fail in their own ways.

A red-team pass (2026-12-05) found each of these crashing (OpenCV segfaults on a Latin-1
file name), destroying a user's file (``--out notes.json``) or aborting a whole run.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from facemotion.cli import main
from facemotion.errors import FacemotionError, ImageReadError
from facemotion.io import IMAGE_SUFFIXES, opencv_path, read_image, readable

LATIN1 = os.fsdecode(b"caf\xe9")  # a Latin-1 name from an old share: not UTF-8, held by Python as a surrogate


def _photo(folder: Path, astronaut: np.ndarray, name: str = LATIN1 + ".jpg") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    Image.fromarray(astronaut).save(path, "JPEG")
    return path


def _video(path: Path, astronaut: np.ndarray, frames: int = 12) -> Path:
    plain = path.with_name("plain.avi")
    writer = cv2.VideoWriter(str(plain), cv2.VideoWriter_fourcc(*"MJPG"), 10, (256, 256))
    small = cv2.resize(astronaut, (256, 256))[:, :, ::-1]
    for i in range(frames):
        writer.write(np.ascontiguousarray(np.roll(small, 2 * i, axis=1)))
    writer.release()
    plain.rename(path)
    return path


def test_a_name_that_is_not_utf8_is_analysed_and_annotated(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path
) -> None:
    _photo(tmp_path / "in", astronaut)
    code = main(["analyze", str(tmp_path / "in"), "--annotate", str(tmp_path / "ann"), "--model", str(tiny_model_dir)])
    assert code == 0
    (drawn,) = (tmp_path / "ann").iterdir()
    assert drawn.name == LATIN1 + "_annotated.png" and Image.open(drawn).size == (512, 512)
    assert "1 annotated picture(s) written" in capsys.readouterr().err


def test_a_video_whose_name_is_not_utf8_is_read_and_reported(
    tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path
) -> None:
    video = _video(tmp_path / (LATIN1 + ".avi"), astronaut)
    assert main(["video", str(video), "--out", str(tmp_path / "out"), "--model", str(tiny_model_dir)]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["frames_analyzed"] > 0 and summary["faces_used"] > 0
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "caf\\xe9.avi" in html  # the name's own byte, shown


def test_opencv_path_links_a_name_opencv_cannot_take(astronaut: np.ndarray, tmp_path: Path) -> None:
    video = _video(tmp_path / (LATIN1 + ".avi"), astronaut, frames=3)
    with opencv_path(video) as name:
        name.encode("utf-8")  # a plain name
        cap = cv2.VideoCapture(name)
        assert cap.isOpened() and cap.read()[0]
        cap.release()
    assert not Path(name).exists()  # the link is gone afterwards
    assert readable(LATIN1) == "caf\\xe9"


def test_batch_stores_a_name_that_is_not_utf8(
    capsys: pytest.CaptureFixture[str], astronaut: np.ndarray, tmp_path: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    photo = _photo(tmp_path / "in", astronaut)
    assert main(["batch", str(tmp_path / "in"), "--out", str(tmp_path / "b")]) == 0
    paths = pq.read_table(tmp_path / "b" / "inputs.parquet").column("path").to_pylist()
    assert paths == [readable(str(photo.resolve()))]
    assert main(["batch", str(tmp_path / "in"), "--out", str(tmp_path / "b")]) == 0
    assert "0 analysed, 1 already done" in capsys.readouterr().out  # and resumes


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"experiment": "cafe", "notes": "important"}).encode(),  # json.dump: no newline at the end
        b"\xff\xd8\xff\xe0 a photo's bytes",
        b"# my notes\n{not json}\n",
    ],
)
@pytest.mark.parametrize("overwrite", [False, True])
def test_out_refuses_a_file_that_is_not_a_results_log_and_leaves_it_alone(
    capsys: pytest.CaptureFixture[str],
    tiny_model_dir: Path,
    astronaut: np.ndarray,
    tmp_path: Path,
    content: bytes,
    overwrite: bool,
) -> None:
    photo = _photo(tmp_path, astronaut, "face.jpg")
    notes = tmp_path / "notes.json"
    notes.write_bytes(content)
    args = ["analyze", str(photo), "--out", str(notes), "--model", str(tiny_model_dir)]
    assert main(args + ["--overwrite"] * overwrite) == 2
    assert notes.read_bytes() == content
    assert "is not a results file written by facemotion" in capsys.readouterr().err


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(lambda: _truncated_pil(), id="truncated"),
        pytest.param(lambda: _closed_pil(), id="closed"),
    ],
)
def test_a_pil_image_that_cannot_be_read_is_an_image_read_error(image, tiny_classifier, astronaut) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImageReadError, match="the PIL image cannot be read"):
        read_image(image())
    found = tiny_classifier.predict([image(), Image.fromarray(astronaut)], errors="skip")
    assert found[0].error and not found[0] and found[1]  # the good one is still analysed


def _jpeg() -> bytes:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, "JPEG")
    return buffer.getvalue()


def _truncated_pil() -> Image.Image:
    return Image.open(io.BytesIO(_jpeg()[:20000]))


def _closed_pil() -> Image.Image:
    image = Image.open(io.BytesIO(_jpeg()))
    image.close()
    return image


def test_a_decoder_failing_in_its_own_way_is_an_image_read_error(tmp_path: Path) -> None:
    from PIL import features

    if not features.check("avif"):
        pytest.skip("this Pillow reads no AVIF")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "grey").save(buffer, "AVIF")
    data = bytearray(buffer.getvalue())
    data[data.find(b"pitm") + 9] ^= 0xFF  # the primary item's id: Pillow's AVIF plugin raises RuntimeError
    (tmp_path / "bad.avif").write_bytes(bytes(data))
    with pytest.raises(ImageReadError, match=r"bad\.avif"):
        read_image(tmp_path / "bad.avif")


def test_empty_paths_and_urls_are_refused_not_read_as_the_current_folder(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ImageReadError, match="empty path"):
        read_image("")
    with pytest.raises(ImageReadError, match="is a URL"):
        read_image("https://example.com/a.jpg")
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (32, 32)).save(tmp_path / "here.png")
    assert main(["analyze", "", "--model", str(tiny_model_dir)]) == 2
    assert "empty path" in capsys.readouterr().err


def test_avif_and_jfif_photos_in_a_folder_are_found() -> None:
    assert {".avif", ".jfif", ".jpe"} <= IMAGE_SUFFIXES


def test_an_animated_webp_is_not_called_a_still_image(astronaut: np.ndarray, tmp_path: Path) -> None:
    from facemotion.apps.video import analyze_video
    from facemotion.errors import VideoReadError

    frames = [Image.fromarray(np.roll(astronaut, 10 * i, axis=1)) for i in range(3)]
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(VideoReadError, match="is an animated WEBP"):
        analyze_video(tmp_path / "anim.webp")


def test_an_unwritable_out_folder_is_refused_before_the_analysis(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path
) -> None:
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc: a folder nobody, root included, can create files in")
    video = _video(tmp_path / "v.avi", astronaut, frames=3)
    assert main(["video", str(video), "--out", "/proc", "--model", str(tiny_model_dir)]) == 2
    assert "cannot write into that folder" in capsys.readouterr().err


def test_an_annotated_picture_that_cannot_be_written_keeps_the_faces(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path
) -> None:
    photo = _photo(tmp_path, astronaut, "x" * 245 + ".jpg")  # its "_annotated.png" name is too long to exist
    code = main(["analyze", str(photo), "--json", "--annotate", str(tmp_path / "ann"), "--model", str(tiny_model_dir)])
    out, err = capsys.readouterr()
    assert code == 1
    (record,) = json.loads(out)
    assert record["error"] is None and record["faces"]  # the analysis stands
    assert "annotated picture not written" in err and "name too long" in err.lower()
    assert "0 annotated picture(s) written" in err and "1 could not be written" in err


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda a, b: __import__("facemotion").analyze_group(a, classifier="fast"), "EmotionClassifier\\('fast'\\)"),
        (lambda a, b: __import__("facemotion.apps.compare").apps.compare.compare_groups(1, 2), "must be a folder"),
        (lambda a, b: _compare(a, b, names="AB"), "names must be two"),
        (lambda a, b: _compare(a, b, n_resamples=5), "at least 1,000"),
        (lambda a, b: _compare(a, b, seed=-1), "seed must be"),
    ],
)
def test_wrong_arguments_to_the_apps_are_facemotion_errors(call, message, astronaut, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = _photo(tmp_path / "a", astronaut, "1.jpg").parent, _photo(tmp_path / "b", astronaut, "2.jpg").parent
    with pytest.raises(FacemotionError, match=message):
        call(a, b)


def _compare(a: Path, b: Path, **kwargs: object) -> object:
    """``compare_groups`` for ``names`` (checked before any analysis), else ``compare_samples`` of two samples."""
    from facemotion.apps.compare import GroupSample, compare_groups, compare_samples

    if "names" in kwargs:
        return compare_groups(a, b, **kwargs)  # type: ignore[arg-type]
    sample = GroupSample(np.zeros(6), np.zeros(6), ("happy",) * 6)
    return compare_samples(sample, sample, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("option", [["--resamples", "5"], ["--seed", "-1"]])
def test_compare_refuses_too_few_resamples_and_negative_seeds_when_parsing(
    capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["compare", "a", "b", *option])
    assert stop.value.code == 2 and "expected a whole number of at least" in capsys.readouterr().err


def test_the_parser_minimum_of_resamples_is_the_api_s() -> None:
    from facemotion.apps.compare import MIN_RESAMPLES
    from facemotion.cli import compare

    assert compare.MIN_RESAMPLES == MIN_RESAMPLES


def test_revision_with_a_bundled_model_is_refused() -> None:
    from facemotion import EmotionClassifier
    from facemotion.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="applies to Hub models only"):
        EmotionClassifier(revision="v1.0")


def test_ctrl_c_while_drawing_the_report_leaves_no_stale_report_beside_new_data(
    capsys: pytest.CaptureFixture[str],
    tiny_model_dir: Path,
    astronaut: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import facemotion.apps.report as report

    out = tmp_path / "out"
    first = _video(tmp_path / "first.avi", astronaut, frames=6)
    assert main(["video", str(first), "--out", str(out), "--model", str(tiny_model_dir)]) == 0
    assert (out / "report.html").is_file()

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the user presses Ctrl-C while the report's pictures are drawn

    monkeypatch.setattr(report, "video_report_html", interrupted)
    second = _video(tmp_path / "second.avi", astronaut, frames=6)
    assert main(["video", str(second), "--out", str(out), "--model", str(tiny_model_dir)]) == 130
    assert json.loads((out / "summary.json").read_text())["file"] == "second.avi"
    assert not (out / "report.html").exists()  # first.avi's report is not left beside second.avi's data
    assert not list(out.glob("*.tmp"))
    assert "report.html was not written" in capsys.readouterr().err


def test_the_documented_imports_of_detector_options_and_the_quality_gate_work() -> None:
    from facemotion.apps import QualityGate
    from facemotion.detection import BlazeFaceDetector

    assert QualityGate().min_brightness > 0 and BlazeFaceDetector.__name__ == "BlazeFaceDetector"


def test_two_folders_files_of_one_name_are_told_apart_and_a_done_rerun_prints_no_empty_table(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path
) -> None:
    for card in ("day1", "day2"):  # two cards' DCIM folders
        _photo(tmp_path / card / "DCIM", astronaut, "IMG_0001.jpg")
    args = ["analyze", str(tmp_path / "day1" / "DCIM"), str(tmp_path / "day2" / "DCIM"), "--model", str(tiny_model_dir)]
    out_file = ["--out", str(tmp_path / "r.jsonl")]
    assert main(args + out_file) == 0
    table = capsys.readouterr().out
    assert "day1/DCIM/IMG_0001.jpg" in table and "day2/DCIM/IMG_0001.jpg" in table
    assert main(args + out_file) == 0
    out, err = capsys.readouterr()
    assert out == "" and "0 analysed, 2 already done" in err


def test_live_analysis_into_an_old_output_folder_removes_its_stale_report(
    tiny_model_dir: Path, astronaut: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import facemotion.apps.report as report

    out = tmp_path / "out"
    assert (
        main(
            [
                "video",
                str(_video(tmp_path / "first.avi", astronaut, 6)),
                "--out",
                str(out),
                "--model",
                str(tiny_model_dir),
            ]
        )
        == 0
    )

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "video_report_html", interrupted)
    second = _video(tmp_path / "second.avi", astronaut, 6)
    assert main(["video", "--live", str(second), "--out", str(out), "--model", str(tiny_model_dir)]) == 130
    assert not (out / "report.html").exists() and len((out / "frames.csv").read_text().splitlines()) > 1


def test_compare_refuses_bad_test_settings_before_any_analysis(tmp_path: Path) -> None:
    from facemotion.apps.compare import compare_groups

    missing = tmp_path / "not-there"  # analysing it first would say "no such file or folder"
    for bad in ({"n_resamples": 5}, {"seed": -1}, {"confidence": 95.0}):
        with pytest.raises(FacemotionError, match=r"n_resamples|seed|confidence"):
            compare_groups(missing, missing, **bad)  # type: ignore[arg-type]


def test_a_log_rewritten_compactly_is_still_a_log(tmp_path: Path) -> None:
    from facemotion.scale.contract import RecordLog

    log = RecordLog(tmp_path / "ok.jsonl")
    log.path.write_text('{"path":"/a.jpg","error":null}\n\x00\x00\n')  # jq -c output; NULs after a crash
    assert [r["path"] for r in log.load()] == ["/a.jpg"]


def test_a_camera_s_mpo_jpeg_is_a_still_image_not_an_animation(astronaut: np.ndarray, tmp_path: Path) -> None:
    from facemotion.apps.video import analyze_video
    from facemotion.errors import VideoReadError

    frames = [Image.fromarray(astronaut), Image.fromarray(astronaut[:, ::-1])]
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:])  # two pictures, not a film
    with pytest.raises(VideoReadError, match="is a still image"):
        analyze_video(tmp_path / "pages.tif")
