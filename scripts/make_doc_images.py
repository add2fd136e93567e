"""Draw the pictures of the README and the docs with the bundled model on the shared media.

python scripts/make_doc_images.py --media ../shared/media
"""

from __future__ import annotations

import argparse
from pathlib import Path

from facemotion import EmotionClassifier, analyze_group
from facemotion.apps.video import analyze_video
from facemotion.draw import _pyplot, annotate, group_figure, plot_affect_plane, save_image
from facemotion.io import read_image
from facemotion.training import plot_history


def screenshot(page: Path, png: Path) -> None:
    """The HTML report as headless Chromium renders it (skipped with a note when Chromium is absent)."""
    import shutil
    import subprocess
    import tempfile

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium: report.png not redrawn (apt-get install chromium)")
        return
    with tempfile.TemporaryDirectory() as profile:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
        subprocess.run(
            [
                chromium,
                *flags,
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                "--window-size=1100,2600",
                f"--screenshot={png.resolve()}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            check=True,
            timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=Path, default=Path("../shared/media"))
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--history", type=Path, default=Path("runs/turn02/history.csv"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clf = EmotionClassifier()

    photo = args.media / "group_photos" / "voc_2007_007763.jpg"
    image = read_image(photo)
    mood = analyze_group(image, clf)
    save_image(annotate(image, mood.faces), args.out / "group_annotated.png")
    group_figure(image, mood.faces, mood.emotion_shares).savefig(args.out / "group_mood.png", dpi=90)

    plt = _pyplot()
    ax = plot_affect_plane([], title="The nine anchors (Warriner et al. 2013)")
    ax.figure.savefig(args.out / "va_plane.png", dpi=90)
    plt.close("all")

    report = analyze_video(args.media / "video" / "short_hamilton_clip.mp4", clf, progress=False)
    report.save(args.out / "_video")
    (args.out / "_video" / "timeline.png").replace(args.out / "timeline.png")
    screenshot(args.out / "_video" / "report.html", args.out / "report.png")
    if args.history.exists():
        plot_history(args.history, args.out / "training_history.png")


if __name__ == "__main__":
    main()
