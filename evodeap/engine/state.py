"""The engine's checkpointed state (the :class:`~evodeap.stateful.Stateful` protocol) and what a resume starts from.

:func:`engine_state` is everything needed to continue after a completed generation
exactly, as plain JSON: the generation, the population and hall of fame (genome and
fitness of each member), the two ``numpy.random.Generator`` streams (``rng.init``,
``rng.variation``), Python's and NumPy's global random states (``global_random``), the
state of every schedule that has one (``schedules``), μ, β, the search space in force,
the refinements so far and the elapsed seconds. It does **not** hold the logbook: the
rows are stored once, in the results database's ``generations`` table, and a resumed
engine gets them from its caller (:attr:`ResumeState.logbook`). The checkpoint's file
format number is stamped by the run directory (:mod:`evodeap.runs.formats`), not here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalResult
from evodeap.execution.global_random import GlobalRandom
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.operators.refinement import Refinement
from evodeap.results.columns import current_names
from evodeap.stateful import GeneratorState, as_stateful

#: the schedules of a run whose state a checkpoint keeps, by their attribute of the resolved run
SCHEDULE_NAMES = ("mutation_rate", "selection_pressure")


def individual_to_dict(ind: Any) -> dict[str, Any]:
    """``{"genome": ..., "fitness": [...] or None}`` of a DEAP individual."""
    return {"genome": ind.to_dict(), "fitness": list(ind.fitness.values) if ind.fitness.valid else None}


def individual_from_dict(data: dict[str, Any], cls: type) -> Any:
    """The individual of class ``cls`` that :func:`individual_to_dict` described."""
    genome = Genome.from_dict(data["genome"])
    ind = cls(genome, genome.hyperparameters, family=genome.family, birth=genome.birth)
    if data.get("fitness") is not None:
        ind.fitness.values = tuple(data["fitness"])
    return ind


@dataclass
class ResumeState:
    """What a resumed run starts from.

    Attributes:
        checkpoint: the engine state saved after the last completed generation
            (``None`` when the run stopped before generation 0 completed).
        evaluations: every evaluation stored in the results database, as
            (generation, index, genome, result). Those of completed generations fill the
            cache; those of the interrupted generation are *replayed* — used as the result
            of the same (generation, index) instead of training again.
        retry_failures: the run was stopped by user code (an operator error, a generation of
            failed evaluations): failed evaluations of the interrupted generation are
            evaluated again instead of replayed, so the fixed code decides them.
        logbook: the logbook rows of generations ``0 … checkpoint["generation"]`` (at least),
            as stored in the results database's ``generations`` table. ``None``: the rows of
            an old checkpoint that still carries a ``"logbook"`` are used.
    """

    checkpoint: dict[str, Any] | None
    evaluations: list[tuple[int, int, Genome, EvalResult]] = field(default_factory=list)
    retry_failures: bool = False
    logbook: list[dict[str, Any]] | None = None

    def logbook_rows(self) -> list[dict[str, Any]]:
        """The rows of generations ``0 … g`` of the checkpoint (``g``), under today's column names.

        Raises:
            ConfigError: neither the caller nor the checkpoint gives one row per completed generation.
        """
        generation = self.checkpoint["generation"]
        rows = self.logbook if self.logbook is not None else self.checkpoint.get("logbook", [])
        rows = [row for row in map(current_names, rows) if row.get("generation", -1) <= generation]
        if [row.get("generation") for row in rows] != list(range(generation + 1)):
            raise ConfigError(f"resuming after generation {generation} needs the logbook rows of generations "
                              f"0..{generation} (ResumeState.logbook, from the results database); "
                              f"got {len(rows)} row(s)")
        return rows


def engine_state(evolution: Any) -> dict[str, Any]:
    """The state of ``evolution`` (the engine's run, :mod:`evodeap.engine.loop`) after its last recorded generation, as plain JSON (module docstring)."""
    schedules = {}
    for name in SCHEDULE_NAMES:
        stateful = as_stateful(getattr(evolution.ops, name))
        if stateful is not None:
            schedules[name] = stateful.get_state()
    return {
        "generation": evolution.generation,
        "population": [individual_to_dict(ind) for ind in evolution.population],
        "hall_of_fame": [individual_to_dict(ind) for ind in evolution.hof],
        "rng": {"init": GeneratorState(evolution.init_rng).get_state(),
                "variation": GeneratorState(evolution.rng).get_state()},
        "global_random": GlobalRandom().get_state(),
        "schedules": schedules,
        "mu": evolution.mu,
        "beta": evolution.beta,
        "space": evolution.space.to_dict(),
        "refinements": [{"generation": g, **r.to_dict()} for g, r in evolution.refinements],
        "elapsed": evolution.elapsed(),
    }


def restore_engine_state(evolution: Any, state: dict[str, Any]) -> None:
    """Set ``evolution`` to :func:`engine_state` output (``population`` and ``generation`` included).

    Keys added after checkpoints were first written (``global_random``, ``schedules``,
    ``refinements``, ``elapsed``) may be missing; an old checkpoint's ``logbook`` and
    ``format`` are not engine state and are ignored here (see :meth:`ResumeState.logbook_rows`).
    """
    evolution.space = SearchSpace.from_dict(state["space"])
    GeneratorState(evolution.init_rng).set_state(state["rng"]["init"])
    GeneratorState(evolution.rng).set_state(state["rng"]["variation"])
    if "global_random" in state:
        GlobalRandom().set_state(state["global_random"])
    for name, schedule_state in state.get("schedules", {}).items():
        stateful = as_stateful(getattr(evolution.ops, name))
        if stateful is None:
            raise ConfigError(f"the checkpoint holds a state of the {name} schedule, which has no set_state "
                              f"(or load_state_dict) now")
        stateful.set_state(schedule_state)
    evolution.mu, evolution.beta = state["mu"], state["beta"]
    hof_items = [individual_from_dict(d, evolution.individual) for d in state["hall_of_fame"]]
    evolution.hof.items = hof_items
    evolution.hof.keys = [ind.fitness for ind in reversed(hof_items)]
    evolution.refinements = [
        (r["generation"], Refinement(evolution.space, {k: (tuple(o), tuple(n)) for k, (o, n) in r["changes"].items()}))
        for r in state.get("refinements", [])
    ]
    evolution.elapsed_before = float(state.get("elapsed", 0.0))
    evolution.generation = state["generation"]
    evolution.population = [individual_from_dict(d, evolution.individual) for d in state["population"]]


__all__ = ["ResumeState", "engine_state", "individual_from_dict", "individual_to_dict", "restore_engine_state"]
