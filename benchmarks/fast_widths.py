"""How fast the compact network runs on crops at each width: the choice of the `fast` model's width.

    python benchmarks/fast_widths.py [--widths 32 24 22 20 18 16] [--rounds 15]

Builds each width untrained (the speed does not depend on the weights), exports it to
LiteRT float32 and int8 in a temporary folder, and times ``predict_faces`` on batches of 64
FER+ ``val`` faces, all exports in turn round after round (so a busy moment hits them
alike), beside the bundled default model. Prints the CPU and a Markdown table of faces per
second (medians). Needs ``facemotion[train]`` (TensorFlow for the export).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2
import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 24, 22, 20, 18, 16])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    from speed import cpu_description

    from facemotion import EmotionClassifier
    from facemotion.artifact import save_pretrained
    from facemotion.models.cost import flops
    from facemotion.preprocessing import normalize
    from facemotion.training import build_model, recipe_preprocessing
    from facemotion.training.export import export_tflite

    prep = recipe_preprocessing("compact")
    files = sorted((SHARED / "data" / "ferplus" / "val").glob("*/*.png"))[:512]
    faces = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in files]
    samples = normalize(np.stack(faces)[..., None].astype(np.float32), prep)
    batch = faces[:64]
    runtimes = ("tflite-float32", "tflite-int8")
    with tempfile.TemporaryDirectory() as tmp:
        clfs, mflop = {}, {}
        for width in args.widths:
            model = build_model("compact", width=width)
            mflop[width] = flops(model) / 1e6
            folder = Path(tmp) / f"w{width}"
            save_pretrained(model, folder, prep, recipe="compact")
            export_tflite(folder, quantization="none", samples=samples)
            export_tflite(folder, quantization="int8", samples=samples, min_agreement=0.0, tolerance=1e9)
            clfs |= {(width, rt): EmotionClassifier(folder, runtime=rt) for rt in runtimes}
        clfs |= {("default", rt): EmotionClassifier(runtime=rt) for rt in runtimes}
        times: dict[tuple[object, str], list[float]] = {key: [] for key in clfs}
        for clf in clfs.values():
            clf.predict_faces(batch)
        for _ in range(args.rounds):
            for key, clf in clfs.items():
                start = time.perf_counter()
                clf.predict_faces(batch)
                times[key].append(time.perf_counter() - start)
    rate = {key: len(batch) / statistics.median(v) for key, v in times.items()}
    base = rate[(args.widths[0], "tflite-float32")]
    print(cpu_description() + "\n")
    print(f"| width | MFLOP | float32 faces/s | int8 faces/s | float32 vs width {args.widths[0]} |")
    print("|---|---|---|---|---|")
    for width in args.widths:
        f32, i8 = rate[(width, "tflite-float32")], rate[(width, "tflite-int8")]
        print(f"| {width} | {mflop[width]:.1f} | {f32:,.0f} | {i8:,.0f} | {f32 / base:.1f}× |")
    d32, d8 = rate[("default", "tflite-float32")], rate[("default", "tflite-int8")]
    print(f"| bundled default | | {d32:,.0f} | {d8:,.0f} | |")


if __name__ == "__main__":
    main()
