"""Lessons: one module per page, from the page's inputs to everything the page shows.

Each lesson function takes plain values (the picture, the kernel, the settings, a trained
model) and returns a frozen dataclass, the page's *view model*: every number, sentence and
picture the page draws. A page reads its controls, calls its lesson and draws the view; to find
where a number on screen comes from, open the page's lesson module. No Streamlit here.
"""
