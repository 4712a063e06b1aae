"""What the training tests share: the small model they train, a stand-in for a page's stop,
and Keras twins of the core's models (TensorFlow is the tests' reference, not the app's)."""

from cnnviz.learning.model import ModelSpec, build_model
from cnnviz.learning.training import TrainedModel

#: One conv block of 8 kernels and 32 dense units: seconds to train, still a real CNN.
SMALL = ModelSpec(filters=(8,), dense_units=32, batch_size=32, epochs=2)


class Interrupt(Exception):
    """Stands in for Streamlit's stop exception, raised from inside ``on_update``."""


def keras_model(trained: TrainedModel):
    """The Keras model with ``trained``'s weights: the reference the core is checked against."""
    model = build_model(trained.spec)
    model.set_weights(trained.weights)
    return model


def fresh_model(spec: ModelSpec, data_name: str = "none") -> TrainedModel:
    """An untrained model for ``spec``, with the random weights Keras starts from (its seed)."""
    return TrainedModel(spec, data_name, build_model(spec).get_weights())


def numpy_model(spec: ModelSpec, data_name: str = "none", seed: int = 0) -> TrainedModel:
    """An untrained model for ``spec`` with starting weights drawn by NumPy (Glorot uniform, as
    Keras draws them, :func:`cnnviz.learning.sgd.glorot_weights`): for a test that needs a model
    of that shape, not Keras' own numbers, without importing TensorFlow (seconds)."""
    from cnnviz.learning.sgd import glorot_weights

    return TrainedModel(spec, data_name, glorot_weights(spec, seed))
