"""The generational loop: reproducibility, caching, schedules, refinement, failures."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from deap import algorithms, tools

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.toolbox import build_toolbox
from evodeap.engine.records import diversity
from evodeap.engine.loop import evolve
from evodeap.evaluation.api import EvalResult
from evodeap.fitness.landscape import LandscapeFitness, landscape_value
from evodeap.genome.space import Choice, SearchSpace


def small_config(**changes) -> ExperimentConfig:
    base = ExperimentConfig(population_size=12, generations=4, seed=7, refine_every=2)
    return dataclasses.replace(base, **changes)


def logbook_rows(result) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in result.logbook]


def test_same_seed_gives_identical_run():
    a, b = evolve(small_config()), evolve(small_config())
    assert logbook_rows(a) == logbook_rows(b)
    assert [g.key() for g in a.population] == [g.key() for g in b.population]
    assert a.best == b.best


def test_different_seed_gives_different_run():
    a, b = evolve(small_config(seed=1)), evolve(small_config(seed=2))
    assert [g.key() for g in a.population] != [g.key() for g in b.population]


def test_serial_and_two_workers_give_identical_runs():
    serial = evolve(small_config(generations=2))
    parallel = evolve(small_config(generations=2, executor="process", workers=2))
    assert logbook_rows(serial) == logbook_rows(parallel)
    assert [r.result.seed for r in serial.evaluations] == [r.result.seed for r in parallel.evaluations]


def test_no_genome_is_evaluated_twice_and_hits_are_counted():
    # a tiny space forces repeats, so the cache must serve them
    space = SearchSpace(
        hyperparameters={"learning_rate": Choice((0.001, 0.01)), "batch_size": Choice((32,))},
        layers={
            "conv": {"filters": Choice((16,)), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                     "pooling": Choice(("max",))},
            "dense": {"units": Choice((8, 16)), "activation": Choice(("relu",))},
            "dropout": {"rate": Choice((0.1,))},
        },
        min_layers=2, max_layers=3,
    )
    result = evolve(small_config(space=space, refine_every=0, generations=5))
    keys = [r.genome.key() for r in result.evaluations]
    assert len(keys) == len(set(keys))
    assert sum(row["cache_hits"] for row in result.logbook) > 0


def test_evaluation_seeds_depend_on_generation_and_index_only():
    result = evolve(small_config(generations=1))
    from evodeap.evaluation.api import evaluation_seed

    for record in result.evaluations:
        assert record.result.seed == evaluation_seed(7, record.generation, record.index)


def test_schedules_are_applied_and_logged():
    config = small_config(
        mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.5},
        selection_pressure={"name": "linear", "start": 1.0, "slope": 2.0},
    )
    result = evolve(config)
    for row in result.logbook:
        assert row["mu"] == pytest.approx(0.05 * math.exp(-0.5 * row["generation"]))
        assert row["beta"] == pytest.approx(1.0 + 2.0 * row["generation"])


def test_elitism_keeps_best_fitness_monotone():
    result = evolve(small_config(generations=6, elitism=1))
    best = [row["best"] for row in result.logbook]
    assert all(b2 >= b1 for b1, b2 in zip(best, best[1:]))


def test_refinement_narrows_space_and_population_stays_valid():
    result = evolve(small_config(generations=4, refine_every=2))
    assert [gen for gen, _ in result.refinements] == [2, 4]
    lr = result.space.hyperparameters["learning_rate"]
    assert lr.high - lr.low < 0.1 - 1e-4
    for record in result.evaluations:
        in_force = [ref.space for gen, ref in result.refinements if gen <= record.generation]
        if in_force:  # every genome evaluated after a refinement lies inside the space then in force
            assert in_force[-1].violations(record.genome) == []


def test_failures_are_recorded_and_do_not_stop_the_run():
    def flaky(genome, context):
        if len(genome) % 2:
            raise RuntimeError("cannot build")
        return EvalResult(fitness=(landscape_value(genome),), seed=context.seed)

    result = evolve(small_config(), fitness=flaky)
    failed = [r for r in result.evaluations if r.result.status == "error"]
    assert failed and all("cannot build" in r.result.message for r in failed)
    assert all(r.result.fitness == (-1.0,) for r in failed)
    assert sum(row["failures"] for row in result.logbook) == len(failed)


def test_nan_fitness_becomes_status_nan():
    result = evolve(small_config(generations=0, max_failure_fraction=None),  # all fail: do not stop
                    fitness=lambda g, c: EvalResult(fitness=(float("nan"),)))
    assert {r.result.status for r in result.evaluations} == {"nan"}


def test_callback_sees_every_generation():
    seen = []
    evolve(small_config(generations=3), callback=lambda report: seen.append(report.generation))
    assert seen == [0, 1, 2, 3]


def test_regularized_evolution_with_aging_survival():
    result = evolve(small_config(selection="tournament", selection_params={"tournsize": 3},
                                 survival="aging", generations=3))
    assert len(result.population) == 12
    assert min(ind.birth for ind in result.population) >= 1  # the initial population aged out


def test_nsga2_with_three_objectives():
    @dataclasses.dataclass(frozen=True)
    class ThreeObjective:
        n_objectives: int = 3

        def __call__(self, genome, context):
            a = landscape_value(genome)
            return EvalResult(fitness=(a, -len(genome) / 7, genome.hyperparameters["dropout"]), seed=context.seed)

    result = evolve(small_config(selection="tournament", selection_params={}, survival="nsga2", refine_every=0),
                    fitness=ThreeObjective())
    assert all(len(ind.fitness.values) == 3 for ind in result.population)
    assert len(result.hall_of_fame) >= 1


def test_toolbox_works_with_deap_algorithms():
    config = small_config()
    toolbox = build_toolbox(config, rng=np.random.default_rng(0))
    population = toolbox.population(n=10)
    hof = tools.HallOfFame(1)
    final, logbook = algorithms.eaMuPlusLambda(population, toolbox, mu=10, lambda_=20, cxpb=0.5, mutpb=0.4,
                                               ngen=3, halloffame=hof, verbose=False)
    assert len(final) == 10
    assert all(config.space.contains(ind) for ind in final)
    assert hof[0].fitness.values[0] == pytest.approx(landscape_value(hof[0]))


def test_evolution_beats_random_search_on_the_landscape():
    evaluations = 12 * 11
    rng = np.random.default_rng(0)
    space = SearchSpace()
    random_best = max(landscape_value(space.sample_genome(rng)) for _ in range(evaluations))
    result = evolve(small_config(generations=20, refine_every=0, selection_params={"beta": 20.0}))
    assert result.best.fitness.values[0] > random_best


def test_diversity_is_zero_for_identical_genomes_and_positive_otherwise():
    space = SearchSpace()
    rng = np.random.default_rng(0)
    g = space.sample_genome(rng)
    assert diversity([g, g.plain(), g.plain()], space) == 0.0
    assert diversity([space.sample_genome(rng) for _ in range(5)], space) > 0.0


def test_landscape_fitness_is_picklable_and_seeded_noise():
    import pickle

    fit = pickle.loads(pickle.dumps(LandscapeFitness(noise=0.1)))
    from evodeap.evaluation.api import EvalContext

    g = SearchSpace().sample_genome(np.random.default_rng(3))
    assert fit(g, EvalContext(seed=5)).fitness == fit(g, EvalContext(seed=5)).fitness
    assert fit(g, EvalContext(seed=5)).fitness != fit(g, EvalContext(seed=6)).fitness
