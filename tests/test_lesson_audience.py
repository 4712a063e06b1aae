"""The audience's room: limits, the speaker's key, expiry, the score, and the model's readings."""

import io
import re
import threading

import numpy as np
import pytest
from PIL import Image

from cnnviz.lessons import audience
from cnnviz.lessons.audience import (
    CODE_LETTERS,
    MAX_DIGITS,
    MAX_ROOMS,
    ROOM_HOURS,
    SEND_INTERVAL,
    RoomError,
    Rooms,
    room_link,
    room_view,
)


class Clock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(scope="module")
def digits(sample):
    """Twelve test digits as the room receives them (floats in [0, 1]) and their labels."""
    return sample.x_test[:12] / 255.0, sample.y_test[:12].astype(int)


def test_a_room_reads_each_digit_as_keras_does_and_keeps_the_score(default_trained, digits, clock):
    """The reading and confidence of every digit equal Keras' prediction with the same weights;
    the score counts the digits read as their senders said."""
    from tests.training_kit import keras_model

    rooms = Rooms(clock)
    room, _ = rooms.open()
    x, y = digits
    said = y.copy()
    said[:3] = (said[:3] + 1) % 10  # three senders say a digit the model will not read
    for i, (digit, label) in enumerate(zip(x, said, strict=True)):
        room.send(f"phone {i}", digit, int(label), default_trained)
    expected = keras_model(default_trained).predict(x[:, :, :, None], verbose=0)
    shown = room.shown()
    assert [r.number for r in shown] == list(range(1, 13))
    assert [r.read for r in shown] == expected.argmax(axis=1).tolist()
    np.testing.assert_allclose([r.confidence for r in shown], expected.max(axis=1), rtol=1e-4)
    right = int(np.sum(expected.argmax(axis=1) == said))
    view = room_view(room)
    assert view.score == f"Read {right} of 12 right ({right / 12:.0%})."
    assert view.numbers == tuple(range(1, 13))
    assert view.titles[0] == f"#1: {said[0]} → {shown[0].read}" + ("" if shown[0].right else " ✗")
    grid = np.asarray(Image.open(io.BytesIO(view.grid)))
    assert grid.shape[1] > 12 * audience.SIDE  # twelve digits: one row
    assert audience.SIDE < grid.shape[0] < 2 * audience.SIDE
    np.testing.assert_array_equal(shown[5].pixels, np.round(x[5] * 255).astype(np.uint8))
    with pytest.raises(ValueError, match="read-only"):
        shown[5].pixels[0, 0] = 1


def test_one_digit_per_sender_every_few_seconds(default_trained, digits, clock):
    room, _ = Rooms(clock).open()
    x, y = digits
    room.send("a", x[0], int(y[0]), default_trained)
    room.send("b", x[1], int(y[1]), default_trained)  # another phone is not held back
    clock.now += SEND_INTERVAL - 1.5
    with pytest.raises(RoomError, match=r"One digit every 5 s: send again in 2 s\."):
        room.send("a", x[2], int(y[2]), default_trained)
    clock.now += 1.5
    room.send("a", x[2], int(y[2]), default_trained)
    assert len(room.shown()) == 3


def test_a_full_room_refuses_more(default_trained, digits, clock, monkeypatch):
    monkeypatch.setattr(audience, "MAX_DIGITS", 3)
    room, _ = Rooms(clock).open()
    x, y = digits
    for i in range(3):
        room.send(str(i), x[i], int(y[i]), default_trained)
    with pytest.raises(RoomError, match=r"This room is full \(3 digits\)"):
        room.send("late", x[3], int(y[3]), default_trained)
    assert MAX_DIGITS >= 100  # the real cap leaves a lecture hall room


def test_only_the_speakers_key_hides_or_clears(default_trained, digits, clock):
    room, key = Rooms(clock).open()
    x, y = digits
    for i in range(4):
        room.send(str(i), x[i], int(y[i]), default_trained)
    with pytest.raises(RoomError, match="Only the speaker"):
        room.hide("guess", 2)
    with pytest.raises(RoomError, match="Only the speaker"):
        room.clear("")
    room.hide(key, 2)
    assert [r.number for r in room.shown()] == [1, 3, 4]
    room.clear(key)
    assert room.shown() == () and room_view(room).grid is None
    room.send("4", x[4], int(y[4]), default_trained)  # still open after a clear
    assert [r.number for r in room.shown()] == [5]


def test_rooms_expire_and_are_capped_and_codes_read_well(clock):
    rooms = Rooms(clock)
    opened = [rooms.open()[0] for _ in range(MAX_ROOMS)]
    assert len({room.code for room in opened}) == MAX_ROOMS
    for room in opened:
        assert re.fullmatch(f"[{CODE_LETTERS}]{{5}}", room.code)
        assert not set(room.code) & set("0O1IL")
    with pytest.raises(RoomError, match=f"{MAX_ROOMS} rooms are open"):
        rooms.open()
    code = opened[0].code
    assert rooms.get(f" {code.lower()[:2]} {code.lower()[2:]} ") is opened[0]  # as typed
    unused = next(c for c in ("ZZZZZ", "YYYYY") if c not in {r.code for r in opened})
    assert rooms.get(unused) is None and rooms.get("not a code!") is None
    clock.now += ROOM_HOURS * 3600 + 1
    assert rooms.get(code) is None
    rooms.open()  # the expired ones made room


def test_a_closed_room_and_bad_input_get_clear_messages(default_trained, digits, clock):
    room, _ = Rooms(clock).open()
    x, _ = digits
    for said in (10, -1, True, 2.5, "3"):
        with pytest.raises(RoomError, match="Say which digit you drew, 0 to 9"):
            room.send("a", x[0], said, default_trained)
    for bad in (np.zeros((20, 20)), np.full((28, 28), np.nan)):
        with pytest.raises(RoomError, match="could not be read as a 28×28 digit"):
            room.send("a", bad, 1, default_trained)
    clock.now += ROOM_HOURS * 3600 + 1
    with pytest.raises(RoomError, match="This room has closed"):
        room.send("a", x[0], 1, default_trained)


def test_many_phones_at_once_lose_no_digit_and_number_them_once(default_trained, digits):
    room, _ = Rooms().open()
    x, y = digits
    errors = []

    def phone(i):
        try:
            room.send(f"phone {i}", x[i % 12], int(y[i % 12]), default_trained)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.number for r in room.shown()) == list(range(1, 41))


def test_the_link_leads_to_the_audience_page():
    assert room_link("http://10.0.0.5:8501", "K7QX2") == "http://10.0.0.5:8501/audience?room=K7QX2"
    assert room_link("https://x.streamlit.app/", "AB") == "https://x.streamlit.app/audience?room=AB"
