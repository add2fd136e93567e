import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from facemotion.apps.compare import GroupSample, compare_groups, compare_samples, format_p

from conftest import GROUP_PHOTOS, VIDEO, need


def _sample(values: np.ndarray) -> GroupSample:
    return GroupSample(values, np.zeros_like(values), tuple("happy" for _ in values))


def test_clear_difference_has_an_interval_that_excludes_zero() -> None:
    rng = np.random.default_rng(0)
    a, b = _sample(rng.normal(-0.2, 0.2, 80)), _sample(rng.normal(0.2, 0.2, 90))
    result = compare_samples(a, b, names=("entering", "leaving"), n_resamples=2000)
    assert result.delta_valence == pytest.approx(b.valence.mean() - a.valence.mean())
    assert result.ci_low is not None and result.ci_high is not None
    assert 0 < result.ci_low < result.delta_valence < result.ci_high
    assert result.arousal_ci_low is not None and result.arousal_ci_low <= 0 <= result.arousal_ci_high  # type: ignore[operator]
    assert result.p_value is not None and result.p_value < 0.01
    assert result.sentence.startswith("leaving happier than entering: valence +0.")
    assert "n=80 vs 90" in result.sentence
    assert result.p_text == "p < 0.001"  # never "p = 0.000"
    assert compare_samples(a, b, n_resamples=2000).ci_low == result.ci_low  # seeded


def test_the_sentence_uses_the_groups_names_both_ways() -> None:
    rng = np.random.default_rng(2)
    low, high = _sample(rng.normal(-0.3, 0.1, 30)), _sample(rng.normal(0.3, 0.1, 30))
    worse = compare_samples(high, low, names=("ad A", "ad B"), n_resamples=1000)
    assert worse.sentence.startswith("ad B less happy than ad A: valence -0.")
    assert "Visitors" not in worse.sentence


def test_no_difference_is_not_called_one() -> None:
    rng = np.random.default_rng(1)
    result = compare_samples(_sample(rng.normal(0, 0.3, 60)), _sample(rng.normal(0, 0.3, 60)), n_resamples=2000)
    assert result.ci_low is not None and result.ci_low < 0 < result.ci_high  # type: ignore[operator]
    assert result.sentence.startswith("No clear difference in mood between A and B")


def test_too_few_faces_gives_no_interval() -> None:
    result = compare_samples(_sample(np.array([0.1, 0.2])), _sample(np.array([0.5, 0.6, 0.7])))
    assert result.ci_low is None and result.p_value is None and result.delta_valence is not None
    assert "Too few faces" in result.sentence and result.p_text.startswith("no p-value")
    empty = compare_samples(_sample(np.array([])), _sample(np.array([0.5])))
    assert empty.delta_valence is None and "No comparison" in empty.sentence


@pytest.mark.parametrize(
    ("p", "text"), [(0.0004, "p < 0.001"), (0.001, "p = 0.001"), (0.0312, "p = 0.031"), (0.5, "p = 0.50")]
)
def test_p_values_are_formatted_for_readers(p: float, text: str) -> None:
    assert format_p(p) == text


def test_one_unreadable_file_among_nine_is_one_skipped_file(tiny_classifier, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photos = sorted(need(GROUP_PHOTOS).glob("voc_*.jpg"))
    (tmp_path / "entering").mkdir()
    (tmp_path / "leaving").mkdir()
    for i, p in enumerate(photos):
        shutil.copy(p, tmp_path / ("entering" if i % 2 else "leaving") / p.name)
    (tmp_path / "leaving" / "cut.jpg").write_bytes(photos[0].read_bytes()[:300])  # a truncated photo
    result = compare_groups(tmp_path / "entering", tmp_path / "leaving", tiny_classifier, n_resamples=1000)
    assert result.names == ("entering", "leaving")
    assert result.skipped_a == () and [name for name, _ in result.skipped_b] == ["cut.jpg"]
    assert str(tmp_path) not in result.skipped_b[0][1]  # the reason names the file, not its folder
    assert result.n_a + result.n_b >= 41 and result.delta_valence is not None  # compared all the same
    assert 0 < len(result.examples_a) <= 5 and result.examples_a[0].image.shape == (112, 112, 3)
    valences = [e.valence for e in result.examples_b]
    assert valences == sorted(valences)  # from the least to the most pleasant
    d = json.loads(json.dumps(result.to_dict()))  # JSON-ready: the pictures are left out
    assert {"delta_valence", "delta_arousal", "ci_low", "arousal_ci_high", "p_value", "p_text", "sentence"} <= set(d)
    assert d["skipped_b"][0][0] == "cut.jpg" and d["names"] == ["entering", "leaving"]
    assert d["metadata"]["inputs"] == ["entering", "leaving"] and d["metadata"]["model_version"]
    assert d["metadata"]["detector"] == tiny_classifier.detector_name == "blazeface"


def test_what_a_folder_holds_that_cannot_be_analysed_is_counted_as_skipped(
    tiny_classifier, astronaut: np.ndarray, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import os

    from PIL import Image

    from facemotion.errors import FacemotionError

    for group in ("entering", "leaving"):
        (tmp_path / group).mkdir()
        for k in range(2):
            Image.fromarray(np.roll(astronaut, 30 * k, axis=1)).save(tmp_path / group / f"{k}.jpg")
    os.mkfifo(tmp_path / "leaving" / "live.jpg")  # opening it would hang
    result = compare_groups(tmp_path / "entering", tmp_path / "leaving", tiny_classifier, n_resamples=1000)
    assert result.skipped_a == () and result.n_b == result.n_a == 2
    assert [name for name, _ in result.skipped_b] == ["live.jpg"] and "FIFO" in result.skipped_b[0][1]
    assert str(tmp_path) not in json.dumps(result.to_dict())  # the reason names the item, not its folder
    (tmp_path / "none").mkdir()
    os.mkfifo(tmp_path / "none" / "only.jpg")
    with pytest.raises(FacemotionError, match=r"no images found.*only\.jpg: not a regular file \(a FIFO\)"):
        compare_groups(tmp_path / "entering", tmp_path / "none", tiny_classifier)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FacemotionError, match="empty: empty folder"):
        compare_groups(tmp_path / "empty", tmp_path / "entering", tiny_classifier)


def test_large_photos_give_example_faces_without_a_full_decode(
    tiny_classifier, astronaut: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    import facemotion.io

    for group in ("a", "b"):
        (tmp_path / group).mkdir()
        Image.fromarray(astronaut).save(tmp_path / group / "photo.jpg", quality=95)
    whole = compare_groups(tmp_path / "a", tmp_path / "b", tiny_classifier, n_resamples=1000).examples_a[0].image

    def no_full_decode(*_: object, **__: object) -> None:
        raise AssertionError("read_image decoded the whole photo")

    monkeypatch.setattr(facemotion.io, "read_image", no_full_decode)
    monkeypatch.setattr(facemotion.io, "MAX_DECODED_PIXELS", 512 * 512 // 4)  # astronaut counts as large
    (example,) = compare_groups(tmp_path / "a", tmp_path / "b", tiny_classifier, n_resamples=1000).examples_a
    assert example.image.shape == (112, 112, 3)
    assert np.abs(example.image.astype(int) - whole.astype(int)).mean() < 25  # the same face, from half the pixels


def test_every_compare_option_has_help() -> None:
    from facemotion.cli.compare import add_compare_command

    parser = argparse.ArgumentParser()
    add_compare_command(parser.add_subparsers())
    compare = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["compare"]
    missing = [a.dest for a in compare._actions if not isinstance(a, argparse._HelpAction) and not a.help]
    assert not missing, f"options without help text: {missing}"
    assert compare.parse_args(["a", "b", "--names", "ad A, ad B"]).names == ("ad A", "ad B")
    with pytest.raises(SystemExit):
        compare.parse_args(["a", "b", "--names", "only-one"])


def test_compare_command_writes_a_named_report(tiny_model_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from facemotion.cli import main

    photos = sorted(need(GROUP_PHOTOS).glob("voc_*.jpg"))
    for group, picks in (("x", photos[:4]), ("y", photos[4:8])):
        (tmp_path / group).mkdir()
        for p in picks:
            shutil.copy(p, tmp_path / group / p.name)
    report = tmp_path / "compare.html"
    argv = ["compare", str(tmp_path / "x"), str(tmp_path / "y"), "--names", "ad A,ad B", "--resamples", "1000"]
    assert main([*argv, "--model", str(tiny_model_dir), "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "ad B" in out.splitlines()[0] and "ad A" in out.splitlines()[0]
    text = report.read_text()
    assert "<title>Mood comparison: ad B vs ad A</title>" in text and str(tmp_path) not in text


def test_a_video_group_is_counted_in_people_not_faces(tmp_path: Path) -> None:
    """A video's group counts each person seen for 0.5 s or more once: the words say so."""
    from facemotion.apps.report import comparison_report_html

    people = GroupSample(np.zeros(0), np.zeros(0), (), unit="person")
    result = compare_samples(people, _sample(np.full(12, 0.2)), names=("onefr.mp4", "leaving"), n_resamples=1000)
    assert result.sentence == (
        "No comparison possible: 0 people seen for 0.5 s or more in onefr.mp4 vs 12 faces in leaving."
    )
    assert result.to_dict()["units"] == ["person", "face"]
    three = GroupSample(np.zeros(3), np.zeros(3), ("sad",) * 3, unit="person")
    assert compare_samples(three, three).sentence.startswith("Too few people for a reliable comparison (n=3 vs 3")
    text = comparison_report_html(result, tmp_path / "c.html").read_text()
    assert "0 people seen for 0.5 s or more in onefr.mp4 and 12 faces in leaving were compared" in text
    assert "<td>0 people seen for 0.5 s or more</td>" in text and "face(s)" not in text
    assert "a video's people count once each" in text and "assume the people or faces are independent" in text
    assert "The share of each group's people or faces whose most likely emotion" in text


@pytest.fixture(scope="module")
def gifs(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    from PIL import Image

    folder = tmp_path_factory.mktemp("gifs")
    frames = [Image.fromarray(np.roll(astronaut, 4 * i, axis=1)[::2, ::2]) for i in range(12)]
    frames[0].save(folder / "loop.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    frames[0].save(folder / "still.gif")
    return folder


def test_an_animated_gif_is_compared_as_a_video_a_still_one_as_a_photo(gifs: Path) -> None:
    """As `facemotion video` reads them: an animated GIF's people over 1.2 s, a one-frame GIF's face."""
    from facemotion import EmotionClassifier
    from facemotion.apps.compare import collect_group

    classifier = EmotionClassifier()
    moving = collect_group(gifs / "loop.gif", classifier)
    still = collect_group(gifs / "still.gif", classifier)
    assert (moving.unit, moving.n) == ("person", 1)
    assert moving.examples and moving.examples[0].source.startswith("loop.gif ")  # a frame, at its time
    assert (still.unit, still.n) == ("face", 1)


def test_a_small_sample_difference_is_claimed_only_when_the_test_confirms_it() -> None:
    """With five faces a side, the percentile bootstrap interval alone claimed a difference from noise about one
    time in seven (simulated: 14 % for 5 vs 5 drawn alike) and covered the truth 83–88 % of the time: the
    interval is Welch's t interval now, and the permutation test has to agree as well."""
    from facemotion.apps.compare import GroupSample, compare_samples

    a = np.array([0.18, 0.05, -0.02, -0.05, 0.21])
    b = np.array([-0.45, -0.03, 0.01, -0.29, 0.07])  # both drawn from one normal distribution
    result = compare_samples(*(GroupSample(x, np.zeros(5), ("neutral",) * 5) for x in (a, b)), n_resamples=2000)
    assert result.ci_low is not None and result.ci_low < 0 < result.ci_high  # the percentile one said "less happy"
    assert result.p_value is not None and result.p_value >= 0.05 and result.direction() == 0
    assert result.sentence.startswith("No clear difference in mood between A and B")
    rng = np.random.default_rng(7)
    claims = 0
    for _ in range(60):  # alike groups: a claim is a false one
        x, y = rng.normal(0, 0.2, (2, 5))
        r = compare_samples(GroupSample(x, np.zeros(5), ("neutral",) * 5), GroupSample(y, np.zeros(5), ("neutral",) * 5),
                            n_resamples=1000, seed=int(rng.integers(1000)))  # fmt: skip
        claims += r.direction() != 0
    assert claims <= 6  # about 5 % expected; the interval alone made about 14 %


def test_a_cafe_folder_of_photos_and_a_door_video_counts_both(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Videos inside a folder were passed over in silence (only the photos' faces were compared)."""
    from facemotion.apps.compare import MIXED

    photos = sorted(need(GROUP_PHOTOS).glob("*.jpg"))
    entering, leaving = tmp_path / "entering", tmp_path / "leaving"
    entering.mkdir()
    leaving.mkdir()
    for photo in photos[:4]:
        shutil.copy(photo, entering / photo.name)
    for photo in photos[4:8]:
        shutil.copy(photo, leaving / photo.name)
    shutil.copy(need(VIDEO), leaving / "door.mp4")
    result = compare_groups(entering, leaving, n_resamples=1000)
    photos_only = compare_groups(entering, [str(p) for p in photos[4:8]], n_resamples=1000)
    assert result.units == ("face", MIXED) and result.n_b > photos_only.n_b  # the door camera's people count
    assert result.counted_as == "people or faces"
    twice = compare_groups(entering, [*map(str, photos[4:8]), str(photos[4])], n_resamples=1000)
    assert twice.n_b == photos_only.n_b  # a photo given twice counts once
    with caplog.at_level("WARNING"):
        same = compare_groups(entering, str(entering), n_resamples=1000)
    assert same.metadata["files_in_both_groups"] == 4 and "in both groups" in caplog.text


def test_compare_says_in_its_exit_status_when_something_was_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from facemotion.cli import main

    photos = sorted(need(GROUP_PHOTOS).glob("*.jpg"))
    for side, chosen in (("a", photos[:3]), ("b", photos[3:6])):
        (tmp_path / side).mkdir()
        for photo in chosen:
            shutil.copy(photo, tmp_path / side / photo.name)
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    (tmp_path / "b" / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 1  # a skipped file
    assert "skipped in b: broken.jpg" in capsys.readouterr().err
    blocked = tmp_path / "file"
    blocked.write_text("x")
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--report", str(blocked / "r.html")]) == 2
    assert "file: that is an existing file" in capsys.readouterr().err  # its folder is a file: before any analysis


def test_photos_without_a_face_are_counted_and_reported(astronaut: np.ndarray, tmp_path: Path) -> None:
    """A photo in which no face was found vanished: "n=10 vs 30" for 16 photos, 6 of them faceless."""
    from facemotion.apps.compare import compare_groups
    from facemotion.apps.report import comparison_report_html

    blanks = [np.full((200, 200, 3), grey, np.uint8) for grey in (120, 60)]
    shifted = [np.roll(astronaut, 9 * k, axis=1) for k in range(5)]
    result = compare_groups(shifted, [*shifted, *blanks], names=("entering", "leaving"))
    assert (result.n_a, result.n_b) == (5, 5) and len(result.no_face_b) == 2 and not result.no_face_a
    assert result.sentence.endswith("(2 photos of leaving showed no face)")
    assert len(result.to_dict()["no_face_b"]) == 2
    page = comparison_report_html(result, tmp_path / "r.html").read_text()
    assert "2 photos of leaving showed no face and added nothing to it" in page


def test_copies_of_one_photo_count_once(
    astronaut: np.ndarray, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """30 copies each of two portraits were "a clear difference" with a zero-width interval: two faces."""
    from PIL import Image

    from facemotion.api import EmotionClassifier
    from facemotion.apps.compare import collect_group

    folder = tmp_path / "copies"
    folder.mkdir()
    Image.fromarray(astronaut).save(folder / "a.png")
    for k in range(4):
        (folder / f"copy{k}.png").write_bytes((folder / "a.png").read_bytes())
    Image.fromarray(np.roll(astronaut, 40, axis=1)).save(folder / "other.png")
    sample = collect_group(folder, EmotionClassifier())
    assert sample.n == 2 and "4 photo(s) are copies of others in the same group" in caplog.text


def test_an_interval_the_test_does_not_confirm_says_so_with_its_p_value() -> None:
    """Five tight faces against sixty spread ones: the interval leaves 0 out, the permutation test does not agree."""
    from facemotion.apps.compare import GroupSample, compare_samples

    rng = np.random.default_rng(3)
    a = np.array([0.0, 0.01, -0.01, 0.0, 0.005])
    b = rng.normal(0.18, 0.45, 60).clip(-1, 1)
    result = compare_samples(*(GroupSample(x, np.zeros(len(x)), ("neutral",) * len(x)) for x in (a, b)))
    assert result.ci_low is not None and result.ci_low > 0 and result.direction() == 0
    assert result.sentence.startswith("No clear difference") and "; p = " in result.sentence


def test_copies_of_arrays_and_pipes_in_a_list(astronaut: np.ndarray, tmp_path: Path) -> None:
    """Five copies of one array were five faces ("+1.33, CI +1.33 to +1.33"); hashing a FIFO named x.jpg hung."""
    import os
    import threading

    from facemotion.api import EmotionClassifier
    from facemotion.apps.compare import collect_group

    clf = EmotionClassifier()
    assert collect_group([astronaut.copy() for _ in range(5)], clf).n == 1
    os.mkfifo(tmp_path / "pipe.jpg")
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(collect_group([tmp_path / "pipe.jpg", astronaut], clf)))
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "a FIFO in a list hung the comparison"
    (sample,) = done
    assert sample.n == 1 and len(sample.skipped) == 1  # type: ignore[attr-defined]
