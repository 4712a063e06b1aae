"""The audience: draw a digit on a phone, send it to the talk, see how the model read it."""

from __future__ import annotations

import secrets

import streamlit as st

from cnnviz.learning.digits import prepare_digit
from cnnviz.lessons import audience
from cnnviz.lessons.audience import RoomError
from pages._models import get_default_model
from pages._registry import ensure_app_navigation
from pages._room import get_rooms
from pages._state import Setting, keep, to_link
from pages._text import plain

PAGE = "audience"
SETTINGS = [Setting("audience_code", "", "room", audience.parse_code, "room code")]
CANVAS_SIDE = 280  # fits a phone held upright, ten canvas pixels per MNIST pixel


def main() -> None:
    ensure_app_navigation()
    st.title("Send a digit to the talk")
    st.markdown(
        "Draw one digit, say which it is, and send it: the talk's screen shows every digit the "
        "room sent and how the model read it. No name is asked and nothing is kept on disk."
    )
    keep(PAGE, SETTINGS)
    typed = st.text_input("Room code (on the speaker's screen)", key="audience_code", max_chars=12)
    code = _code(typed)
    to_link({"room": code})
    room = get_rooms().get(code) if code else None
    if room is None:
        if code:
            st.warning(f"No open room has the code {plain(code)}: check it on the screen.")
        return
    said = st.segmented_control("Which digit will you draw?", list(range(10)), key="audience_said")
    image = _drawing()
    if st.button("Send", key="audience_send", type="primary", icon=":material/send:"):
        _send(room, said, image)
    if "audience_last" in st.session_state:  # how the model read the last digit sent
        st.success(st.session_state["audience_last"], icon=":material/check_circle:")


def _code(typed: str) -> str:
    """The typed code, cleaned; a typo is said once, literally."""
    if not typed.strip():
        return ""
    try:
        return audience.parse_code(typed)
    except ValueError as error:
        st.warning(f"{error}. Received: {plain(typed, 40)}")
        return ""


def _drawing():
    """The canvas (blank again after each digit sent); its RGBA pixels, or None."""
    from streamlit_drawable_canvas import st_canvas

    sent = st.session_state.get("audience_sent", 0)
    result = st_canvas(
        stroke_width=20,
        stroke_color="#ffffff",
        background_color="#000000",
        height=CANVAS_SIDE,
        width=CANVAS_SIDE,
        drawing_mode="freedraw",
        key=f"audience_canvas_{sent}",
        return_image_data=True,
    )
    return getattr(result, "image_data", None)


def _send(room, said, image) -> None:
    if said is None:
        st.warning("Pick which digit you drew first (0 to 9, above the square).")
        return
    try:
        digit = prepare_digit(image) if image is not None else None
    except ValueError:
        digit = None
    if digit is None:
        st.warning("Draw a digit on the black square first.")
        return
    sender = st.session_state.setdefault("audience_sender", secrets.token_hex(8))
    try:
        received = room.send(sender, digit, int(said), get_default_model())
    except RoomError as error:
        st.warning(str(error))
        return
    st.session_state["audience_sent"] = st.session_state.get("audience_sent", 0) + 1
    st.session_state["audience_last"] = audience.sent_text(received)
    st.rerun()


main()
