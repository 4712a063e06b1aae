"""cnnviz: the entry point. Sets up the page and the navigation over every page in the registry."""

import gc

import streamlit as st

from pages._registry import PAGES

st.set_page_config(page_title="cnnviz — see a CNN think", page_icon="🧠", layout="wide")

navigation = st.navigation(
    [
        st.Page(
            p.path, title=p.title, icon=p.icon, url_path=p.url_path, default=p.url_path == "home"
        )
        for p in PAGES
    ]
)


@st.cache_resource(show_spinner=False)
def _freeze_startup_heap() -> None:
    """Keep Streamlit's after-run garbage collection off the objects that live all along.

    Streamlit runs a full collection after every script or fragment run (`runner.postScriptGC`);
    it holds the interpreter, so the server serves nothing meanwhile, not even the pictures the
    run just made. On this app's heap (about 90k objects from Streamlit, NumPy, Plotly…) that
    pause was 80–90 ms per change on the Pooling page. Run once per process, before any page:
    the objects alive then (modules, config) move to the collector's permanent generation and
    the pause drops to 10–20 ms. They are still freed by reference counting; only a reference
    cycle among them would never be collected, and they live as long as the server anyway.
    """
    gc.collect()
    gc.freeze()


_freeze_startup_heap()
navigation.run()
