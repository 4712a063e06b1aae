"""Home: what the app teaches, in a few lines, and a link to every page."""

import streamlit as st

from pages._registry import PAGES, ensure_app_navigation

ensure_app_navigation()
st.title("See how a convolutional neural network works")
st.markdown(
    "A convolutional neural network (CNN) recognises pictures in three steps: small **kernels** "
    "slide over the image and light up where a local pattern appears, **pooling** keeps the "
    "strongest responses so a small shift does not matter, and **fully connected** layers turn "
    "the pattern of responses into a decision. Each page below lets you change one of these "
    "steps and see every number that changes with it."
)
st.markdown(
    "Nothing here needs a network connection: the sample pictures and a 5,000-digit sample of "
    "the MNIST handwriting data ship with the app's own dependencies."
)

for page in PAGES:
    if page.url_path == "home":
        continue
    st.page_link(page.path, label=f"**{page.title}** — {page.summary}", icon=page.icon)
