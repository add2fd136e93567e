"""Transfer learning: adapt a trained facemotion model (the bundled one by default) to your faces.

The network keeps all nine emotion outputs and its valence–arousal head. Its early layers
and every batch-normalisation layer stay frozen, the learning rate is low, and training
stops early on a held-out split: the defaults for a few hundred faces.

>>> from facemotion.training.transfer import load_for_finetuning
>>> model, prep = load_for_finetuning("default")
>>> sum(layer.trainable for layer in model.layers) < len(model.layers)
True
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np

from facemotion.artifact import ModelCard, ModelConfig, load_artifact
from facemotion.errors import DatasetError, ModelLoadError
from facemotion.hub import resolve_model
from facemotion.preprocessing import Preprocessing
from facemotion.training.datasets import FaceDataset
from facemotion.training.recipe import TrainingConfig

if TYPE_CHECKING:
    from facemotion.training.run import TrainingRun

#: Layers from the first one named with this prefix train when fine-tuning the compact network (its last two stages).
COMPACT_TRAIN_FROM = "block3a"


def small_data_config(**changes: object) -> TrainingConfig:
    """Fine-tuning defaults for small data: low learning rate, early stopping, no class rebalancing,
    classes absent from the data left out of the loss, and the starting model as a teacher
    (``distill_initial=0.5``: the user's label stays the most probable class of every target)."""
    base = TrainingConfig(
        epochs=40,
        batch_size=32,
        learning_rate=3e-4,
        warmup_epochs=0,
        balance=0.0,
        va_loss_weight=0.2,
        early_stopping=6,
        mask_absent=True,
        distill_initial=0.5,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def load_for_finetuning(
    init: str | Path = "default", *, revision: str | None = None, train_from: str | None = None
) -> tuple[keras.Model, ModelConfig]:
    """A trained model's Keras network, ready to fine-tune, and its config.

    ``init`` is ``"default"`` (the bundled model), a model directory or a Hub id. Layers
    before the first whose name starts with ``train_from`` (default: the last two stages of the compact network; the
    VGGFace recipe keeps its own trainable layers) and all batch normalisation are frozen.
    """
    path = resolve_model(init, revision)
    model, config = load_artifact(path)
    if config.recipe == "compact":
        start = train_from or COMPACT_TRAIN_FROM
        names = [layer.name for layer in model.layers]
        first = next((i for i, name in enumerate(names) if name.startswith(start)), -1)
        if first < 0:
            raise ModelLoadError(f"{path}: no layer named {start!r}… to start fine-tuning from")
        for i, layer in enumerate(model.layers):
            layer.trainable = i >= first
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # a few hundred faces cannot re-estimate the statistics
    return model, config


def copy_matching_weights(source: keras.Model, target: keras.Model) -> list[str]:
    """Copy into ``target`` the weights of every layer of ``source`` with the same name and shapes.

    Returns the names of the layers copied; the others keep their initial weights. This
    starts a new design (say separable blocks) from a trained network's shared layers.

    >>> from facemotion.training import build_model
    >>> old, new = build_model(width=4), build_model(width=4, blocks="separable")
    >>> "down1_conv" in copy_matching_weights(old, new)
    True
    """
    by_name = {layer.name: layer for layer in source.layers}
    copied = []
    for layer in target.layers:
        match = by_name.get(layer.name)
        if match is None or not layer.weights:
            continue
        weights = match.get_weights()
        if [w.shape for w in weights] == [tuple(w.shape) for w in layer.weights]:
            layer.set_weights(weights)
            copied.append(layer.name)
    return copied


def prune_residual_blocks(source: keras.Model, target: keras.Model) -> list[str]:
    """Start ``target``, a copy of ``source``'s design with fewer channels inside its residual blocks, from ``source``.

    Each block keeps the channels between its two convolutions whose batch-norm scale is
    largest in ``source``; every other layer is copied whole. Returns the layers copied.

    >>> from facemotion.training import build_model
    >>> old, new = build_model(width=4), build_model(width=4, inner=0.25)
    >>> "block1_b_conv" in prune_residual_blocks(old, new)
    True
    """
    copied = copy_matching_weights(source, target)
    for layer in target.layers:
        if not layer.name.endswith("_a_conv") or layer.name in copied:
            continue
        block = layer.name.removesuffix("_a_conv")
        kernel_a, bn_a, kernel_b = (
            source.get_layer(f"{block}{part}").get_weights() for part in ("_a_conv", "_a_bn", "_b_conv")
        )
        keep = np.sort(np.argsort(-np.abs(bn_a[0]))[: layer.weights[0].shape[-1]])  # bn_a[0]: the scales
        layer.set_weights([kernel_a[0][..., keep]])
        target.get_layer(f"{block}_a_bn").set_weights([w[keep] for w in bn_a])
        target.get_layer(f"{block}_b_conv").set_weights([kernel_b[0][:, :, keep]])
        copied += [layer.name, f"{block}_a_bn", f"{block}_b_conv"]
    return copied


def split_validation(data: FaceDataset, fraction: float = 0.2, seed: int = 0) -> tuple[FaceDataset, FaceDataset]:
    """Stratified split: ``fraction`` of each class (at least one face when it has two) for validation."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(data), bool)
    for c in np.unique(data.labels):
        index = rng.permutation(np.flatnonzero(data.labels == c))
        if len(index) >= 2:
            held[index[: max(1, round(fraction * len(index)))]] = True
    return data.subset(~held), data.subset(held)


def finetune_pretrained(
    train: FaceDataset,
    out: str | Path,
    *,
    init: str | Path = "default",
    val: FaceDataset | None = None,
    work_dir: str | Path | None = None,
    config: TrainingConfig | None = None,
    card: ModelCard | None = None,
    revision: str | None = None,
    verbose: int | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
    overwrite: bool = False,
) -> TrainingRun:
    """Fine-tune a trained model on ``train`` and save it as a model directory at ``out``
    (a new or empty folder, unless ``overwrite``).

    Without ``val``, 20 % of each class is held out; the best epoch on it is kept and its
    figures go into the model card. Classes absent from ``train`` are left out of the
    loss, so their outputs stay close to what the starting model gave (fine-tuning on
    eight classes would otherwise teach it never to say the ninth). A frozen copy of the
    starting model labels every training batch beside the user's labels
    (``config.distill_initial``), so that a few hundred faces do not erase what it knew. The saved model gets
    a checked float32 LiteRT export, so it runs without TensorFlow like the bundled one.
    Checkpoints go to ``work_dir`` (default ``OUT_work`` beside ``out``). Returns the
    `facemotion.training.run.TrainingRun` (``.out``, ``.summary()``).

    >>> from facemotion.training import load_image_folder
    >>> _, config = load_for_finetuning()  # doctest: +SKIP
    >>> run = finetune_pretrained(load_image_folder("my_faces/", config.preprocessing), "my_model")  # doctest: +SKIP
    >>> print(run.summary())  # doctest: +SKIP
    """
    from facemotion.training.run import ABSENT_AS_NEVER, batch_size_for, train_and_save

    if len(train) < 2:
        raise DatasetError("fine-tuning needs at least two faces")
    model, base = load_for_finetuning(init, revision=revision)
    prep: Preprocessing = base.preprocessing
    for faces in (train, val):
        if faces is not None and faces.images.shape[1:] != (prep.input_size, prep.input_size, prep.channels):
            raise DatasetError(
                f"faces are {faces.images.shape[1:]}, the model wants {prep}: load them with its preprocessing"
            )
    if config is None:
        config = small_data_config(batch_size=batch_size_for(int(len(train) * (0.8 if val is None else 1.0)), 32))
    return train_and_save(
        model,
        train,
        val,
        prep,
        out,
        recipe=base.recipe,
        config=config,
        work_dir=work_dir,
        card=card or ModelCard(training_data=f"fine-tuned from {init}"),
        absent_handling="left out of the loss, so the model keeps what it knew about them"
        if config.mask_absent
        else ABSENT_AS_NEVER,
        verbose=verbose,
        callbacks=callbacks,
        started_from=str(init),
        overwrite=overwrite,
    )
