"""The genetic algorithm: the generational loop over a resolved run plan.

* :mod:`evodeap.engine.loop` — :func:`evolve`: initialise, evaluate, record, select, vary;
* :mod:`evodeap.engine.toolbox` — the run's DEAP toolbox, built once and rebound per generation;
* :mod:`evodeap.engine.fixed` — the ``fixed`` strategy (``repeat`` and ``continue`` schedules) and
  the ``random`` strategy (random search: fresh draws from the space every generation);
* :mod:`evodeap.engine.state` — the checkpointed engine state (``get_state``/``set_state``) and ``ResumeState``;
* :mod:`evodeap.engine.restorable` — whether a checkpoint fits a run's plan (a dry restore);
* :mod:`evodeap.engine.records` — logbook fields and rows, the generation report, the result, diversity;
* :mod:`evodeap.engine.steady_state` — :func:`~evodeap.engine.steady_state.steady_state`:
  regularized (asynchronous, steady-state) evolution over an executor's queue;
* :mod:`evodeap.engine.progress` — console progress bars over generations and evaluations.
"""
from evodeap.engine.loop import evolve
from evodeap.engine.records import EvolutionResult, GenerationReport
from evodeap.engine.state import ResumeState
from evodeap.engine.toolbox import build_toolbox

__all__ = ["EvolutionResult", "GenerationReport", "ResumeState", "build_toolbox", "evolve"]
