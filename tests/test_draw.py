"""Drawings of results: boxes, labels and valence–arousal marks stay with their own face."""

from __future__ import annotations

import numpy as np

from facemotion.draw import annotate
from facemotion.results import FaceEmotion


def _face(
    box: tuple[int, int, int, int], valence: float = 0.5, arousal: float = 0.2, label: str = "happy"
) -> FaceEmotion:
    probabilities = {"anger": 0.0, "contempt": 0.0, "disgust": 0.0, "fear": 0.0, "happy": 0.0}
    probabilities |= {"neutral": 0.1, "sad": 0.0, "surprise": 0.0, "uncertain": 0.0, label: 0.9}
    return FaceEmotion(label, 0.9, probabilities, valence, arousal, box=box)


def test_a_crowds_marks_are_no_wider_than_their_faces() -> None:
    """In a 4,500-px photo a 45-px face's mark used to be 100 px wide, covering its neighbours."""
    photo = np.zeros((3375, 4500, 3), np.uint8)
    x, y, w, h = 2000, 1500, 45, 45
    drawn = annotate(photo, [_face((x, y, w, h))], legend=False)
    marked = np.flatnonzero(drawn[y + h + 12 : y + h + 60].any(axis=(0, 2)))  # below the box line (10 px thick)
    assert marked.size and marked.min() >= x and marked.max() <= x + w


def test_a_large_face_gets_a_readable_mark_under_it_and_a_legend() -> None:
    photo = np.zeros((900, 1200, 3), np.uint8)
    drawn = annotate(photo, [_face((400, 200, 300, 300))])
    below = drawn[500:700, 400:700]
    assert (below == 255).all(axis=2).sum() > 60 * 60  # a white square of about half the face's width
    assert drawn[-120:, :300].any()  # the legend in the bottom-left corner
    assert not annotate(photo, []).any()  # nothing to draw, nothing drawn


def test_a_label_does_not_cover_the_face_behind() -> None:
    """A face just below another gets its label where it covers neither face (not over the face above)."""
    from facemotion.draw import COLORS

    photo = np.zeros((400, 400, 3), np.uint8)
    upper, lower = _face((150, 50, 100, 100), label="happy"), _face((140, 160, 100, 100), label="sad")
    drawn = annotate(photo, [upper, lower], legend=False)
    sad = (drawn == COLORS["sad"]).all(axis=2)
    assert not sad[60:148, 160:240].any()  # above its box it covered rows 140-148
    assert not sad[175:255, 150:230].any()  # nor its own face
    assert sad.sum() - sad[150:270, 130:250].sum() > 100  # it is drawn, beside its box
    side_by_side = annotate(photo, [_face((50, 200, 100, 100)), _face((160, 200, 100, 100), label="sad")], legend=False)
    assert (side_by_side[170:198, 165:230] == COLORS["sad"]).all(axis=2).sum() > 100  # no face above: above its box


def test_overlapping_faces_labels_do_not_overprint_each_other() -> None:
    """Three faces in a row, overlapping (a couple cheek to cheek): each label is as whole as when drawn alone."""
    from facemotion.draw import COLORS

    photo = np.zeros((500, 700, 3), np.uint8)
    faces = [
        _face((200, 200, 90, 100), label="sad"),
        _face((260, 190, 90, 100), label="happy"),
        _face((320, 200, 90, 100), label="surprise"),
    ]
    outlines = np.zeros(photo.shape[:2], bool)  # where the boxes' lines run (they cross each other)
    for x, y, w, h in (f.box for f in faces if f.box):
        outlines[y - 3 : y + h + 4, x - 3 : x + w + 4] = True
        outlines[y + 4 : y + h - 3, x + 4 : x + w - 3] = False
    drawn = annotate(photo, faces, legend=False)
    for face in faces:
        alone = (annotate(photo, [face], legend=False) == COLORS[face.label]).all(axis=2) & ~outlines
        together = (drawn == COLORS[face.label]).all(axis=2) & ~outlines
        assert together.sum() >= 0.97 * alone.sum(), face.label  # no other label drawn over it


def test_outline_faces_draws_the_named_faces_labels_on_top() -> None:
    """A grey "left out" label placed after a named face's label never covers it."""
    from facemotion.draw import COLORS, outline_faces

    photo = np.zeros((90, 160, 3), np.uint8)
    named = ((69, 58, 15, 15), "1 happy 85%", "happy")
    others = [((x, y, s, s), "left out: too dark", None) for x, y, s in ((103, 53, 11), (115, 39, 39), (54, 25, 10))]
    alone = (outline_faces(photo, [named]) == COLORS["happy"]).all(axis=2).sum()
    together = (outline_faces(photo, [named, *others]) == COLORS["happy"]).all(axis=2).sum()
    assert together >= 0.97 * alone


def test_a_thumbnail_is_drawn_enlarged_with_its_whole_label() -> None:
    """A 48-px face given as a photo: drawn at its own size, the label was cut to "surprise 7"."""
    from facemotion.draw import COLORS, MIN_DRAWN_SIDE

    photo = np.full((48, 64, 3), 90, np.uint8)
    drawn = annotate(photo, [_face((8, 0, 48, 48), label="surprise")], legend=False)
    factor = -(-MIN_DRAWN_SIDE // 64)
    assert drawn.shape == (48 * factor, 64 * factor, 3)
    ink = (drawn == COLORS["surprise"]).all(axis=2)
    assert ink[:, 8 * factor].mean() > 0.5 and ink[:, 56 * factor].mean() > 0.5  # the box, scaled with the image
    label_rows = ink[: 12 * factor // 2, 8 * factor + 4 :].any(axis=0)  # the label's background, right of the line
    assert 60 < label_rows.sum() < drawn.shape[1] - 8 * factor - 4  # readable, and ends inside the picture


def test_the_legend_leaves_a_face_in_its_corner_and_its_mark_alone() -> None:
    """A close-up whose face fills the lower left: the key covered its valence–arousal square whole."""
    photo = np.zeros((512, 512, 3), np.uint8)
    drawn = annotate(photo, [_face((20, 150, 300, 300), valence=-0.8, arousal=-0.8)])
    mark = drawn[455:512, 130:210]
    assert ((mark == (220, 20, 60)).all(axis=2)).sum() > 20  # the mark's red dot is drawn
    assert not drawn[460:, :15].any()  # the key is not in the bottom-left corner, where the face is ...
    assert (drawn[450:, 330:] == 255).all(axis=2).sum() > 4000  # ... but in the bottom-right one, where nothing is


def test_a_large_faces_label_is_no_smaller_than_the_legend_text() -> None:
    """On a 512-px portrait the label was drawn at 0.35 (about 8 px tall), under the legend's 0.4."""
    from facemotion.draw import COLORS

    photo = np.zeros((512, 512, 3), np.uint8)
    drawn = annotate(photo, [_face((100, 120, 320, 320), label="surprise")], legend=False)
    strip = (drawn[:120] == COLORS["surprise"]).all(axis=2).any(axis=1)  # rows of the label's background
    assert strip.sum() >= 18  # 0.6 of OpenCV's font: about 19 px tall with its padding (0.35 gave 13)


def test_a_gallery_s_marks_and_key_hide_no_face() -> None:
    """A video call's gallery (faces of 60 px in tiles of 160×90): the mark under a face fell on the face in
    the tile below, and the key in a corner on a participant. Marks now go beside their box, and a key that
    would hide a face is left out: every face stays in sight."""
    faces = [_face((50 + 160 * c, 15 + 95 * r, 60, 60)) for r in range(4) for c in range(5)]
    drawn = annotate(np.zeros((380, 800, 3), np.uint8), faces)
    for face in faces:
        x, y, w, h = face.box  # inside the outline: still the black photo (a label's corner may reach in)
        assert drawn[y + 4 : y + h - 4, x + 4 : x + w - 4].any(axis=2).mean() < 0.05, face.box


def test_the_key_goes_to_a_corner_that_hides_no_face() -> None:
    """The corner covering least was chosen first and then found to hide a face, though another corner
    covered only a mark: the key goes where it hides no face, if there is such a corner."""
    from facemotion.draw import _affect_legend

    image = np.zeros((400, 600, 3), np.uint8)
    small = [(0, 0, 60, 60), (540, 0, 600, 60), (540, 340, 600, 400)]  # three corners hold a small face each
    mark = [(10, 360, 40, 390)]  # the fourth only a face's mark
    where = _affect_legend(image, 0.67, marks=mark, faces=small)
    assert where is not None and where[0] < 50 and where[3] > 350  # bottom-left
    assert _affect_legend(image, 0.67, faces=[*small, (0, 330, 80, 400)]) is None  # every corner hides a face
