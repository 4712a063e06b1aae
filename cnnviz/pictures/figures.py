"""Old address of colour scales, colour bars, heatmaps and panel grids: import them from
:mod:`cnnviz.pictures`, which is arranged by technique now.

TODO(lead): remove after callers move (tests/test_page_convolution.py,
tests/test_import_isolation.py, pages/).
"""

from cnnviz.pictures import *  # noqa: F403
