"""The ``batch`` sub-command: many photos and videos into Parquet, locally or on Ray."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from facemotion.cli.common import add_model_options, output_folder, positive_float, positive_int


def cmd_batch(args: argparse.Namespace) -> int:
    from facemotion.scale import run_batch

    out = output_folder(args.out, "--out")
    try:
        counts = run_batch(
            args.inputs,
            out,
            engine=args.engine,
            workers=args.workers,
            address=args.address,
            model=args.model,
            revision=args.revision,
            detector=args.detector,
            mirror=args.mirror,
            sample_fps=args.fps,
            chunk_seconds=args.chunk_seconds,
            overwrite=args.overwrite,
        )
    except KeyboardInterrupt:
        print(
            f"facemotion: interrupted; the inputs finished so far are in {out} (faces.parquet, inputs.parquet); "
            "run the same command again to resume",
            file=sys.stderr,
        )
        raise
    print(
        f"{counts['inputs']} inputs: {counts['analysed']} analysed, {counts['skipped']} already done, "
        f"{counts['failed']} failed or skipped"
        + (f", {counts['truncated']} videos ended early (status 'truncated')" if counts["truncated"] else "")
        + f"; {counts['faces']} faces found in this run, {counts['faces_in_all']} in all: "
        f"{out / 'faces.parquet'}, {out / 'inputs.parquet'}, {out / 'videos'}"
    )
    return 1 if counts["failed"] else 0


def add_batch_command(sub: Any) -> None:
    p = sub.add_parser("batch", help="many photos and videos into Parquet, locally or on a Ray cluster")
    p.add_argument("inputs", nargs="+", help="files, folders or glob patterns (s3:// and other pyarrow URIs too)")
    p.add_argument("--out", required=True, help="folder for faces.parquet, inputs.parquet and videos/")
    p.add_argument("--engine", choices=["local", "ray"], default="local", help="local: this process; ray: Ray Data")
    p.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--workers", type=positive_int, default=2, help="Ray workers, each holding one model (default 2)")
    p.add_argument("--fps", type=positive_float, default=5.0, help="video frames analysed per second (default 5)")
    p.add_argument("--chunk-seconds", type=positive_float, default=30.0, help="video chunk per task (default 30 s)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace results in --out made with another model or other settings (default: refuse)",
    )
    add_model_options(p)
    p.set_defaults(func=cmd_batch)
