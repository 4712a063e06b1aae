"""The "What the filters see" page under AppTest: each section on the default model and on a
three-block model trained in the session (stood in for by NumPy's Glorot weights)."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.learning import explain, nn
from cnnviz.learning.data import as_model_input, load_sample
from cnnviz.learning.model import ModelSpec
from cnnviz.lessons import filters as lesson
from pages._models import SessionModel
from tests.apptest import texts
from tests.training_kit import numpy_model

PAGE = "../pages/filters.py"
THREE = ModelSpec(filters=(4, 6, 8), dense_units=16)
pytestmark = pytest.mark.slow  # each test runs the whole page


def run_page(model=None, **query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    if model is not None:
        at.session_state["train_model"] = SessionModel(model)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_every_section_is_there_on_the_default_model(default_trained):
    at = run_page()
    assert [h.value for h in at.header] == [
        "Receptive field: what one cell can see",
        "Occlusion: cover part of the digit",
        "Top examples: what makes a filter respond",
        "Grad-CAM: where the evidence lies",
        "Feature pictures: what excites a filter or a class",
        "From strokes to parts: the first layer and the last",
    ]
    assert "The default model" in at.info[0].value
    shown = " ".join(texts(at))
    assert "conv_1 cell (0, 0) sees input rows 0–2, columns 0–2: 3×3 pixels." in shown
    assert "This model has 1 conv block" in shown  # Grad-CAM and the hierarchy say why not
    assert at.subheader[0].value == "conv_1, filter 0"
    assert len(at.get("image")) == 5  # occlusion, saliency, digits, patches, kernel (the field
    # is a clickable picture: streamlit-image-coordinates)
    assert not at.exception


def test_a_layer_and_cell_change_the_field_and_the_link(default_trained):
    at = run_page()
    at.selectbox(key="filters_layer").set_value(1).run()
    at.number_input(key="filters_row").set_value(5).run()
    at.number_input(key="filters_col").set_value(7).run()
    assert "pool_1 cell (5, 7) sees input rows 10–13, columns 14–17: 4×4 pixels." in texts(at)
    assert at.query_params["layer"] == "1" and at.query_params["row"] == "5"
    assert not at.exception


def test_the_occlusion_sentence_follows_the_patch(default_trained):
    at = run_page(digit="3")
    data = load_sample()
    x = lesson.digit_input(data, 3)
    label = int(data.y_test[3])
    at.slider(key="filters_patch").set_value(10).run()
    at.radio(key="filters_fill").set_value("black").run()
    expected = lesson.occlusion_view(default_trained, x, label, 10, 2, 0.0).sentence
    assert expected in texts(at)
    assert at.query_params["patch"] == "10" and at.query_params["fill"] == "black"


def test_the_occlusion_map_can_explain_the_models_answer(default_trained):
    """On a digit the model misreads, "the model's answer" maps the probability of that answer."""
    data = load_sample()
    x_all = as_model_input(data.x_test)
    probabilities = nn.predict(default_trained.weights, x_all, default_trained.spec)
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != data.y_test)
    index = int(wrong[0])
    answer = int(probabilities[index].argmax())
    at = run_page(digit=str(index))
    captions = [c for i in at.image for c in i.captions]
    assert f"Probability of {data.y_test[index]}, patch there" in captions
    at.radio(key="filters_explain").set_value("predicted").run()
    assert not at.exception
    assert f"Probability of {answer}, patch there" in [c for i in at.image for c in i.captions]
    x = lesson.digit_input(data, index)
    expected = lesson.occlusion_view(default_trained, x, answer, 4, 2, 0.5).sentence
    assert expected in texts(at)
    assert at.query_params["explain"] == "predicted"


def test_top_examples_follow_the_filter(default_trained):
    at = run_page()
    at.number_input(key="filters_filter").set_value(5).run()
    assert at.subheader[0].value == "conv_1, filter 5"
    top = explain.top_examples(
        default_trained.weights, default_trained.spec, lesson.searched_digits(load_sample()), 0
    )
    caption = next(c.value for c in at.caption if c.value.startswith("Responses "))
    assert caption.startswith(f"Responses {top.values[5, 0]:.2f}, ")


def test_a_three_block_session_model_gets_grad_cam_and_the_hierarchy():
    model = numpy_model(THREE, seed=1)
    at = run_page(model, digit="2", layer="4", row="1", col="2")
    shown = " ".join(texts(at))
    assert "Your own model" in at.info[0].value
    assert "Grad-CAM on conv_3 (3×3 cells, 8 maps)" in shown
    r0, r1, c0, c1 = explain.receptive_field(THREE, 4, (1, 2))
    assert (r0, r1, c0, c1) == (4, 22, 8, 26)
    assert "conv_3 cell (1, 2) sees input rows 4–21, columns 8–25: 18×18 pixels." in shown
    assert "First layer (conv_1): each filter sees 3×3 pixels" in shown
    assert "Last conv layer (conv_3): 18×18 pixels" in shown


def test_a_kept_cell_beyond_a_smaller_map_moves_into_range():
    """A link's row 20 is fine for conv_1 (26×26) but not for conv_3 (3×3): it becomes 2."""
    at = run_page(numpy_model(THREE, seed=1), layer="4", row="20")
    assert at.number_input(key="filters_row").value == 2
    assert not at.exception


def test_the_feature_picture_is_made_on_request_and_kept(default_trained):
    at = run_page()
    offer = lesson.feature_offer(default_trained.spec, "filter", 0, 0)
    assert offer in [c.value for c in at.caption]
    at.button(key="filters_make").click().run()
    made = [t for t in texts(at) if t.startswith("conv_1 filter 0: ")]
    assert made and "on an average test digit" in made[0]
    at.run()  # a rerun without the button keeps it (cached per model)
    assert [t for t in texts(at) if t.startswith("conv_1 filter 0: ")] == made
    at.radio(key="filters_target").set_value("class").run()
    at.number_input(key="filters_class").set_value(3).run()
    at.button(key="filters_make").click().run()
    assert any(t.startswith("the score of the digit 3: ") for t in texts(at))
    assert not at.exception
