import numpy as np
import pytest

from facemotion.preprocessing import Preprocessing, normalize, resize_faces, to_model_input, to_uint8_rgb


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((5, 7), np.uint8),
        np.zeros((5, 7, 1), np.uint8),
        np.zeros((5, 7, 4), np.uint8),
        np.full((5, 7, 3), 65535, np.uint16),
        np.ones((5, 7, 3), np.float32),
    ],
)
def test_any_image_becomes_rgb_uint8(array: np.ndarray) -> None:
    out = to_uint8_rgb(array)
    assert out.shape == (5, 7, 3) and out.dtype == np.uint8


def test_sixteen_bit_and_float_white_stay_white() -> None:
    assert to_uint8_rgb(np.full((2, 2, 3), 65535, np.uint16)).min() == 255
    assert to_uint8_rgb(np.ones((2, 2), np.float64)).min() == 255


def test_bad_shape_is_refused() -> None:
    with pytest.raises(ValueError):
        to_uint8_rgb(np.zeros((2, 2, 5), np.uint8))


def test_resize_to_grey_model_input() -> None:
    faces = [np.zeros((10, 30, 3), np.uint8), np.full((200, 100), 255, np.uint8)]
    batch = to_model_input(faces, Preprocessing(input_size=48))
    assert batch.shape == (2, 48, 48, 1) and batch.dtype == np.float32
    assert batch[0].max() == 0.0 and batch[1].min() == pytest.approx(1.0)


def test_vggface_normalization_is_bgr_minus_means() -> None:
    prep = Preprocessing(input_size=4, color_mode="rgb", normalization="vggface")
    rgb = np.zeros((1, 4, 4, 3), np.float32)
    rgb[..., 0] = 200.0  # red
    out = normalize(rgb, prep)
    np.testing.assert_allclose(out[0, 0, 0], [0 - 91.4953, 0 - 103.8827, 200 - 131.0912], rtol=1e-6)
    assert resize_faces([np.zeros((300, 300, 3), np.uint8)], prep).shape == (1, 4, 4, 3)


def test_invalid_config_is_refused() -> None:
    with pytest.raises(ValueError):
        Preprocessing.from_dict(
            {"input_size": 48, "color_mode": "grayscale", "normalization": "vggface", "margin": 0.1}
        )
