"""Fine-tune the bundled model on your own folder-per-emotion dataset, check it on faces it never saw, and save it.

my_faces/
    happy/  img001.jpg ...
    sad/    ...
    angry/  ...            (common synonyms are fine)

python examples/finetune_folder.py my_faces/ --test my_faces_test/ --out my_model

20 % of each class of DATA is held out to choose the epoch and to score the model; a
``--test`` folder (people not in DATA) is scored after training, as a user would see it.
"""

from __future__ import annotations

import argparse

from facemotion import EmotionClassifier
from facemotion.training import finetune_pretrained, load_for_finetuning, load_image_folder
from facemotion.training.evaluate import evaluate_folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--test", help="folder of other faces to evaluate the trained model on (never trained on)")
    parser.add_argument("--out", default="my_model")
    parser.add_argument("--init", default="default", help="model to start from: default, a directory or a Hub id")
    parser.add_argument("--photos", action="store_true", help="images are whole photos: detect and crop faces")
    args = parser.parse_args()

    _, base = load_for_finetuning(args.init)
    train = load_image_folder(args.data, base.preprocessing, detect_faces=args.photos)
    print(f"{len(train)} faces: {train.class_counts()}")
    run = finetune_pretrained(train, args.out, init=args.init, verbose=0)  # holds out 20 % of each class
    print(run.summary())

    if args.test:
        report = evaluate_folder(EmotionClassifier(run.out), args.test, crops=not args.photos)
        print(f"on {args.test}:\n{report.summary()}")
    else:
        print("no --test folder: the hold-out figures above are the only ones on faces the model was not trained on")


if __name__ == "__main__":
    main()
