"""Image inputs: dtypes and value ranges, shapes, special files, and memory on huge images."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from facemotion.errors import ImageReadError
from facemotion.io import BIT_DEPTHS, read_image, read_image_reduced, to_uint8

INT_DTYPES = [np.uint16, np.uint32, np.uint64, np.int16, np.int32, np.int64]


@settings(max_examples=80, deadline=None)
@given(dtype=st.sampled_from(INT_DTYPES), bits=st.sampled_from(BIT_DEPTHS), data=st.data())
def test_integers_are_scaled_by_their_bit_depth(dtype: type, bits: int, data: st.DataObject) -> None:
    top = (1 << bits) - 1
    if top > np.iinfo(dtype).max:
        bits, top = 8, 255
    image = data.draw(arrays(dtype, (4, 5), elements=st.integers(0, top)))
    image[0, 0] = top  # the data uses its full depth
    out = read_image(image)
    assert out.dtype == np.uint8 and out.shape == (4, 5, 3)
    assert out[0, 0, 0] == 255  # full scale is white, whatever the depth
    expected = np.rint(image.astype(np.float64) * 255 / top)
    np.testing.assert_array_equal(out[:, :, 0], expected)


@settings(max_examples=60, deadline=None)
@given(dtype=st.sampled_from([np.float16, np.float32, np.float64]), unit=st.booleans(), data=st.data())
def test_floats_in_0_1_and_0_255(dtype: type, unit: bool, data: st.DataObject) -> None:
    top = 1.0 if unit else 255.0
    image = data.draw(arrays(dtype, (3, 6), elements=st.floats(0, top, width=16 if dtype is np.float16 else 32)))
    image[0, 0] = top
    out = read_image(image)
    scaled = image.astype(np.float64) * (255.0 if unit else 1.0)
    np.testing.assert_allclose(out[:, :, 0], np.rint(scaled), atol=1)  # float16 rounding
    assert out[0, 0, 0] == 255


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.array([[0.5, np.nan]]), "NaN"),
        (np.array([[0.5, np.inf]], np.float32), "infinite"),
        (np.array([[-0.1, 0.5]]), "negative"),
        (np.array([[10.0, 300.0]]), "up to 300"),
        (np.array([[-1, 200]], np.int32), "negative"),
        (np.array([[0, 70000]], np.int64), "beyond 16 bits"),
        (np.ones((3, 3), bool), "boolean"),
        (np.ones((3, 3), np.complex64), "dtype"),
        (np.array([["a", "b"]]), "dtype"),
        (np.zeros((2, 3, 4, 3), np.uint8), "shape"),
        (np.zeros((5, 5, 2), np.uint8), "shape"),
        (np.zeros((5, 0, 3), np.uint8), "no pixels"),
        (np.zeros((7,), np.uint8), "shape"),
    ],
)
def test_unusable_arrays_are_refused_not_blackened(bad: np.ndarray, message: str) -> None:
    with pytest.raises(ImageReadError, match=message):
        read_image(bad)


def test_uint8_is_taken_as_is() -> None:
    image = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_array_equal(read_image(image)[:, :, 1], image)
    np.testing.assert_array_equal(to_uint8(np.array([[0, 200]], np.uint16)), [[0, 200]])  # 8-bit data in uint16


@pytest.mark.parametrize(
    "mode, values, top",
    [("I;16", np.arange(0, 4096, 64, dtype=np.uint16), 4095), ("I", np.arange(0, 256, 4, dtype=np.int32), 255)],
)
def test_16_and_32_bit_files(tmp_path: Path, mode: str, values: np.ndarray, top: int) -> None:
    image = np.resize(values, (8, 8))
    image[0, 0] = top
    path = tmp_path / "deep.tif"
    Image.fromarray(image).save(path)
    assert Image.open(path).mode == mode
    out = read_image(path)
    np.testing.assert_array_equal(out[:, :, 2], np.rint(image * 255.0 / top))


def test_float_tiff_files(tmp_path: Path) -> None:
    unit = np.linspace(0, 1, 48, dtype=np.float32).reshape(6, 8)
    path = tmp_path / "unit.tif"
    Image.fromarray(unit).save(path)
    np.testing.assert_array_equal(read_image(path)[:, :, 0], np.rint(unit * 255))
    unit[2, 2] = np.nan
    Image.fromarray(unit).save(path)
    with pytest.raises(ImageReadError, match="NaN"):
        read_image(path)


def test_a_12_bit_png_is_not_dark(tmp_path: Path, astronaut: np.ndarray) -> None:
    grey = astronaut.mean(axis=2)
    twelve = np.rint(grey * 4095 / 255).astype(np.uint16)
    path = tmp_path / "twelve.png"
    Image.fromarray(twelve).save(path)
    out = read_image(path)[:, :, 0].astype(int)
    assert np.abs(out - grey).max() <= 1


def _finishes(target: object, seconds: float = 10.0) -> BaseException | None:
    """Run ``target()`` in a daemon thread; fail (not hang) when it does not return in time."""
    caught: list[BaseException] = []

    def run() -> None:
        try:
            target()  # type: ignore[operator]
        except BaseException as err:  # handed back to the test
            caught.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "reading hung"
    return caught[0] if caught else None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_is_refused_without_opening(tmp_path: Path) -> None:
    fifo = tmp_path / "x.jpg"
    os.mkfifo(fifo)
    err = _finishes(lambda: read_image(fifo))
    assert isinstance(err, ImageReadError) and "FIFO" in str(err)


def test_socket_device_and_directory_are_refused(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as short:  # socket paths must be short
        path = Path(short) / "s.png"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        try:
            with pytest.raises(ImageReadError, match="socket"):
                read_image(path)
        finally:
            server.close()
    if Path("/dev/null").exists():
        err = _finishes(lambda: read_image("/dev/null"))
        assert isinstance(err, ImageReadError) and "device" in str(err)
    folder = tmp_path / "d.jpg"
    folder.mkdir()
    with pytest.raises(ImageReadError, match="directory"):
        read_image(folder)


@pytest.mark.parametrize("name", ["a\x00b.jpg", "x" * 5000 + ".jpg"])
def test_impossible_names(name: str) -> None:
    with pytest.raises(ImageReadError, match="cannot be read"):
        read_image(name)


def test_wrong_type_names_what_is_accepted() -> None:
    with pytest.raises(ImageReadError, match=r"from int 42; pass a path .*numpy array .*PIL image"):
        read_image(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_large_inputs_are_read_reduced_with_their_scale(
    tmp_path: Path, astronaut: np.ndarray, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / f"a.{fmt.lower()}"
    Image.fromarray(astronaut).save(path, fmt)
    monkeypatch.setattr("facemotion.io.MAX_DECODED_PIXELS", 512 * 512 // 4)
    image, scale = read_image_reduced(path)
    assert image.shape == (256, 256, 3) and scale == 2.0  # JPEG: draft mode; PNG: box filter
    full = read_image(path)  # read_image keeps the full size
    assert full.shape == astronaut.shape
    np.testing.assert_allclose(image.astype(float).mean(), full.astype(float).mean(), atol=2)
    array, array_scale = read_image_reduced(astronaut, max_decoded=171 * 171)
    assert array.shape == (170, 170, 3) and array_scale == pytest.approx(512 / 170)


def test_no_pillow_bomb_warning(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (9500, 9500)).save(path)  # over Pillow's 89-megapixel warning, under our limit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image, scale = read_image_reduced(path)
    assert max(image.shape) <= 9500 // 2 and scale >= 2


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child of a big pytest process
# would report the parent's peak.
MEMORY_CHECK = """
import re, sys
from facemotion import EmotionClassifier
faces = EmotionClassifier().predict(sys.argv[1], errors="skip")
with open("/proc/self/status") as status:
    peak_kb = int(re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1))
print(peak_kb // 1024, faces.error)
"""


def _png_claiming(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 30000, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("kind", ["png-header", "png-valid", "jpeg-95mp"])
def test_huge_images_stay_under_1_2_gb(tmp_path: Path, kind: str) -> None:
    """Issue 25: a 9999×9999 PNG header took 2.7 GB, a 95-megapixel JPEG 2.6 GB."""
    if kind == "png-header":
        path = tmp_path / "bomb.png"
        path.write_bytes(_png_claiming(9999, 9999))
    elif kind == "png-valid":
        path = tmp_path / "zeros.png"
        Image.new("L", (9999, 9999)).save(path)
    else:
        path = tmp_path / "big.jpg"
        Image.new("L", (10920, 8700), 120).save(path, quality=70)
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_CHECK, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "DecompressionBomb" not in done.stderr
    peak_mb = int(done.stdout.split()[0])
    assert peak_mb < 1200, f"{kind}: peak {peak_mb} MB"


def test_pillow_warnings_become_one_log_line(
    tmp_path: Path, astronaut: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    import struct

    buffer = io.BytesIO()
    Image.fromarray(astronaut[::4, ::4]).save(buffer, "TIFF")
    blob = bytearray(buffer.getvalue())
    assert blob[:2] == b"II"
    ifd = struct.unpack_from("<I", blob, 4)[0]
    for i in range(struct.unpack_from("<H", blob, ifd)[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack_from("<H", blob, entry)[0] == 284:  # PlanarConfiguration: claim 10,000 values
            struct.pack_into("<I", blob, entry + 4, 10_000)
    path = tmp_path / "damaged.tif"
    path.write_bytes(bytes(blob))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Pillow warning escaping would fail here
        image = read_image(path)
    assert image.shape == (128, 128, 3)
    assert any("damaged metadata" in r.getMessage() and "damaged.tif" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    from PIL import ImageOps

    rng = np.random.default_rng(orientation)
    stored = Image.fromarray(rng.integers(0, 255, (6, 9, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "turned.png"
    stored.save(path, exif=exif)
    with Image.open(path) as image:
        expected = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    np.testing.assert_array_equal(read_image(path), expected)


def test_threads_read_files_alike(tmp_path: Path, astronaut: np.ndarray) -> None:
    from concurrent.futures import ThreadPoolExecutor

    paths = []
    for i, fmt in enumerate(["JPEG", "PNG", "TIFF", "WEBP"] * 3):
        path = tmp_path / f"{i}.{fmt.lower()}"
        Image.fromarray(np.roll(astronaut, 7 * i, axis=1)[::2, ::2]).save(path, fmt)
        paths.append(path)
    expected = [read_image(p) for p in paths]
    with ThreadPoolExecutor(6) as pool:
        for _ in range(3):
            for got, want in zip(pool.map(read_image, paths), expected, strict=True):
                np.testing.assert_array_equal(got, want)


def test_one_lazily_opened_pil_image_shared_by_threads(tmp_path: Path, astronaut: np.ndarray) -> None:
    """``Image.open`` decodes on first use, and Pillow's ``load()`` is not thread-safe: threads handed the
    same unloaded image got other pixels or a false "image file is truncated"."""
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "photo.jpg"
    Image.fromarray(np.tile(astronaut, (3, 3, 1))).save(path, quality=90)
    expected = read_image(path)
    for _ in range(5):
        image = Image.open(path)
        with ThreadPoolExecutor(4) as pool:
            for got in pool.map(read_image, [image] * 4):
                np.testing.assert_array_equal(got, expected)


def test_a_float_image_overshooting_1_is_read_as_0_to_1(astronaut: np.ndarray) -> None:
    """A cubic resize or a brightening of a 0..1 image goes a little over 1: read as 0..255 it was black,
    and the photo's faces were silently lost."""
    import cv2

    from facemotion import EmotionClassifier

    unit = astronaut.astype(np.float64) / 255
    resized = np.maximum(cv2.resize(unit, (640, 640), interpolation=cv2.INTER_CUBIC), 0)
    assert 1.0 < resized.max() < 1.2
    for image in (resized, unit * 1.05):
        assert read_image(image).mean() > 0.9 * astronaut.mean()
    clf = EmotionClassifier()
    assert len(clf.predict(resized)) == len(clf.predict(astronaut)) == 1
    with pytest.raises(ImageReadError, match="normalised image"):
        read_image(unit * 2 - 1)  # a [-1, 1] network input is not a photo: refused, not half black


def test_a_video_given_as_a_photo_says_where_videos_go(tmp_path: Path) -> None:
    (tmp_path / "talk.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    with pytest.raises(ImageReadError, match=r"not an image file Pillow can read \(a video: .*analyze_video"):
        read_image(tmp_path / "talk.mp4")
