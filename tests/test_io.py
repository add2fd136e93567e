import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facemotion.errors import FacemotionError, ImageReadError
from facemotion.io import read_image


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height pixels but holds almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(100_000, 100_000))
    start = time.perf_counter()
    with pytest.raises(ImageReadError, match="over the limit"):
        read_image(bomb)
    assert time.perf_counter() - start < 5  # refused from the header, not after allocating 30 GB


def test_pixel_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    Image.new("RGB", (20, 10)).save(path)
    assert read_image(path, max_pixels=200).shape == (10, 20, 3)
    with pytest.raises(ImageReadError):
        read_image(path, max_pixels=199)


@pytest.mark.parametrize(
    "name, content",
    [("empty.jpg", b""), ("text.png", b"hello, not an image"), ("random.jpg", bytes(range(256)) * 4)],
)
def test_not_an_image(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageReadError):
        read_image(path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files(tmp_path: Path, astronaut: np.ndarray, fmt: str) -> None:
    buffer = io.BytesIO()
    Image.fromarray(astronaut).save(buffer, fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 3])
    with pytest.raises(ImageReadError, match="corrupt or truncated"):
        read_image(path)


def test_missing_path_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="no such file"):
        read_image(tmp_path / "nope.jpg")
    with pytest.raises(ImageReadError, match="directory"):
        read_image(tmp_path)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif)
    assert read_image(path).shape == (40, 20, 3)


def test_other_modes(tmp_path: Path) -> None:
    grey16 = tmp_path / "grey16.png"
    Image.fromarray(np.full((8, 9), 40000, np.uint16)).save(grey16)
    out = read_image(grey16)
    assert out.shape == (8, 9, 3) and 150 < out[0, 0, 0] < 160
    rgba = Image.new("RGBA", (6, 5), (10, 20, 30, 0))
    assert read_image(rgba).shape == (5, 6, 3)
    assert read_image(np.zeros((3, 3), np.uint8)).shape == (3, 3, 3)


@pytest.mark.parametrize("bad", [np.zeros((0, 5, 3), np.uint8), np.zeros((5,), np.uint8), 42, None])
def test_bad_in_memory_inputs(bad: object) -> None:
    with pytest.raises(FacemotionError):
        read_image(bad)  # type: ignore[arg-type]
