"""Training utilities: datasets, targets, models, fine-tuning, evaluation, export.

Never imported by the inference code.
"""

from facemotion.training.datasets import (
    FaceDataset,
    list_image_folder,
    load_affect_csv,
    load_image_folder,
    load_vote_folder,
)
from facemotion.training.distill import distill_targets, teacher_probabilities
from facemotion.training.finetune import TrainingConfig, build_model, finetune, plot_history, recipe_preprocessing
from facemotion.training.pipeline import Augmentation, make_tf_dataset
from facemotion.training.targets import affect_from_votes, affect_near_anchor, soft_labels_from_votes
from facemotion.training.transfer import finetune_pretrained, load_for_finetuning, small_data_config, split_validation

__all__ = [
    "Augmentation",
    "FaceDataset",
    "TrainingConfig",
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
    "make_tf_dataset",
    "plot_history",
    "recipe_preprocessing",
    "small_data_config",
    "soft_labels_from_votes",
    "split_validation",
    "teacher_probabilities",
]
