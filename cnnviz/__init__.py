"""cnnviz: the computational core of an app that shows what a convolutional network computes.

Four sub-packages, each leaning only on the ones before it:

* :mod:`cnnviz.maths` — convolution, pooling, kernels, activations, invariance, a model's
  forward and backward pass: NumPy and SciPy only.
* :mod:`cnnviz.pictures` — colour scales, encodings, zooms, tile grids and Plotly figures;
  loading sample and uploaded pictures.
* :mod:`cnnviz.learning` — MNIST, the article's Keras model, trainings in worker processes,
  looking inside a trained model (TensorFlow imported only when a function needs it).
* :mod:`cnnviz.lessons` — one module per page: the page's inputs in, a frozen view model out,
  holding every number, sentence and picture the page shows.

Nothing here imports Streamlit; ``import cnnviz`` imports nothing heavy.
"""

__version__ = "0.1.0"
