"""Deep Learning in Public: a learning-in-public publisher and its deep-learning curriculum."""

__version__ = "0.1.0"
