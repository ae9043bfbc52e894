"""The genetic algorithm: the generational loop over a resolved run plan.

* :mod:`evodeap.engine.loop` — :func:`evolve`: initialise, evaluate, record, select, vary;
* :mod:`evodeap.engine.steady_state` — :func:`~evodeap.engine.steady_state.steady_state`:
  regularized (asynchronous, steady-state) evolution over an executor's queue;
* :mod:`evodeap.engine.progress` — console progress bars over generations and evaluations.
"""
from evodeap.engine.loop import EvolutionResult, GenerationReport, ResumeState, build_toolbox, evolve

__all__ = ["EvolutionResult", "GenerationReport", "ResumeState", "build_toolbox", "evolve"]
