"""Speed of facemotion on this CPU, side by side with the `fer` package when it is installed.

    python benchmarks/speed.py [--model DIR] [--repeats 20]

Prints a Markdown table: faces/s on already-cropped faces (batch 1 and 64), FLOPs per
face and the share of this CPU's measured float32 matrix-multiply peak, end-to-end
latency per photo on ../shared/media/group_photos, and frames/s on the shared video.
For the peer, install it without its PyTorch stack: ``pip install --no-deps fer "setuptools<81"``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

SHARED = Path(__file__).resolve().parents[2] / "shared"


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    """Measured float32 GFLOP/s of a large matrix multiply (the practical peak here)."""
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    mm = tf.function(lambda x, y: tf.matmul(x, y))
    seconds = median_time(lambda: mm(a, b).numpy(), repeats)
    return 2 * n**3 / seconds / 1e9


def model_flops(keras_model: tf.keras.Model, shape: tuple[int, ...]) -> float:
    from tensorflow.python.profiler.model_analyzer import profile
    from tensorflow.python.profiler.option_builder import ProfileOptionBuilder

    fn = tf.function(lambda x: keras_model(x, training=False)).get_concrete_function(tf.TensorSpec((1, *shape)))
    opts = ProfileOptionBuilder(ProfileOptionBuilder.float_operation()).with_empty_output().build()
    return float(profile(fn.graph, options=opts).total_float_ops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    from facemotion import EmotionClassifier
    from facemotion.apps.video import analyze_video
    from facemotion.io import read_image

    clf = EmotionClassifier(args.model)
    prep = clf.model.config.preprocessing
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 255, (96, 96, 3), dtype=np.uint8) for _ in range(64)]
    rows: list[tuple[str, str, str]] = []

    t1 = median_time(lambda: clf.model.run(crops[:1]), args.repeats * 5)
    t64 = median_time(lambda: clf.model.run(crops), args.repeats)
    flops = model_flops(clf.model.keras_model, (prep.input_size, prep.input_size, prep.channels))
    peak = matmul_peak()
    rows += [
        ("crops, batch 1 (latency)", f"{t1 * 1e3:.2f} ms", "emotion + valence–arousal, with preprocessing"),
        ("crops, batch 64", f"{64 / t64:,.0f} faces/s", ""),
        ("FLOPs per face", f"{flops / 1e6:.1f} MFLOP", ""),
        ("matmul peak (float32, 2048²)", f"{peak:.0f} GFLOP/s", "measured here"),
        ("share of peak at batch 64", f"{64 / t64 * flops / 1e9 / peak:.0%}", ""),
    ]

    photos = sorted((SHARED / "media" / "group_photos").glob("voc_*.jpg"))
    if photos:
        per_photo = []
        for p in photos:
            per_photo.append(median_time(lambda p=p: clf.predict(read_image(p)), max(3, args.repeats // 4), warmup=1))
        rows.append(
            (
                "photo end to end (mtcnn), median",
                f"{statistics.median(per_photo) * 1e3:.0f} ms",
                f"{len(photos)} VOC group photos, decode → detect → crop/align → model",
            )
        )
    video = SHARED / "media" / "video" / "short_hamilton_clip.mp4"
    if video.exists():
        start = time.perf_counter()
        report = analyze_video(video, clf, sample_fps=1000, progress=False)
        seconds = time.perf_counter() - start
        rows.append(
            (
                "video, every frame (640×360)",
                f"{report.frames_analyzed / seconds:.1f} frames/s",
                f"{report.frames_analyzed} frames, {len(report.faces)} faces",
            )
        )

    rows += fer_rows(crops, photos, args.repeats)
    print("| measurement | result | notes |\n|---|---|---|")
    for name, value, note in rows:
        print(f"| {name} | {value} | {note} |")


def fer_rows(crops: list[np.ndarray], photos: list[Path], repeats: int) -> list[tuple[str, str, str]]:
    try:
        from fer.fer import FER
    except Exception as err:  # not installed, or its optional deps missing
        return [("fer (peer)", "not measured", f"import failed: {type(err).__name__}")]
    import cv2

    detector = FER()
    grey = [cv2.cvtColor(c, cv2.COLOR_RGB2GRAY) for c in crops]

    def fer_one() -> None:
        face = cv2.resize(grey[0], (64, 64)).astype("float32") / 255.0
        detector._FER__emotion_classifier.predict(((face - 0.5) * 2.0)[None, :, :, None], verbose=0)

    rows = [("fer model, batch 1", f"{median_time(fer_one, repeats * 5) * 1e3:.2f} ms", "its Keras model via predict")]
    if photos:
        from facemotion.io import read_image

        images = [cv2.cvtColor(read_image(p), cv2.COLOR_RGB2BGR) for p in photos]
        t = statistics.median(median_time(lambda im=im: detector.detect_emotions(im), 3, warmup=1) for im in images)
        rows.append(("fer pipeline (Haar), median", f"{t * 1e3:.0f} ms", ""))
    return rows


if __name__ == "__main__":
    main()
