"""Fine-tune a model on your own folder-per-emotion dataset, evaluate it, and save it.

my_faces/
    happy/  img001.jpg ...
    sad/    ...
    angry/  ...            (common synonyms are fine)

python examples/finetune_folder.py my_faces/ --val my_faces_val/ --out my_model --epochs 20
"""

from __future__ import annotations

import argparse

from facemotion import EmotionClassifier
from facemotion.artifact import ModelCard, save_pretrained
from facemotion.training import TrainingConfig, build_model, finetune, load_image_folder, recipe_preprocessing
from facemotion.training.evaluate import evaluate_folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--val", help="validation folder (default: evaluate on the training folder)")
    parser.add_argument("--out", default="my_model")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--recipe", choices=["compact", "vggface"], default="compact")
    parser.add_argument("--photos", action="store_true", help="images are whole photos: detect and crop faces")
    args = parser.parse_args()

    prep = recipe_preprocessing(args.recipe)
    train = load_image_folder(args.data, prep, detect_faces=args.photos)
    val = load_image_folder(args.val, prep, detect_faces=args.photos) if args.val else None
    print(f"{len(train)} training faces: {train.class_counts()}")
    model = build_model(args.recipe)
    finetune(model, train, val, prep, f"{args.out}_work", TrainingConfig(epochs=args.epochs, batch_size=32))
    save_pretrained(model, args.out, prep, recipe=args.recipe, card=ModelCard(training_data=args.data))

    report = evaluate_folder(EmotionClassifier(args.out), args.val or args.data, crops=not args.photos)
    print(report.summary())


if __name__ == "__main__":
    main()
