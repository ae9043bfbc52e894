"""Genome: exact JSON round trip, canonical key, equality, pickling, copying, errors."""
from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import numpy as np
import pytest
from deap import creator
from hypothesis import given
from hypothesis import strategies as st

import evodeap.genome.individual  # noqa: F401  (registers creator.Individual / IndividualMulti)
from evodeap.errors import GenomeError
from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer, gene_from_dict, gene_to_dict
from evodeap.genome.genome import Genome
from evodeap.genome.individual import individual_class, to_individual
from evodeap.genome.space import SearchSpace
from strategies import SETTINGS, families, sample, seeds


def example() -> Genome:
    return Genome(
        [ConvBlock(32, 3, "relu", "max"), DropoutLayer(0.25), DenseLayer(64, "elu")],
        {"learning_rate": 0.001, "batch_size": 32, "optimizer": "adam", "dropout": 0.0, "epochs": 5},
        family="cnn",
        birth=4,
    )


# -- JSON round trip -------------------------------------------------------------------
def test_json_round_trip_is_exact_for_an_example():
    g = example()
    back = Genome.from_json(g.to_json())
    assert back == g
    assert back.birth == 4 and back.family == "cnn"
    assert list(back) == list(g)
    assert back.hyperparameters == g.hyperparameters
    assert back.to_json() == g.to_json()


def test_json_round_trip_preserves_int_versus_float():
    g = example()
    back = Genome.from_json(g.to_json())
    assert type(back.hyperparameters["dropout"]) is float  # 0.0 must not come back as 0
    assert type(back.hyperparameters["batch_size"]) is int
    assert type(back.hyperparameters["epochs"]) is int
    assert type(back.hyperparameters["learning_rate"]) is float
    assert type(back[0].filters) is int and type(back[1].rate) is float
    whole = Genome([DropoutLayer(1.0)], {"x": 2.0, "y": 2}, family="cnn")
    again = Genome.from_json(whole.to_json())
    assert type(again[0].rate) is float and type(again.hyperparameters["x"]) is float
    assert type(again.hyperparameters["y"]) is int


@SETTINGS
@given(family=families, seed=seeds)
def test_json_and_dict_round_trip_of_sampled_genomes(family, seed):
    g = sample(SearchSpace(family=family), seed)[0]
    g.birth = seed % 100
    for back in (Genome.from_json(g.to_json()), Genome.from_dict(json.loads(json.dumps(g.to_dict())))):
        assert back == g and back.key() == g.key() and back.birth == g.birth
        assert [type(x) for x in back] == [type(x) for x in g]
        assert {k: type(v) for k, v in back.hyperparameters.items()} == {
            k: type(v) for k, v in g.hyperparameters.items()
        }
        assert back.to_json() == g.to_json()


def test_to_dict_has_plain_json_values_and_genes_use_kind_tags():
    d = example().to_dict()
    assert set(d) == {"family", "layers", "hyperparameters", "birth"}
    assert d["layers"][0] == {"kind": "conv", "filters": 32, "kernel_size": 3, "activation": "relu", "pooling": "max"}
    assert d["layers"][1] == {"kind": "dropout", "rate": 0.25}
    json.dumps(d)  # must not raise


@pytest.mark.parametrize(
    "gene", [ConvBlock(8, 5, "tanh", "none"), RecurrentLayer(16, "tanh"), DenseLayer(7, "relu"), DropoutLayer(0.5)]
)
def test_gene_dict_round_trip(gene):
    assert gene_from_dict(gene_to_dict(gene)) == gene
    assert type(gene_from_dict(gene_to_dict(gene))) is type(gene)


def test_from_dict_without_birth_defaults_to_zero():
    d = example().to_dict()
    del d["birth"]
    assert Genome.from_dict(d).birth == 0


# -- key and equality ------------------------------------------------------------------
def test_key_ignores_birth_but_equality_and_key_follow_content():
    a, b = example(), example()
    b.birth = 99
    assert a == b and a.key() == b.key()
    assert len(a.key()) == 16 and int(a.key(), 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        lambda g: g.hyperparameters.__setitem__("epochs", 6),
        lambda g: g.hyperparameters.__setitem__("extra", 1),
        lambda g: g.hyperparameters.pop("optimizer"),
        lambda g: g.__setitem__(0, dataclasses.replace(g[0], filters=33)),
        lambda g: g.__setitem__(0, dataclasses.replace(g[0], pooling="avg")),
        lambda g: g.reverse(),
        lambda g: g.pop(),
        lambda g: g.append(DropoutLayer(0.1)),
        lambda g: setattr(g, "family", "rnn"),
    ],
)
def test_any_content_change_changes_key_and_equality(change):
    a, b = example(), example()
    change(b)
    assert a != b
    assert not (a == b)
    assert a.key() != b.key()


def test_key_is_independent_of_hyperparameter_insertion_order():
    a = example()
    b = Genome(list(a), dict(reversed(list(a.hyperparameters.items()))), family=a.family)
    assert a.key() == b.key() and a == b


@SETTINGS
@given(family=families, s1=seeds, s2=seeds)
def test_key_equal_iff_content_equal(family, s1, s2):
    space = SearchSpace(family=family)
    a, b = sample(space, s1)[0], sample(space, s2)[0]
    assert (a.key() == b.key()) == (a == b) == (a.canonical() == b.canonical())
    c = Genome.from_json(a.to_json())
    c.birth = a.birth + 1
    assert c.key() == a.key() and c == a


def test_genome_is_unhashable():
    g = example()
    with pytest.raises(TypeError):
        hash(g)


def test_individual_and_plain_genome_with_same_content_are_equal():
    g = example()
    ind = to_individual(g)
    assert isinstance(ind, creator.Individual) and isinstance(ind, Genome)
    assert ind == g and ind.key() == g.key() and not ind.fitness.valid
    plain = ind.plain()
    assert type(plain) is Genome and plain == g and not hasattr(plain, "fitness")


def test_individual_class_by_objectives():
    assert individual_class(1) is creator.Individual
    assert individual_class(3) is creator.IndividualMulti
    assert individual_class((1.0, 1.0, 1.0)) is creator.IndividualMulti
    two = individual_class(2)
    assert issubclass(two, Genome) and two.fitness.weights == (1.0, 1.0)
    mixed = individual_class((1.0, -1.0, 0.5, 2.0))
    assert mixed is individual_class([1, -1, 0.5, 2]) and mixed.fitness.weights == (1.0, -1.0, 0.5, 2.0)
    for bad in (0, (), (1.0, 0.0), (float("nan"),)):
        with pytest.raises(ValueError):
            individual_class(bad)


def test_individual_with_minimised_objective_pickles_and_compares():
    a, b = to_individual(example(), (1.0, -1.0)), to_individual(example(), (1.0, -1.0))
    a.fitness.values, b.fitness.values = (0.5, 10.0), (0.5, 20.0)
    assert a.fitness.dominates(b.fitness) and not b.fitness.dominates(a.fitness)
    back = pickle.loads(pickle.dumps(a))  # DEAP re-creates the creator class on unpickling
    assert type(back) is individual_class((1.0, -1.0)) and back.fitness.values == (0.5, 10.0)
    assert back.fitness.weights == (1.0, -1.0)


# -- pickling and copying --------------------------------------------------------------
def test_plain_genome_pickles_exactly():
    g = example()
    back = pickle.loads(pickle.dumps(g))
    assert type(back) is Genome and back == g and back.birth == g.birth
    assert back.to_json() == g.to_json()


def test_creator_individual_pickles_with_fitness():
    ind = to_individual(example())
    ind.fitness.values = (0.75,)
    back = pickle.loads(pickle.dumps(ind))
    assert type(back) is creator.Individual
    assert back == ind and back.birth == 4 and back.fitness.values == (0.75,)
    multi = to_individual(example(), 3)
    multi.fitness.values = (0.5, -2.0, 1.0)
    back = pickle.loads(pickle.dumps(multi))
    assert type(back) is creator.IndividualMulti and back.fitness.values == (0.5, -2.0, 1.0)


@pytest.mark.parametrize("make", [example, lambda: to_individual(example())])
def test_deepcopy_is_independent(make):
    original = make()
    before = original.to_json()
    clone = copy.deepcopy(original)
    assert clone == original and type(clone) is type(original)
    clone.hyperparameters["learning_rate"] = 0.05
    clone.hyperparameters["new"] = 1
    clone[0] = DenseLayer(8, "relu")
    clone.append(DropoutLayer(0.1))
    clone.birth = 100
    assert original.to_json() == before


def test_plain_copy_does_not_share_hyperparameters():
    g = example()
    p = g.plain()
    p.hyperparameters["epochs"] = 1
    assert g.hyperparameters["epochs"] == 5


def test_constructor_copies_the_hyperparameter_mapping():
    hyper = {"a": 1}
    g = Genome([], hyper)
    hyper["a"] = 2
    assert g.hyperparameters == {"a": 1}


@pytest.mark.parametrize("gene", [ConvBlock(8, 3, "relu", "max"), RecurrentLayer(8, "tanh"), DenseLayer(8, "relu"), DropoutLayer(0.1)])
def test_genes_are_frozen(gene):
    name = dataclasses.fields(gene)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(gene, name, 1)


# -- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, fragment",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ("null", "JSON object"),
        ('{"layers": [], "hyperparameters": {}}', "family"),
        ('{"family": "cnn", "hyperparameters": {}}', "layers"),
        ('{"family": "cnn", "layers": []}', "hyperparameters"),
        ('{"family": "cnn", "layers": {}, "hyperparameters": {}}', "must be a list"),
        ('{"family": "cnn", "layers": [], "hyperparameters": []}', "must be a list"),
        ('{"family": "cnn", "layers": [{"kind": "attention", "units": 3}], "hyperparameters": {}}', "unknown layer kind 'attention'"),
        ('{"family": "cnn", "layers": [{"units": 3}], "hyperparameters": {}}', "'kind'"),
        ('{"family": "cnn", "layers": [5], "hyperparameters": {}}', "'kind'"),
        ('{"family": "cnn", "layers": [{"kind": "dense", "units": 3}], "hyperparameters": {}}', "needs fields"),
        ('{"family": "cnn", "layers": [{"kind": "dropout", "rate": 0.1, "x": 1}], "hyperparameters": {}}', "needs fields"),
    ],
)
def test_bad_json_raises_genome_error_with_clear_message(text, fragment):
    with pytest.raises(GenomeError, match=None) as info:
        Genome.from_json(text)
    assert fragment in str(info.value)


def test_unknown_kind_error_lists_known_kinds():
    with pytest.raises(GenomeError) as info:
        gene_from_dict({"kind": "attention"})
    for kind in ("conv", "dense", "dropout", "rnn"):
        assert kind in str(info.value)


def test_describe_names_every_layer():
    assert example().describe() == "conv32k3relu-max > drop0.25 > dense64elu"


def test_the_remembered_key_follows_every_change():
    """key() is remembered per genome; any edit — a gene replaced, added or removed, a hyperparameter
    changed (0.0 to -0.0 and 1 to 1.0 included), the family — gives the key computed from scratch."""
    import copy
    import hashlib

    import numpy as np

    from evodeap.genome.space import SearchSpace

    space = SearchSpace(family="cnn")
    rng = np.random.default_rng(5)
    genome = space.sample_genome(rng)

    def fresh(g):
        return hashlib.sha256(g._canonical_text().encode()).hexdigest()[:16]

    edits = [
        lambda g: g.__setitem__(0, space.sample_genome(rng)[0]),
        lambda g: g.append(g[-1]),
        lambda g: g.pop(),
        lambda g: g.hyperparameters.__setitem__("dropout", 0.0),
        lambda g: g.hyperparameters.__setitem__("dropout", -0.0),
        lambda g: g.hyperparameters.__setitem__("epochs", 1),
        lambda g: g.hyperparameters.__setitem__("epochs", 1.0),
        lambda g: setattr(g, "family", "rnn"),
    ]
    for edit in edits:
        before = genome.key()
        clone = copy.deepcopy(genome)
        assert clone.key() == before == fresh(clone)
        edit(genome)
        assert genome.key() == fresh(genome)
        assert clone.key() == before  # the copy did not change
