"""cnnviz: the entry point. Sets up the page and the navigation over every page in the registry."""

import gc

import streamlit as st
from threadpoolctl import threadpool_limits

from pages._registry import PAGES

st.set_page_config(page_title="cnnviz — see a CNN think", page_icon="🧠", layout="wide")

#: One stylesheet for every page. On a touch screen (no hover) Plotly's toolbar covered chart
#: titles and legends, and its zoom and pan fight the finger that scrolls the page: hidden
#: there. CSS here rather than ``config={"displayModeBar": False}`` on each chart: one place
#: covers every chart of every page, and a mouse still gets the toolbar (download, zoom).
#: On a short screen (a projector's 720 rows) Streamlit's 6 rem above the title is room an idea
#: needs; 3.5 rem still clears the toolbar.
STYLE = """<style>
@media (hover: none) {
  .js-plotly-plot .modebar-container { display: none !important; }
}
@media (max-height: 800px) {
  [data-testid="stMainBlockContainer"] { padding-top: 3.5rem; }
}
</style>"""
st.html(STYLE)

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
    """Keep the garbage collector's full passes off the objects that live all along.

    A full collection holds the interpreter, so the server serves nothing meanwhile, not even
    the pictures the run just made. On this app's heap (about 90k objects from Streamlit, NumPy,
    Plotly…) one takes tens of milliseconds (figures in bench/README.md). Run once per process,
    before any page: the objects alive then (modules, config) move to the collector's permanent
    generation and a full pass takes a fraction of that. (Streamlit's own full pass after every
    run is switched off in .streamlit/config.toml, `runner.postScriptGC`; Python's collector
    still runs when garbage piles up.) They are still freed by reference counting; only a
    reference cycle among them would never be collected, and they live as long as the server.
    """
    gc.collect()
    gc.freeze()


@st.cache_resource(show_spinner=False)
def _one_blas_thread() -> None:
    """Let NumPy's matrix products run on the calling thread only (once per process).

    The server already runs one thread per visitor's script; OpenBLAS's own pool on top of that
    spins waiting for work, so the model's forward pass on the Inside page cost about twice its
    wall time in CPU (figures in bench/README.md). Training workers are other processes, with
    their own settings.
    """
    threadpool_limits(limits=1, user_api="blas")


_freeze_startup_heap()
_one_blas_thread()
navigation.run()
