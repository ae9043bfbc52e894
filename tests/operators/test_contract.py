"""The operator contract is checked after every call: a faulty operator gets a message that
names it, a DEAP-style new individual is adopted, output outside the space is repaired or
refused, and a run stopped by an operator resumes once it is fixed."""
from __future__ import annotations

import dataclasses
import sqlite3
import warnings

import numpy as np
import pytest
from hypothesis import given

from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig
from evodeap.operators.contract import OperatorContract
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError, OperatorError
from evodeap.genome.genes import DenseLayer
from evodeap.genome.genome import Genome
from evodeap.operators.registry import CROSSOVERS, MUTATIONS
from evodeap.genome.space import SearchSpace
from strategies import SETTINGS, sample, seeds, spaces, wide_parent

import evodeap.genome.individual  # noqa: F401  (creator.Individual)
from deap import creator


def small(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=8, generations=3, seed=4), **changes)


# -- custom operators with faults -------------------------------------------------------
def raising_mutation(ind, *, space, rng, indpb=0.05):
    raise ZeroDivisionError("division by zero")


def bare_mutation(ind, *, space, rng, indpb=0.05):
    return ind


def new_individual_mutation(ind, *, space, rng, indpb=0.05):
    """DEAP users do this: build a new individual and return it, leaving the argument alone."""
    child = space.sample_genome(rng)
    return (Genome(list(child), child.hyperparameters, family=child.family),)


def out_of_space_mutation(ind, *, space, rng, indpb=0.05):
    ind.hyperparameters = {**ind.hyperparameters, "learning_rate": 10.0}
    return (ind,)


def not_a_genome_mutation(ind, *, space, rng, indpb=0.05):
    ind.append("dense")
    return (ind,)


def list_crossover(a, b, *, space, rng):
    return [a, b]


def swapping_crossover(a, b, *, space, rng):
    return b, a  # new objects for each position: adopted crosswise


def copying_selection(individuals, k, *, rng):
    import copy

    return [copy.deepcopy(ind) for ind in individuals[:k]]


def short_selection(individuals, k, *, rng):
    return list(individuals[: k - 1])


@pytest.mark.parametrize("changes, message", [
    ({"mutation": raising_mutation},
     r"mutation test_contract\.raising_mutation raised ZeroDivisionError: division by zero at .*test_contract\.py:\d+"),
    ({"mutation": bare_mutation},
     r"mutation test_contract\.bare_mutation must return a 1-tuple \(ind,\).*it returned the individual itself"),
    ({"mutation": not_a_genome_mutation},
     r"mutation test_contract\.not_a_genome_mutation returned something that is not a genome .*layer \d is str"),
    ({"crossover": list_crossover, "cxpb": 1.0},
     r"crossover test_contract\.list_crossover must return a tuple \(ind1, ind2\).*it returned a list of 2"),
    ({"selection": copying_selection, "selection_params": {}},
     r"selection test_contract\.copying_selection returned, at position 0, .* not one of the individuals"),
    ({"selection": short_selection, "selection_params": {}},
     r"selection test_contract\.short_selection must return a list of k=\d+ .* it returned a list of \d+"),
    ({"mutation": out_of_space_mutation, "invalid_offspring": "error"},
     r"mutation test_contract\.out_of_space_mutation returned a genome outside the search space: "
     r"learning_rate=10\.0 outside Real"),
    ({"selection": "boltzmann", "selection_params": {"beta": 1.0},
      "survival": lambda individuals, k: (_ for _ in ()).throw(KeyError("age"))},
     r"survival test_contract\.<lambda> raised KeyError: 'age'"),
])
def test_a_faulty_operator_gets_one_message_naming_it(changes, message):
    with pytest.raises(OperatorError, match=message):
        evolve(small(**changes))


def test_a_mutation_that_returns_a_new_individual_is_adopted():
    result = evolve(small(mutation=new_individual_mutation, cxpb=0.0))
    assert all(row["nevals"] > 0 for row in result.logbook)  # generations after 0 evaluate its offspring
    first = {r.genome.key() for r in result.evaluations if r.generation == 0}
    assert {r.genome.key() for r in result.evaluations if r.generation == 3} - first


def test_a_crossover_that_returns_its_arguments_swapped_is_adopted_crosswise():
    space = SearchSpace()
    a, b = sample(space, 1, cls=creator.Individual, n=2)
    before_a, before_b = a.key(), b.key()
    contract = OperatorContract(space, np.random.default_rng(0))
    checked = contract.variation("crossover", "swap", lambda x, y: swapping_crossover(x, y, space=space, rng=None), 2)
    returned = checked(a, b)
    assert returned[0] is a and returned[1] is b
    assert (a.key(), b.key()) == (before_b, before_a)


def test_output_outside_the_space_is_repaired_counted_and_warned_about_once():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evolve(small(mutation=out_of_space_mutation, cxpb=0.0))
    space = result.space
    assert all(space.contains(r.genome) for r in result.evaluations)
    assert [row["repaired"] for row in result.logbook] == [0, 7, 7, 7]  # 8 minus one elite per generation
    messages = [str(w.message) for w in caught if "outside the search space" in str(w.message)]
    assert len(messages) == 1 and "out_of_space_mutation" in messages[0]


def test_unknown_policy_is_a_config_error():
    with pytest.raises(ConfigError, match="invalid_offspring must be one of 'repair', 'error'"):
        small(invalid_offspring="ignore").validate()


def test_after_a_refinement_every_offspring_lies_inside_the_new_space():
    """Members bred before a refinement are kept as they are; every offspring bred after it —
    varied or a plain copy of its parent — lies inside the space then in force."""
    config = small(population_size=20, generations=9, refine_every=3, mutpb=0.3, cxpb=0.3, elitism=1)
    outside = []

    def check(report):
        if report.generation:
            outside.extend(report.space.violations(ind) for ind in report.population[config.elitism:]
                           if report.space.violations(ind))

    result = evolve(config, callback=check)
    assert result.refinements and outside == []


@SETTINGS
@given(space=spaces(), seed=seeds)
def test_registered_operators_keep_the_contract_so_the_check_changes_nothing(space, seed):
    for name, crossover in CROSSOVERS.items():
        plain = [wide_parent(space, seed, creator.Individual), wide_parent(space, seed + 1, creator.Individual)]
        checked_args = [creator.Individual(g, g.hyperparameters, family=g.family) for g in plain]
        crossover(*plain, space=space, rng=np.random.default_rng(seed))
        contract = OperatorContract(space, np.random.default_rng(seed), policy="error")
        run = contract.variation("crossover", name, lambda a, b: crossover(a, b, space=space,
                                                                           rng=np.random.default_rng(seed)), 2)
        assert [g.key() for g in run(*checked_args)] == [g.key() for g in plain]
    for name, mutation in MUTATIONS.items():
        plain = wide_parent(space, seed, creator.Individual)
        checked_arg = creator.Individual(plain, plain.hyperparameters, family=plain.family)
        mutation(plain, space=space, rng=np.random.default_rng(seed))
        contract = OperatorContract(space, np.random.default_rng(seed), policy="error")
        run = contract.variation("mutation", name, lambda a: mutation(a, space=space, rng=np.random.default_rng(seed)), 1)
        assert run(checked_arg)[0].key() == plain.key() and contract.repaired == 0


def test_confine_repairs_only_what_lies_outside():
    space = SearchSpace()
    contract = OperatorContract(space, np.random.default_rng(0))
    inside = sample(space, 3)[0]
    assert not contract.confine(inside) and contract.take_repaired() == 0
    outside = Genome(list(inside) + [DenseLayer(8, "relu")] * 6, inside.hyperparameters, family="cnn")
    assert contract.confine(outside) and space.contains(outside) and contract.take_repaired() == 1


# -- through the command line: exit 2, one line, resumable after the fix ------------------------
EXPERIMENT = '''
from evodeap.config.settings import ExperimentConfig
from evodeap.operators.mutation import mut_split

def mutate(ind, *, space, rng, indpb=0.05):
    {body}

CONFIG = ExperimentConfig(population_size=6, generations=2, seed=1, mutation=mutate)
'''


def test_a_raising_operator_stops_the_run_with_one_line_and_the_fixed_file_resumes_it(tmp_path, capsys):
    experiment, out = tmp_path / "exp.py", tmp_path / "run"
    experiment.write_text(EXPERIMENT.format(body="raise RuntimeError('forgot to return')"))
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "mutation evodeap_experiment.mutate raised RuntimeError: forgot to return" in err
    assert f"resume with: evodeap resume {out}" in err
    with sqlite3.connect(out / "results.sqlite") as conn:
        assert conn.execute("SELECT status FROM runs").fetchone() == ("failed",)
    experiment.write_text(EXPERIMENT.format(body="return mut_split(ind, space=space, rng=rng, indpb=indpb)"))
    assert main(["resume", str(out), "--quiet"]) == 0
    with sqlite3.connect(out / "results.sqlite") as conn:
        assert conn.execute("SELECT status FROM runs").fetchone() == ("finished",)
        assert conn.execute("SELECT MAX(generation) FROM evaluations").fetchone() == (2,)


def test_a_study_stopped_by_an_operator_says_to_resume_the_study(tmp_path, capsys):
    experiment, out = tmp_path / "study.py", tmp_path / "study"
    experiment.write_text(EXPERIMENT.format(body="raise RuntimeError('broken')") + "VARIANTS = {'a': {}}\nSEEDS = [0]\n")
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"resume the study with: evodeap resume {out}" in err
