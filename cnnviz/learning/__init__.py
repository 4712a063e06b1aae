"""Learning: the digits, the article's Keras model, training it and looking inside it.

:mod:`~cnnviz.learning.data` (MNIST: the bundled sample or the full set),
:mod:`~cnnviz.learning.digits` (a drawn or photographed digit made MNIST-like),
:mod:`~cnnviz.learning.model` (the model's spec, cost and Keras code),
:mod:`~cnnviz.learning.training` (a training's record and limits),
:mod:`~cnnviz.learning.worker` (trainings in worker processes and the pool that runs them),
:mod:`~cnnviz.learning.probe` (a trained model's layer outputs, saliency, shift curves),
:mod:`~cnnviz.learning.nn` (the model's forward and backward pass in NumPy, from its weights).
TensorFlow is imported only inside the functions that need it.
"""
