"""facemotion.scale: the same rows from the local engine and from Ray Data; errors become rows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from facemotion.apps.video import analyze_video
from facemotion.scale import input_id, run_batch

from conftest import GROUP_PHOTOS, VIDEO, need


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    for name in ("voc_2007_007763.jpg", "voc_2008_001009.jpg"):
        shutil.copy(need(GROUP_PHOTOS / name), folder / name)
    shutil.copy(need(VIDEO), folder / "clip.mp4")
    (folder / "corrupt.jpg").write_bytes(b"not a jpeg at all")
    (folder / "broken.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    return folder


def _read(out: Path) -> tuple[list[dict[str, object]], dict[str, dict[str, object]]]:
    import pyarrow.parquet as pq

    faces = pq.read_table(out / "faces.parquet").to_pylist()
    status = {Path(str(r["path"])).name: r for r in pq.read_table(out / "inputs.parquet").to_pylist()}
    return sorted(faces, key=lambda r: (str(r["path"]), r["frame"], r["person"], r["x"])), status


@pytest.fixture(scope="module")
def local_run(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local")
    counts = run_batch([str(inputs)], out, engine="local", chunk_seconds=4.0)
    assert counts["inputs"] == 5 and counts["errors"] == 2
    return out


def test_local_engine_rows_errors_and_video_summaries(local_run: Path, inputs: Path) -> None:
    faces, status = _read(local_run)
    assert status["corrupt.jpg"]["error"] and "not an image" in str(status["corrupt.jpg"]["error"])
    assert status["broken.mp4"]["error"]
    assert status["voc_2007_007763.jpg"]["error"] is None and status["voc_2007_007763.jpg"]["faces"] == 7
    video = [f for f in faces if str(f["path"]).endswith("clip.mp4")]
    assert {int(f["chunk"]) for f in video} == {0, 1, 2}  # 9 s in 4 s chunks
    assert all(-1 <= float(f["valence"]) <= 1 and 0 <= float(f["score"]) <= 1 for f in video)  # type: ignore[arg-type]
    from facemotion.apps import analyze_video

    whole = analyze_video(inputs / "clip.mp4", progress=False)  # one pass: what the chunks must add up to
    shot_of = {(f.frame, f.box[0]): f.shot for f in whole.faces}
    assert {(int(f["frame"]), int(f["x"])): int(f["shot"]) for f in video} == shot_of  # shots over the whole video
    tracks = {int(f["track"]) for f in video}
    assert tracks == set(range(len(tracks))) and len(tracks) <= len({f.track for f in whole.faces}) + 1
    spanning = [t for t in tracks if len({f["chunk"] for f in video if f["track"] == t}) > 1]
    assert spanning  # faces on screen at a chunk boundary are one track, as in one pass
    summary = local_run / "videos" / f"clip-{input_id(str(inputs / 'clip.mp4'))}" / "summary.json"
    assert summary.is_file() and (summary.parent / "timeline.png").is_file()
    told = json.loads(summary.read_text())
    assert told["shots"] == whole.summary()["shots"] > 1 and told["people_linked"]  # "1 shot" before
    assert told["face_tracks"] == len(tracks) and told["people"] <= whole.summary()["people"] + 1
    page = (summary.parent / "report.html").read_text()  # the client's page, as facemotion video writes it
    assert "blazeface" in page and str(inputs) not in page and "not recorded" not in page
    # a second run over the same folder skips what is done and retries only the failures
    counts = run_batch([str(inputs)], local_run, engine="local", chunk_seconds=4.0)
    assert counts["skipped"] == 3 and counts["errors"] == 2
    assert len(_read(local_run)[0]) == len(faces)


def test_video_chunks_give_the_frames_of_the_whole_video(local_run: Path, inputs: Path) -> None:
    from facemotion.apps import analyze_video

    whole = analyze_video(inputs / "clip.mp4", progress=False)
    faces, _ = _read(local_run)
    chunked = sorted((int(f["frame"]), int(f["x"])) for f in faces if str(f["path"]).endswith("clip.mp4"))
    assert chunked == sorted((f.frame, f.box[0]) for f in whole.faces)


def test_ray_engine_gives_the_local_rows(local_run: Path, inputs: Path, tmp_path: Path) -> None:
    import cv2

    ray = pytest.importorskip("ray", reason="the Ray engine needs the extra: pip install 'facemotion[ray]'")
    nobody = tmp_path / "empty_doorway.avi"  # chunks with no face: Ray's batch made a 2-D array of its times
    writer = cv2.VideoWriter(str(nobody), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for _ in range(30):
        writer.write(np.full((48, 64, 3), 120, np.uint8))
    writer.release()
    out = tmp_path / "out"
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        run_batch([str(inputs), str(nobody)], out, engine="ray", workers=2, chunk_seconds=4.0)
    finally:
        ray.shutdown()
    ray_faces, ray_status = _read(out)
    empty = ray_status.pop(next(k for k in ray_status if "empty_doorway" in k))
    assert (empty["status"], empty["error"], empty["faces"], empty["frames"]) == ("complete", None, 0, 15)
    local_faces, local_status = _read(local_run)
    assert {k: v["error"] is None for k, v in ray_status.items()} == {
        k: v["error"] is None for k, v in local_status.items()
    }
    assert len(ray_faces) == len(local_faces) > 0
    for a, b in zip(ray_faces, local_faces, strict=True):
        assert (a["path"], a["frame"], a["person"], a["label"]) == (b["path"], b["frame"], b["person"], b["label"])
        assert abs(float(a["valence"]) - float(b["valence"])) < 1e-5  # type: ignore[arg-type]


def test_a_video_cut_short_is_truncated_with_every_frame_accounted_for(astronaut: np.ndarray, tmp_path: Path) -> None:
    import cv2
    import pyarrow.parquet as pq

    full = tmp_path / "full.avi"
    writer = cv2.VideoWriter(str(full), cv2.VideoWriter_fourcc(*"MJPG"), 10, (256, 256))
    for i in range(40):  # 4 s at 10 fps, a face in every frame
        writer.write(np.ascontiguousarray(cv2.resize(np.roll(astronaut, 3 * i, axis=1), (256, 256))[:, :, ::-1]))
    writer.release()
    data = full.read_bytes()
    (tmp_path / "cut.avi").write_bytes(data[: int(len(data) * 0.6)])  # the header still says 40 frames
    counts = run_batch([str(full), str(tmp_path / "cut.avi")], tmp_path / "out", chunk_seconds=1.5)
    assert counts["truncated"] == 1 and counts["failed"] == 0
    rows = {Path(str(r["path"])).name: r for r in pq.read_table(tmp_path / "out" / "inputs.parquet").to_pylist()}
    whole, cut = rows["full.avi"], rows["cut.avi"]
    assert (whole["status"], whole["frames"], whole["frames_expected"], whole["frames_unreadable"]) == (
        "complete",
        20,
        20,
        0,
    )
    assert cut["status"] == "truncated" and cut["frames_unreadable"] > 0 and cut["frames"] < 20
    assert cut["frames"] + cut["frames_skipped"] + cut["frames_unreadable"] == cut["frames_expected"] == 20
    summary = json.loads(next((tmp_path / "out" / "videos").glob("cut-*/summary.json")).read_text())
    assert summary["status"] == "truncated" and any("ends early" in w for w in summary["warnings"])
    one_pass = analyze_video(tmp_path / "cut.avi", sample_fps=5.0, progress=False)  # facemotion video's analysis
    assert (one_pass.status, one_pass.frames_unreadable, one_pass.frames_skipped) == (
        cut["status"],
        cut["frames_unreadable"],
        cut["frames_skipped"],
    )
    assert summary["warnings"] == one_pass.warnings  # the same words, from one place
    page = next((tmp_path / "out" / "videos").glob("cut-*/report.html")).read_text()
    assert "cut.avi ends early" in page and "blazeface" in page
    whole_summary = json.loads(next((tmp_path / "out" / "videos").glob("full-*/summary.json")).read_text())
    assert whole_summary["warnings"] == []  # a constant rate: the chunks meet


def test_a_variable_frame_rate_video_cut_into_chunks_is_flagged(astronaut: np.ndarray, tmp_path: Path) -> None:
    """Chunks start by seeking, which misses in a phone's variable-rate video: never silently wrong."""
    import subprocess

    import cv2

    ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="making a variable-frame-rate file needs imageio-ffmpeg")
    source, vfr = tmp_path / "even.avi", tmp_path / "phone.mp4"
    writer = cv2.VideoWriter(str(source), cv2.VideoWriter_fourcc(*"MJPG"), 30, (256, 256))
    for i in range(150):  # 5 s at 30 fps; kept: all of the first 2 s, then every 3rd frame (10 fps)
        writer.write(np.ascontiguousarray(cv2.resize(np.roll(astronaut, 2 * i, axis=1), (256, 256))[:, :, ::-1]))
    writer.release()
    select = ["-vf", "select='lt(n,60)+not(mod(n,3))'", "-fps_mode", "vfr", "-c:v", "libx264", str(vfr)]
    subprocess.run([ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(source), *select], check=True)
    run_batch([str(vfr)], tmp_path / "out", chunk_seconds=1.0)
    summary = json.loads(next((tmp_path / "out" / "videos").glob("phone-*/summary.json")).read_text())
    assert any("its frame rate varies" in w and "analyse it in one piece" in w for w in summary["warnings"])
    one_piece = tmp_path / "one"
    run_batch([str(vfr)], one_piece, chunk_seconds=60.0)
    assert not any("varies" in w for w in json.loads(next(one_piece.rglob("summary.json")).read_text())["warnings"])


@pytest.mark.parametrize("bad", [{"chunk_seconds": 0.0}, {"sample_fps": float("nan")}, {"workers": 0}])
def test_run_batch_refuses_numbers_that_would_give_wrong_results(bad: dict[str, float], tmp_path: Path) -> None:
    from facemotion.errors import FacemotionError

    with pytest.raises(FacemotionError, match="must be a finite number above 0"):
        run_batch([str(tmp_path)], tmp_path / "out", **bad)  # type: ignore[arg-type]


def test_batch_merge_takes_a_webm_length_back_to_its_last_frame(tmp_path: Path) -> None:
    """A WebM whose stated length runs on under a second past its last frame (audio running on) is complete, with
    the length and the expected frames of its frames, as `facemotion video` says; the counts add up."""
    from facemotion.scale.batch import _account_for_the_end

    webm = tmp_path / "long.webm"
    webm.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(60))  # an EBML header: no frame index to take at its word
    status = {
        "path": str(webm),
        "fps": 30.0,
        "duration": 3.7,
        "frames_expected": 19,
        "frames": 15,
        "frame_times": [0.2 * k for k in range(15)],
        "warnings": [],
        "sample_fps": 5.0,
        "frames_skipped": 0,
        "frames_unreadable": 0,
        "status": "complete",
    }
    _account_for_the_end(status)
    assert status["status"] == "complete" and status["warnings"] == []
    assert status["frames_expected"] == 15 == status["frames"] + status["frames_skipped"] + status["frames_unreadable"]
    assert status["duration"] == pytest.approx(3.0)


@pytest.mark.parametrize("chunk_seconds", [1.0, 60.0])
def test_batch_settles_a_trimmed_video_as_one_pass_does(chunk_seconds: float, tmp_path: Path) -> None:
    """Each chunk settled its own end: a stream-copy trim came out 3.67 s long with a false "no data" second
    in `batch` (3.00 s in `video`); a chunk cannot know where the file ends, the merge can."""
    import subprocess

    ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="trimming a video needs imageio-ffmpeg")
    trimmed = tmp_path / "trimmed.mp4"
    clip = str(need(VIDEO))
    subprocess.run(
        [
            ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-ss",
            "1.5",
            "-i",
            clip,
            "-t",
            "3",
            "-c",
            "copy",
            str(trimmed),
        ],
        check=True,
    )
    one_pass = analyze_video(trimmed, progress=False).summary()
    run_batch([str(trimmed)], tmp_path / "out", chunk_seconds=chunk_seconds)
    merged = json.loads(next((tmp_path / "out" / "videos").glob("trimmed-*/summary.json")).read_text())
    for key in ("status", "frames_expected", "frames_analyzed", "frames_unreadable", "frames_skipped"):
        assert merged[key] == one_pass[key], key
    assert merged["status"] == "complete" and merged["duration"] == pytest.approx(one_pass["duration"], abs=1e-6)


def test_results_inside_the_input_folder_are_not_inputs_and_one_writer_at_a_time(tmp_path: Path) -> None:
    """`batch photos --out photos/out` analysed its own report pictures on the next run; two runs into one
    --out removed each other's video reports."""
    import fcntl
    import shutil

    import pyarrow.parquet as pq

    from facemotion.errors import FacemotionError

    photos = tmp_path / "photos"
    photos.mkdir()
    for photo in sorted(need(GROUP_PHOTOS).glob("*.jpg"))[:2]:
        shutil.copy(photo, photos / photo.name)
    (photos / "broken.jpg").write_bytes(b"not a photo")
    shutil.copy(need(VIDEO), photos / "clip.mp4")
    out = photos / "out"
    first = run_batch([str(photos)], out, chunk_seconds=60.0)
    again = run_batch([str(photos)], out, chunk_seconds=60.0)  # out/videos/clip-*/timeline.png is a result
    assert first["inputs"] == again["inputs"] == 4 and again["analysed"] == 0
    rows = pq.read_table(out / "inputs.parquet").to_pylist()
    assert not any("/out/" in str(r["path"]) for r in rows)
    for r in rows:  # every row adds up, a photo that could not be read too
        assert r["frames"] + r["frames_skipped"] + r["frames_unreadable"] == r["frames_expected"], r["path"]
    with open(out / ".lock", "w") as held:  # another run holds the folder
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(FacemotionError, match="another facemotion batch is writing into"):
            run_batch([str(photos)], out, chunk_seconds=60.0)


def test_a_batch_of_the_current_folder_into_itself_still_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cd photos && facemotion batch . --out .`: every photo was dropped as "inside the results folder"."""
    import shutil

    for photo in sorted(need(GROUP_PHOTOS).glob("*.jpg"))[:2]:
        shutil.copy(photo, tmp_path / photo.name)
    monkeypatch.chdir(tmp_path)
    assert run_batch(["."], ".", chunk_seconds=60.0)["analysed"] == 2
    assert run_batch(["."], ".", chunk_seconds=60.0)["skipped"] == 2


def test_an_animated_gif_in_a_batch_is_a_video_as_in_facemotion_video(astronaut: np.ndarray, tmp_path: Path) -> None:
    """A batch read an animated GIF as a photo of its first frame (1 face), `facemotion video` as a video (12)."""
    from PIL import Image

    folder = tmp_path / "in"
    folder.mkdir()
    frames = [Image.fromarray(np.roll(astronaut, 4 * i, axis=1)[::2, ::2]) for i in range(12)]
    frames[0].save(folder / "loop.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)
    frames[0].save(folder / "still.gif")
    run_batch([str(folder)], tmp_path / "out", engine="local")
    faces, status = _read(tmp_path / "out")
    assert status["loop.gif"]["kind"] == "video" and status["still.gif"]["kind"] == "image"
    assert sum(str(f["path"]).endswith("loop.gif") for f in faces) == 12  # every frame at 5 a second


def _row(chunk: int, time: float, track: int, x: int, person: int | None = None) -> dict[str, object]:
    return {"chunk": chunk, "time": time, "frame": round(time * 30), "track": track,
            "person": track if person is None else person, "x": x, "y": 0, "w": 50, "h": 50, "shot": 0}  # fmt: skip


def test_stitching_joins_a_face_only_where_and_when_the_tracker_would_have() -> None:
    from facemotion.scale.stitch import stitch_chunks

    def ids(rows: list[dict[str, object]]) -> list[tuple[object, object]]:
        return [(r["track"], r["person"]) for r in stitch_chunks(rows, [], 5.0)]

    assert ids([_row(0, 29.8, 3, 100), _row(1, 30.0, 1000, 104)]) == [(0, 0), (0, 0)]  # on screen across it
    assert ids([_row(0, 10.0, 3, 100), _row(1, 30.0, 1000, 100)]) == [(0, 0), (1, 1)]  # lost 20 s before
    assert ids([_row(0, 29.8, 3, 100), _row(1, 30.0, 1000, 400)]) == [(0, 0), (1, 1)]  # elsewhere
    assert ids([_row(0, 29.8, 1005, 100), _row(1, 30.0, 1005, 100)]) == [(0, 0), (0, 0)]  # the same id: no hang
    assert ids([_row(0, 29.8, 1005, 100), _row(1, 30.0, 1005, 600)]) == [(0, 0), (1, 1)]  # the same id, two faces
    assert ids([_row(0, 29.8, 3, 100), _row(2, 60.0, 2000, 100)]) == [(0, 0), (1, 1)]  # a chunk without faces between
    # one person (5) in two tracks of chunk 0, the next chunk shows two people side by side where those tracks were
    one_then_two = [
        _row(0, 29.0, 1, 100, 5),
        _row(0, 29.8, 2, 200, 5),
        _row(1, 30.0, 1000, 100),
        _row(1, 30.0, 1001, 200),
    ]
    persons = [p for _, p in ids(one_then_two)]
    assert persons[2] != persons[3]  # seen in one frame: never one person


def test_a_cut_at_a_chunk_boundary_is_a_cut(astronaut: np.ndarray, tmp_path: Path) -> None:
    """Each chunk's cut detector started afresh (its first frame is never a cut), and stitching then joined faces
    across a cut that fell on the boundary."""
    import cv2

    folder = tmp_path / "in"
    folder.mkdir()
    writer = cv2.VideoWriter(str(folder / "cut.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (256, 256))
    face = cv2.resize(astronaut[:300, 100:400], (256, 256))[:, :, ::-1]
    for i in range(40):  # 2 s of the face, then 2 s of the same face in another light: a cut at 2 s
        writer.write(face if i < 20 else np.ascontiguousarray(255 - face))
    writer.release()
    run_batch([str(folder)], tmp_path / "out", engine="local", chunk_seconds=2.0)
    summary = json.loads(next((tmp_path / "out" / "videos").glob("cut-*/summary.json")).read_text())
    assert summary["shots"] == 2 and summary["shot_cuts"] == [pytest.approx(2.0)]
    faces, _ = _read(tmp_path / "out")
    assert {int(f["shot"]) for f in faces if float(f["time"]) >= 2.0} == {1}
    assert not {f["track"] for f in faces if float(f["time"]) < 2.0} & {
        f["track"] for f in faces if float(f["time"]) >= 2.0
    }
