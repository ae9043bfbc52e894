"""Plain DEAP tools that draw from the global ``random``/``numpy.random`` states are
reproducible and resumable; fitnesses and runs do not disturb the caller's states."""
from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
from deap import tools

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.state import ResumeState
from evodeap.engine.loop import evolve
from evodeap.evaluation.api import EvalContext, EvalResult, run_evaluation
from evodeap.execution.global_random import GlobalRandom, seed_global_random
from evodeap.fitness.landscape import landscape_value


def deap_config(**changes) -> ExperimentConfig:
    base = ExperimentConfig(population_size=10, generations=4, seed=3, selection=tools.selTournament,
                            selection_params={"tournsize": 3})
    return dataclasses.replace(base, **changes)


def rows(result) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in result.logbook]


def noisy_global(genome, context: EvalContext) -> EvalResult:
    """A fitness that reseeds and draws from the global states (as Keras' set_random_seed does)."""
    random.seed(context.seed)
    np.random.seed(context.seed)
    return EvalResult((landscape_value(genome) + 1e-3 * random.random(),), seed=context.seed)


def test_a_plain_deap_selection_gives_the_same_run_for_the_same_seed():
    random.seed(1)
    first = evolve(deap_config())
    random.seed(2)  # whatever the caller's global state, the run seed decides
    np.random.seed(2)
    second = evolve(deap_config())
    assert rows(first) == rows(second)
    assert [i.key() for i in first.population] == [i.key() for i in second.population]
    assert [i.key() for i in evolve(deap_config(seed=4)).population] != [i.key() for i in first.population]


def test_a_plain_deap_selection_resumes_exactly_from_a_checkpoint():
    full = evolve(deap_config())
    checkpoints = []
    partial = evolve(deap_config(generations=2), on_checkpoint=checkpoints.append)
    state = json.loads(json.dumps(checkpoints[-1]))  # as stored in checkpoint.json
    assert set(state["global_random"]) == {"python", "numpy"}
    random.seed(99)  # a fresh process has another global state
    stored = [(r.generation, r.index, r.genome, r.result) for r in partial.evaluations]
    resumed = evolve(deap_config(), resume=ResumeState(state, stored, logbook=[dict(row) for row in partial.logbook]))
    assert rows(resumed) == rows(full)
    assert [i.key() for i in resumed.population] == [i.key() for i in full.population]


def test_a_run_gives_the_caller_back_its_global_states():
    random.seed(5)
    np.random.seed(5)
    before = GlobalRandom().get_state()
    evolve(deap_config(generations=1), fitness=noisy_global)
    assert GlobalRandom().get_state() == before


def test_a_reseeding_fitness_does_not_reset_the_masters_states_in_a_serial_run():
    random.seed(7)
    np.random.seed(7)
    before = GlobalRandom().get_state()
    genome = ExperimentConfig().space.sample_genome(np.random.default_rng(0))
    run_evaluation(noisy_global, genome, EvalContext(seed=11))
    assert GlobalRandom().get_state() == before
    # and the run's own draws do not depend on what the fitness does to the global states
    plain = evolve(deap_config(generations=2), fitness=lambda g, c: EvalResult((landscape_value(g),), seed=c.seed))
    reseeding = evolve(deap_config(generations=2),
                       fitness=lambda g, c: (random.seed(0), EvalResult((landscape_value(g),), seed=c.seed))[1])
    assert [r.genome.key() for r in plain.evaluations] == [r.genome.key() for r in reseeding.evaluations]


def test_global_states_round_trip_through_json_and_seeding_depends_on_seed_and_generation():
    seed_global_random(3, 1)
    state = json.loads(json.dumps(GlobalRandom().get_state()))
    a = (random.random(), float(np.random.random()))
    GlobalRandom().set_state(state)
    assert (random.random(), float(np.random.random())) == a
    seed_global_random(3, 2)
    assert (random.random(), float(np.random.random())) != a
