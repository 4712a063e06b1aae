"""Old address of the Train page's figures: import them from :mod:`cnnviz.pictures`, which is
arranged by technique now.

TODO(lead): remove after callers move (tests/test_training.py, tests/test_model.py, pages/train.py,
pages/_models.py).
"""

from cnnviz.pictures import *  # noqa: F403
