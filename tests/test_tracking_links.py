"""Linking face tracks across shot cuts by appearance (`facemotion.apps.tracking`)."""

from __future__ import annotations

import numpy as np
import pytest

from facemotion.apps.tracking import TrackAppearance, appearance, appearance_distance, link_tracks


def _person(face: tuple[int, int, int], shirt: tuple[int, int, int], gain: float = 1.0) -> np.ndarray:
    """A frame with one 'person': a coloured face over a coloured shirt, lit by ``gain``."""
    image = np.full((240, 200, 3), 15, np.uint8)
    image[40:100, 70:130] = face
    image[110:240, 40:160] = shirt
    return np.clip(image * gain, 0, 255).astype(np.uint8)


SKIN, BLUE, RED = (200, 150, 120), (30, 50, 170), (170, 40, 40)
BOX = (70, 40, 60, 60)


def _track(track: int, shot: int, frames: set[int], image: np.ndarray) -> TrackAppearance:
    return TrackAppearance(track, shot, frozenset(frames), appearance(image, BOX))


def test_appearance_survives_exposure_and_tells_clothes_apart() -> None:
    bright, dim = _person(SKIN, BLUE), _person(SKIN, BLUE, gain=0.6)
    other = _person(SKIN, RED)
    assert appearance_distance(appearance(bright, BOX), appearance(dim, BOX)) < 0.15
    assert appearance_distance(appearance(bright, BOX), appearance(other, BOX)) > 0.4


def test_same_person_in_two_shots_is_one_person_and_faces_seen_together_never_are() -> None:
    blue, red = _person(SKIN, BLUE), _person(SKIN, RED)
    tracks = [
        _track(0, 0, {0, 1}, blue),
        _track(1, 0, {0, 1}, red),
        _track(2, 1, {5, 6}, _person(SKIN, BLUE, gain=0.7)),  # after the cut, darker
        _track(3, 1, {5, 6}, blue),  # a look-alike on screen with track 2
    ]
    persons = link_tracks(tracks)
    assert persons[2] != persons[3]  # seen in the same frames: two people whatever they look like
    assert persons[1] not in (persons[2], persons[3])  # red shirt: nobody after the cut
    # two blue look-alikes after the cut: the ratio test links neither to track 0
    assert persons[0] not in (persons[2], persons[3])
    alone = link_tracks([tracks[0], tracks[1], tracks[2]])
    assert alone[0] == alone[2] and alone[1] != alone[0]
    assert sorted(set(alone.values())) == [0, 1]  # persons numbered from 0 in order of first track


def test_a_face_lost_and_found_again_in_one_shot_is_linked() -> None:
    blue = _person(SKIN, BLUE)
    persons = link_tracks([_track(0, 0, {0, 1, 2}, blue), _track(1, 0, {4, 5}, blue)])
    assert persons[0] == persons[1]


@pytest.mark.parametrize("distance", [0.0, 0.3])
def test_nothing_links_at_or_above_the_distance(distance: float) -> None:
    blue, red = _person(SKIN, BLUE), _person(SKIN, RED)
    d = appearance_distance(appearance(blue, BOX), appearance(red, BOX))
    persons = link_tracks([_track(0, 0, {0}, blue), _track(1, 1, {5}, red)], max_distance=min(distance, d))
    assert persons[0] != persons[1]


def test_clothing_off_screen_compares_faces_only() -> None:
    image = _person(SKIN, BLUE)
    low = (70, 200, 40, 40)  # a face at the bottom edge: no room for clothing below it
    descriptor = appearance(image, low)
    assert descriptor[48:].sum() == 0
    assert appearance_distance(descriptor, appearance(image, BOX)) <= 1.0


def _seen(
    track: int, frames: set[int], image: np.ndarray, start: tuple[float, int], end: tuple[float, int]
) -> TrackAppearance:
    """A track of one shot whose face was first seen at ``start`` (time, x) and last at ``end``."""
    return TrackAppearance(
        track,
        0,
        frozenset(frames),
        appearance(image, BOX),
        (start[0], (start[1], 40, 60, 60)),
        (end[0], (end[1], 40, 60, 60)),
    )


def test_in_one_shot_only_tracks_where_the_face_could_have_gone_are_linked() -> None:
    """A camera panning along a row of people: the one leaving at the left and the one entering at the right
    looked alike and were one person; a face lost and found again nearby still is."""
    blue = _person(SKIN, BLUE)
    left = _seen(0, {0, 1, 2}, blue, (0.0, 0), (0.4, 0))
    entering = _seen(1, {5, 6}, blue, (1.0, 560), (1.2, 560))  # 9 face sides away 0.6 s later
    nearby = _seen(2, {5, 6}, blue, (1.0, 60), (1.2, 60))
    assert link_tracks([left, entering])[1] != 0
    assert link_tracks([left, nearby])[2] == 0


def test_a_face_lost_several_times_in_one_shot_is_one_person() -> None:
    """Three tracks of one walking person: each was the other's 'rival', so none was linked (21 tracks, 17 people)."""
    blue = _person(SKIN, BLUE)
    pieces = [_seen(k, {3 * k, 3 * k + 1}, blue, (0.6 * k, 80 * k), (0.6 * k + 0.2, 80 * k + 20)) for k in range(4)]
    assert set(link_tracks(pieces).values()) == {0}
    other = _seen(9, {0, 1, 3, 4}, blue, (0.0, 400), (1.0, 400))  # a look-alike on screen with the first two
    persons = link_tracks([*pieces, other])
    assert persons[9] not in (persons[0], persons[1])
