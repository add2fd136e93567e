"""Training utilities: datasets, targets, models, fine-tuning, evaluation, export.

Never imported by the inference code. Names load lazily: ``facemotion.training.evaluate``
and the dataset loaders need numpy only; fine-tuning, distillation and export need the
``train`` extra (Keras, and TensorFlow for the LiteRT export).
"""

from typing import TYPE_CHECKING, Any

from facemotion.errors import MissingExtraError
from facemotion.lazy import lazy_attributes

_NAMES = {
    "FaceDataset": "facemotion.training.datasets",
    "list_image_folder": "facemotion.training.datasets",
    "load_affect_csv": "facemotion.training.datasets",
    "load_image_folder": "facemotion.training.datasets",
    "load_vote_folder": "facemotion.training.datasets",
    "affect_from_votes": "facemotion.training.targets",
    "affect_near_anchor": "facemotion.training.targets",
    "soft_labels_from_votes": "facemotion.training.targets",
    "Augmentation": "facemotion.training.augment",
    "distill_targets": "facemotion.training.distill",
    "teacher_probabilities": "facemotion.training.distill",
    "TrainingConfig": "facemotion.training.recipe",
    "build_model": "facemotion.training.recipe",
    "finetune": "facemotion.training.recipe",
    "plot_history": "facemotion.training.recipe",
    "recipe_preprocessing": "facemotion.training.recipe",
    "TrainingModel": "facemotion.training.trainer",
    "finetune_pretrained": "facemotion.training.transfer",
    "load_for_finetuning": "facemotion.training.transfer",
    "small_data_config": "facemotion.training.transfer",
    "split_validation": "facemotion.training.transfer",
    "TrainingRun": "facemotion.training.run",
    "train_and_save": "facemotion.training.run",
}

_load = lazy_attributes(__name__, _NAMES)


def __getattr__(name: str) -> Any:
    """Load ``name`` on first use; without the ``train`` extra, say which to install."""
    try:
        return _load(name)
    except ModuleNotFoundError as err:
        missing = (err.name or "").split(".")[0]
        if missing not in ("keras", "tensorflow"):
            raise
        raise MissingExtraError(
            f"facemotion.training.{name} needs {missing}, which facemotion's core install does not include: "
            'pip install "facemotion[train]"'
        ) from None


__all__ = [
    "Augmentation",
    "FaceDataset",
    "TrainingConfig",
    "TrainingModel",
    "TrainingRun",
    "affect_from_votes",
    "affect_near_anchor",
    "build_model",
    "distill_targets",
    "finetune",
    "finetune_pretrained",
    "list_image_folder",
    "load_affect_csv",
    "load_for_finetuning",
    "load_image_folder",
    "load_vote_folder",
    "plot_history",
    "recipe_preprocessing",
    "small_data_config",
    "soft_labels_from_votes",
    "split_validation",
    "teacher_probabilities",
    "train_and_save",
]

if TYPE_CHECKING:
    from facemotion.training.augment import Augmentation
    from facemotion.training.datasets import (
        FaceDataset,
        list_image_folder,
        load_affect_csv,
        load_image_folder,
        load_vote_folder,
    )
    from facemotion.training.distill import distill_targets, teacher_probabilities
    from facemotion.training.recipe import TrainingConfig, build_model, finetune, plot_history, recipe_preprocessing
    from facemotion.training.run import TrainingRun, train_and_save
    from facemotion.training.targets import affect_from_votes, affect_near_anchor, soft_labels_from_votes
    from facemotion.training.trainer import TrainingModel
    from facemotion.training.transfer import (
        finetune_pretrained,
        load_for_finetuning,
        small_data_config,
        split_validation,
    )
