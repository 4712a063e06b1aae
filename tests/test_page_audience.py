"""The audience page under AppTest: joining a room by code, sending a digit, the limits."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.learning.digits import prepare_digit
from cnnviz.lessons.audience import Rooms
from tests.apptest import open_page
from tests.rendered import assert_literal, shown
from tests.test_lesson_inside import stroke_drawing

PAGE = "pages/audience.py"


@pytest.fixture
def rooms(monkeypatch):
    """A fresh set of rooms in place of the server's (the page reads them through _room), on a
    clock that stands still: a loaded machine's page runs must not let the send limit pass."""
    import pages._room

    fresh = Rooms(clock=lambda: 1000.0)
    monkeypatch.setattr(pages._room, "get_rooms", lambda: fresh)
    return fresh


@pytest.fixture
def canvas(monkeypatch):
    """The drawing component replaced by one that returns what the test "draws" (RGBA)."""
    drawn = {"image": None, "keys": []}

    def st_canvas(**kwargs):
        drawn["keys"].append(kwargs["key"])
        return types.SimpleNamespace(image_data=drawn["image"])

    monkeypatch.setitem(
        sys.modules, "streamlit_drawable_canvas", types.SimpleNamespace(st_canvas=st_canvas)
    )
    return drawn


def run_page(**query) -> AppTest:
    return open_page(PAGE, timeout=60, **query)


def test_without_a_code_only_the_code_is_asked(rooms, canvas):
    at = run_page()
    assert at.text_input(key="audience_code").value == ""
    assert canvas["keys"] == [] and not at.button and not at.warning


@pytest.mark.parametrize(
    ("room", "warning"),
    [
        ("**bold** <b>x</b>", "A room code is 5 letters and digits"),
        ("ZZZZ", "A room code is 5 letters and digits"),
    ],
)
def test_a_malformed_code_in_the_link_is_named_literally(rooms, canvas, room, warning):
    at = run_page(room=room)
    [message] = at.warning
    assert warning in shown(message.value)
    assert_literal(message.value, f"room={room}")  # shown as typed: no bold, no tag
    assert canvas["keys"] == []


def test_a_code_of_no_open_room_says_so(rooms, canvas):
    at = run_page(room="abcde")
    assert at.warning[0].value.startswith("No open room has the code ABCDE")
    assert canvas["keys"] == []


def test_a_digit_sent_reaches_the_room_read_by_the_model(rooms, canvas, monkeypatch):
    """The stroke is prepared like MNIST, read by the server's model (here a small one in its
    place; Keras is the reference), added to the room, and the sender sees the reading; the
    canvas starts blank again; sending again at once is held back."""
    import pages._models
    from cnnviz.learning.model import ModelSpec
    from tests.training_kit import fresh_model, keras_model

    model = fresh_model(ModelSpec(filters=(4,), dense_units=8, seed=5))
    monkeypatch.setattr(pages._models, "get_default_model", lambda: model)
    room, _ = rooms.open()
    at = run_page(room=room.code.lower())
    assert at.query_params["room"] in (room.code, [room.code])  # the link holds the clean code
    canvas["image"] = stroke_drawing()
    at.button(key="audience_send").click().run()
    assert at.warning[0].value.startswith("Pick which digit you drew")
    assert room.shown() == ()
    at.session_state["audience_said"] = 1
    at.button(key="audience_send").click().run()
    assert not at.exception
    sent = [s.value for s in at.success]
    at.button(key="audience_send").click().run()  # at once again: held back, nothing added
    assert [w.value for w in at.warning] == ["One digit every 5 s: send again in 5 s."]
    [received] = room.shown()
    digit = prepare_digit(stroke_drawing())
    expected = keras_model(model).predict(digit[None, :, :, None], verbose=0)[0]
    assert (received.said, received.read) == (1, int(expected.argmax()))
    assert received.confidence == pytest.approx(float(expected.max()), rel=1e-4)
    assert sent[0].startswith(
        f"Sent (digit 1 of the room). The model read your 1 as a {received.read}"
    )
    assert canvas["keys"][-1] == "audience_canvas_1"  # a new, blank canvas


def test_an_empty_canvas_is_not_sent(rooms, canvas):
    room, _ = rooms.open()
    at = run_page(room=room.code)
    at.session_state["audience_said"] = 3
    canvas["image"] = np.zeros((280, 280, 4), np.uint8)
    at.button(key="audience_send").click().run()
    assert at.warning[0].value == "Draw a digit on the black square first."
    assert room.shown() == ()
