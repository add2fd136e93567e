"""Draw the pictures of the README and the docs with the bundled model on the shared media.

python scripts/make_doc_images.py --media ../shared/media
"""

from __future__ import annotations

import argparse
from pathlib import Path

from facemotion import EmotionClassifier, analyze_group
from facemotion.apps.report import video_report_html
from facemotion.apps.video import analyze_video
from facemotion.draw import _pyplot, annotate, group_figure, plot_affect_plane, save_image
from facemotion.io import read_image
from facemotion.training import plot_history


def screenshot(page: Path, png: Path, height: int, start: str = "", max_kb: int = 300) -> None:
    """The HTML page as headless Chromium renders it, 1100 px wide, from the element that begins with
    ``start`` on (the body before it left out), stored as a palette PNG under ``max_kb``
    (skipped with a note when Chromium is absent)."""
    import shutil
    import subprocess
    import tempfile

    from PIL import Image

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print(f"no chromium: {png.name} not redrawn (apt-get install chromium)")
        return
    with tempfile.TemporaryDirectory() as profile:
        raw = Path(profile) / "shot.png"
        if start:
            text = page.read_text()
            head, body = text.split("<body>", 1)
            page = Path(profile) / page.name
            page.write_text(head + "<body>" + body[body.index(start) :])
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
        subprocess.run(
            [
                chromium,
                *flags,
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                f"--window-size=1100,{height}",
                f"--screenshot={raw}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            check=True,
            timeout=120,
        )
        image = Image.open(raw).convert("RGB")
        for width in (1100, 960, 820, 700):
            small = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
            small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(png, optimize=True)
            if png.stat().st_size <= max_kb * 1024:
                break
    print(f"{png}: {png.stat().st_size // 1024} KB")


def compare_demo(media: Path, clf: EmotionClassifier, out: Path) -> Path:
    """The compare report on the shared group photos split in two (for illustration only)."""
    import shutil
    import tempfile

    from facemotion.apps.compare import compare_groups
    from facemotion.apps.report import comparison_report_html

    photos = sorted((media / "group_photos").glob("voc_*.jpg"))
    with tempfile.TemporaryDirectory() as tmp:
        for i, photo in enumerate(photos):
            group = Path(tmp) / ("entering" if i % 2 else "leaving")
            group.mkdir(exist_ok=True)
            shutil.copy(photo, group / photo.name)
        result = compare_groups(Path(tmp) / "entering", Path(tmp) / "leaving", clf)
    return comparison_report_html(result, out / "compare.html")


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
    save_image(annotate(image, mood.faces, numbered=True), args.out / "group_annotated.png")  # as --annotate draws
    group_figure(image, mood.faces, mood.emotion_shares).savefig(args.out / "group_mood.png", dpi=90)

    plt = _pyplot()
    ax = plot_affect_plane([], title="The nine anchors (Warriner et al. 2013)")
    ax.figure.savefig(args.out / "va_plane.png", dpi=90)
    plt.close("all")

    report = analyze_video(args.media / "video" / "short_hamilton_clip.mp4", clf, progress=False)
    work = args.out / "_video"
    report.save(work)
    (work / "timeline.png").replace(args.out / "timeline.png")
    page = video_report_html(report, work, metadata={"model_metrics": clf.model.config.card.metrics})
    screenshot(page, args.out / "report.png", 1500)
    screenshot(page, args.out / "report_moments.png", 1250, '<h2 id="moments">')
    screenshot(page, args.out / "report_people.png", 1250, '<h2 id="people">')
    screenshot(compare_demo(args.media, clf, work), args.out / "compare_report.png", 1900)
    if args.history.exists():
        plot_history(args.history, args.out / "training_history.png")


if __name__ == "__main__":
    main()
