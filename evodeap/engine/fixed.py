"""The two control strategies: ``fixed`` (a hand-picked configuration) and ``random``
(random search), no selection, no variation.

``strategy="random"``: every generation is ``population_size`` genomes drawn independently
from ``config.space`` (:meth:`SearchSpace.sample_genome
<evodeap.genome.space.SearchSpace.sample_genome>`, the run's initialisation stream), so
generation 0 is the evolutionary run's initial population for the same seed, and later
generations are fresh draws instead of offspring; no refinement, no elites. A draw seen
before in the run is a cache hit, as in evolution (:func:`run_random`).

The ``fixed`` strategy:

``fixed_schedule="repeat"``: train ``config.fixed_genome`` ``population_size`` times per
generation, each with its own evaluation seed — the same compute per generation as
evolution. ``"continue"``: train it once per generation, continuing its training
(:func:`evaluate_continued`). Both record every generation like the generational loop
(:mod:`evodeap.engine.loop`), so reports, checkpoints and resume treat them alike.
"""
from __future__ import annotations

from typing import Any

from evodeap.config.settings import fixed_epochs
from evodeap.engine.records import EvolutionResult
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.evaluation.failures import check_generation
from evodeap.execution.global_random import seed_global_random
from evodeap.genome.genome import Genome
from evodeap.registry import display_name


def run_fixed(evolution: Any, first: int) -> EvolutionResult:
    """Generations ``first … config.generations`` of the ``fixed`` strategy for ``evolution``
    (the engine's run, :mod:`evodeap.engine.loop`); returns its result."""
    config = evolution.config
    genome = Genome.from_dict(config.fixed_genome)
    continued = config.fixed_schedule == "continue"
    population: list = []
    for generation in range(first, config.generations + 1):
        count = 1 if continued else config.population_size
        population = [evolution.individual(genome, genome.hyperparameters, family=genome.family, birth=generation)
                      for _ in range(count)]
        if continued:
            new, hits = evaluate_continued(evolution, population[0], generation), 0
        else:
            population, new, hits = evolution.evaluate(population, generation, use_cache=False)
        evolution.mu, evolution.beta = None, None
        evolution.record(generation, population, new, hits)
    return evolution.result(population)


def run_random(evolution: Any, first: int) -> EvolutionResult:
    """Generations ``first … config.generations`` of the ``random`` strategy (see the module
    docstring); returns its result. Draws use ``evolution.init_rng``, part of every
    checkpoint, so a resumed run draws what the uninterrupted one would have."""
    config = evolution.config
    population: list = evolution.population
    n = config.population_size
    for generation in range(first, config.generations + 1):
        if generation > 0 and evolution.budget_spent():
            break
        seed_global_random(config.seed, generation)
        population, new, hits = evolution.evaluate(evolution.toolbox.population(n), generation, n)
        evolution.mu, evolution.beta = None, None
        evolution.record(generation, population, new, hits)
    return evolution.result(population)


def evaluate_continued(evolution: Any, individual: Any, generation: int) -> list[EvaluationRecord]:
    """Generation ``generation`` of the ``continue`` schedule: one training of the fixed
    genome to ``(generation + 1)·E`` epochs in all, from the weights of its last ``ok``
    training of an earlier generation (fresh weights when there is none, or its file is
    gone); the evaluation seed is (run seed, generation, 0) as always.

    A generation has one training, so the failure stop (:mod:`evodeap.evaluation.failures`) counts
    the trainings of the last ``population_size`` generations, out of
    ``population_size``: one failed training never stops the run (the next generation
    starts from the last ``ok`` weights), ``population_size`` failed in a row do (with
    ``max_failure_fraction=1.0``) — as many failures as one failed generation of ``repeat``.
    """
    config, evaluator = evolution.config, evolution.evaluator
    previous = evaluator.last_ok(individual.key(), before=generation)
    new = evaluator.evaluate_with_budget(individual, generation, fixed_epochs(config, generation), previous)
    window = config.population_size
    recent = []  # records are in generation order: read back from the end, not the whole run
    for record in reversed(evaluator.evaluations):
        if record.generation <= generation - window:
            break
        if record.generation <= generation:
            recent.append(record)
    recent.reverse()
    check_generation(recent, window, generation, config.max_failure_fraction, display_name(evolution.fitness))
    return new


__all__ = ["evaluate_continued", "run_fixed"]
