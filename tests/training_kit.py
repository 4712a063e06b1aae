"""What the training tests share: the small model they train, and a stand-in for a page's stop."""

from cnnviz.learning.model import ModelSpec

#: One conv block of 8 kernels and 32 dense units: seconds to train, still a real CNN.
SMALL = ModelSpec(filters=(8,), dense_units=32, batch_size=32, epochs=2)


class Interrupt(Exception):
    """Stands in for Streamlit's stop exception, raised from inside ``on_update``."""
