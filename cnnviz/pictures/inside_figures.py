"""Old address of the Inside page's pictures and charts: import them from :mod:`cnnviz.pictures`,
which is arranged by technique now.

TODO(lead): remove after callers move (tests/test_digits.py, pages/inside.py).
"""

from cnnviz.pictures import *  # noqa: F403
