"""The ``facemotion`` command line.

::

    facemotion analyze photo.jpg folder/ [--json] [--crops] [--annotate OUT_DIR]
    facemotion evaluate DATA_DIR [--crops] [--json]
    facemotion train DATA_DIR --out MODEL_DIR [--recipe compact|vggface] [--epochs N]
    facemotion video FILE --out DIR
    facemotion compare A B [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from facemotion.errors import FacemotionError

if TYPE_CHECKING:
    from facemotion.api import EmotionClassifier

log = logging.getLogger("facemotion")


def _face_json(face: Any) -> dict[str, Any]:
    """The same keys as :meth:`FaceEmotion.to_dict`: ``score`` is the emotion's probability."""
    return dict(face.to_dict())


def _resume(out: Path) -> set[str]:
    """Paths already written to a results JSONL file; a line cut short by an interruption is ended."""
    if not out.exists():
        return set()
    text = out.read_text()
    if text and not text.endswith("\n"):
        with out.open("a") as handle:
            handle.write("\n")
    done = set()
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the cut-short line is redone
        if isinstance(record, dict) and record.get("error") is None and "path" in record:
            done.add(str(record["path"]))
    return done


def _table(records: Sequence[dict[str, Any]], roots: Sequence[str]) -> str:
    from facemotion.inputs import display_name

    names = [display_name(Path(r["path"]), roots) for r in records]
    width = max([len(n) for n in names] + [4])
    lines = [f"{'path':<{width}} {'face':>4}  {'box':<22} {'label':<10} {'score':>5} {'valence':>7} {'arousal':>7}"]
    for rec, name in zip(records, names, strict=True):
        if rec["error"]:
            lines.append(f"{name:<{width}} error: {rec['error']}")
            continue
        if not rec["faces"]:
            lines.append(f"{name:<{width}}    -  no face found")
        for i, f in enumerate(rec["faces"], 1):
            box = ",".join(map(str, f["box"])) if f["box"] else "(crop)"
            lines.append(
                f"{name:<{width}} {i:>4}  {box:<22} {f['label']:<10} {f['score']:>5.0%} {f['valence']:>+7.2f} {f['arousal']:>+7.2f}"
            )
    return "\n".join(lines)


def cmd_analyze(args: argparse.Namespace) -> int:
    from facemotion.inputs import expand_paths, output_names

    if args.annotate:
        output_folder(args.annotate, "--annotate")
    paths = expand_paths(args.paths)
    annotated = output_names(paths, "_annotated.png")
    clf = classifier_from_args(args)
    out_file = Path(args.out) if args.out else None
    done = _resume(out_file) if out_file else set()
    todo = [p for p in paths if str(p) not in done]
    records: list[dict[str, Any]] = []
    from tqdm.auto import tqdm

    chunk = 64 if args.crops else 1  # crops from many files share one model call
    with tqdm(total=len(todo), desc="analyzing", unit="img", disable=None) as bar:
        for start in range(0, len(todo), chunk):
            batch = _analyze_files(clf, todo[start : start + chunk], args, annotated)
            records.extend(batch)
            bar.update(len(batch))
            if out_file:
                with out_file.open("a") as handle:
                    handle.writelines(json.dumps(r) + "\n" for r in batch)
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        print(_table(records, args.paths))
    return 1 if any(r["error"] for r in records) else 0


def _analyze_files(
    clf: Any, paths: list[Path], args: argparse.Namespace, annotated: dict[Path, str]
) -> list[dict[str, Any]]:
    """Records for some files, in order; a file that fails gets an error message instead of faces.

    With ``--annotate`` each photo's drawing goes to ``annotated[path]`` in that folder.
    """
    from facemotion.draw import annotate, save_image
    from facemotion.io import read_image

    records: list[dict[str, Any]] = [{"path": str(p), "faces": [], "error": None} for p in paths]
    images = {}
    for record, path in zip(records, paths, strict=True):
        try:
            images[str(path)] = read_image(path)
        except FacemotionError as err:
            record["error"] = str(err)
    if args.crops:
        faces = clf.predict_faces(list(images.values())) if images else []
        by_path = dict(zip(images, faces, strict=True))
        for record in records:
            if record["path"] in by_path:
                record["faces"] = [_face_json(by_path[record["path"]])]
        return records
    for record, path in zip(records, paths, strict=True):
        if record["error"] is not None:
            continue
        try:
            faces = clf.predict(images[str(path)])
            record["faces"] = [_face_json(f) for f in faces]
            if args.annotate:
                save_image(annotate(images[str(path)], faces), Path(args.annotate) / annotated[path])
        except (FacemotionError, OSError) as err:
            record["error"] = str(err)
    return records


def cmd_evaluate(args: argparse.Namespace) -> int:
    from facemotion.training.evaluate import evaluate_folder

    clf = classifier_from_args(args)
    report = evaluate_folder(clf, args.data_dir, crops=args.crops)
    if args.confusion_png:
        report.plot_confusion(args.confusion_png)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary())
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from facemotion.artifact import ModelCard, save_pretrained
    from facemotion.training import TrainingConfig, build_model, finetune, load_image_folder, recipe_preprocessing

    card = ModelCard(training_data=str(args.data_dir), training_command=" ".join(["facemotion", *args.argv]))
    if args.init:
        return _finetune_from(args, card)
    prep = recipe_preprocessing(args.recipe)
    data = load_image_folder(args.data_dir, prep, detect_faces=args.detect)
    val = load_image_folder(args.val, prep, detect_faces=args.detect) if args.val else None
    model = build_model(args.recipe, vggface_weights=args.vggface_weights)
    config = TrainingConfig(
        epochs=args.epochs or 30, batch_size=args.batch_size or 64, learning_rate=args.learning_rate or 1e-3
    )
    work = Path(args.work or Path(args.out) / "_work")
    finetune(model, data, val, prep, work, config)
    save_pretrained(model, args.out, prep, recipe=args.recipe, card=card)
    print(f"model written to {args.out}")
    return 0


def _finetune_from(args: argparse.Namespace, card: Any) -> int:
    """``train --init``: transfer learning from a trained model, with the small-data defaults."""
    from facemotion.artifact import load_config
    from facemotion.hub import resolve_model
    from facemotion.training import finetune_pretrained, load_image_folder, small_data_config

    base = load_config(resolve_model(None if args.init == "default" else args.init, args.revision))
    data = load_image_folder(args.data_dir, base.preprocessing, detect_faces=args.detect)
    val = load_image_folder(args.val, base.preprocessing, detect_faces=args.detect) if args.val else None
    changes = {"epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate}
    config = small_data_config(**{k: v for k, v in changes.items() if v is not None})
    card.training_data = f"fine-tuned from {args.init} on {args.data_dir}"
    out = finetune_pretrained(data, args.out, init=args.init, val=val, work_dir=args.work, config=config, card=card)
    print(f"model written to {out} (fine-tuned from {args.init}; use it with --model {out})")
    return 0


def output_folder(path: str, option: str) -> Path:
    """A folder to write into (created); a clear error when ``path`` is an existing file."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise FacemotionError(f"{option} {path}: that is an existing file; give a folder to write into")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def classifier_from_args(args: argparse.Namespace) -> EmotionClassifier:
    """The classifier chosen by the model options of a sub-command."""
    from facemotion.api import EmotionClassifier

    return EmotionClassifier(args.model, revision=args.revision, detector=args.detector, mirror=args.mirror)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None, help="model directory or Hub id (default: the bundled model)")
    p.add_argument("--revision", default=None, help="Hub revision (tag, branch or commit)")
    p.add_argument(
        "--detector",
        default=None,
        help="face detector: blazeface (default, fast), mtcnn (slower, a second opinion) or retinaface (extra)",
    )
    p.add_argument(
        "--mirror",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="average each face with its mirror image (more accurate, 2x model time; default: the model's setting)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facemotion", description="Emotions and valence–arousal from faces.")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("analyze", help="find faces in images and classify their emotions")
    p.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per input")
    p.add_argument("--crops", action="store_true", help="each image is one already-cropped face (no detection)")
    p.add_argument("--annotate", metavar="OUT_DIR", help="write annotated images into OUT_DIR")
    p.add_argument("--out", metavar="RESULTS_JSONL", help="append one JSON line per file; re-runs skip finished files")
    _add_model_options(p)
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("evaluate", help="accuracy, macro-F1 and confusion matrix on a folder-per-emotion tree")
    p.add_argument("data_dir")
    p.add_argument("--crops", action="store_true", help="images are face crops (no detection)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--confusion-png", metavar="PNG", help="also draw the confusion matrix")
    _add_model_options(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("train", help="train a model on a folder-per-emotion tree")
    p.add_argument("data_dir")
    p.add_argument("--out", required=True, help="model directory to write")
    p.add_argument("--val", help="validation folder-per-emotion tree")
    p.add_argument("--recipe", choices=["compact", "vggface"], default="compact")
    p.add_argument("--vggface-weights", help="rcmalli_vggface_tf_notop_resnet50.h5 for the vggface recipe")
    p.add_argument(
        "--init",
        metavar="MODEL",
        help="fine-tune a trained model instead of training from scratch: 'default' (the bundled model), "
        "a model directory or a Hub id; keeps all nine outputs and the valence-arousal head",
    )
    p.add_argument("--revision", default=None, help="Hub revision of --init")
    p.add_argument("--epochs", type=int, default=None, help="default 30 (40 with --init, early stopping)")
    p.add_argument("--batch-size", type=int, default=None, help="default 64 (32 with --init)")
    p.add_argument("--learning-rate", type=float, default=None, help="default 1e-3 (3e-4 with --init)")
    p.add_argument("--detect", action="store_true", help="images are whole photos: detect and crop the face")
    p.add_argument("--work", help="checkpoint folder (default OUT/_work); re-run to resume")
    p.set_defaults(func=cmd_train)

    from facemotion.apps.cli_apps import add_app_commands

    add_app_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if args.debug else "2")
    if args.debug:
        os.environ["FACEMOTION_DEBUG"] = "1"  # let LiteRT's own log lines through (see runtime_lite)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return int(args.func(args))
    except FacemotionError as err:
        if args.debug:
            raise
        print(f"facemotion: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("facemotion: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
