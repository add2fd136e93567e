"""The ``analyze`` and ``evaluate`` sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from facemotion.cli.common import add_model_options, classifier_from_args, output_file, output_folder
from facemotion.errors import FacemotionError


def _face_json(face: Any) -> dict[str, Any]:
    """The same keys as `FaceEmotion.to_dict`: ``score`` is the emotion's probability."""
    return dict(face.to_dict())


def _table(records: Sequence[dict[str, Any]], names: Sequence[str]) -> str:
    from facemotion.draw import percent  # as the pictures write it

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
                f"{name:<{width}} {i:>4}  {box:<22} {f['label']:<10} {percent(f['score']):>5} {f['valence']:>+7.2f} {f['arousal']:>+7.2f}"
            )
    return "\n".join(lines)


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse the photos; with ``--out``, every finished record is on disk before the next file starts.

    Records follow `facemotion.scale.contract`: keyed by the resolved path, size and
    modification time, stating the model and settings; re-runs skip what is done with the
    same settings and refuse other settings unless ``--overwrite``.
    """
    from tqdm.auto import tqdm

    from facemotion.inputs import display_name, expand_inputs, no_inputs_message, output_names
    from facemotion.scale.contract import RecordLog, resume, run_settings, source_key

    if args.annotate and args.crops:
        raise FacemotionError("--annotate draws the faces found in photos; with --crops nothing is detected to draw")
    if args.annotate:
        output_folder(args.annotate, "--annotate")
    out_file = output_file(args.out, "--out") if args.out else None
    found = expand_inputs(args.paths)
    if not found.files:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in found.skipped)
        raise FacemotionError(no_inputs_message(args.paths) + (f"; skipped {reasons}" if reasons else ""))
    keys = {p: source_key(p) for p in found.files}
    annotated = output_names(found.files, "_annotated.png")
    clf = classifier_from_args(args)
    log: RecordLog | None = None
    done: set[str] = set()
    settings: dict[str, Any] = {}
    if out_file:
        log = RecordLog(out_file)
        settings = run_settings(clf.model, args.revision, args.detector, args.mirror, crops=args.crops)
        retried = [source_key(s.path) for s in found.skipped]  # their old records are replaced
        _, done = resume(log, [*keys.values(), *retried], settings, overwrite=args.overwrite)
    todo = [p for p in found.files if keys[p]["path"] not in done]
    skipped = [{"path": str(s.path), "faces": [], "error": s.reason} for s in found.skipped]
    records: list[dict[str, Any]] = []
    names: list[str] = []
    not_drawn: list[Path] = []

    def keep(batch: list[dict[str, Any]], paths: Sequence[Path]) -> None:
        if log is not None:
            for record in batch:
                key = keys.get(Path(record["path"])) or source_key(record["path"])
                record.update(key, model=settings["model"], settings=settings)
            log.append(batch)  # flushed to disk: an interruption keeps it
        records.extend(batch)
        names.extend(display_name(p, args.paths) for p in paths)

    keep(skipped, [s.path for s in found.skipped])
    chunk = 64 if args.crops else 1  # crops from many files share one model call
    try:
        with tqdm(total=len(todo), desc="analyzing", unit="img", disable=None) as bar:
            for start in range(0, len(todo), chunk):
                paths = todo[start : start + chunk]
                keep(_analyze_files(clf, paths, args, annotated, not_drawn), paths)
                bar.update(len(paths))
    except KeyboardInterrupt:
        if out_file:
            print(
                f"facemotion: interrupted; {len(records)} files finished in this run are in {out_file}; "
                "run the same command again to resume",
                file=sys.stderr,
            )
        raise
    failed = sum(r["error"] is not None for r in records)
    print(
        f"{len(records) - failed} analysed, {len(found.files) - len(todo)} already done"
        + (f" in {out_file}" if out_file else "")
        + f", {failed} failed or skipped"
        + (f" ({found.duplicates} given more than once, counted once)" if found.duplicates else ""),
        file=sys.stderr,
    )
    if args.annotate:
        drawn = sum(r["error"] is None for r in records) - len(not_drawn)
        print(
            f"{drawn} annotated picture(s) written to {Path(args.annotate)}/"
            + (f", {len(not_drawn)} could not be written (see above)" if not_drawn else ""),
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(records, indent=2))
    elif records:  # everything already done: the line above says so, no empty table
        print(_table(records, names))
    return 1 if failed or not_drawn else 0


def _analyze_files(
    clf: Any, paths: list[Path], args: argparse.Namespace, annotated: dict[Path, str], not_drawn: list[Path]
) -> list[dict[str, Any]]:
    """Records for some files, in order; a file that fails gets an error message instead of faces.

    Files go to ``predict`` as paths, so large photos are analysed reduced as the API does
    (boxes in the file's own pixels). With ``--annotate`` each photo's drawing goes to
    ``annotated[path]`` in that folder; a picture that cannot be written is said at once and
    its path added to ``not_drawn`` (the file's faces are kept).
    """
    from facemotion.draw import annotate_source, save_image
    from facemotion.io import read_image_reduced

    records: list[dict[str, Any]] = [{"path": str(p), "faces": [], "error": None} for p in paths]
    if args.crops:
        crops = {}
        for record, path in zip(records, paths, strict=True):
            try:
                crops[record["path"]] = read_image_reduced(path)[0]
            except FacemotionError as err:
                record["error"] = str(err)
        faces = clf.predict_faces(list(crops.values())) if crops else []
        by_path = dict(zip(crops, faces, strict=True))
        for record in records:
            if record["path"] in by_path:
                record["faces"] = [_face_json(by_path[record["path"]])]
        return records
    for record, path, found in zip(records, paths, clf.predict(paths, errors="skip"), strict=True):
        record["faces"], record["error"] = [_face_json(f) for f in found], found.error
        if args.annotate and found.error is None:
            try:
                save_image(annotate_source(path, found, numbered=True), Path(args.annotate) / annotated[path])
            except (FacemotionError, OSError) as err:  # the faces stand; only the picture is missing
                not_drawn.append(path)
                print(f"facemotion: {path}: annotated picture not written: {err}", file=sys.stderr)
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
    p.add_argument(
        "--annotate",
        metavar="OUT_DIR",
        help="write annotated images into OUT_DIR (photos over 24 megapixels are drawn reduced, as analysed)",
    )
    p.add_argument(
        "--out",
        metavar="RESULTS_JSONL",
        help="append one JSON line per file, on disk as soon as it is done; re-runs skip files finished "
        "with the same model and settings",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="with --out: replace results made with another model or other settings (default: refuse)",
    )
    add_model_options(p)
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("evaluate", help="accuracy, macro-F1 and confusion matrix on a folder-per-emotion tree")
    p.add_argument("data_dir")
    p.add_argument("--crops", action="store_true", help="images are face crops (no detection)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--confusion-png", metavar="PNG", help="also draw the confusion matrix")
    add_model_options(p)
    p.set_defaults(func=cmd_evaluate)
