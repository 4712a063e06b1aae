"""The "Your own classes" lesson, against references worked out here (Pillow, NumPy by hand)."""

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz.learning import nn
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.nn import weight_shapes
from cnnviz.learning.own import MAX_CLASSES, MAX_FILE_BYTES, MAX_PER_CLASS, SHAPES, prepare_picture
from cnnviz.learning.training import TrainedModel
from cnnviz.lessons import own as lesson
from cnnviz.lessons.own import ChangeRefused, PictureSet
from tests.pictures import zipped


def png(colour, size=(30, 20)) -> bytes:
    mode = "L" if isinstance(colour, int) else "RGB"
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.fixture(scope="module")
def shapes() -> PictureSet:
    return lesson.sample_set()


# --- classes -------------------------------------------------------------------------------------


def test_a_class_name_is_tidied_and_checked():
    assert lesson.check_name("  red   cup ", ["pen"]) == "red cup"
    for bad, words in [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("x" * (lesson.MAX_NAME + 1), f"at most {lesson.MAX_NAME}"),
        ("a\u200bb", "control characters"),
        ("PEN", "already a class"),
    ]:
        with pytest.raises(ChangeRefused, match=words):
            lesson.check_name(bad, ["pen"])
    assert lesson.check_name("Pen", ["pen"], index=0) == "Pen"  # renaming itself


def test_classes_are_added_renamed_and_removed_with_their_pictures():
    start = PictureSet(("a", "b"))
    start, _ = lesson.add_files(start, [("a1", png(10)), ("a2", png(20))], 0)
    grown = lesson.add_class(start, "c")
    grown, _ = lesson.add_files(grown, [("c1", png(250))], 2)
    assert grown.classes == ("a", "b", "c") and grown.counts == (2, 0, 1)
    renamed = lesson.rename_class(grown, 1, "bee")
    assert renamed.classes == ("a", "bee", "c") and renamed.pictures == grown.pictures
    fewer = lesson.remove_class(renamed, 0)  # "c" moves up to label 1 with its picture
    assert fewer.classes == ("bee", "c") and fewer.counts == (0, 1)
    assert fewer.pictures[0].name == "c1" and fewer.pictures[0].pixels.max() == 250
    with pytest.raises(ChangeRefused, match="at least 2 classes"):
        lesson.remove_class(fewer, 0)
    full = PictureSet(tuple("abcdef"))
    assert len(full.classes) == MAX_CLASSES
    with pytest.raises(ChangeRefused, match=f"At most {MAX_CLASSES} classes"):
        lesson.add_class(full, "g")


def test_removing_a_picture_keeps_the_others_and_their_keys(shapes):
    key = shapes.pictures[5].key
    fewer = lesson.remove_picture(shapes, key)
    assert fewer.counts == (59, 60, 60)
    assert [p.key for p in fewer.pictures] == [p.key for p in shapes.pictures if p.key != key]


# --- adding pictures -----------------------------------------------------------------------------


def test_files_are_prepared_into_their_class_and_bad_ones_are_named():
    files = [("red.png", png((200, 100, 50))), ("odd*.png", b"hello"), ("gray.png", png(77))]
    result, problems = lesson.add_files(PictureSet(), files, 1)
    assert result.counts == (0, 2) and [p.key for p in result.pictures] == [0, 1]
    red, gray = (p.pixels for p in result.pictures)
    assert red.shape == (lesson.SIZE, lesson.SIZE, 3) and red.dtype == np.uint8
    assert (red == [200, 100, 50]).all()  # a flat picture stays flat through the resize
    assert (gray == 77).all()
    assert len(problems) == 1 and problems[0].startswith("'odd*.png' could not be read")
    too_big, problems = lesson.add_files(result, [("big.png", b"x" * (MAX_FILE_BYTES + 1))], 0)
    assert too_big.counts == (0, 2) and "more than the 10 MB" in problems[0]


def test_a_class_takes_at_most_its_limit():
    files = [(f"{i}.png", png(i % 256)) for i in range(MAX_PER_CLASS + 3)]
    result, problems = lesson.add_files(PictureSet(), files, 0)
    assert result.counts == (MAX_PER_CLASS, 0)
    assert len(problems) == 3
    assert all(f"has the {MAX_PER_CLASS} pictures a class may have" in p for p in problems)


def test_a_zip_replaces_empty_classes_then_adds_to_matching_ones():
    first = zipped({"cup/1.png": png(0), "cup/2.png": png(9), "pen/a.png": png(255)})
    one, problems = lesson.add_zip(PictureSet(), first)
    assert one.classes == ("cup", "pen") and one.counts == (2, 1) and problems == ()
    second = zipped({"CUP/3.png": png(30), "key/k.png": png(60), "key/x.txt": b"no"})
    two, problems = lesson.add_zip(one, second)
    assert two.classes == ("cup", "pen", "key") and two.counts == (3, 1, 1)
    assert len(problems) == 2 and "'key/x.txt' is not a picture" in problems[0]
    assert problems[1] == (
        "Folder 'CUP' went into class 'cup': names that differ only in capitals are one class."
    )
    assert len({p.key for p in two.pictures}) == 5


def test_a_zip_with_no_usable_picture_is_refused_with_its_problems():
    with pytest.raises(ChangeRefused, match="not a zip archive"):
        lesson.add_zip(PictureSet(), b"not a zip")
    with pytest.raises(ChangeRefused, match="Only one class") as refused:
        lesson.add_zip(PictureSet(), zipped({"cup/1.png": png(0), "cup/2.txt": b"x"}))
    assert "'cup/2.txt' is not a picture" in str(refused.value)


def test_a_zip_class_beyond_six_is_named():
    start = PictureSet(tuple("abcdef"))
    start, _ = lesson.add_files(start, [("a.png", png(1))], 0)
    result, problems = lesson.add_zip(start, zipped({"g/1.png": png(0), "a/2.png": png(3)}))
    assert result.classes == tuple("abcdef") and result.counts[0] == 2
    assert any(p.startswith("Folder 'g' was not added: At most 6 classes") for p in problems)


def test_the_sample_set_is_the_cores_shapes_in_gray(shapes):
    assert shapes.classes == SHAPES and shapes.counts == (60, 60, 60)
    pixels = np.stack([p.pixels for p in shapes.pictures])
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    assert pixels.min() < 80 and pixels.max() > 180  # light shapes on dark grounds


# --- what the network sees -----------------------------------------------------------------------


def test_network_input_is_luma_or_the_three_channels():
    pixels = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [51, 102, 153]]], np.uint8)
    gray = lesson.network_input(pixels, 1)
    assert gray.shape == (2, 2, 1)
    expected = (0.299 * pixels[..., 0] + 0.587 * pixels[..., 1] + 0.114 * pixels[..., 2]) / 255
    np.testing.assert_allclose(gray[..., 0], expected, atol=1e-6)
    np.testing.assert_allclose(lesson.network_input(pixels, 3), pixels / 255, atol=1e-7)


def test_the_overview_gives_each_class_its_thumbnails_and_count():
    start, _ = lesson.add_files(PictureSet(), [(f"{i}.png", png(i * 20)) for i in range(12)], 0)
    line, views = lesson.overview(start)
    assert line.startswith("**12 of 300 pictures** in 2 classes")
    cup, empty = views
    assert cup.count_text == "12 pictures" and empty.count_text == "0 pictures"
    assert empty.thumbnails is None and empty.choices == ()
    grid = decoded(cup.thumbnails)
    side = lesson.THUMB + 2  # a thumbnail and its gap
    assert grid.shape == (side - 2, 12 * side - 2, 3)  # one row of 12 (up to 20 a row)
    assert (grid[:, 11 * side : 11 * side + lesson.THUMB] == 11 * 20).all()  # the 12th
    many, _ = lesson.add_files(start, [(f"{i}.png", png(i)) for i in range(30)], 1)
    rows = decoded(lesson.overview(many)[1][1].thumbnails)
    assert rows.shape == (2 * side - 2, lesson.THUMBS_PER_ROW * side - 2, 3)
    assert (rows[side : side + lesson.THUMB, 0:2] == lesson.THUMBS_PER_ROW).all()  # the 21st
    assert cup.choices[0] == (0, "1 · 0.png") and cup.choices[-1] == (11, "12 · 11.png")


def test_the_prepared_view_shows_each_class_and_the_augmentation(shapes):
    view = lesson.prepared_view(shapes, 1, 5, True)
    assert "64×64 pixels" in view.text and "4,096 numbers" in view.text
    assert [name for _, name in view.pictures] == list(SHAPES)
    first = decoded(view.pictures[0][0])
    zoom = lesson.PREVIEW_ZOOM
    assert first.shape == (64 * zoom, 64 * zoom)
    x = np.round(lesson.network_input(shapes.pictures[0].pixels, 1)[..., 0] * 255)
    np.testing.assert_array_equal(first[::zoom, ::zoom], x)
    moved = decoded(view.augmented[0][0])[::zoom, ::zoom]
    np.testing.assert_array_equal(moved[:, 5:], x[:, :-5])  # five pixels right, zeros behind
    assert (moved[:, :5] == 0).all()
    mirrored = decoded(view.augmented[2][0])[::zoom, ::zoom]
    np.testing.assert_array_equal(mirrored, x[:, ::-1])
    assert lesson.prepared_view(shapes, 3, 0, False).augmented == ()
    assert "12,288 numbers" in lesson.prepared_view(shapes, 3, 0, False).text


def test_the_split_holds_out_a_fifth_of_each_class(shapes):
    view = lesson.split_view(shapes)
    assert view.split.test_counts == (12, 12, 12) and view.split.train_counts == (48, 48, 48)
    assert view.text.startswith("**144 pictures train, 36 are held out**")
    assert view.text.endswith("picked at random: 48 + 12 in every class).")
    labels = np.array([p.label for p in shapes.pictures])
    assert not set(view.split.train) & set(view.split.test)
    assert np.bincount(labels[view.split.test]).tolist() == [12, 12, 12]


def test_too_few_pictures_say_how_many_more_each_class_needs():
    assert lesson.split_view(PictureSet()).text == lesson.EMPTY_TEXT
    one, _ = lesson.add_files(PictureSet(("cup", "pen")), [("a.png", png(1))], 0)
    view = lesson.split_view(one)
    assert view.split is None
    assert "add 1 more to 'cup'" in view.text and "2 more to 'pen'" in view.text


# --- training ------------------------------------------------------------------------------------

SETTINGS = {"channels": "colour", "shift": 3, "flip": True, "epochs": 4, "layers": "8, 16",
            "head": "flatten"}  # fmt: skip


def test_the_training_plan_sizes_the_model_for_the_pictures(shapes):
    plan = lesson.training_plan(shapes, SETTINGS)
    spec = plan.spec
    assert spec.input_shape == (64, 64, 3) and spec.classes == 3
    assert (spec.filters, spec.head, spec.epochs) == ((8, 16), "flatten", 4)
    assert (spec.shift, spec.flip) == (3, True)
    assert plan.images.x.shape == (180, 64, 64, 3) and plan.images.classes == SHAPES
    assert plan.summary.endswith("4 epochs, pictures shifted up to 3 px, mirrored at random.")
    one = lesson.training_plan(shapes, {**SETTINGS, "epochs": 1, "shift": 0, "flip": False})
    assert one.summary.endswith("1 epoch, pictures not shifted.")
    data = lesson.dataset(plan)
    assert len(data.x_train) == 144 and len(data.x_test) == 36
    assert lesson.training_plan(PictureSet(), SETTINGS).spec is None


def test_the_confusion_matrix_names_the_classes_and_escapes_them():
    figure = lesson.confusion_with_names(np.array([[3, 1], [0, 2]]), ["<b>cup</b>", "pen"])
    assert list(figure.data[0].x) == ["&lt;b&gt;cup&lt;/b&gt;", "pen"]
    assert figure.data[0].text.tolist() == [[3, 1], [0, 2]]
    assert figure.layout.xaxis.title.text == "predicted class"


def test_an_uneven_split_is_stated_class_by_class():
    files = [(f"{i}.png", png(i)) for i in range(3)]
    uneven, _ = lesson.add_files(PictureSet(("cup", "pen")), files, 0)
    uneven, _ = lesson.add_files(uneven, files[:2], 1)
    view = lesson.split_view(uneven)
    assert view.text.endswith("per class, trained + held out: 2 + 1, 1 + 1).")


def test_the_limits_say_the_smaller_of_the_zip_limit_and_the_servers():
    assert lesson.limits_text(200).endswith(
        "10 MB a picture, a zip of up to 50 MB whose pictures unpack to at most 50 MB."
    )
    assert lesson.limits_text(25).endswith(
        "a zip of up to 25 MB (the most this server takes) whose pictures unpack to at most 50 MB."
    )
    assert lesson.zip_limit_mb(200) == 50 and lesson.zip_limit_mb(25) == 25


def test_a_zip_into_an_empty_set_checks_its_folder_names_as_typed_names():
    long = "x" * 45
    data = zipped(
        {f"{long}/1.png": png(1), "ev\u202eil/1.png": png(2), "Cup/1.png": png(3),
         "cup/2.png": png(4), "pen/1.png": png(5)}
    )  # fmt: skip
    result, problems = lesson.add_zip(PictureSet(), data)
    assert sorted(result.classes) == sorted(["Cup", "pen", "x" * lesson.MAX_NAME])
    assert dict(zip(result.classes, result.counts, strict=True))["Cup"] == 2  # one class
    said = " ".join(problems)
    assert "Folder 'cup' went into class 'Cup'" in said
    assert f"became class '{'x' * lesson.MAX_NAME}'" in said
    assert "not added: A class name may not hold control characters." in said
    assert "\u202e" not in said  # the folder's name is shown without its control character
    with pytest.raises(ChangeRefused, match="fewer than 2 folders usable"):
        lesson.add_zip(PictureSet(), zipped({"cup/1.png": png(1), "b\u202e/1.png": png(2)}))


def test_names_alike_in_their_first_letters_stay_apart_on_the_charts():
    names = ["the red cup on the left", "the red cup on the right"]
    shown = lesson.plotly_names(names)
    assert len(set(shown)) == 2
    figure = lesson.confusion_with_names(np.eye(2, dtype=int), names)
    assert len(set(figure.data[0].x)) == 2 and len(set(figure.data[0].y)) == 2


def _random_model(channels: int) -> TrainedModel:
    spec = ModelSpec(input_shape=(64, 64, channels), classes=3, filters=(4,), head="global_max",
                     epochs=1)  # fmt: skip
    rng = np.random.default_rng(channels)
    weights = [rng.normal(0, 0.3, s).astype(np.float32) for s in weight_shapes(spec)]
    return TrainedModel(spec, "random", weights)


@pytest.mark.parametrize("channels", [1, 3])
def test_try_view_reads_a_file_as_the_model_sees_it(channels):
    trained = _random_model(channels)
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 30, 90)).save(buffer, format="PNG")
    view = lesson.try_view(trained, ("a", "b", "c"), buffer.getvalue())
    x = prepare_picture(buffer.getvalue(), 64, channels)
    p = nn.predict(trained.weights, x[None], trained.spec)[0]
    k = int(np.argmax(p))
    assert view.reading.index == k and view.reading.answer == "abc"[k]
    assert view.reading.headline == f"The model says **{p[k]:.1%}**:"
    assert np.allclose(view.reading.probabilities.data[0].y, p, atol=1e-6)
    shown = decoded(view.reading.picture)
    assert shown.shape[:2] == (64 * lesson.PREVIEW_ZOOM,) * 2
    assert (shown.ndim == 3 and shown.shape[-1] >= 3) == (channels == 3)  # colour stays colour
    assert decoded(view.inside).size and decoded(view.maps).size
    assert "4 feature maps" in view.maps_text


def test_a_picture_declaring_too_many_pixels_is_refused_in_plain_words():
    from tests.test_images import _png_declaring  # a PNG header claiming 60000 x 60000 pixels

    _, problems = lesson.add_files(PictureSet(), [("huge.png", _png_declaring(60000, 60000))], 0)
    assert problems == (
        "'huge.png' could not be read as a picture: The image declares too many pixels to open "
        "safely (more than 89 megapixels). Upload a smaller image.",
    )  # not Pillow's "could be decompression bomb DOS attack"
