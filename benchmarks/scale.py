"""Throughput of `facemotion batch`: the local engine vs Ray Data with 1 and 2 workers, on the shared inputs.

    python benchmarks/scale.py [--copies 4]

Inputs: the shared group photos and the shared video, each repeated ``--copies`` times
(as hard links, or copies across file systems: a symbolic link resolves to the file it
points to, and batch analyses a file once however it is reached). Each engine writes to a fresh folder; the
wall time includes Ray's start-up. Prints a Markdown table and the projection for 10,000
one-minute recordings from the measured video throughput.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"


def inputs(folder: Path, copies: int) -> list[str]:
    video = SHARED / "media" / "video" / "short_hamilton_clip.mp4"
    files = [*sorted((SHARED / "media" / "group_photos").glob("*.jpg")), video]
    out = []
    for i in range(copies):
        for f in files:
            link = folder / f"{i}_{f.name}"
            try:
                os.link(f.resolve(), link)
            except OSError:
                shutil.copy(f.resolve(), link)
            out.append(str(link))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()
    from facemotion.scale import run_batch

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = inputs(Path(tmp), args.copies)
        video_seconds = 9.2 * args.copies
        for name, engine, workers in (("local", "local", 1), ("ray, 1 worker", "ray", 1), ("ray, 2 workers", "ray", 2)):
            if engine == "ray":
                import ray

                ray.shutdown()
            start = time.perf_counter()
            counts = run_batch(
                paths, Path(tmp) / name.replace(" ", "_"), engine=engine, workers=workers, chunk_seconds=5
            )  # type: ignore[arg-type]
            seconds = time.perf_counter() - start
            rows.append((name, seconds, counts))
    print(f"{len(paths)} inputs: {args.copies} × (11 photos + a 9.2 s video), videos in 5 s chunks, 5 analysed fps\n")
    print("| engine | wall time | faces | inputs/s | video seconds per wall second |")
    print("|---|---|---|---|---|")
    for name, seconds, counts in rows:
        print(
            f"| {name} | {seconds:.1f} s | {counts['faces']} | {len(paths) / seconds:.2f} | {video_seconds / seconds:.1f} |"
        )
    best = min(rows, key=lambda r: r[1])
    rate = video_seconds / best[1]  # video seconds per wall second on this machine (photos included, conservative)
    hours = 10_000 * 60 / rate / 3600
    print(
        f"\nProjection (not measured): 10,000 one-minute recordings = 600,000 s of video; at the best rate above "
        f"({rate:.1f} video s per s on {os.cpu_count()} cores) that is {hours:.1f} h on one such machine, "
        f"about {hours / 10:.1f} h on 10 (Ray's scheduling overhead is small next to 30 s chunks)."
    )


if __name__ == "__main__":
    main()
