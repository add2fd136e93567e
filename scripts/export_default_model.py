"""Add the LiteRT exports to a model directory, calibrated (int8) and checked on FER+ train faces.

python scripts/export_default_model.py --data ../shared/data [--model src/facemotion/default_model] [--quantization int8 none]

By default both an int8 and a float32 export are written: inference runs the int8 one on
CPUs with int8 dot products (VNNI, Arm dotprod) and the float32 one elsewhere.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from facemotion.artifact import load_artifact
from facemotion.io import read_image
from facemotion.preprocessing import to_model_input
from facemotion.training.export import export_tflite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--model", type=Path, default=Path("src/facemotion/default_model"))
    parser.add_argument("--per-class", type=int, default=64)
    parser.add_argument(
        "--quantization", nargs="+", choices=["int8", "dynamic", "float16", "none"], default=["int8", "none"]
    )
    args = parser.parse_args()
    _, config = load_artifact(args.model)
    rng = np.random.default_rng(0)
    files: list[Path] = []
    for folder in sorted((args.data / "ferplus" / "train").iterdir()):
        images = sorted(folder.glob("*.png"))
        files += [images[i] for i in rng.permutation(len(images))[: args.per_class]]
    samples = to_model_input([read_image(f) for f in files], config.preprocessing)
    for quantization in args.quantization:
        diff = export_tflite(args.model, quantization=quantization, samples=samples)
        print(f"{quantization} export written: largest difference from Keras {diff:.4f} on {len(files)} training faces")


if __name__ == "__main__":
    main()
