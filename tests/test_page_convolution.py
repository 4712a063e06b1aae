"""The Convolution page, run for real with AppTest: every picture, kernel path and setting."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from streamlit.testing.v1 import AppTest

from cnnviz.lessons.convolution import Settings, feature_map
from cnnviz.maths.kernels import KERNELS, format_kernel
from cnnviz.maths.ops import conv2d, output_size
from cnnviz.maths.pixels import to_grayscale
from cnnviz.pictures import (
    FACE_EYES,
    SAMPLES,
    ColorScale,
    cartoon_face,
    colorize,
    sample_image,
    thumbnail,
)
from tests.apptest import open_page
from tests.pictures import png
from tests.rendered import assert_literal, shown

PAGE = "pages/convolution.py"


def run_page(**query: str) -> AppTest:
    return open_page(PAGE, timeout=30, **query)


def texts(at: AppTest) -> list[str]:
    """Every paragraph of every markdown element (one element may hold several lines)."""
    return [part for m in at.markdown for part in m.value.split("\n\n")]


def output_shape(at: AppTest) -> tuple[int, int]:
    """The page's stable result line, "**Output: 62 × 62** …", read back as numbers."""
    for text in texts(at):
        match = re.match(r"\*\*Output: (\d+) × (\d+)\*\*", text)
        if match:
            return int(match[1]), int(match[2])
    raise AssertionError(f"no output line in {texts(at)}")


def shown_value(at: AppTest) -> tuple[int, int, float]:
    """The step-through's "Feature map at (row, col): value" line."""
    for text in texts(at):
        match = re.match(r"Feature map at \((\d+), (\d+)\): (\S+)$", text)
        if match:
            return int(match[1]), int(match[2]), float(match[3])
    raise AssertionError(f"no step-through value in {texts(at)}")


@pytest.fixture(scope="module")
def first_run() -> AppTest:
    return run_page()


def picture(at: AppTest, drawn: dict[str, bytes], caption: str) -> np.ndarray:
    """The decoded pixels (h, w, 3) of the image whose caption starts with ``caption``."""
    for element in at.image:
        for url, text in zip(element.value, element.captions):
            if text.startswith(caption):
                data = drawn[url.rsplit("/", 1)[1].split(".")[0]]
                return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    raise AssertionError(f"no picture captioned {caption!r}")


def clickable_picture(at: AppTest, key: str) -> np.ndarray:
    """The decoded pixels (h, w, 3) of the clickable picture (streamlit-image-coordinates)
    with widget key ``key``: the component gets the picture as a data URL."""
    stack = list(at._tree.children.values())
    while stack:
        node = stack.pop()
        stack.extend(getattr(node, "children", {}).values())
        proto = getattr(node, "proto", None)
        if getattr(node, "type", "") == "component_instance" and proto.id.endswith(f"-{key}"):
            data = base64.b64decode(json.loads(proto.json_args)["src"].split(",", 1)[1])
            return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    raise AssertionError(f"no clickable picture with key {key!r}")


def diverging_level(rgb: np.ndarray) -> np.ndarray:
    """Where each colour sits on the blue-white-red bar: 0 (blue end) … 255 (red end)."""
    bar = colorize(np.linspace(-1, 1, 256)[None], ColorScale("RdBu_r", -1, 1))[0]  # (256, 3)
    distance = ((rgb[..., None, :].astype(int) - bar.astype(int)) ** 2).sum(axis=-1)
    return distance.argmin(axis=-1)


def channel_maps(name: str, kernel: np.ndarray) -> np.ndarray:
    """SciPy's 'valid' cross-correlation of each channel (odd kernel): (H_out, W_out, 3)."""
    x = sample_image(name).astype(np.float64)
    (kh, kw), (h, w) = kernel.shape, x.shape[:2]
    maps = [ndimage.correlate(x[..., c], kernel, mode="constant") for c in range(3)]
    return np.stack(maps, axis=-1)[kh // 2 : kh // 2 + h - kh + 1, kw // 2 : kw // 2 + w - kw + 1]


def test_page_opens_on_the_cartoon_face_with_the_default_settings_in_the_link(first_run):
    """Face 64×64 and Sobel x 3×3 give 62×62; the setting is written into the URL."""
    at = first_run
    assert at.title[0].value.startswith("Convolution")
    assert output_shape(at) == (62, 62)
    assert dict(at.query_params) == {
        "sample": "Cartoon face",
        "kernel": "Sobel x",
        "stride": "1",
        "padding": "valid",
        "dilation": "1",
    }
    assert not at.error


def test_every_sample_gives_a_feature_map_of_the_right_size():
    """Choosing each sample in turn shows its map: image size − 2 for a 3×3 kernel."""
    at = run_page()
    for name in SAMPLES:
        at.radio(key="conv_image").set_value(name).run()
        assert not at.exception, name
        h, w = sample_image(name).shape[:2]
        assert output_shape(at) == (h - 2, w - 2)
        assert at.query_params["sample"] == name


def test_a_good_upload_is_used_and_a_large_one_is_shrunk_with_a_note():
    """A 1500×900 PNG becomes 1024 wide; the page says so and convolves the shrunk copy."""
    at = run_page()
    at.file_uploader(key="conv_upload").upload("wide.png", png((1500, 900)), "image/png").run()
    assert not at.exception and not at.error
    assert at.radio(key="conv_image").value == "Your upload"
    assert output_shape(at) == (614 - 2, 1024 - 2)
    assert any("Shrunk from 1500×900" in c.value for c in at.caption)
    assert "sample" not in at.query_params  # an upload cannot be put in a link


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, not pixels", "This file is text, not an image"),
        (png()[:60], "damaged"),
        (b"", "The file is empty"),
        (b"\x00\x01\x02\x03" * 50, "not an image format that can be read"),
    ],
    ids=["text", "truncated", "empty", "binary-junk"],
)
def test_a_broken_upload_shows_why_and_keeps_the_image_and_settings(content, message):
    """The error names the file and the reason; the picture and stride in use stay."""
    at = run_page()
    at.file_uploader(key="conv_upload").upload("good.png", png((40, 30)), "image/png").run()
    at.number_input(key="conv_stride").set_value(2).run()
    before = output_shape(at)
    at.file_uploader(key="conv_upload").set_value(("broken.png", content, "image/png")).run()
    assert not at.exception
    assert message in shown(at.error[0].value)
    assert shown(at.error[0].value).startswith("“broken.png”: ")
    assert output_shape(at) == before == (14, 19)
    assert at.number_input(key="conv_stride").value == 2


def test_a_file_name_is_shown_literally_never_as_markdown():
    """A visitor-chosen name with Markdown in it shows as typed: no bold, link, image or code."""
    at = run_page()
    name = "**b** [l](http://x.invalid) `x` ![i](h) <b>&amp;.png"
    at.file_uploader(key="conv_upload").set_value((name, b"not pixels", "image/png")).run()
    assert not at.exception
    assert_literal(at.error[0].value, f"“{name}”: ")


def test_choosing_your_upload_before_any_file_stops_with_a_hint():
    """No file yet: an info box, no traceback."""
    at = run_page()
    at.radio(key="conv_image").set_value("Your upload").run()
    assert not at.exception
    assert "Choose a file" in at.info[0].value


def test_every_preset_fills_the_editors_and_sets_the_output():
    """Each preset puts its numbers in the text box and its name in the link and caption."""
    at = run_page()
    for name, preset in KERNELS.items():
        at.selectbox(key="conv_preset").set_value(name).run()
        assert not at.exception, name
        assert at.text_area(key="conv_kernel_text").value == format_kernel(preset.values)
        assert output_shape(at) == (65 - preset.values.shape[0], 65 - preset.values.shape[1])
        assert at.query_params["kernel"] == name
        assert any(c.value.startswith(preset.description) for c in at.caption)


def test_editing_a_grid_cell_changes_the_kernel_everywhere():
    """A grid edit makes the kernel "Custom", rewrites the text box and the link."""
    at = run_page()
    version = at.session_state["conv_grid_version"]
    at.session_state[f"conv_grid_{version}"] = {
        "edited_rows": {1: {"1": 5.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    expected = KERNELS["Sobel x"].values.copy()
    expected[1, 1] = 5.0
    assert at.selectbox(key="conv_preset").value == "Custom"
    assert at.text_area(key="conv_kernel_text").value == format_kernel(expected)
    assert at.query_params["kernel"] == format_kernel(expected).replace("\n", "; ")


def test_a_pasted_kernel_is_used_and_its_size_follows():
    """Pasting a 1×5 kernel (with a fraction) gives a 64×60 map and updates the size inputs."""
    at = run_page()
    at.text_area(key="conv_kernel_text").set_value("1/5, 1/5, 1/5, 1/5, 1/5").run()
    assert not at.exception and not at.error
    assert output_shape(at) == (64, 60)
    assert (at.number_input(key="conv_kh").value, at.number_input(key="conv_kw").value) == (1, 5)
    assert at.text_area(key="conv_kernel_text").value == "0.2 0.2 0.2 0.2 0.2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 2 3; 4 5", "Every row needs the same number of entries"),
        ("1 0 x", "Row 1, entry 3 is not a number: 'x'"),
        ("", "The kernel is empty"),
    ],
)
def test_a_bad_kernel_shows_why_beside_the_editor_and_keeps_the_last_valid_one(text, message):
    """The message is shown; the map still uses Sobel x; nothing else changes."""
    at = run_page()
    at.text_area(key="conv_kernel_text").set_value(text).run()
    assert not at.exception
    error = shown(at.error[0].value)
    assert message in error and "Still using the last valid kernel" in error
    assert output_shape(at) == (62, 62)
    assert at.query_params["kernel"] == "Sobel x"


def test_size_inputs_grow_the_kernel_with_zeros():
    """5 rows × 4 columns: the map shrinks to 60×61 and the grid keeps the old centre."""
    at = run_page()
    at.number_input(key="conv_kh").set_value(5).run()
    at.number_input(key="conv_kw").set_value(4).run()
    assert not at.exception
    assert output_shape(at) == (60, 61)


def test_normalise_refuses_an_edge_kernel_and_scales_a_blur():
    """Sobel x sums to 0: a message; a 3×3 of ones becomes ninths."""
    at = run_page()
    at.button(key="conv_normalise").click().run()
    assert "sums to 0" in at.error[0].value
    at.text_area(key="conv_kernel_text").set_value("1 1 1; 1 1 1; 1 1 1").run()
    at.button(key="conv_normalise").click().run()
    assert not at.exception and not at.error
    assert at.text_area(key="conv_kernel_text").value.startswith("0.1111 0.1111 0.1111")


def test_random_kernel_keeps_the_size():
    """A random kernel has the current size and becomes "Custom"."""
    at = run_page()
    at.button(key="conv_random").click().run()
    assert not at.exception
    assert at.selectbox(key="conv_preset").value == "Custom"
    assert output_shape(at) == (62, 62)


@pytest.mark.parametrize(
    ("stride", "padding", "pixels", "dilation", "expected"),
    [
        (2, "valid", None, 1, (31, 31)),
        (1, "same", None, 1, (64, 64)),
        (3, "same", None, 1, (22, 22)),
        (1, "pixels", 2, 1, (66, 66)),
        (1, "valid", None, 2, (60, 60)),
        (2, "pixels", 1, 3, (30, 30)),
    ],
)
def test_stride_padding_and_dilation_set_the_output_size(
    stride, padding, pixels, dilation, expected
):
    """Each setting gives the textbook size; the formula is printed; the link follows."""
    at = run_page()
    at.number_input(key="conv_stride").set_value(stride)
    at.radio(key="conv_padding").set_value(padding)
    at.number_input(key="conv_dilation").set_value(dilation).run()
    if pixels is not None:
        at.number_input(key="conv_pad_px").set_value(pixels).run()
    assert not at.exception
    assert output_shape(at) == expected
    pad = pixels if pixels is not None else padding
    assert output_size(64, 3, stride, pad, dilation) == expected[0]
    assert any(f"= {expected[0]}`" in text for text in texts(at))
    assert at.query_params["padding"] == str(pad)


def test_a_kernel_that_does_not_fit_shows_the_core_message_and_keeps_the_rest():
    """15×15 dilated by 6 on 64×64 'valid': the core's message, no traceback, eye example stays."""
    at = run_page()
    at.number_input(key="conv_kh").set_value(15).run()
    at.number_input(key="conv_dilation").set_value(6).run()
    assert not at.exception
    assert at.error[0].value.startswith("Output would be empty")
    assert at.number_input(key="conv_kh").value == 15
    assert at.success[0].value.startswith("Two white spots")


def test_step_through_sum_equals_the_feature_map_value():
    """The printed sum of products equals the shown map value and an independent conv2d (the
    page's boxes reach the lesson; more cells in tests/test_lesson_convolution.py)."""
    kernel, stride, padding, dilation, cell = "Gaussian blur 5×5", 2, "same", 2, (0, 31)
    at = run_page()
    at.selectbox(key="conv_preset").set_value(kernel)
    at.number_input(key="conv_stride").set_value(stride)
    at.radio(key="conv_padding").set_value(padding)
    at.number_input(key="conv_dilation").set_value(dilation).run()
    at.number_input(key="conv_row").set_value(cell[0])
    at.number_input(key="conv_col").set_value(cell[1]).run()
    assert not at.exception
    row, col, value = shown_value(at)
    expected = conv2d(
        sample_image("Cartoon face"),
        KERNELS[kernel].values,
        stride=stride,
        padding=padding,
        dilation=dilation,
    )[row, col]
    assert (row, col) == cell
    assert value == pytest.approx(float(expected), rel=1e-5, abs=1e-5)
    total = next(t for t in texts(at) if t.startswith("**Sum of the products:**"))
    assert float(total.rsplit("= ", 1)[1].replace("−", "-")) == pytest.approx(value, abs=1e-3)


def test_per_channel_sums_of_a_colour_picture_add_up_to_the_map_value():
    """On the cat, red + green + blue sums are printed, each SciPy's, adding up to the value."""
    at = run_page(sample="Cat")
    at.radio(key="conv_color").set_value("per channel").run()
    assert not at.exception
    row, col, value = shown_value(at)
    line = next(t for t in texts(at) if t.startswith("Per channel:"))
    parts = [float(v) for v in re.findall(r"(?:red|green|blue) (\S+)", line)]
    expected = channel_maps("Cat", KERNELS["Sobel x"].values)[row, col]
    np.testing.assert_allclose(parts, expected, rtol=1e-3, atol=1e-4)
    assert sum(parts) == pytest.approx(value, abs=1e-3)


def test_per_channel_sum_line_writes_the_channel_in_the_grids_and_its_partial_sum():
    """Regression: the sum line mixed 27 R, G and B products while the grids showed red only.
    Now it writes the chosen channel's 9 products and their sum, which is SciPy's value (the
    radio reaches the lesson; every channel in tests/test_lesson_convolution.py)."""
    channel, name = 2, "blue"
    at = run_page(sample="Cat")
    at.radio(key="conv_color").set_value("per channel").run()
    at.number_input(key="conv_row").set_value(100)
    at.number_input(key="conv_col").set_value(37)
    at.radio(key="conv_channel").set_value(name).run()
    assert not at.exception
    line = next(t for t in texts(at) if t.startswith("**Sum of the products"))
    assert line.startswith(f"**Sum of the products, {name} channel**")
    assert line.count("·") == 9 and "more products" not in line
    partial = float(line.rsplit("= ", 1)[1].replace("−", "-"))
    expected = channel_maps("Cat", KERNELS["Sobel x"].values)[100, 37, channel]
    assert partial == pytest.approx(expected, rel=1e-2, abs=1e-3)
    x = sample_image("Cat")[100:103, 37:40, channel]  # the window of cell (100, 37)
    first = f"{float(x[0, 0]):.3g}·(−1)"  # Sobel x starts with −1
    assert line.split("** (the grids above): ")[1].startswith(first)


def test_channel_maps_are_drawn_on_a_scale_of_their_own_range(drawn):
    """Regression: the channel maps were drawn on the sum's scale, about three times wider, so
    they looked washed out. The page draws the lesson's channel picture for the clipped photo,
    byte for byte (its scales are checked against SciPy in tests/test_lesson_convolution.py)."""
    at = run_page(sample="Cat")
    at.radio(key="conv_color").set_value("per channel").run()
    assert not at.exception and at.checkbox(key="conv_clip").value  # a photo: clipped
    view = feature_map(
        sample_image("Cat"), KERNELS["Sobel x"].values, Settings(1, "valid", 1),
        per_channel=True, clip=True,
    )  # fmt: skip
    expected = np.asarray(Image.open(io.BytesIO(view.channels_picture)).convert("RGB"))
    np.testing.assert_array_equal(picture(at, drawn, "Channel maps and their sum"), expected)


def test_grayscale_mode_convolves_the_brightness():
    """Default mode on a colour photo: the value is the kernel on the luma."""
    at = run_page(sample="Astronaut")
    _, _, value = shown_value(at)
    row, col = at.number_input(key="conv_row").value, at.number_input(key="conv_col").value
    gray = to_grayscale(sample_image("Astronaut"))
    expected = conv2d(gray, KERNELS["Sobel x"].values)[row, col]
    assert value == pytest.approx(float(expected), abs=1e-4)


def test_relu_clips_the_map_and_is_reported():
    """With ReLU the step-through says what the activation turned the sum into."""
    at = run_page()
    at.radio(key="conv_activation").set_value("ReLU").run()
    assert not at.exception
    after = next(t for t in texts(at) if t.startswith("After ReLU:"))
    _, _, value = shown_value(at)
    assert float(after.split(": ")[1]) == pytest.approx(max(value, 0.0), abs=1e-5)


def test_a_link_reproduces_a_setting():
    """sample, kernel (preset or rows), stride, padding and dilation come from the URL."""
    at = run_page(sample="Coins", kernel="1 0 -1; 1 0 -1", stride="2", padding="same", dilation="1")
    assert not at.warning
    assert output_shape(at) == (152, 192)
    assert at.selectbox(key="conv_preset").value == "Custom"


def test_bad_link_values_fall_back_to_defaults_with_warnings():
    """Each unusable query value is named in a warning; the page still works."""
    at = run_page(sample="Dog", kernel="1 2; 3", stride="0", padding="wide", dilation="x")
    warnings = shown("\n\n".join(w.value for w in at.warning))
    for part in ("sample=Dog", "kernel=1 2; 3", "stride=0", "padding=wide", "dilation=x"):
        assert part in warnings
    assert output_shape(at) == (62, 62)


def test_clipping_starts_off_for_drawings_and_on_for_photos():
    """Each new picture starts with the clip choice that suits it; the face is a drawing."""
    at = run_page()
    assert at.checkbox(key="conv_clip").value is False
    at.radio(key="conv_image").set_value("Cat").run()
    assert at.checkbox(key="conv_clip").value is True
    at.radio(key="conv_image").set_value("Cartoon face").run()
    assert not at.exception and at.checkbox(key="conv_clip").value is False


def test_use_this_example_draws_the_eyes_as_the_strongest_cells(drawn):
    """Regression: the example's map was clipped at ±6.6 while the eyes reach 28, so the head's
    outline looked as strong as the eyes. Decoded from the drawn picture: the eye centres get
    the strongest colour, the outline a clearly weaker one, in the map's own order."""
    at = run_page(sample="Coins")  # start elsewhere, with clipping on, stride 2
    at.number_input(key="conv_stride").set_value(2).run()
    assert at.checkbox(key="conv_clip").value is True
    at.button(key="conv_use_eye").click().run()
    assert not at.exception and output_shape(at) == (64, 64)
    assert at.radio(key="conv_image").value == at.query_params["sample"] == "Cartoon face"
    assert at.checkbox(key="conv_clip").value is False  # the face's own clip, not the photo's
    reference = ndimage.correlate(
        cartoon_face().astype(np.float64), KERNELS["Eye detector"].values, mode="constant"
    )
    rgb = clickable_picture(at, "conv_pick")  # the feature map: a click picks a cell
    factor = rgb.shape[0] // 64
    level = diverging_level(rgb[factor // 2 :: factor, factor // 2 :: factor])  # (64, 64)
    centres = tuple(np.array(FACE_EYES).T)
    strongest = np.argwhere(level == level.max())
    assert level[centres].min() == level.max() >= 250
    assert np.all(reference[tuple(strongest.T)] >= 0.9 * reference.max())  # only the eyes
    outline = (reference > 0.1 * reference.max()) & (reference < 0.4 * reference.max())
    assert outline.any() and level[outline].max() < level[centres].min() - 60
    order = np.argsort(reference.ravel())  # colours never go against the values
    assert np.all(np.diff(level.ravel()[order]) >= -1)


def test_eye_example_threshold_and_use_button():
    """A low threshold lets the outline through; the button loads the face and eye detector."""
    at = run_page()
    at.slider(key="conv_eye_threshold").set_value(10).run()
    assert not at.exception and "white spots" in at.warning[0].value
    at.button(key="conv_use_eye").click().run()
    assert not at.exception
    assert at.selectbox(key="conv_preset").value == "Eye detector"
    assert output_shape(at) == (64, 64)


def test_play_offers_play_and_no_stop_until_the_animation_runs():
    """Stop shows only while frames play (tests/browser plays them: AppTest reruns the whole
    page, which ends an animation, so a click on Play here leaves Play and no Stop)."""
    at = run_page()
    assert at.button(key="conv_play").label.startswith("Play: slide the window over the 6 × 6")
    at.button(key="conv_play").click().run()
    assert not at.exception
    assert "conv_stop" not in [b.key for b in at.button]
    assert at.button(key="conv_play")


@pytest.mark.parametrize(
    ("key", "value", "message", "kept"),
    [
        (
            "conv_stride",
            9,
            "Stride must be a whole number from 1 to 8. Received: stride=9. Still using stride 3.",
            {"stride": "3"},
        ),
        ("conv_stride", 0, "Received: stride=0. Still using stride 3.", {"stride": "3"}),
        (
            "conv_dilation",
            7,
            "Dilation must be a whole number from 1 to 6. Received: "
            "dilation=7. Still using dilation 1.",
            {"dilation": "1"},
        ),
        (
            "conv_row",
            40,
            "Row must be a whole number from 0 to 20. Received: row=40. Still using row 20.",
            {},
        ),
    ],
)
def test_a_number_out_of_range_is_refused_in_words_naming_the_value_in_use(
    key, value, message, kept
):
    """Regression: stride 9 typed stayed in the box with only a red icon while stride 3 was
    used. Every number box now says what it refused and what is still in use."""
    at = run_page()
    at.number_input(key="conv_stride").set_value(3).run()
    assert output_shape(at) == (21, 21)
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.endswith(message)
    assert output_shape(at) == (21, 21)
    assert at.number_input(key=key).value == value  # the box keeps what was typed...
    for name, text in kept.items():  # ...and the link the value in use
        assert at.query_params[name] == text
    if key == "conv_row":
        assert shown_value(at)[0] == 20


def test_a_links_padding_number_chooses_pixels_with_that_many_zeros():
    """padding=2 in a link: the radio shows "pixels", its box 2, and the map is 66 × 66."""
    at = run_page(padding="2")
    assert not at.exception and not at.warning
    assert at.radio(key="conv_padding").value == "pixels"
    assert at.number_input(key="conv_pad_px").value == 2
    assert output_shape(at) == (66, 66) and at.query_params["padding"] == "2"


def test_choose_sample_refuses_a_name_that_is_no_sample():
    """The image picker's own setter (the eye example's button uses it) names what it refused."""
    from pages._ui import choose_sample

    with pytest.raises(ValueError, match=r"`name` must be one of Cartoon face, .*name='Nope'"):
        choose_sample("conv", "Nope")


def test_padding_pixels_out_of_range_is_refused_in_words():
    """Zeros on each side: 25 is more than 20; the message names the padding still used."""
    at = run_page()
    at.radio(key="conv_padding").set_value("pixels").run()
    at.number_input(key="conv_pad_px").set_value(2).run()
    at.number_input(key="conv_pad_px").set_value(25).run()
    assert not at.exception
    assert at.error[0].value.endswith("Received: padding=25. Still using padding 2.")
    assert output_shape(at) == (66, 66) and at.query_params["padding"] == "2"


def test_show_image_tells_streamlit_the_format_so_pngs_are_not_reencoded():
    """PNG bytes go with output_format="PNG" (st.image would re-encode them as JPEG otherwise)."""
    from cnnviz.pictures import jpeg_bytes, png_bytes
    from pages._ui import show_image

    class Recorder:
        def image(self, data, **kwargs):
            self.kwargs = kwargs

    where = Recorder()
    show_image(where, png_bytes(np.zeros((4, 4), np.uint8)), caption="x")
    assert where.kwargs == {"output_format": "PNG", "caption": "x"}
    show_image(where, [jpeg_bytes(np.zeros((4, 4, 3), np.uint8))])
    assert where.kwargs["output_format"] == "JPEG"


def test_settings_and_kernel_survive_a_visit_to_another_page():
    """Regression: Streamlit forgets widget values on other pages; coming back keeps them all."""
    at = AppTest.from_file("../app.py", default_timeout=30).run()
    at.switch_page("pages/convolution.py").run()
    at.radio(key="conv_image").set_value("Coins")
    at.number_input(key="conv_stride").set_value(2)
    at.text_area(key="conv_kernel_text").set_value("1 1; 1 1").run()
    assert output_shape(at) == (151, 192)
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/convolution.py").run()
    assert not at.exception
    assert output_shape(at) == (151, 192)
    assert at.number_input(key="conv_stride").value == 2
    assert at.radio(key="conv_image").value == "Coins"
    assert at.text_area(key="conv_kernel_text").value == "1 1\n1 1"
    assert (at.number_input(key="conv_kh").value, at.selectbox(key="conv_preset").value) == (
        2,
        "Custom",
    )
    # Every other setting, on a colour picture, is kept too.
    at.radio(key="conv_image").set_value("Cat").run()
    at.radio(key="conv_color").set_value("per channel")
    at.radio(key="conv_padding").set_value("pixels").run()
    at.number_input(key="conv_pad_px").set_value(2)
    at.number_input(key="conv_dilation").set_value(2)
    at.radio(key="conv_activation").set_value("ReLU")
    at.checkbox(key="conv_clip").uncheck()
    at.slider(key="conv_eye_threshold").set_value(60)
    at.number_input(key="conv_row").set_value(5)
    at.number_input(key="conv_col").set_value(7)
    at.radio(key="conv_channel").set_value("blue").run()
    kept = {
        ("radio", "conv_color"): "per channel",
        ("radio", "conv_padding"): "pixels",
        ("number_input", "conv_pad_px"): 2,
        ("number_input", "conv_dilation"): 2,
        ("radio", "conv_activation"): "ReLU",
        ("checkbox", "conv_clip"): False,
        ("slider", "conv_eye_threshold"): 60,
        ("number_input", "conv_row"): 5,
        ("number_input", "conv_col"): 7,
        ("radio", "conv_channel"): "blue",
    }
    before = (output_shape(at), shown_value(at), dict(at.query_params))
    assert before[0] == (151, 227) and before[1][:2] == (5, 7)
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/convolution.py").run()
    assert not at.exception
    for (kind, key), value in kept.items():
        assert getattr(at, kind)(key=key).value == value, key
    assert (output_shape(at), shown_value(at), dict(at.query_params)) == before
    # The last accepted stride is kept too: a refusal still names it.
    at.number_input(key="conv_stride").set_value(9).run()
    assert at.error[0].value.endswith("Received: stride=9. Still using stride 2.")
    assert output_shape(at) == (151, 227)


def test_the_gallery_draws_one_clickable_thumbnail_per_sample_in_order():
    """Each sample's thumbnail is its own clickable picture (key conv_thumb_<i>), in SAMPLES'
    order, so a click on the i-th picks the i-th sample (a click is tried in Chromium)."""
    at = run_page()
    for number, name in enumerate(SAMPLES):
        expected = thumbnail(sample_image(name), size=96)
        if expected.ndim == 2:
            expected = np.repeat(expected[:, :, None], 3, axis=2)
        np.testing.assert_array_equal(clickable_picture(at, f"conv_thumb_{number}"), expected)
