"""evodeap: evolve Keras deep learning models — hyperparameters and structure — with DEAP.

The repository keeps ``operators/`` and ``models/`` at its top level (the user's layout),
but they are imported only as ``evodeap.operators`` and ``evodeap.models``, so a
researcher's own ``operators`` or ``models`` package (first on ``sys.path`` in a notebook)
can never shadow them. An installed wheel holds them inside ``evodeap/`` (setup.cfg's
``package_dir``); in a clone or an editable install :mod:`evodeap._mount` maps the two
names onto the folders beside this package.
"""
from evodeap import _mount

_mount.install()
from evodeap.errors import EvodeapError
from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer
from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Integer, Real, SearchSpace

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
