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


def test_a_camera_jpeg_over_the_limit_is_read_reduced_and_the_limit_is_set_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 102-MP JPEG (a medium-format camera's) was refused, and a CLI user had no way to raise the limit."""
    from facemotion.errors import OptionError
    from facemotion.io import read_image_reduced

    jpeg, png = tmp_path / "camera.jpg", tmp_path / "scan.png"
    Image.new("RGB", (400, 300), (120, 110, 100)).save(jpeg)
    Image.new("RGB", (400, 300)).save(png)
    image, scale = read_image_reduced(jpeg, max_pixels=100_000, max_decoded=40_000)
    assert scale == 2.0 and image.shape == (150, 200, 3)  # judged by the 30,000 pixels it decodes to
    with pytest.raises(ImageReadError, match=r"over the limit of 100,000 .*FACEMOTION_MAX_PIXELS"):
        read_image_reduced(png, max_pixels=100_000, max_decoded=40_000)  # a PNG is decoded whole first
    with pytest.raises(ImageReadError, match="over the limit of 100,000"):
        read_image(jpeg, max_pixels=100_000)  # read at full size: judged whole
    monkeypatch.setenv("FACEMOTION_MAX_PIXELS", "100_000")
    with pytest.raises(ImageReadError, match="over the limit of 100,000"):
        read_image(png)
    monkeypatch.setenv("FACEMOTION_MAX_PIXELS", "120000")
    assert read_image(png).shape == (300, 400, 3)
    for wrong in ("lots", "0", "-5", "1e9", "1__0"):
        monkeypatch.setenv("FACEMOTION_MAX_PIXELS", wrong)
        with pytest.raises(OptionError, match="FACEMOTION_MAX_PIXELS must be a whole number"):
            read_image(png)


def test_pillows_own_bomb_guard_does_not_refuse_what_the_limit_allows(tmp_path: Path) -> None:
    """Pillow raises over 179 MP when a header is opened; the limit alone decides (and Pillow's guard is restored)."""
    from PIL import Image as PILImage

    bomb = tmp_path / "wide.png"
    bomb.write_bytes(_png_header(20_000, 10_000))  # 200 MP claimed, not decodable
    with pytest.raises(ImageReadError, match="over the limit of 100,000,000") as info:
        read_image(bomb)
    assert "decompression bomb" not in str(info.value)
    assert PILImage.MAX_IMAGE_PIXELS == 89_478_485


def test_an_iphone_heic_photo_is_read_with_the_heic_extra_and_named_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HEIC, an iPhone's default, was "not an image file Pillow can read", and folder scans passed it by."""
    import sys

    from facemotion.inputs import expand_inputs

    pillow_heif = pytest.importorskip("pillow_heif", reason="the heic extra (in dev) writes the test photo")
    pillow_heif.register_heif_opener()
    path = tmp_path / "IMG_0001.HEIC"
    Image.new("RGB", (64, 48), (200, 120, 40)).save(path, format="HEIF")
    image = read_image(path)
    assert image.shape == (48, 64, 3) and abs(int(image[24, 32, 0]) - 200) < 12
    assert [p.name for p in expand_inputs([tmp_path]).files] == ["IMG_0001.HEIC"]
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # as in a core install
    with pytest.raises(ImageReadError, match=r'IMG_0001.HEIC is a HEIF photo .*pip install "facemotion\[heic\]"'):
        read_image(path)


def test_pillows_guard_is_raised_for_every_format_and_mpo_is_a_jpeg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TIFF is checked again when it loads (it was refused after the guard came back); a phone's MPO is a JPEG
    (it was decoded whole and judged by its header); a JPEG's header may claim at most 8 times the limit."""
    from PIL import Image as PILImage

    from facemotion.io import read_image_reduced

    picture = Image.fromarray((np.random.default_rng(0).random((300, 400, 3)) * 255).astype(np.uint8))
    for name, options in (("a.tif", {}), ("b.tif", {"compression": "tiff_lzw"}), ("c.png", {}), ("d.jpg", {})):
        picture.save(tmp_path / name, **options)
    picture.save(tmp_path / "e.mpo", format="MPO", save_all=True, append_images=[picture])
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 50_000)  # Pillow errs over 100,000: these are 120,000
    for name in ("a.tif", "b.tif", "c.png", "d.jpg", "e.mpo"):
        assert read_image(tmp_path / name).shape == (300, 400, 3), name
    assert PILImage.MAX_IMAGE_PIXELS == 50_000
    assert read_image_reduced(tmp_path / "e.mpo", max_pixels=100_000, max_decoded=40_000)[1] == 2.0  # drafted
    assert read_image_reduced(tmp_path / "d.jpg", max_pixels=16_000, max_decoded=4_000)[1] == 8.0  # 7.5 × the limit
    with pytest.raises(ImageReadError, match="over the limit of 14,000"):
        read_image_reduced(tmp_path / "d.jpg", max_pixels=14_000, max_decoded=4_000)  # its header: 8.6 × the limit
