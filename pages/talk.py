"""Talk: the article as a presenter's path, one idea per projector screen.

Each step (``cnnviz.lessons.talk.STEPS``) is one screen: its title and its one-sentence idea
in large type, that idea's live widget (drawn by ``pages/_talk_steps.py`` from the page
lessons), Previous/Next buttons bound to the keyboard (→ or space, ←, except while a control
has the focus), and the speaker's
notes, closed. The step travels in the link (``?step=eyes``); the sidebar and Streamlit's
toolbar are hidden on this page.
"""

from __future__ import annotations

import streamlit as st
from streamlit_shortcuts import add_shortcuts

from cnnviz.lessons import talk as lesson
from pages import _talk_steps as steps
from pages._registry import ensure_app_navigation
from pages._state import Setting, keep, one_of, put, to_link

PAGE = "talk"
KEYS = [step.key for step in lesson.STEPS]
STEP = Setting("talk_step", KEYS[0], "step", one_of(KEYS), "talk step")

#: The shortcuts listen on the whole document, so → on a focused slider moved the slider and
#: the talk both, and space on a kernel's button picked it and moved on. Keys that a focused
#: control uses stop at the body, below the document, once the control has had them.
KEY_GUARD = """<script>
const parent = window.parent;
if (!parent.__cnnvizKeyGuard) {
  parent.__cnnvizKeyGuard = true;
  const controls = 'input, textarea, select, [contenteditable="true"], [role="slider"], '
    + '[role="radio"], [role="tab"], [role="option"], [data-testid="stButtonGroup"]';
  parent.document.body.addEventListener('keydown', (e) => {
    const keys = ['ArrowRight', 'ArrowLeft', ' '];
    if (keys.includes(e.key) && e.target.closest && e.target.closest(controls)) {
      e.stopPropagation();
    }
  });
}
</script>"""

#: Hides the sidebar, its toggle and Streamlit's toolbar; large type for the title and the idea.
#: A constant: no visitor text ever goes into it.
STYLE = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarNav"],
[data-testid="stToolbar"], [data-testid="stHeader"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"] {display: none !important;}
[data-testid="stMainBlockContainer"] {padding: 1.2rem 5rem 1rem !important; max-width: 100%;}
.st-key-talk_title h1 {font-size: 44px; line-height: 1.15; padding: 0.2rem 0 0 0;}
.st-key-talk_idea p {font-size: 30px; line-height: 1.3; font-weight: 500;}
.st-key-talk_body p, .st-key-talk_body li {font-size: 20px;}
.st-key-talk_body td, .st-key-talk_body th {font-size: 19px !important;}
.st-key-talk_body img {image-rendering: pixelated;}
.st-key-talk_position p {font-size: 18px; text-align: center; margin: 0;}
[data-testid="stLayoutWrapper"]:has(> .st-key-talk_keys),
[data-testid="stElementContainer"]:has(> iframe[height="0"]) {display: none;}
</style>"""


def main() -> None:
    ensure_app_navigation()
    st.html(STYLE)
    with st.container(key="talk_keys"):  # hidden: a script takes no room on the screen
        st.html(KEY_GUARD, unsafe_allow_javascript=True)  # a constant: no visitor text
    keep(PAGE, [STEP])
    i = lesson.step_index(st.session_state["talk_step"])
    step = lesson.STEPS[i]
    to_link({"step": step.key})

    with st.container(key="talk_title"):
        st.title(step.title, anchor=False)
    with st.container(key="talk_idea"):
        st.markdown(step.idea)
    with st.container(key="talk_body"):
        steps.RENDERERS[step.key]()
    notes, nav = st.columns([5, 3], vertical_alignment="top")
    with notes.expander("Speaker notes", expanded=False):
        st.markdown(step.notes)
    navigation(nav, i)


def navigation(where, i: int) -> None:
    """Previous, the position, Next: buttons that move the step (also by keyboard)."""
    back, position, forward = where.columns([2, 1, 2], vertical_alignment="center")
    back.button(
        "Previous", key="talk_prev", icon=":material/arrow_back:", width="stretch",
        disabled=i == 0, on_click=_go, args=(lesson.previous_index(i),),
    )  # fmt: skip
    with position.container(key="talk_position"):
        st.markdown(lesson.position_text(i))
    forward.button(
        "Next", key="talk_next", icon=":material/arrow_forward:", width="stretch", type="primary",
        disabled=i == len(lesson.STEPS) - 1, on_click=_go, args=(lesson.next_index(i),),
    )  # fmt: skip
    add_shortcuts(talk_next=["arrowright", " "], talk_prev="arrowleft")


def _go(i: int) -> None:
    put(PAGE, {"talk_step": lesson.STEPS[i].key})


main()
