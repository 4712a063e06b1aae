"""cnnviz: the computational core of an app that shows what a convolutional network computes.

Modules: :mod:`cnnviz.ops` (convolution, pooling, output sizes), :mod:`cnnviz.activations`,
:mod:`cnnviz.kernels` (named kernels, parsing typed kernels), :mod:`cnnviz.images` (loading
uploads, sample images), :mod:`cnnviz.figures` (Plotly figures). None of them imports
Streamlit or TensorFlow; the model modules import TensorFlow only when called.
"""

__version__ = "0.1.0"
