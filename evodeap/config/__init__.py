"""An experiment, parsed once: settings, the experiment-file protocol, the resolved run plan.

* :mod:`evodeap.config.settings` — :class:`ExperimentConfig`, its validation and ``--set`` parsing;
* :mod:`evodeap.config.experiment` — the experiment-file protocol (``CONFIG``, ``VARIANTS``,
  ``SEEDS``, ``FACTORS`` …): the one module that reads experiment files;
* :mod:`evodeap.config.resolve` — names to objects once per run: the frozen run plan;
* :mod:`evodeap.config.rates` — where μ(t) and β(t) come from;
* :mod:`evodeap.config.fields` — the typed field table: every setting's type, range and bound;
* :mod:`evodeap.config.checks` — checks of single settings, one clear error each;
* :mod:`evodeap.config.overrides` — ``--set key=value``: parsing and applying overrides;
* :mod:`evodeap.config.commands` — ``evodeap operators``: every operator with its parameters;
* :mod:`evodeap.config.presets` — named starting points: :func:`recommended`, the recommended configuration.

``from evodeap.config import ExperimentConfig`` is the public import.
"""
from evodeap.config.overrides import parse_assignments, parse_value
from evodeap.config.settings import ExperimentConfig, comparable

__all__ = ["ExperimentConfig", "comparable", "parse_assignments", "parse_value"]
