"""Speed of facemotion on this CPU, side by side with the `fer` package when it is installed.

    python benchmarks/speed.py [--model DIR] [--repeats 20]

Prints the CPU (model and SIMD flags), then a Markdown table: start-up time of the
command line, faces/s on already-cropped faces (batch 1 and 64; the shipped int8 LiteRT
export the CPU gets by default and the other one), FLOPs per face and the share of this CPU's
measured float32 matrix-multiply peak, end-to-end latency per photo on
../shared/media/group_photos, and frames/s on the shared video. Ratios against `fer` are
the figures to quote: absolute speeds change from one CPU to another.
The peer runs in its own virtual environment (see fer_peer.py) given by ``--fer-python``.

    python benchmarks/speed.py --fer-python /tmp/fervenv/bin/python
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from timing import median_time  # this folder is on sys.path when run as a script

from facemotion.cpu import default_threads

SHARED = Path(__file__).resolve().parents[2] / "shared"


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    """Measured float32 GFLOP/s of a large matrix multiply (the practical peak here)."""
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    mm = tf.function(lambda x, y: tf.matmul(x, y))
    seconds = median_time(lambda: mm(a, b).numpy(), repeats)
    return 2 * n**3 / seconds / 1e9


def cpu_description() -> str:
    """The CPU's model name and the SIMD extensions that matter for int8/float kernels."""
    import platform

    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "")
    flags_line = next((line for line in info.splitlines() if line.startswith("flags")), "")
    flags = set(flags_line.split(":", 1)[1].split()) if flags_line else set()
    simd = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f in flags]
    cores = os.cpu_count()
    return (
        f"{name or platform.processor() or 'unknown CPU'}, {cores} cores (model threads: {default_threads()}), "
        f"SIMD: {' '.join(simd) or 'unknown'}"
    )


def command_seconds(args: list[str], repeats: int) -> float:
    """Median wall time of a whole new process (what a user waits for)."""
    import subprocess
    import sys

    def run() -> None:
        subprocess.run([sys.executable, "-m", *args], capture_output=True, check=True)

    return median_time(run, repeats, warmup=1)


def model_flops(keras_model: tf.keras.Model, shape: tuple[int, ...]) -> float:
    from tensorflow.python.profiler.model_analyzer import profile
    from tensorflow.python.profiler.option_builder import ProfileOptionBuilder

    fn = tf.function(lambda x: keras_model(x, training=False)).get_concrete_function(tf.TensorSpec((1, *shape)))
    opts = ProfileOptionBuilder(ProfileOptionBuilder.float_operation()).with_empty_output().build()
    return float(profile(fn.graph, options=opts).total_float_ops)


FER_SEVEN = ("anger", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def detection_counts(clf: object, photos: list[Path]) -> tuple[int, int, int]:
    """Labelled faces found, labelled faces, spurious boxes on the VOC group photos."""
    import json

    from facemotion.detection.base import match_boxes

    boxes = json.loads((SHARED / "media" / "group_photos" / "voc_face_boxes.json").read_text())
    found = labelled = spurious = 0
    for p in photos:
        faces = [f.box for f in clf.predict(p)]  # type: ignore[attr-defined]
        truth = [(b["left"], b["top"], b["width"], b["height"]) for b in boxes[p.name]]
        labelled += len(truth)
        hit, extra = match_boxes(faces, truth)
        found += hit
        spurious += extra
    return found, labelled, spurious


def seven_class_accuracy(clf: object) -> tuple[float, int]:
    """FER+ val faces whose label is one of fer's seven classes, argmax over those seven."""
    from facemotion.io import read_image
    from facemotion.labels import EMOTIONS

    keep = [EMOTIONS.index(label) for label in FER_SEVEN]
    correct = total = 0
    for label in FER_SEVEN:
        files = sorted((SHARED / "data" / "ferplus" / "val" / label).glob("*.png"))
        out = clf.model.run([read_image(f) for f in files])  # type: ignore[attr-defined]
        pred = out.probabilities[:, keep].argmax(axis=1)
        correct += int((pred == FER_SEVEN.index(label)).sum())
        total += len(files)
    return correct / max(total, 1), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--fer-python", default=None, help="python of a virtual env with `fer` (see fer_peer.py)")
    args = parser.parse_args()

    from facemotion import EmotionClassifier
    from facemotion.apps.video import analyze_video
    from facemotion.io import read_image

    rows: list[tuple[str, str, str, str]] = []
    print(f"CPU: {cpu_description()}\n")
    photo = SHARED / "media" / "group_photos" / "voc_2007_007763.jpg"
    rows.append(
        ("`facemotion --help`, new process", f"{command_seconds(['facemotion.cli', '--help'], 5):.2f} s", "", "")
    )
    rows.append(
        (
            "`facemotion analyze photo.jpg`, new process (cold)",
            f"{command_seconds(['facemotion.cli', 'analyze', str(photo)], 3):.2f} s",
            "",
            "",
        )
    )
    peer = run_peer(args.fer_python)
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 255, (96, 96, 3), dtype=np.uint8) for _ in range(64)]
    clf = EmotionClassifier(args.model)
    prep = clf.model.config.preprocessing
    t1 = median_time(lambda: clf.model.run(crops[:1]), args.repeats * 10)
    t64 = median_time(lambda: clf.model.run(crops), args.repeats)
    other_clf = EmotionClassifier(args.model, mirror=not clf.model.mirror)
    m64 = median_time(lambda: other_clf.model.run(crops), args.repeats)
    other = "tflite-int8" if clf.model.runtime == "tflite-float32" else "tflite-float32"
    alt = EmotionClassifier(args.model, runtime=other, mirror=False)  # type: ignore[arg-type]
    f1 = median_time(lambda: alt.model.run(crops[:1]), args.repeats * 10)
    f64 = median_time(lambda: alt.model.run(crops), args.repeats)
    keras_clf = EmotionClassifier(args.model, runtime="keras", mirror=False)
    k1 = median_time(lambda: keras_clf.model.run(crops[:1]), args.repeats * 5)
    k64 = median_time(lambda: keras_clf.model.run(crops), args.repeats)
    flops = model_flops(clf.model.keras_model, (prep.input_size, prep.input_size, prep.channels))
    peak = matmul_peak()
    passes = 2 if clf.model.mirror else 1

    def ratio(ours: float, theirs: float | None, higher_is_better: bool = True) -> str:
        if not theirs:
            return ""
        r = ours / theirs if higher_is_better else theirs / ours
        return f"{r:.1f}× {'faster' if r >= 1 else 'slower'}"

    fer_b1 = peer.get("crop_batch1_ms")
    fer_b64 = peer.get("crop_batch64_faces_per_s")

    def latency_row(name: str, seconds: float) -> tuple[str, str, str, str]:
        theirs = f"{fer_b1:.2f} ms" if fer_b1 else "-"
        return name, f"{seconds * 1e3:.2f} ms", theirs, ratio(seconds, fer_b1 / 1e3 if fer_b1 else None, False)

    def rate_row(name: str, seconds: float) -> tuple[str, str, str, str]:
        theirs = f"{fer_b64:,.0f} faces/s" if fer_b64 else "-"
        return name, f"{64 / seconds:,.0f} faces/s", theirs, ratio(64 / seconds, fer_b64)

    rows += [
        latency_row(f"crops, batch 1 latency ({clf.model.runtime}, mirror={clf.model.mirror})", t1),
        rate_row(f"crops, batch 64 ({clf.model.runtime}, mirror={clf.model.mirror})", t64),
        rate_row(f"crops, batch 64, mirror={other_clf.model.mirror} ({clf.model.runtime})", m64),
        latency_row(f"crops, batch 1 latency ({alt.model.runtime}, mirror=False)", f1),
        rate_row(f"crops, batch 64 ({alt.model.runtime}, mirror=False)", f64),
        ("crops, batch 1 latency (keras, mirror=False)", f"{k1 * 1e3:.2f} ms", "", ""),
        ("crops, batch 64 (keras, mirror=False)", f"{64 / k64:,.0f} faces/s", "", ""),
        (
            "FLOPs per face (emotion + valence–arousal), one pass",
            f"{flops / 1e6:.1f} MFLOP",
            "",
            f"{passes} passes per face by default",
        ),
        ("measured matmul peak (float32, 2048²)", f"{peak:.0f} GFLOP/s", "", ""),
        (
            "share of that peak, batch 64 keras / fast runtime",
            f"{64 / k64 * flops / 1e9 / peak:.0%} / {64 / t64 * passes * flops / 1e9 / peak:.0%}",
            "",
            "",
        ),
    ]

    photos = sorted((SHARED / "media" / "group_photos").glob("voc_*.jpg"))
    if photos:
        for detector in ("blazeface", "mtcnn"):
            det_clf = EmotionClassifier(args.model, detector=detector)
            per_photo = [median_time(lambda p=p, c=det_clf: c.predict(read_image(p)), 5, warmup=1) for p in photos]
            found, labelled, spurious = detection_counts(det_clf, photos)
            ms = statistics.median(per_photo) * 1e3
            haar = peer.get("haar", {})
            rows.append(
                (
                    f"photo end to end, {detector} (median of {len(photos)} VOC photos)",
                    f"{ms:.0f} ms, {found}/{labelled} faces, {spurious} spurious",
                    f"{haar['median_ms']:.0f} ms, {haar['found']}/{haar['labelled']} faces (Haar)" if haar else "-",
                    ratio(ms, haar.get("median_ms"), higher_is_better=False) if haar else "",
                )
            )
        fer_mtcnn = peer.get("mtcnn", {})
        if "error" in fer_mtcnn:
            rows.append(("fer pipeline with mtcnn=True", "", "not measured", fer_mtcnn["error"][:80]))
    video = SHARED / "media" / "video" / "short_hamilton_clip.mp4"
    if video.exists():
        for fps in (5.0, 1000.0):
            start = time.perf_counter()
            report = analyze_video(video, clf, sample_fps=fps, progress=False)
            seconds = time.perf_counter() - start
            what = "default 5 fps sampling" if fps == 5 else "every frame"
            fer_fps = peer.get("video_frames_per_s") if fps == 5 else None
            rows.append(
                (
                    f"video 640×360, {what}",
                    f"{report.frames_analyzed / seconds:.1f} analysed frames/s, {len(report.faces)} faces",
                    f"{fer_fps:.1f} frames/s, {peer.get('video_faces')} faces" if fer_fps else "",
                    ratio(report.frames_analyzed / seconds, fer_fps) if fer_fps else f"{report.frames_analyzed} frames",
                )
            )
    if (SHARED / "data" / "ferplus" / "val").exists():
        acc, n = seven_class_accuracy(clf)
        fer_acc = peer.get("ferplus_val_7class_accuracy")
        rows.append(
            (
                f"FER+ val accuracy, fer's 7 classes (n={n})",
                f"{acc:.3f}",
                f"{fer_acc:.3f}" if fer_acc else "-",
                f"{acc - fer_acc:+.3f}" if fer_acc else "",
            )
        )

    print("| measurement | facemotion | fer | ratio |\n|---|---|---|---|")
    for name, ours, theirs, note in rows:
        print(f"| {name} | {ours} | {theirs} | {note} |")


def run_peer(python: str | None) -> dict[str, Any]:
    if not python:
        return {}
    import json
    import subprocess

    script = Path(__file__).with_name("fer_peer.py")
    proc = subprocess.run([python, str(script), str(SHARED)], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        print(f"fer peer failed: {proc.stderr[-500:]}")
        return {}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
