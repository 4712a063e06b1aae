"""The Talk page, run for real with AppTest: every step draws, the buttons move, the link follows.

What the steps say and compute is checked without Streamlit in ``tests/test_lesson_talk.py``.
The training worker is faked here (a fake pool that is never ready and starts nothing): a real
one would load TensorFlow in a process of its own for each test.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import pages._talk_steps
from cnnviz.lessons.talk import STEPS, position_text
from tests.apptest import open_page

PAGE = "pages/talk.py"
LIGHT = [s.key for s in STEPS if s.key not in ("dense", "inside", "see")]  # no default model needed


class FakePool:
    """A trainer pool that starts nothing and has no worker ready."""

    ready = False

    def warm(self) -> None:
        pass


@pytest.fixture(autouse=True)
def no_worker(monkeypatch):
    monkeypatch.setattr(pages._talk_steps, "get_trainer_pool", FakePool)


def run_page(**query: str) -> AppTest:
    return open_page(PAGE, timeout=120, **query)


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def shown_title(at: AppTest) -> str:
    return at.title[0].value


@pytest.mark.parametrize("key", LIGHT)
def test_each_step_draws_its_title_idea_and_link(key):
    at = run_page(step=key)
    step = STEPS[[s.key for s in STEPS].index(key)]
    assert shown_title(at) == step.title
    assert any(m.value == step.idea for m in at.markdown)
    assert at.query_params["step"] == key
    # The title's pre-flight may warn (no worker here); both need an address AppTest lacks.
    assert not at.warning or key in ("title", "audience")


def test_the_audience_step_opens_a_room_and_shows_its_link(monkeypatch):
    """The speaker opens a room: its code, the audience's link (the public address's
    /audience page) and a QR code; the room is in the server's rooms, empty."""
    import pages._room
    from cnnviz.lessons.audience import Rooms

    rooms = Rooms()
    monkeypatch.setattr(pages._room, "get_rooms", lambda: rooms)
    monkeypatch.setenv("CNNVIZ_PUBLIC_URL", "https://cnnviz.example.org")
    at = run_page(step="audience")
    assert not at.warning
    at.button(key="room_open").click().run()
    code = at.session_state["room_code"]
    room = rooms.get(code)
    assert room is not None and room.shown() == ()
    assert any(m.value == f"## Room **{code}**" for m in at.markdown)
    assert at.code[0].value == f"https://cnnviz.example.org/audience?room={code}"
    assert any(m.value.startswith("### No digits yet") for m in at.markdown)


@pytest.mark.slow
@pytest.mark.parametrize("key", ["dense", "inside", "see"])
def test_the_model_steps_draw_with_the_default_model(key):
    at = run_page(step=key)
    assert shown_title(at) == STEPS[[s.key for s in STEPS].index(key)].title
    if key == "dense":
        assert any(m.value.startswith("Prediction: ") for m in at.markdown)
        assert len(at.get("plotly_chart")) == 3
    if key == "see":
        assert any(m.value.startswith(("The model looks hardest", "No 6×6")) for m in at.markdown)
        assert len(at.image) == 3


def test_next_and_previous_move_one_step_and_update_the_link():
    at = run_page()
    assert shown_title(at) == STEPS[0].title
    assert at.button(key="talk_prev").disabled
    click(at, "talk_next")
    assert shown_title(at) == STEPS[1].title
    assert at.query_params["step"] == STEPS[1].key
    assert any(m.value == position_text(1) for m in at.markdown)
    click(at, "talk_next")
    assert at.query_params["step"] == STEPS[2].key
    click(at, "talk_prev")
    assert shown_title(at) == STEPS[1].title
    assert at.query_params["step"] == STEPS[1].key


def test_next_is_disabled_on_the_last_step_and_previous_on_the_first():
    at = run_page(step=STEPS[-2].key)
    assert not at.button(key="talk_next").disabled
    at = run_page(step=STEPS[0].key)
    assert at.button(key="talk_prev").disabled and not at.button(key="talk_next").disabled


def test_an_unknown_step_warns_and_falls_back_to_the_title():
    at = run_page(step="bogus")
    assert shown_title(at) == STEPS[0].title
    assert any("step=bogus is not a valid talk step" in w.value for w in at.warning)
    assert at.query_params["step"] == "title"


def test_the_title_step_shows_the_address_qr_code_and_preflight(monkeypatch):
    monkeypatch.setenv("CNNVIZ_PUBLIC_URL", "https://cnnviz.example.org/")
    at = run_page(step="title")
    assert any("cnnviz.example.org" in m.value for m in at.markdown)
    lines = [w.value for w in at.warning] + [s.value for s in at.success]
    assert any(line.startswith("Pre-flight: ") and "network needed: no" in line for line in lines)
    assert any("training worker starting" in line for line in lines)  # the fake pool


def test_the_sidebar_and_toolbar_are_hidden_by_a_constant_stylesheet():
    at = run_page(step="eyes")
    styles = [h.proto.body for h in at.get("html") if "<style>" in h.proto.body]
    assert any('[data-testid="stSidebar"]' in s and "display: none" in s for s in styles)


def test_speaker_notes_are_in_a_closed_expander():
    at = run_page(step="eyes")
    expander = at.expander[0]
    assert expander.label == "Speaker notes"
    assert not expander.proto.expanded


def test_the_eye_threshold_changes_the_verdict():
    at = run_page(step="eyes")
    assert at.success and "exactly at the eyes" in at.success[0].value
    at.slider(key="talk_eye_threshold").set_value(10).run()
    assert not at.exception
    assert at.warning and "white spots" in at.warning[0].value


def test_the_training_step_invites_then_shows_what_was_learned():
    from pages._models import SessionModel
    from tests.test_lesson_train import fake_trained

    at = run_page(step="train")
    assert any(m.value.startswith("A small model: 8 kernels") for m in at.markdown)
    assert not at.get("plotly_chart")
    at.session_state["talk_model"] = SessionModel(fake_trained(step=800))
    at.run()
    assert not at.exception
    assert any(m.value.startswith("Test accuracy: **") for m in at.markdown)
    assert len(at.get("plotly_chart")) == 1
    at.session_state["talk_model"] = SessionModel(fake_trained(step=126))  # stopped early
    at.run()
    assert any("stopped" in w.value.lower() for w in at.warning)


def test_the_page_stays_within_250_lines():
    with open(PAGE, encoding="utf-8") as f:
        assert len(f.read().splitlines()) <= 250


def test_the_own_step_reads_a_new_shape_with_a_shapes_model_from_the_own_page():
    """No model: the shapes and how to get one; a shapes model trained on the 'Your own
    classes' page (in the session, as that page keeps it): a new shape read, its bars drawn."""
    import numpy as np

    from cnnviz.learning import nn
    from cnnviz.learning.own import DEFAULT_SPEC, SHAPES
    from cnnviz.learning.training import TrainedModel
    from cnnviz.lessons.talk import OWN_NO_MODEL
    from pages._own_controls import MODEL_KEY, OwnModel

    at = run_page(step="own")
    assert any(m.value == OWN_NO_MODEL for m in at.markdown)
    assert not at.get("plotly_chart")
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.3, s).astype(np.float32) for s in nn.weight_shapes(DEFAULT_SPEC)]
    box = OwnModel(TrainedModel(DEFAULT_SPEC, "shapes", weights))
    box.classes = SHAPES
    at.session_state[MODEL_KEY] = box
    at.run()
    assert not at.exception
    assert any(m.value.startswith("A shape it never saw. The model says") for m in at.markdown)
    assert len(at.get("plotly_chart")) == 1
