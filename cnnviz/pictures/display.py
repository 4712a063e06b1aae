"""Old address of arrays made ready for a browser (encodings, zooms, crops, tables): import them
from :mod:`cnnviz.pictures`, which is arranged by technique now.

TODO(lead): remove after callers move (tests/test_page_convolution.py,
bench/baseline_image_page.py, pages/).
"""

from cnnviz.pictures import *  # noqa: F403
