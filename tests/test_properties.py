"""Property-based and fuzz tests through the public entry points.

Invariants checked on every case: probabilities sum to 1 over the nine labels,
valence and arousal lie in [-1, 1], boxes lie inside the image, and nothing but a
FacemotionError escapes.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from facemotion import FacemotionError
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


@pytest.fixture(scope="module")
def encoded(astronaut: np.ndarray) -> dict[str, bytes]:
    out = {}
    for fmt in ("JPEG", "PNG"):
        buffer = io.BytesIO()
        Image.fromarray(astronaut[::2, ::2]).save(buffer, fmt)
        out[fmt] = buffer.getvalue()
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(["JPEG", "PNG"]), data=st.data())
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
        image = read_image(path)
    except FacemotionError:
        return
    _check_faces(tiny_classifier.predict(image), image.shape)
