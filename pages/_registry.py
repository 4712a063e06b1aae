"""The list of pages: one home for their titles, icons, URLs and one-line summaries.

`app.py` builds the navigation from it and the home page links every entry, so a page is
added in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to the app's root
    title: str
    icon: str
    url_path: str
    summary: str


PAGES: list[PageInfo] = [
    PageInfo("pages/home.py", "Home", ":material/home:", "home", "What this app teaches."),
    PageInfo(
        "pages/convolution.py",
        "Convolution",
        ":material/blur_on:",
        "convolution",
        "Slide a kernel over a picture, see the feature map and every multiply-and-add behind it.",
    ),
    PageInfo(
        "pages/pooling.py",
        "Pooling",
        ":material/grid_view:",
        "pooling",
        "Max and average pooling, and why a feature moved by a pixel still gives the same answer.",
    ),
    PageInfo(
        "pages/learn.py",
        "Learn",
        ":material/school:",
        "learn",
        "How a network learns: the loss of an answer, one gradient step with every number shown.",
    ),
    PageInfo(
        "pages/train.py",
        "Train",
        ":material/model_training:",
        "train",
        "Build the article's Keras CNN, train it live on handwritten digits, see what it learned.",
    ),
    PageInfo(
        "pages/inside.py",
        "Inside the model",
        ":material/neurology:",
        "inside",
        "Follow one digit, drawn or picked, through every layer to the model's decision.",
    ),
    PageInfo(
        "pages/filters.py",
        "What the filters see",
        ":material/filter_center_focus:",
        "filters",
        "Receptive fields, occlusion, top examples, Grad-CAM and feature pictures of the model.",
    ),
    PageInfo(
        "pages/own.py",
        "Your own classes",
        ":material/photo_camera:",
        "own",
        "Teach the CNN your own things from a camera, files or a zip; train it, look inside.",
    ),
    PageInfo(
        "pages/talk.py",
        "Talk",
        ":material/co_present:",
        "talk",
        "Give the article as a talk: one idea per projector screen, → and ← to move on.",
    ),
    PageInfo(
        "pages/audience.py",
        "Audience",
        ":material/groups:",
        "audience",
        "In a talk's audience? Draw a digit on your phone and send it to the screen.",
    ),
]


def ensure_app_navigation() -> None:
    """Hand a page that was opened before ``app.py`` ever ran back to the app's navigation.

    Streamlit treats an app that has a folder called ``pages/`` as an old-style multipage app
    until ``st.navigation`` has run once in the server process. So on a fresh server, a first
    visitor who opens a bookmark such as ``/pooling`` would get that file run on its own, with a
    sidebar listing every module in ``pages/`` (``ui``, ``models``...), and so would everyone
    after them who also lands on a page other than home. Switching that mode off and rerunning
    lets ``app.py`` build the real navigation and open the same page (pages are keyed by their
    URL path in both modes). Every page calls this first; after the first run it does nothing.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
