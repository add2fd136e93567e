from pathlib import Path

import numpy as np
import pytest

from facemotion.apps.compare import GroupSample, compare_groups, compare_samples

from conftest import GROUP_PHOTOS, need


def _sample(values: np.ndarray) -> GroupSample:
    return GroupSample(values, np.zeros_like(values), tuple("happy" for _ in values))


def test_clear_difference_has_an_interval_that_excludes_zero() -> None:
    rng = np.random.default_rng(0)
    a, b = _sample(rng.normal(-0.2, 0.2, 80)), _sample(rng.normal(0.2, 0.2, 90))
    result = compare_samples(a, b, n_resamples=2000)
    assert result.delta_valence == pytest.approx(b.valence.mean() - a.valence.mean())
    assert result.ci_low is not None and result.ci_high is not None
    assert 0 < result.ci_low < result.delta_valence < result.ci_high
    assert result.p_value is not None and result.p_value < 0.01
    assert result.sentence.startswith("Visitors leave happier: valence +0.")
    assert "n=80 vs 90" in result.sentence
    assert compare_samples(a, b, n_resamples=2000).ci_low == result.ci_low  # seeded


def test_no_difference_is_not_called_one() -> None:
    rng = np.random.default_rng(1)
    result = compare_samples(_sample(rng.normal(0, 0.3, 60)), _sample(rng.normal(0, 0.3, 60)), n_resamples=2000)
    assert result.ci_low is not None and result.ci_low < 0 < result.ci_high  # type: ignore[operator]
    assert result.sentence.startswith("No clear change")


def test_too_few_faces_gives_no_interval() -> None:
    result = compare_samples(_sample(np.array([0.1, 0.2])), _sample(np.array([0.5, 0.6, 0.7])))
    assert result.ci_low is None and result.p_value is None and result.delta_valence is not None
    assert "Too few faces" in result.sentence
    empty = compare_samples(_sample(np.array([])), _sample(np.array([0.5])))
    assert empty.delta_valence is None and "No comparison" in empty.sentence


def test_compare_two_folders_of_photos(tiny_classifier, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    photos = sorted(need(GROUP_PHOTOS).glob("voc_*.jpg"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for i, p in enumerate(photos):
        shutil.copy(p, tmp_path / ("a" if i % 2 else "b") / p.name)
    result = compare_groups(tmp_path / "a", tmp_path / "b", tiny_classifier, n_resamples=500)
    assert result.n_a + result.n_b == 43 - 0 or result.n_a + result.n_b >= 41
    d = result.to_dict()
    assert {"delta_valence", "delta_arousal", "ci_low", "ci_high", "p_value", "n_a", "n_b", "sentence"} <= set(d)
