"""The audience's room: phones send drawn digits, the talk shows how the model reads them.

A speaker opens a room (:meth:`Rooms.open`) and shows its short code and link; anyone who opens
the link draws a digit, says which digit it is, and sends it (:meth:`Room.send`); the talk shows
every digit received with the model's reading and the running score (:func:`room_view`). The
speaker alone (whoever holds the room's key) can hide a digit or clear the room.

What keeps it safe to open to a room of strangers:

* nothing is stored on disk and no name is asked for: a digit is 28×28 grey levels and two
  numbers, kept in this process's memory until the room expires;
* one digit per sender every :data:`SEND_INTERVAL` seconds, at most :data:`MAX_DIGITS` a room,
  at most :data:`MAX_ROOMS` rooms at once, each gone :data:`ROOM_HOURS` hours after it opened;
* a digit is the model's input, not a picture the visitor chose: nothing they send is shown as
  text, HTML or Markdown.

Rooms live in one server process. Several replicas behind a load balancer each have their own
rooms, so a room works only if every phone reaches the replica the speaker's room is on
(sticky sessions), as the README says.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cnnviz.learning.probe import Model, predict
from cnnviz.pictures import ColorScale, Panel, panel_grid, png_bytes

__all__ = [
    "CODE_LETTERS",
    "MAX_DIGITS",
    "MAX_ROOMS",
    "ROOM_HOURS",
    "SEND_INTERVAL",
    "Received",
    "Room",
    "RoomError",
    "RoomView",
    "Rooms",
    "parse_code",
    "room_link",
    "room_view",
    "sent_text",
]

#: Letters of a room's code: no 0/O, 1/I/L, so it can be read off a projector and typed.
CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
SEND_INTERVAL = 5.0  # seconds between two digits from one sender
MAX_DIGITS = 300  # per room
MAX_ROOMS = 20  # open at once in one server
ROOM_HOURS = 3.0  # a room closes this long after it opened
SHOWN = 24  # the most recent digits drawn in the grid: two rows of twelve, one screen
PER_ROW = 12
SIDE = 72  # pixels a digit takes in the grid picture


class RoomError(ValueError):
    """A request the room refuses; the message is written for the visitor."""


@dataclass(frozen=True)
class Received:
    """One digit a phone sent, as the model read it.

    Attributes
    ----------
    number : int
        Its place in the room, from 1.
    pixels : ndarray of uint8, shape (28, 28), read-only
        The digit as the model saw it (light ink on black).
    said : int
        The digit its sender says it is.
    read : int
        The model's prediction.
    confidence : float
        The probability the model gave ``read``.
    """

    number: int
    pixels: np.ndarray = field(repr=False)
    said: int
    read: int
    confidence: float

    @property
    def right(self) -> bool:
        return self.read == self.said


class Room:
    """The digits one talk's audience sent. Thread-safe: every visitor's session calls it.

    Parameters
    ----------
    code : str
        What the audience types or scans to join.
    key : str
        The speaker's secret: :meth:`hide` and :meth:`clear` need it.
    opened : float
        ``clock()`` when it opened.
    clock : callable
        Seconds, monotonic (tests pass their own).
    """

    def __init__(self, code: str, key: str, opened: float, clock: Callable[[], float]) -> None:
        self.code, self._key, self.opened, self._clock = code, key, opened, clock
        self._received: list[Received] = []
        self._hidden: set[int] = set()
        self._last_send: dict[str, float] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Room({self.code!r}, {len(self._received)} digits)"

    @property
    def expired(self) -> bool:
        return self._clock() - self.opened > ROOM_HOURS * 3600

    def send(self, sender: str, digit: np.ndarray, said: int, model: Model) -> Received:
        """Add ``digit`` from ``sender`` (an opaque id of their session), read by ``model``.

        ``digit`` is 28×28 floats in [0, 1], as :func:`~cnnviz.learning.digits.prepare_digit`
        makes it.

        Raises
        ------
        RoomError
            If the room has closed, is full, or this sender sent less than
            :data:`SEND_INTERVAL` seconds ago; or ``said`` is not a digit 0 to 9.
        """
        if isinstance(said, bool) or not isinstance(said, int | np.integer) or not 0 <= said <= 9:
            raise RoomError(f"Say which digit you drew, 0 to 9 (received {said!r}).")
        digit = np.asarray(digit, dtype=np.float32)
        if digit.shape != (28, 28) or not np.isfinite(digit).all():
            raise RoomError("The drawing could not be read as a 28×28 digit.")
        probabilities = predict(model, np.clip(digit, 0, 1))  # outside the lock: ~1 ms
        now = self._clock()
        with self._lock:
            if self.expired:
                raise RoomError("This room has closed: rooms close after a few hours.")
            if len(self._received) >= MAX_DIGITS:
                raise RoomError(f"This room is full ({MAX_DIGITS} digits). Thank you!")
            wait = SEND_INTERVAL - (now - self._last_send.get(sender, -np.inf))
            if wait > 0:
                again = math.ceil(wait)
                raise RoomError(f"One digit every {SEND_INTERVAL:.0f} s: send again in {again} s.")
            self._last_send[sender] = now
            pixels = np.round(np.clip(digit, 0, 1) * 255).astype(np.uint8)
            pixels.setflags(write=False)
            read = int(probabilities.argmax())
            received = Received(
                len(self._received) + 1, pixels, int(said), read, float(probabilities[read])
            )
            self._received.append(received)
            return received

    def shown(self) -> tuple[Received, ...]:
        """Every digit not hidden, oldest first."""
        with self._lock:
            return tuple(r for r in self._received if r.number not in self._hidden)

    def hide(self, key: str, number: int) -> None:
        """Take digit ``number`` off the screen (the speaker only)."""
        self._check(key)
        with self._lock:
            self._hidden.add(int(number))

    def clear(self, key: str) -> None:
        """Hide every digit received so far (the speaker only); the room stays open."""
        self._check(key)
        with self._lock:
            self._hidden.update(r.number for r in self._received)

    def _check(self, key: str) -> None:
        if not secrets.compare_digest(str(key), self._key):
            raise RoomError("Only the speaker who opened the room can change it.")


class Rooms:
    """Every open room of this server, by code. One per process (the page caches it).

    Parameters
    ----------
    clock : callable, optional
        Seconds, monotonic; ``time.monotonic`` unless a test passes its own.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rooms: dict[str, Room] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Rooms({len(self._rooms)} open)"

    def open(self) -> tuple[Room, str]:
        """Open a new room; return it and the speaker's key (keep the key in their session).

        Raises
        ------
        RoomError
            If :data:`MAX_ROOMS` rooms are open already.
        """
        with self._lock:
            self._drop_expired()
            if len(self._rooms) >= MAX_ROOMS:
                raise RoomError(
                    f"{MAX_ROOMS} rooms are open on this server already; try again later."
                )
            code = self._new_code()
            key = secrets.token_urlsafe(16)
            room = self._rooms[code] = Room(code, key, self._clock(), self._clock)
            return room, key

    def get(self, code: str) -> Room | None:
        """The open room with this code (read by :func:`parse_code`: any case, spaces ignored),
        or None."""
        try:
            wanted = parse_code(code)
        except ValueError:
            return None
        with self._lock:
            self._drop_expired()
            return self._rooms.get(wanted)

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))
            if code not in self._rooms:
                return code

    def _drop_expired(self) -> None:
        for code in [code for code, room in self._rooms.items() if room.expired]:
            del self._rooms[code]


def parse_code(text: str) -> str:
    """A room code as typed or linked: letters and digits of :data:`CODE_LETTERS`, any case,
    spaces ignored; ValueError saying what a code looks like otherwise.

    >>> parse_code(" k7q x2 ")
    'K7QX2'
    """
    code = "".join(str(text).split()).upper()
    if len(code) != CODE_LENGTH or not set(code) <= set(CODE_LETTERS):
        raise ValueError(
            f"A room code is {CODE_LENGTH} letters and digits, as the speaker's screen shows it"
        )
    return code


def sent_text(received: Received) -> str:
    """What the sender sees after sending: how the model read their digit.

    >>> sent_text(Received(3, np.zeros((28, 28), np.uint8), 7, 1, 0.62))
    'Sent (digit 3 of the room). The model read your 7 as a 1 (62%): not this time.'
    """
    verdict = "right!" if received.right else "not this time."
    return (
        f"Sent (digit {received.number} of the room). The model read your {received.said} as "
        f"a {received.read} ({received.confidence:.0%}): {verdict}"
    )


def room_link(app_address: str, code: str) -> str:
    """The address the audience opens: the app's ``audience`` page with the room's code.

    >>> room_link("https://cnnviz.example.org/", "K7QX2")
    'https://cnnviz.example.org/audience?room=K7QX2'
    """
    return f"{app_address.rstrip('/')}/audience?room={code}"


@dataclass(frozen=True)
class RoomView:
    """What the talk shows of a room: its score, and the latest digits with their readings."""

    score: str  # "Read 41 of 47 right."
    grid: bytes | None = field(repr=False)  # one PNG; None before the first digit
    titles: tuple[str, ...]  # each digit's title in the grid, newest last
    numbers: tuple[int, ...]  # the digits in the grid, for the speaker's hide control


def room_view(room: Room) -> RoomView:
    """The room's running score and a grid of its latest :data:`SHOWN` digits.

    The grid is one picture (redrawn every few seconds as digits come in, so no chart to
    rebuild); each digit is titled "#number: said → read", marked ✗ when read wrong.
    """
    shown = room.shown()
    if not shown:
        return RoomView("No digits yet: open the link on a phone, draw, send.", None, (), ())
    right = sum(r.right for r in shown)
    score = f"Read {right} of {len(shown)} right ({right / len(shown):.0%})."
    latest = shown[-SHOWN:]
    titles = tuple(f"#{r.number}: {r.said} → {r.read}" + ("" if r.right else " ✗") for r in latest)
    panels = [Panel(t, r.pixels, _INK) for t, r in zip(titles, latest, strict=True)]
    rows = [panels[i : i + PER_ROW] for i in range(0, len(panels), PER_ROW)]
    grid = png_bytes(panel_grid(rows, side=SIDE).pixels)
    return RoomView(score, grid, titles, tuple(r.number for r in latest))


_INK = ColorScale("gray", 0, 255)  # a digit's grey levels as sent
