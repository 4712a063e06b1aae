"""The Streamlit side of cnnviz: one file per page, plus shared widgets in the `_` modules."""
