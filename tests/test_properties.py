"""Property-based and fuzz tests through the public entry points.

Invariants checked on every case: probabilities sum to 1 over the nine labels,
valence and arousal lie in [-1, 1], boxes lie inside the image, and nothing but a
FacemotionError escapes.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from facemotion import FacemotionError, ImageReadError
from facemotion.io import read_image

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

dtypes = st.sampled_from([np.uint8, np.uint16, np.float32, np.float64])
shapes = st.tuples(st.integers(1, 120), st.integers(1, 120), st.sampled_from([None, 1, 3, 4]))


@st.composite
def images(draw: st.DrawFn) -> np.ndarray:
    h, w, c = draw(shapes)
    dtype = draw(dtypes)
    shape = (h, w) if c is None else (h, w, c)
    if np.issubdtype(dtype, np.floating):
        elements = st.floats(0, 1, width=32)
    else:
        elements = st.integers(0, int(np.iinfo(dtype).max))
    return draw(arrays(dtype, shape, elements=elements, fill=elements))


any_dtypes = st.sampled_from(
    [np.uint8, np.uint16, np.uint32, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64, bool]
)
any_shapes = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(tuple)


@st.composite
def any_arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays of any dtype, shape and values (NaN, negatives, huge numbers included)."""
    dtype = np.dtype(draw(any_dtypes))
    shape = draw(st.one_of(any_shapes, st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([1, 3, 4]))))
    return draw(arrays(dtype, shape))


@SETTINGS
@given(image=any_arrays())
def test_any_array_is_read_or_refused_cleanly(image: np.ndarray) -> None:
    """Never a crash from inside numpy/OpenCV, never a silently black image from out-of-range data."""
    try:
        out = read_image(image)
    except ImageReadError:
        return
    assert out.dtype == np.uint8 and out.shape == (*image.shape[:2], 3)
    assert image.dtype != bool and np.isfinite(image.astype(np.float64)).all() and image.min() >= 0
    colour = image if image.ndim == 2 or image.shape[2] != 4 else image[:, :, :3]  # alpha is dropped
    visible = 1 if colour.dtype.kind in "ui" else 1 / 255  # floats: at least one step of 0..1 data
    if colour.max() >= visible:  # a visible input never reads as all black
        assert out.max() > 0


@SETTINGS
@given(batch=st.lists(any_arrays(), min_size=1, max_size=4))
def test_skip_gives_one_entry_per_input(tiny_classifier, batch: list[np.ndarray]) -> None:  # type: ignore[no-untyped-def]
    results = tiny_classifier.predict(batch, errors="skip")
    assert len(results) == len(batch)
    for faces in results:
        assert faces.error is None or faces == []
        _check_faces(faces)


def _check_faces(faces: list, shape: tuple[int, ...] | None = None) -> None:  # type: ignore[type-arg]
    for face in faces:
        assert sum(face.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
        assert len(face.probabilities) == 9
        assert -1 <= face.valence <= 1 and -1 <= face.arousal <= 1
        if shape is not None and face.box is not None:
            x, y, w, h = face.box
            assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= shape[1] and y + h <= shape[0]


@SETTINGS
@given(image=images())
def test_any_array_through_predict_faces(tiny_classifier, image: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    _check_faces(tiny_classifier.predict_faces([image]))


@SETTINGS
@given(image=images())
def test_any_array_through_predict(tiny_classifier, image: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    _check_faces(tiny_classifier.predict(image), image.shape)


FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "GIF", "BMP")


@pytest.fixture(scope="module")
def encoded(astronaut: np.ndarray) -> dict[str, bytes]:
    out = {}
    exif = Image.Exif()
    exif[0x0112] = 6  # turned: the EXIF block is parsed and used
    for fmt in FORMATS:
        buffer = io.BytesIO()
        Image.fromarray(astronaut[::2, ::2]).save(buffer, fmt, **({"exif": exif} if fmt in ("JPEG", "PNG") else {}))
        out[fmt] = buffer.getvalue()
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(FORMATS), data=st.data())
def test_mutated_image_bytes(
    tiny_classifier, encoded: dict[str, bytes], tmp_path: Path, fmt: str, data: st.DataObject
) -> None:  # type: ignore[no-untyped-def]
    blob = bytearray(encoded[fmt])
    for _ in range(data.draw(st.integers(1, 12))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        blob[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        blob = blob[: data.draw(st.integers(0, len(blob)))]
    path = tmp_path / f"fuzz.{fmt.lower()}"
    path.write_bytes(bytes(blob))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow's warnings must not escape: facemotion logs them
            image = read_image(path)
    except FacemotionError:
        return
    _check_faces(tiny_classifier.predict(image), image.shape)
