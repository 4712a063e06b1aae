"""cnnviz: the entry point. Sets up the page and the navigation over every page in the registry."""

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
navigation.run()
