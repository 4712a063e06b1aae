"""A visitor's own pictures (cnnviz.learning.own): good and hostile zips made here, pictures
added one by one, the preparation against Pillow's own crop and resize, the sample shapes and
the held-out split."""

import builtins
import io
import os
import struct
import tempfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from cnnviz.learning import own
from cnnviz.learning.own import (
    MAX_FILE_BYTES,
    MAX_PER_CLASS,
    MAX_PICTURES,
    SHAPES,
    PictureSetError,
    TooFewPictures,
    held_out_split,
    labelled_images,
    labelled_images_from_zip,
    prepare_picture,
    sample_shapes,
)

rng = np.random.default_rng(17)


def _png(value=128, size=(6, 5), mode="L") -> bytes:
    buffer = io.BytesIO()
    if isinstance(value, np.ndarray):
        Image.fromarray(value).save(buffer, format="PNG")
    else:
        Image.new(mode, size, value).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(size=(20, 12)) -> bytes:
    buffer = io.BytesIO()
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


def _zip(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``(name, bytes)`` members; a name ending in '/' is a folder entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            if name.endswith("/"):
                info.external_attr = 0o40755 << 16 | 0x10
            archive.writestr(info, content)
    return buffer.getvalue()


GOOD = [
    ("cup/1.png", _png(0)),
    ("cup/2.jpg", _jpeg()),
    ("pen/a.png", _png(255, mode="L")),
    ("pen/b.png", _png((255, 0, 0), mode="RGB")),
    ("pen/deeper/c.png", _png(40)),
]


def _problem_naming(result_or_error, name: str) -> str:
    problems = [p for p in result_or_error.problems if repr(name) in p or f"'{name}" in p]
    assert problems, f"no message names {name!r}: {result_or_error.problems}"
    return problems[0]


# -- a good zip -------------------------------------------------------------------------------


def test_a_good_zip_gives_its_folders_as_classes_in_alphabetical_order():
    pictures = labelled_images_from_zip(_zip(GOOD[::-1]), size=16)
    assert pictures.classes == ("cup", "pen")
    assert pictures.x.shape == (5, 16, 16, 1) and pictures.x.dtype == np.float32
    assert pictures.y.tolist() == [0, 0, 1, 1, 1]
    assert pictures.counts == (2, 3)
    assert sorted(pictures.sources) == sorted(name for name, _ in GOOD)
    assert pictures.problems == ()
    assert 0 <= pictures.x.min() and pictures.x.max() <= 1


def test_the_result_cannot_be_changed_afterwards():
    pictures = labelled_images_from_zip(_zip(GOOD), size=8)
    with pytest.raises(ValueError, match="read-only"):
        pictures.x[0, 0, 0, 0] = 1
    with pytest.raises(AttributeError):
        pictures.classes = ("a", "b")  # type: ignore[misc]


def test_colour_keeps_three_channels_and_gray_files_repeat_their_value():
    pictures = labelled_images_from_zip(_zip(GOOD), size=8, channels=3)
    assert pictures.x.shape == (5, 8, 8, 3)
    red = pictures.x[pictures.sources.index("pen/b.png")]
    np.testing.assert_allclose(red[..., 0], 1.0)
    np.testing.assert_allclose(red[..., 1:], 0.0, atol=1e-6)
    gray = pictures.x[pictures.sources.index("pen/a.png")]
    assert np.ptp(gray, axis=2).max() == 0


def test_a_zip_of_the_folder_holding_the_class_folders_is_opened():
    """Compressing 'photos/' (holding 'cup/' and 'pen/') gives the classes cup and pen."""
    pictures = labelled_images_from_zip(_zip([(f"photos/{n}", c) for n, c in GOOD]), size=8)
    assert pictures.classes == ("cup", "pen")
    assert pictures.problems == ()


def test_pictures_already_at_the_size_come_back_as_they_were_saved():
    """The sample shapes saved as 8-bit PNGs in class folders read back within rounding."""
    shapes = sample_shapes(5, size=32, seed=2)
    pixels = np.round(shapes.x[..., 0] * 255).astype(np.uint8)
    members = [(f"{SHAPES[c]}/{k}.png", _png(p)) for k, (p, c) in enumerate(zip(pixels, shapes.y))]
    pictures = labelled_images_from_zip(_zip(members), size=32)
    order = np.argsort([int(s.split("/")[1][:-4]) for s in pictures.sources])
    np.testing.assert_allclose(pictures.x[order], pixels[..., None] / 255, atol=1e-6)
    assert pictures.classes == SHAPES and pictures.y[order].tolist() == shapes.y.tolist()


def test_system_files_are_skipped_without_a_message():
    junk = [("__MACOSX/cup/._1.png", b"\x00\x05"), ("cup/.DS_Store", b"x"), ("pen/Thumbs.db", b"x")]
    pictures = labelled_images_from_zip(_zip(GOOD + junk), size=8)
    assert len(pictures.y) == 5 and pictures.problems == ()


# -- the preparation against Pillow -------------------------------------------------------------


@pytest.mark.parametrize("width, height", [(32, 24), (24, 32), (31, 31), (12, 9)])
@pytest.mark.parametrize("channels", [1, 3])
def test_preparation_is_the_centred_square_resized_by_pillow(width, height, channels):
    """The reference: Pillow crops the centred square and resizes it with Lanczos, per channel
    (files of at most 2 S a side, which the loader keeps as they are)."""
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    got = prepare_picture(_png(pixels), size=16, channels=channels)
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = Image.fromarray(pixels).crop((left, top, left + side, top + side))
    if channels == 1:
        planes = [square.convert("F")]  # Pillow's luma, in floats
    else:
        planes = [band.convert("F") for band in square.split()]
    want = np.stack(
        [np.asarray(p.resize((16, 16), Image.Resampling.LANCZOS)) / 255 for p in planes], axis=2
    )
    assert got.shape == (16, 16, channels)
    np.testing.assert_allclose(got, np.clip(want, 0, 1), atol=1e-5)


def test_a_large_photo_is_shrunk_by_the_loader_before_the_square_is_cut():
    """A 2000×1000 file is decoded at most 2 S on its longer side, then made S×S."""
    pixels = np.zeros((1000, 2000), np.uint8)
    pixels[:, 1000:] = 255  # right half white: the centred square is half white
    got = prepare_picture(_png(pixels), size=8)[..., 0]
    assert got.shape == (8, 8)
    assert got[:, :3].max() < 0.05 and got[:, 5:].min() > 0.95


# -- hostile zips -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../evil.png",
        "cup/../../evil.png",
        "/etc/evil.png",
        "C:/evil.png",
        "C:\\cup\\evil.png",
        "cup\\..\\..\\evil.png",
    ],
)
def test_path_tricks_are_refused_by_name_and_the_good_pictures_kept(name):
    pictures = labelled_images_from_zip(_zip(GOOD + [(name, _png())]), size=8)
    message = _problem_naming(pictures, name)
    assert "path trick" in message
    assert len(pictures.y) == 5 and pictures.classes == ("cup", "pen")


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_unpacked(monkeypatch):
    """Six members of 9.5 MB of zeros (each under the file limit) would unpack to 57 MB."""
    zeros = bytes(9_500_000)
    bomb = _zip(GOOD + [(f"cup/bomb{k}.png", zeros) for k in range(6)])
    assert len(bomb) < 200_000  # highly compressible: a small upload
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: opened.append(a) or 1 / 0)
    with pytest.raises(PictureSetError, match=r"would unpack to 57 MB, more than the 50 MB"):
        labelled_images_from_zip(bomb, size=8)
    assert opened == []


def test_a_member_over_the_file_limit_is_named_and_not_unpacked():
    big = ("cup/huge.png", bytes(MAX_FILE_BYTES + 1))
    pictures = labelled_images_from_zip(_zip(GOOD + [big]), size=8)
    assert "more than the 10 MB" in _problem_naming(pictures, "cup/huge.png")
    assert len(pictures.y) == 5


def test_a_lying_directory_entry_cannot_make_a_member_unpack_more(monkeypatch):
    """The directory says 100 bytes for 5 MB of zeros: at most 101 bytes are ever asked for."""
    archive = bytearray(_zip(GOOD + [("pen/liar.png", bytes(5_000_000))]))
    central = archive.rfind(b"PK\x01\x02")  # the last directory entry: the liar's
    archive[central + 24 : central + 28] = struct.pack("<I", 100)  # uncompressed size
    sizes = []
    real_read = zipfile.ZipExtFile.read
    monkeypatch.setattr(
        zipfile.ZipExtFile, "read", lambda self, n=-1: sizes.append(n) or real_read(self, n)
    )
    pictures = labelled_images_from_zip(bytes(archive), size=8)
    assert "damaged" in _problem_naming(pictures, "pen/liar.png")
    assert max(sizes) <= MAX_FILE_BYTES + 1 and 101 in sizes
    assert len(pictures.y) == 5


def test_a_text_file_named_png_is_named_as_not_a_picture():
    pictures = labelled_images_from_zip(_zip(GOOD + [("pen/notes.png", b"hello " * 50)]), size=8)
    message = _problem_naming(pictures, "pen/notes.png")
    assert "text, not an image" in message
    assert len(pictures.y) == 5


def test_a_nested_zip_is_not_opened():
    inner = _zip(GOOD)
    pictures = labelled_images_from_zip(_zip(GOOD + [("cup/more.zip", inner)]), size=8)
    assert "archive inside the archive" in _problem_naming(pictures, "cup/more.zip")
    assert len(pictures.y) == 5


def test_a_file_that_is_not_a_picture_by_name_is_named():
    pictures = labelled_images_from_zip(_zip(GOOD + [("pen/readme.txt", b"hi")]), size=8)
    assert "is not a picture" in _problem_naming(pictures, "pen/readme.txt")


def test_a_file_outside_the_class_folders_is_named():
    pictures = labelled_images_from_zip(_zip(GOOD + [("loose.png", _png())]), size=8)
    assert "not in a class folder" in _problem_naming(pictures, "loose.png")


def test_an_empty_folder_is_named_and_not_made_a_class():
    pictures = labelled_images_from_zip(_zip(GOOD + [("key/", b"")]), size=8)
    assert "holds no pictures" in _problem_naming(pictures, "key")
    assert pictures.classes == ("cup", "pen")


def test_a_folder_of_files_that_all_fail_is_not_made_a_class():
    pictures = labelled_images_from_zip(_zip(GOOD + [("key/k.png", b"\x89PNG\r\n\x1a\nbad")]), 8)
    assert "could not be read" in _problem_naming(pictures, "key/k.png")
    assert "Class 'key' has no picture that could be read; it is left out." in pictures.problems
    assert pictures.classes == ("cup", "pen")


def test_a_truncated_picture_is_named_and_the_others_kept():
    whole = _png(rng.integers(0, 256, (30, 30), dtype=np.uint8))
    pictures = labelled_images_from_zip(_zip(GOOD + [("cup/cut.png", whole[:-40])]), size=8)
    assert "could not be read as a picture" in _problem_naming(pictures, "cup/cut.png")
    assert len(pictures.y) == 5


def test_a_member_whose_bytes_were_damaged_in_the_zip_is_named():
    """A stored member with a flipped byte fails its CRC check."""
    payload = _png(rng.integers(0, 256, (10, 10), dtype=np.uint8))
    archive = bytearray(_zip(GOOD + [("cup/flip.png", payload)], compression=zipfile.ZIP_STORED))
    at = archive.find(payload) + len(payload) // 2
    archive[at] ^= 0xFF
    pictures = labelled_images_from_zip(bytes(archive), size=8)
    assert "damaged in the zip" in _problem_naming(pictures, "cup/flip.png")
    assert len(pictures.y) == 5


def test_an_encrypted_member_is_named():
    archive = bytearray(_zip(GOOD + [("cup/secret.png", _png())]))
    central = archive.rfind(b"PK\x01\x02")
    archive[central + 8] |= 0x1  # general purpose flag: encrypted
    pictures = labelled_images_from_zip(bytes(archive), size=8)
    assert "encrypted" in _problem_naming(pictures, "cup/secret.png")


def test_a_symbolic_link_is_named_and_not_followed():
    link = zipfile.ZipInfo("cup/link.png")
    link.external_attr = 0o120777 << 16  # what `zip --symlinks` writes: the target as content
    buffer = io.BytesIO(_zip(GOOD))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(link, "../../etc/passwd")
    pictures = labelled_images_from_zip(buffer.getvalue(), size=8)
    assert "links are not followed" in _problem_naming(pictures, "cup/link.png")
    assert len(pictures.y) == 5


def test_one_class_only_is_an_error_that_says_to_add_another():
    with pytest.raises(PictureSetError, match=r"Only one class has pictures \('cup'\)") as caught:
        labelled_images_from_zip(_zip(GOOD[:2] + [("pen/x.txt", b"hi")]), size=8)
    assert any("pen/x.txt" in p for p in caught.value.problems)


def test_seven_classes_are_too_many():
    members = [(f"class{k}/1.png", _png(k * 30)) for k in range(7)]
    with pytest.raises(PictureSetError, match=r"There are 7 classes .* at most 6"):
        labelled_images_from_zip(_zip(members), size=8)
    assert len(labelled_images_from_zip(_zip(members[:6]), size=8).classes) == 6


def test_nothing_usable_is_an_error_naming_the_first_problem():
    with pytest.raises(
        PictureSetError,
        match=r"No picture could be used. The first of 4 problems: 'a/x.txt' is not a",
    ):
        labelled_images_from_zip(_zip([("a/x.txt", b"1"), ("b/y.png", b"hello")]), size=8)
    with pytest.raises(PictureSetError, match=r"No picture could be used\.$"):
        labelled_images_from_zip(_zip([]), size=8)


def test_bytes_that_are_not_a_zip_are_an_error():
    with pytest.raises(PictureSetError, match="not a zip archive"):
        labelled_images_from_zip(_png(), size=8)


def test_a_directory_of_too_many_entries_is_refused_before_it_is_parsed(monkeypatch):
    archive = _zip([(f"d{k}/", b"") for k in range(own.MAX_ENTRIES + 1)])
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: 1 / 0)
    with pytest.raises(PictureSetError, match="2,001 entries, more than the 2,000"):
        labelled_images_from_zip(archive, size=8)


# -- limits -------------------------------------------------------------------------------------


def test_a_class_keeps_its_first_hundred_pictures_and_names_the_rest():
    tiny = _png(90, size=(4, 4))
    members = [(f"cup/{k:03d}.png", tiny) for k in range(MAX_PER_CLASS + 2)]
    pictures = labelled_images_from_zip(_zip(members + GOOD[2:]), size=4)
    assert pictures.counts == (MAX_PER_CLASS, 3)
    message = _problem_naming(pictures, "cup/100.png")
    assert "2 more pictures than the 100 a class may have" in message and "cup/101.png" in message


def test_more_than_three_hundred_in_all_share_them_fairly():
    """4 classes of 100 and one of 20: the small class keeps 20, the others 70 each (300)."""
    tiny = _png(90, size=(4, 4))
    members = [(f"c{c}/{k:03d}.png", tiny) for c in range(4) for k in range(100)]
    members += [(f"small/{k}.png", tiny) for k in range(20)]
    pictures = labelled_images_from_zip(_zip(members), size=4)
    assert pictures.counts == (70, 70, 70, 70, 20) and sum(pictures.counts) == MAX_PICTURES
    assert "its share of the 300 pictures" in _problem_naming(pictures, "c0/070.png")


def test_a_bad_picture_lets_the_next_one_in_its_folder_take_its_place():
    tiny = _png(90, size=(4, 4))
    members = [("cup/000.png", b"broken")] + [(f"cup/{k:03d}.png", tiny) for k in range(1, 102)]
    pictures = labelled_images_from_zip(_zip(members + GOOD[2:]), size=4)
    assert pictures.counts[0] == MAX_PER_CLASS
    assert "1 more pictures" in _problem_naming(pictures, "cup/101.png")


# -- nothing touches the disk -------------------------------------------------------------------


def test_reading_zips_writes_nothing_to_disk(monkeypatch, tmp_path):
    """open, os.open and tempfile all fail while good and hostile zips are read, and no file
    appears in the temp folder or the working folder."""
    hostile = _zip(
        GOOD + [("../evil.png", _png()), ("cup/more.zip", _zip(GOOD)), ("pen/t.png", b"text " * 9)]
    )
    labelled_images_from_zip(hostile, size=8)  # warm: Pillow loads its plugins once
    before = set(os.listdir(tempfile.gettempdir())), set(os.listdir("."))

    def refuse(*args, **kwargs):
        raise AssertionError(f"the disk was touched: {args!r}")

    for owner, name in [
        (builtins, "open"),
        (io, "open"),
        (os, "open"),
        (tempfile, "mkstemp"),
        (tempfile, "mkdtemp"),
        (tempfile, "TemporaryFile"),
        (tempfile, "NamedTemporaryFile"),
        (tempfile, "SpooledTemporaryFile"),
    ]:
        monkeypatch.setattr(owner, name, refuse)
    pictures = labelled_images_from_zip(hostile, size=8)
    files = [("a.png", _png(), 0), ("b.jpg", _jpeg(), 1)]
    labelled_images(files, ["cup", "pen"], size=8)
    monkeypatch.undo()
    assert len(pictures.y) == 5 and len(pictures.problems) == 3
    assert (set(os.listdir(tempfile.gettempdir())), set(os.listdir("."))) == before


# -- pictures added one by one ------------------------------------------------------------------


def test_pictures_added_one_by_one_share_the_checks_and_the_preparation():
    snapshot = _jpeg()
    files = [
        ("cup.png", _png(0), 0),
        ("snapshot.jpg", snapshot, 2),
        ("notes.png", b"hello " * 20, 2),
        ("big.png", bytes(MAX_FILE_BYTES + 1), 0),
    ]
    pictures = labelled_images(files, ["cup", "pen", "key"], size=8, channels=3)
    assert pictures.classes == ("cup", "key") and pictures.y.tolist() == [0, 1]
    assert pictures.x.shape == (2, 8, 8, 3)
    np.testing.assert_array_equal(pictures.x[1], prepare_picture(snapshot, 8, 3))


def test_one_by_one_messages_name_each_file_and_the_empty_class():
    files = [("cup.png", _png(0), 0), ("notes.png", b"hello " * 20, 2), ("k.png", _png(9), 2)]
    pictures = labelled_images(files, ["cup", "pen", "key"], size=8)
    assert "text, not an image" in _problem_naming(pictures, "notes.png")
    assert "has no pictures" in _problem_naming(pictures, "pen")


def test_one_by_one_with_one_class_is_an_error():
    with pytest.raises(PictureSetError, match="Only one class"):
        labelled_images([("a.png", _png(), 1)], ["cup", "pen"], size=8)


@pytest.mark.parametrize(
    "files, classes, match",
    [
        ([("a.png", b"x", 2)], ["cup", "pen"], "from 0 to 1. Received: 2"),
        ([("a.png", b"x", True)], ["cup", "pen"], "whole number"),
        ([("a.png", "text", 0)], ["cup", "pen"], "must be bytes"),
        ([("a.png", b"x")], ["cup", "pen"], r"\(name, bytes, class_index\)"),
        ([], ["cup", "cup"], "different names"),
        ([], [f"c{k}" for k in range(7)], "1 to 6 classes. Received: 7"),
    ],
)
def test_one_by_one_arguments_are_checked_at_the_door(files, classes, match):
    with pytest.raises(ValueError, match=match):
        labelled_images(files, classes, size=8)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"size": 3}, "`size` must be a whole number from 4"), ({"channels": 2}, "`channels`")],
)
def test_size_and_channels_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        labelled_images_from_zip(_zip(GOOD), **kwargs)


# -- the sample shapes --------------------------------------------------------------------------


def test_sample_shapes_are_deterministic_for_a_seed_and_balanced():
    a, b = sample_shapes(20, size=32, seed=5), sample_shapes(20, size=32, seed=5)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, sample_shapes(20, size=32, seed=6).x)
    assert a.classes == SHAPES and a.counts == (20, 20, 20)
    assert a.x.shape == (60, 32, 32, 1) and 0 <= a.x.min() and a.x.max() <= 1
    assert len(set(a.sources)) == 60


def test_sample_shapes_vary_and_stay_inside_the_picture():
    """Pictures differ from each other, and the border ring is background (no shape cut off)."""
    shapes = sample_shapes(30, size=32, seed=1)
    flat = shapes.x.reshape(len(shapes.x), -1)
    assert len(np.unique(flat.round(2), axis=0)) == len(flat)
    inside = shapes.x[:, 2:-2, 2:-2, 0].max(axis=(1, 2))
    ring = np.concatenate([shapes.x[:, 0, :, 0], shapes.x[:, -1, :, 0]], axis=1).mean(axis=1)
    assert (ring < inside - 0.3).all()


def test_sample_shapes_in_colour_repeat_the_gray():
    shapes = sample_shapes(2, size=16, seed=0, channels=3)
    gray = sample_shapes(2, size=16, seed=0)
    np.testing.assert_array_equal(shapes.x, np.repeat(gray.x, 3, axis=3))


def test_the_three_shapes_differ_in_how_much_of_their_circle_they_fill():
    """Filled circles cover pi r^2, squares 2 r^2, triangles 1.3 r^2: their mean ink differs."""
    shapes = sample_shapes(100, size=64, seed=3)
    ink = (shapes.x[..., 0] > 0.5).mean(axis=(1, 2))
    means = [ink[shapes.y == k].mean() for k in range(3)]
    assert means[0] > means[1] > means[2]


# -- the held-out split -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "counts, fraction",
    [((10, 10), 0.2), ((7, 3, 50), 0.25), ((2, 2, 2), 0.2), ((5, 100), 0.5), ((4, 9), 0.9)],
)
def test_the_split_holds_out_the_same_share_of_every_class(counts, fraction):
    y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    split = held_out_split(y, fraction, seed=4)
    want = [min(max(1, round(n * fraction)), n - 1) for n in counts]
    assert split.test_counts == tuple(want)
    assert split.train_counts == tuple(n - t for n, t in zip(counts, want))
    assert np.bincount(y[split.test], minlength=len(counts)).tolist() == want
    assert sorted(np.concatenate([split.train, split.test]).tolist()) == list(range(len(y)))
    np.testing.assert_array_equal(split.test, held_out_split(y, fraction, seed=4).test)


def test_the_split_picks_different_pictures_for_another_seed():
    y = np.repeat([0, 1], 50)
    assert not np.array_equal(held_out_split(y, 0.2, 0).test, held_out_split(y, 0.2, 1).test)


def test_too_few_pictures_says_how_many_more_to_add_to_which_class():
    with pytest.raises(TooFewPictures) as caught:
        held_out_split([0, 0, 0, 2], 0.2, classes=["cup", "pen", "key"])
    assert caught.value.missing == {"pen": 2, "key": 1}
    assert "add 2 more to 'pen' and 1 more to 'key'" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_too_few_without_names_counts_classes_from_the_labels():
    with pytest.raises(TooFewPictures, match="add 1 more to 'class 1'"):
        held_out_split([0, 0, 1], 0.5)


@pytest.mark.parametrize(
    "y, fraction, match",
    [
        ([0, 1], 0.0, "between 0 and 1"),
        ([0, 1], 1, "between 0 and 1"),
        ([0.5], 0.2, "`y`"),
        ([], 0.2, "`y`"),
        ([-1, 0], 0.2, "from 0"),
        ([0, 1], "half", "`fraction`"),
    ],
)
def test_split_arguments_are_checked(y, fraction, match):
    with pytest.raises(ValueError, match=match):
        held_out_split(y, fraction)


def test_as_dataset_keeps_the_split_the_pixels_and_the_class_names():
    """x_train/x_test are round(255 x) of the split's pictures in its order, (n, S, S, C) uint8;
    labels follow; the class names are the pictures'; a split of other pictures is refused."""
    shapes = sample_shapes(10, size=20, seed=3, channels=3)
    split = held_out_split(shapes.y, 0.3, seed=1)
    data = own.as_dataset(shapes, split, "mine")
    assert (data.name, data.source, data.class_names, data.names) == ("mine", "own", SHAPES, SHAPES)
    assert data.x_train.dtype == data.x_test.dtype == np.uint8
    assert data.x_train.shape == (21, 20, 20, 3) and data.x_test.shape == (9, 20, 20, 3)
    assert data.input_shape == (20, 20, 3)
    for i, k in enumerate(split.test):
        expected = np.round(shapes.x[k] * 255).astype(np.uint8)
        np.testing.assert_array_equal(data.x_test[i], expected)
        assert data.y_test[i] == shapes.y[k]
    np.testing.assert_array_equal(data.y_train, shapes.y[split.train])
    assert "21 pictures to train on and 9 held out" in data.reason
    assert data.fingerprint() != own.as_dataset(shapes, held_out_split(shapes.y, 0.3)).fingerprint()
    other = held_out_split(np.zeros(40, int) + np.arange(40) % 2, 0.2)
    with pytest.raises(ValueError, match="beyond the 30 pictures"):
        own.as_dataset(shapes, other)


def test_default_spec_fits_the_pages_pictures_and_spec_for_follows_them():
    """DEFAULT_SPEC takes 64×64 pictures of 3 classes with a global max head and shifts;
    spec_for sets the input shape and class count from the pictures (grayscale and colour)."""
    spec = own.DEFAULT_SPEC
    assert (spec.input_shape, spec.classes, spec.head) == ((64, 64, 1), 3, "global_max")
    assert spec.shift > 0
    colour = own.spec_for(sample_shapes(2, size=64, channels=3))
    assert colour == spec.replace(input_shape=(64, 64, 3))
    files = [(f"{k}.png", _png(40 * k), k % 2) for k in range(4)]
    two = labelled_images(files, ["a", "b"], size=48)
    assert own.spec_for(two).input_shape == (48, 48, 1) and own.spec_for(two).classes == 2
    small = labelled_images(files, ["a", "b"], size=32)  # three 5×5 blocks do not fit 32
    with pytest.raises(ValueError, match="Output would be empty"):
        own.spec_for(small)
    assert own.spec_for(small, own.DEFAULT_SPEC.replace(kernel_size=3)).input_shape[0] == 32
