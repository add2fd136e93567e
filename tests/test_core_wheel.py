"""The wheel carries every data file of the package: bundled models, the detector, report templates, py.typed.

setuptools puts a package's non-Python files in the wheel only when a ``package-data`` pattern of
pyproject.toml names them; a new folder of templates or models would otherwise be left out of
`pip install facemotion` while every test run from the checkout still passes. (CI's core-only venv
then runs the commands from a real wheel: tests/test_core_install.py.)
"""

from __future__ import annotations

import fnmatch
from pathlib import Path, PurePosixPath

import pytest

tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "facemotion"


def _matches(path: PurePosixPath, pattern: str) -> bool:
    """setuptools' package-data glob: ``*`` stays within one folder."""
    parts = PurePosixPath(pattern).parts
    return len(parts) == len(path.parts) and all(
        fnmatch.fnmatchcase(p, q) for p, q in zip(path.parts, parts, strict=True)
    )


def test_package_data_covers_every_data_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["facemotion"]
    data_files = [
        PurePosixPath(path.relative_to(PACKAGE).as_posix())
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    ]
    assert {"py.typed", "default_model/config.json", "detection/data/NOTICE"} <= {str(p) for p in data_files}
    missing = [str(p) for p in data_files if not any(_matches(p, pattern) for pattern in patterns)]
    assert missing == [], f"not in the wheel: add a package-data pattern to pyproject.toml for {missing}"


def test_the_glob_is_setuptools_glob() -> None:
    assert _matches(PurePosixPath("apps/templates/report.html.j2"), "apps/templates/*")
    assert not _matches(PurePosixPath("apps/templates/parts/x.j2"), "apps/templates/*")
    assert not _matches(PurePosixPath("default_model/x.tflite"), "detection/data/*")
