"""`facemotion.extras.require`: a missing optional part is one `MissingExtraError` naming the extra."""

from __future__ import annotations

from pathlib import Path

import pytest

from facemotion.errors import FacemotionError, MissingExtraError
from facemotion.extras import require


def test_a_present_module_is_returned() -> None:
    assert require("json", "train").loads("[1]") == [1]


def test_a_missing_module_names_the_extra() -> None:
    with pytest.raises(MissingExtraError, match=r'needs no_such_module_xyz\b.*pip install "facemotion\[mtcnn\]"'):
        require("no_such_module_xyz.sub", "mtcnn")


def test_a_module_missing_its_own_dependency_names_that_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like Keras installed without TensorFlow: the extra brings both, and the message says what is missing."""
    (tmp_path / "half_installed_xyz.py").write_text("import no_such_backend_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MissingExtraError, match=r'needs no_such_backend_xyz\b.*"facemotion\[train\]"') as caught:
        require("half_installed_xyz", "train")
    assert isinstance(caught.value, FacemotionError)  # the CLI prints it as one line
    assert isinstance(caught.value, ImportError)  # code that catches ImportError keeps working
