"""Every Python block of the README and the docs runs on its own (in a folder with the files it names).

A block preceded by ``<!-- no-test: reason -->`` is skipped (with that reason): it needs a
network or an account.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA, GROUP_PHOTOS, VIDEO

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)```", re.S)


def _blocks() -> list[tuple[str, str, str | None]]:
    out = []
    for page in PAGES:
        for i, m in enumerate(BLOCK.finditer(page.read_text())):
            skip = re.match(r"<!-- no-test: (.*) -->", m["before"].strip())
            out.append((f"{page.relative_to(ROOT)}#{i + 1}", m["code"], skip.group(1) if skip else None))
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the examples name: photos, a video, two groups, small folder-per-emotion sets."""
    if not (GROUP_PHOTOS.is_dir() and VIDEO.is_file() and (DATA / "ferplus").is_dir()):
        pytest.skip("the docs examples read the shared photos, video and FER+ faces (../shared)")
    work = tmp_path_factory.mktemp("docs")
    photos = sorted(GROUP_PHOTOS.glob("voc_*.jpg"))
    shutil.copy(photos[0], work / "photo.jpg")
    shutil.copy(photos[0], work / "team.jpg")
    shutil.copy(VIDEO, work / "viewers.mp4")
    for group, picks in (("entering", photos[1:4]), ("leaving", photos[4:7])):
        (work / group).mkdir()
        for p in picks:
            shutil.copy(p, work / group / p.name)
    for name, split, offset in (("my_faces", "train", 0), ("my_faces_val", "val", 0), ("my_faces_test", "val", 6)):
        for label in ("anger", "happy", "neutral", "sad", "surprise"):
            (work / name / label).mkdir(parents=True)
            for f in sorted((DATA / "ferplus" / split / label).glob("*.png"))[offset : offset + 6]:
                shutil.copy(f, work / name / label / f.name)
    faces = sorted((DATA / "ferplus" / "val" / "happy").glob("*.png"))
    shutil.copy(faces[0], work / "face1.png")
    shutil.copy(faces[1], work / "face2.png")
    return work


@pytest.mark.parametrize(("where", "code", "skip"), _blocks(), ids=[b[0] for b in _blocks()])
def test_docs_block_runs(where: str, code: str, skip: str | None, workdir: Path) -> None:
    if skip:
        pytest.skip(skip)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{where} failed:\n{code}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs built with ``mkdocs build --strict`` (any warning fails the build)."""
    pytest.importorskip("mkdocs", reason="building the docs needs the docs extra: pip install -e '.[docs]'")
    pytest.importorskip("mkdocstrings_handlers.python", reason="the API page needs mkdocstrings[python] (docs extra)")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    return out


class _Text(HTMLParser):
    """The text of a page, split into what is inside ``<pre>`` code and what is not."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.code: list[str] = []
        self.prose: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "pre"

    def handle_data(self, data: str) -> None:
        (self.code if self.depth else self.prose).append(data)


def _page_text(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text())
    return parser


def test_api_page_renders_examples_as_code_and_names_as_links(site: Path) -> None:
    html = (site / "api.html").read_text()
    text = _page_text(site / "api.html")
    prose, code = "".join(text.prose), "".join(text.code)
    assert not re.search(r":(func|class|meth|data|attr|mod|exc|obj):`", prose), "raw Sphinx roles on the API page"
    assert "&gt;&gt;&gt;" not in re.sub(r"<pre.*?</pre>", "", html, flags=re.S), "a >>> example outside a code block"
    assert not re.search(r"<blockquote>\s*<blockquote>", html), "doctest prompts read as nested blockquotes"
    assert "doctest:" not in html, "doctest directives (# doctest: +SKIP) shown to readers"
    examples = code.count(">>> ")
    assert examples >= 20, f"only {examples} example lines rendered as code"
    assert "EmotionClassifier().predict" in code or "EmotionClassifier()" in code
    assert html.count('href="#facemotion.api.EmotionClassifier"') >= 2, "names in docstrings are not linked"


def test_api_page_documents_every_public_name(site: Path) -> None:
    """Each name `from facemotion import ...` offers has its entry (an anchor under its defining module)."""
    import facemotion

    html = (site / "api.html").read_text()
    lazy: dict[str, str] = facemotion._LAZY  # the lazily loaded names and their modules, without importing them
    for name in facemotion.__all__:
        module = lazy.get(name) or getattr(facemotion, name).__module__
        assert f'id="{module}.{name}"' in html, f"facemotion.{name} has no entry on the API page"


def test_docs_search_and_first_pages_work_offline(site: Path) -> None:
    index = (site / "index.html").read_text()
    assert "unpkg.com" not in index and "assets/iframe-worker/shim.js" in index  # no CDN: search works from disk
    assert (site / "search" / "search_index.js").is_file()  # the offline plugin's inlined index
    home, start = "".join(_page_text(site / "index.html").code), "".join(_page_text(site / "getting-started.html").code)
    assert "pip install facemotion" in home
    assert "facemotion analyze" in start and re.search(r"happy +\d+%", start), "getting started shows no real output"


def _griffe_extension() -> Any:
    pytest.importorskip("griffe", reason="the API page's griffe extension needs the docs extra")
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        import griffe_doctests
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    return griffe_doctests


def test_sphinx_attribute_comments_become_docstrings() -> None:
    comment_doc = _griffe_extension().comment_doc
    lines = ["x = 1", "#: Largest image, in pixels,", "#: checked from the header.", "MAX_PIXELS = 100"]
    assert comment_doc(lines, 4) == "Largest image, in pixels,\nchecked from the header."
    assert comment_doc(lines, 1) is None
    assert comment_doc(["# a plain comment", "y = 2"], 2) is None


def test_doctest_fencing_keeps_code_and_drops_directives() -> None:
    fence_doctests = _griffe_extension().fence_doctests
    text = "Text.\n\n    >>> x = 1  # doctest: +SKIP\n    ... + 1\n    2\n\n```python\n>>> kept as is\n```"
    assert fence_doctests(text).split("\n") == [
        "Text.",
        "",
        "    ```pycon",
        "    >>> x = 1",
        "    ... + 1",
        "    2",
        "    ```",
        "",
        "```python",
        ">>> kept as is",
        "```",
    ]
