"""The in-tree VGGFace ResNet-50 loads weights saved in the original keras-vggface layout."""

from pathlib import Path

import h5py
import keras
import numpy as np

from facemotion.models import build_vggface_resnet50
from facemotion.models.vggface import unfreeze_last


def _save_original_layout(model: keras.Model, path: Path) -> None:
    """Write weights as keras-vggface's .h5 did: Keras 2 layout, layer names with '/'."""
    with h5py.File(path, "w") as f:
        names = []
        for layer in model.layers:
            original = layer.name.replace("_bn", "/bn").replace("conv1_7x7_s2", "conv1/7x7_s2")
            names.append(original.encode())
            group = f.create_group(original)
            weight_names = []
            for i, w in enumerate(layer.weights):
                wname = f"{original}/w{i}:0"
                group.create_dataset(wname, data=w.numpy())
                weight_names.append(wname.encode())
            group.attrs["weight_names"] = weight_names
        f.attrs["layer_names"] = names
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"


def test_topological_load_of_the_original_layout(tmp_path: Path) -> None:
    keras.utils.set_random_seed(1)
    source = build_vggface_resnet50()
    assert source.output.shape == (None, 1, 1, 2048)
    assert source.count_params() == 23_561_152
    path = tmp_path / "rcmalli_vggface_tf_notop_resnet50.h5"
    _save_original_layout(source, path)
    keras.utils.set_random_seed(2)
    target = build_vggface_resnet50()
    x = np.random.default_rng(0).normal(0, 50, (1, 224, 224, 3)).astype("float32")
    assert not np.allclose(source(x), target(x))
    target.load_weights(str(path))
    np.testing.assert_allclose(source(x), target(x), rtol=1e-5, atol=1e-5)


def test_reference_recipe_unfreezes_last_13_layers() -> None:
    from facemotion.training import build_model

    model = build_model("vggface", tasks=("emotion",))
    backbone = model.get_layer("conv5_3_1x1_increase")
    assert backbone.trainable
    assert not model.get_layer("conv5_2_3x3").trainable
    names = [layer.name for layer in model.layers]
    assert names[-4:] == ["head_flatten", "head_dense", "head_dropout", "emotion"]
    assert model.get_layer("head_dense").units == 512 and model.get_layer("head_dropout").rate == 0.25
    assert model.output["emotion"].shape == (None, 9)
    m = unfreeze_last(build_vggface_resnet50(), 13)
    assert [layer.trainable for layer in m.layers].count(True) == 13
