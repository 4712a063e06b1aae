"""The maths a CNN computes, in NumPy and SciPy: what every page shows numbers of.

:mod:`~cnnviz.maths.ops` (convolution, pooling, output sizes, one output cell explained),
:mod:`~cnnviz.maths.kernels` (named kernels, typed kernels), :mod:`~cnnviz.maths.activations`,
:mod:`~cnnviz.maths.detect` (where a feature map lights up), :mod:`~cnnviz.maths.numbers`
(numbers written with a real minus sign), :mod:`~cnnviz.maths.pixels`
(brightness, moving a picture) and :mod:`~cnnviz.maths.invariance` (what pooling keeps when
the picture moves). No TensorFlow, no Streamlit; of cnnviz, only `cnnviz._validate`.
"""
