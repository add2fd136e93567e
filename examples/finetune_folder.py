"""Fine-tune the bundled model on your own folder-per-emotion dataset, evaluate it, and save it.

my_faces/
    happy/  img001.jpg ...
    sad/    ...
    angry/  ...            (common synonyms are fine)

python examples/finetune_folder.py my_faces/ --val my_faces_val/ --out my_model
"""

from __future__ import annotations

import argparse

from facemotion import EmotionClassifier
from facemotion.training import finetune_pretrained, load_for_finetuning, load_image_folder
from facemotion.training.evaluate import evaluate_folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--val", help="validation folder (default: 20 %% of each class of DATA for early stopping)")
    parser.add_argument("--out", default="my_model")
    parser.add_argument("--init", default="default", help="model to start from: default, a directory or a Hub id")
    parser.add_argument("--photos", action="store_true", help="images are whole photos: detect and crop faces")
    args = parser.parse_args()

    _, base = load_for_finetuning(args.init)
    train = load_image_folder(args.data, base.preprocessing, detect_faces=args.photos)
    val = load_image_folder(args.val, base.preprocessing, detect_faces=args.photos) if args.val else None
    print(f"{len(train)} training faces: {train.class_counts()}")
    finetune_pretrained(train, args.out, init=args.init, val=val)

    report = evaluate_folder(EmotionClassifier(args.out), args.val or args.data, crops=not args.photos)
    print(report.summary())


if __name__ == "__main__":
    main()
