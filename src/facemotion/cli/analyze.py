"""The ``analyze`` and ``evaluate`` sub-commands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from facemotion.cli.common import add_model_options, classifier_from_args, output_folder
from facemotion.errors import FacemotionError


def _face_json(face: Any) -> dict[str, Any]:
    """The same keys as `FaceEmotion.to_dict`: ``score`` is the emotion's probability."""
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


def add_analyze_commands(sub: Any) -> None:
    p = sub.add_parser("analyze", help="find faces in images and classify their emotions")
    p.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per input")
    p.add_argument("--crops", action="store_true", help="each image is one already-cropped face (no detection)")
    p.add_argument("--annotate", metavar="OUT_DIR", help="write annotated images into OUT_DIR")
    p.add_argument("--out", metavar="RESULTS_JSONL", help="append one JSON line per file; re-runs skip finished files")
    add_model_options(p)
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("evaluate", help="accuracy, macro-F1 and confusion matrix on a folder-per-emotion tree")
    p.add_argument("data_dir")
    p.add_argument("--crops", action="store_true", help="images are face crops (no detection)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--confusion-png", metavar="PNG", help="also draw the confusion matrix")
    add_model_options(p)
    p.set_defaults(func=cmd_evaluate)
