"""The audience's room on the Streamlit side: the server's rooms and the speaker's controls.

The rooms live in this server process (:func:`get_rooms`: one
:class:`~cnnviz.lessons.audience.Rooms` shared by every session, behind its lock); the speaker's
key to their room stays in their own session. :func:`speaker_room` is what the talk mode
shows: open a room, its code, link and QR code, and the digits coming in, redrawn every few
seconds.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.lessons import audience
from cnnviz.lessons.audience import RoomError, Rooms
from cnnviz.pictures import qr_png

CODE_KEY, ROOM_KEY = "room_code", "room_key"  # the speaker's room, in their session
REFRESH = 3  # seconds between redraws of the incoming digits


@st.cache_resource
def get_rooms() -> Rooms:
    """Every open room of this server (in memory only; gone when the process ends)."""
    return Rooms()


def speaker_room(app_address: str) -> None:
    """Open a room for the audience, or show this speaker's open room as it fills."""
    room = get_rooms().get(st.session_state.get(CODE_KEY, ""))
    if room is None:
        st.markdown(
            "Let the audience send digits from their phones: they draw, the model reads, "
            "and everyone sees the score here. No names, nothing kept on disk."
        )
        if st.button("Open a room", key="room_open", icon=":material/groups:"):
            try:
                room, key = get_rooms().open()
            except RoomError as error:
                st.warning(str(error))
                return
            st.session_state[CODE_KEY], st.session_state[ROOM_KEY] = room.code, key
            st.rerun()
        return
    link = audience.room_link(app_address, room.code)
    code_column, picture = st.columns([3, 1], vertical_alignment="center")
    with code_column:
        st.markdown(f"## Room **{room.code}**")
        st.code(link, language=None)
    picture.image(qr_png(link), width=180, caption="Scan to send a digit")
    _incoming(room.code)


@st.fragment(run_every=REFRESH)
def _incoming(code: str) -> None:
    """The score and the latest digits, redrawn every few seconds; hide or clear them."""
    room = get_rooms().get(code)
    if room is None:
        st.info("The room has closed.")
        return
    view = audience.room_view(room)
    st.markdown(f"### {view.score}")
    if view.grid is not None:
        st.image(view.grid)
        hide, clear = st.columns(2, vertical_alignment="bottom")
        number = hide.selectbox("Hide digit number", view.numbers, index=None, key="room_hide")
        if number is not None:
            room.hide(st.session_state[ROOM_KEY], number)
            del st.session_state["room_hide"]
            st.rerun(scope="fragment")
        if clear.button("Clear the room", key="room_clear", icon=":material/delete_sweep:"):
            room.clear(st.session_state[ROOM_KEY])
            st.rerun(scope="fragment")
