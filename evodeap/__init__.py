"""evodeap: evolve Keras deep learning models — hyperparameters and structure — with DEAP."""
from evodeap.errors import EvodeapError
from evodeap.genes import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer
from evodeap.genome import Genome
from evodeap.space import Choice, Integer, Real, SearchSpace

__version__ = "0.1.0"

__all__ = [
    "Choice",
    "ConvBlock",
    "DenseLayer",
    "DropoutLayer",
    "EvodeapError",
    "Genome",
    "Integer",
    "Real",
    "RecurrentLayer",
    "SearchSpace",
    "__version__",
]
