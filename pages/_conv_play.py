"""The Convolution page's Play animation: the window slides over a block of output cells.

A fragment of its own, so each frame reruns only this part of the page (see :func:`animation`).
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from cnnviz.lessons import convolution as lesson
from cnnviz.lessons.convolution import MapView, Settings
from pages._ui import show_image as show

__all__ = ["animation"]

_PLAY = {"conv_playing": True, "conv_frame": 0, "conv_play_started": True}  # from the first cell
PLAY = {"on_click": st.session_state.update, "kwargs": _PLAY}  # the Play button's callback
STOP = {"on_click": st.session_state.update, "kwargs": {"conv_playing": False}}


@st.fragment
def animation(kernel: np.ndarray, settings: Settings, view: MapView, block: tuple) -> None:
    """The Play animation over output cells ``block`` = (row, col, rows, cols): one frame a run.

    A loop in one run could not be stopped (Streamlit finishes a run before it handles a click
    in a fragment): each frame reruns the fragment, and a Stop click joins that rerun. Only its
    own reruns advance a frame: a redraw of the section (maybe a new map) ends the animation."""
    state = st.session_state
    run, started = state["conv_section_run"], state.pop("conv_play_started", False)
    if state.get("conv_play_section") != run:
        state.update(conv_play_section=run, conv_playing=False, conv_frame=None)
    elif state["conv_playing"] and not started:
        state["conv_frame"] += 1
    frame = state["conv_frame"] is not None and lesson.animation_frame(
        view, kernel, settings, block, state["conv_frame"], playing=state["conv_playing"]
    )
    state["conv_playing"] = playing = bool(frame and frame.playing)
    if playing:
        st.button("Stop", icon=":material/stop:", key="conv_stop", **STOP)
    else:
        st.button(lesson.play_label(block), icon=":material/play_arrow:", key="conv_play", **PLAY)
    if frame:
        with st.container(key="conv_anim"):
            st.caption(frame.status)
            a, b = st.columns(2)
            show(a, frame.window, caption="The window on the input")
            show(b, frame.cells, caption=frame.cells_caption)
    if playing:
        time.sleep(0.12)  # seconds per frame
        st.rerun(scope="fragment")
