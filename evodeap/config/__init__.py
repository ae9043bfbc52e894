"""An experiment, parsed once: settings, the experiment-file protocol, the resolved run plan.

* :mod:`evodeap.config.settings` — :class:`ExperimentConfig`, its validation and ``--set`` parsing;
* :mod:`evodeap.config.experiment` — the experiment-file protocol (``CONFIG``, ``VARIANTS``,
  ``SEEDS``, ``FACTORS`` …): the one module that reads experiment files;
* :mod:`evodeap.config.resolve` — names to objects once per run: the frozen run plan;
* :mod:`evodeap.config.rates` — where μ(t) and β(t) come from.

``from evodeap.config import ExperimentConfig`` is the public import.
"""
from evodeap.config.settings import ExperimentConfig, comparable, parse_assignments, parse_value

__all__ = ["ExperimentConfig", "comparable", "parse_assignments", "parse_value"]
