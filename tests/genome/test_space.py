"""SearchSpace: defaults, unit mapping, validation, sampling, serialisation, ordering."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evodeap.errors import SearchSpaceError
from evodeap.kinds.views import FAMILIES, get_family
from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer
from evodeap.genome.genome import Genome
from evodeap.genome.space import (
    Choice,
    Integer,
    Real,
    SearchSpace,
    default_layer_domains,
    domain_from_dict,
    order_layers,
)
from strategies import SETTINGS, families, sample, seeds, spaces

C = ConvBlock(16, 3, "relu", "max")
R = RecurrentLayer(16, "tanh")
D = DenseLayer(16, "relu")
X = DropoutLayer(0.2)


# -- defaults ----------------------------------------------------------------------------
def test_defaults_follow_the_paper():
    s = SearchSpace()
    assert s.family == "cnn" and (s.min_layers, s.max_layers) == (3, 7)
    assert s.hyperparameters["learning_rate"] == Real(1e-4, 1e-1, log=True)
    assert set(s.hyperparameters) == {"learning_rate", "batch_size", "optimizer", "dropout", "epochs"}
    assert s.hyperparameters["optimizer"] == Choice(("adam", "sgd", "rmsprop"))
    assert s.kinds == ("conv", "dense", "dropout")
    assert SearchSpace(family="cnn+rnn").kinds == ("conv", "rnn", "dense", "dropout")


def test_domain_and_gene_paths():
    s = SearchSpace(family="rnn")
    assert s.domain("learning_rate") is s.hyperparameters["learning_rate"]
    assert s.domain("rnn.units") == Integer(8, 128, log=True)
    paths = s.gene_paths()
    assert paths[:5] == list(s.hyperparameters)
    assert "rnn.units" in paths and "dense.activation" in paths and "dropout.rate" in paths
    assert not any(p.startswith("conv.") for p in paths)


def test_with_domain_returns_a_new_validated_space():
    s = SearchSpace()
    t = s.with_domain("epochs", Integer(2, 3))
    assert t.hyperparameters["epochs"] == Integer(2, 3) and s.hyperparameters["epochs"] == Integer(1, 10)
    u = s.with_domain("conv.filters", Integer(16, 32))
    assert u.layers["conv"]["filters"] == Integer(16, 32)
    assert s.layers["conv"]["filters"] == Integer(8, 128, log=True)
    with pytest.raises(SearchSpaceError):
        s.with_domain("epochs", Integer(5, 1))


# -- unit mapping -----------------------------------------------------------------------
def test_real_linear_unit_mapping_exact():
    d = Real(2.0, 6.0)
    assert d.to_unit(2.0) == 0.0 and d.to_unit(6.0) == 1.0 and d.to_unit(3.0) == 0.25
    assert d.from_unit(0.25) == 3.0 and d.from_unit(0.0) == 2.0 and d.from_unit(1.0) == 6.0
    assert d.from_unit(-3.0) == 2.0 and d.from_unit(7.0) == 6.0  # clipped


def test_real_log_unit_mapping_exact():
    d = Real(1e-4, 1e-1, log=True)
    assert d.to_unit(1e-4) == 0.0
    assert d.to_unit(1e-1) == pytest.approx(1.0, abs=1e-15)
    assert d.to_unit(1e-3) == pytest.approx(1 / 3, abs=1e-12)
    assert d.to_unit(1e-2) == pytest.approx(2 / 3, abs=1e-12)
    assert d.from_unit(1 / 3) == pytest.approx(1e-3, rel=1e-12)
    assert d.from_unit(0.5) == pytest.approx(math.sqrt(1e-4 * 1e-1), rel=1e-12)
    assert d.from_unit(1.0) == pytest.approx(1e-1, rel=1e-12) and d.from_unit(0.0) == pytest.approx(1e-4, rel=1e-12)
    assert d.low <= d.from_unit(1.0) <= d.high and d.low <= d.from_unit(0.0) <= d.high


@SETTINGS
@given(low=st.floats(-1e3, 1e3), width=st.floats(1e-2, 1e3), u=st.floats(0, 1))
def test_real_linear_round_trip(low, width, u):
    d = Real(low, low + width)
    v = d.from_unit(u)
    assert d.low <= v <= d.high
    assert d.to_unit(v) == pytest.approx(u, abs=1e-9)


@SETTINGS
@given(low=st.floats(1e-8, 1e3), ratio=st.floats(1.01, 1e6), u=st.floats(0, 1))
def test_real_log_round_trip(low, ratio, u):
    d = Real(low, low * ratio, log=True)
    v = d.from_unit(u)
    assert d.low <= v <= d.high and isinstance(v, float)
    assert d.to_unit(v) == pytest.approx(u, abs=1e-9)


@SETTINGS
@given(low=st.integers(1, 500), span=st.integers(0, 500), log=st.booleans(), data=st.data())
def test_integer_round_trip(low, span, log, data):
    d = Integer(low, low + span, log)
    v = data.draw(st.integers(d.low, d.high))
    back = d.from_unit(d.to_unit(v))
    assert back == v and type(back) is int
    assert d.contains(back) and d.size == span + 1


def test_integer_linear_mapping_exact():
    d = Integer(0, 10)
    assert d.to_unit(5) == 0.5 and d.from_unit(0.5) == 5 and d.from_unit(0.26) == 3
    assert d.from_unit(1.5) == 10 and d.from_unit(-1) == 0
    assert Integer(4, 4).to_unit(4) == 0.5 and Integer(4, 4).from_unit(0.9) == 4


@pytest.mark.parametrize("options", [("a",), ("adam", "sgd", "rmsprop"), (16, 32, 64, 128)])
def test_choice_round_trip_and_centres(options):
    d = Choice(options)
    n = len(options)
    for i, o in enumerate(options):
        assert d.to_unit(o) == (i + 0.5) / n
        assert d.from_unit(d.to_unit(o)) == o
    assert d.from_unit(0.0) == options[0] and d.from_unit(1.0) == options[-1]


def test_contains_checks_types():
    assert Real(0, 1).contains(0.5) and Real(0, 1).contains(1) and not Real(0, 1).contains(1.5)
    assert not Real(0, 1).contains(True) and not Real(0, 1).contains("0.5")
    assert Integer(1, 3).contains(2) and not Integer(1, 3).contains(2.0) and not Integer(1, 3).contains(True)
    assert Choice((16, 32)).contains(16) and not Choice((16, 32)).contains(16.0)
    assert not Choice(("a",)).contains("b")


def test_clip():
    assert Real(0, 1).clip(2) == 1.0 and Real(0, 1).clip(-1) == 0.0
    assert Integer(1, 3).clip(7.6) == 3 and Integer(1, 10).clip(4.6) == 5
    assert Choice((16, 32, 64)).clip(40) == 32 and Choice((16, 32, 64)).clip(64) == 64
    assert Choice(("a", "b")).clip("z") == "a"


# -- validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda: SearchSpace(hyperparameters={"lr": Real(0.1, 0.01)}), "inverted"),
        (lambda: SearchSpace(hyperparameters={"e": Integer(5, 1)}), "inverted"),
        (lambda: SearchSpace(hyperparameters={"e": Integer(1.5, 3)}), "whole"),
        (lambda: SearchSpace(hyperparameters={"o": Choice(())}), "at least one option"),
        (lambda: SearchSpace(hyperparameters={"o": Choice(("a", "a"))}), "duplicate"),
        (lambda: SearchSpace(hyperparameters={"lr": Real(0.0, 1.0, log=True)}), "low > 0"),
        (lambda: SearchSpace(hyperparameters={"lr": Real(-1.0, 1.0, log=True)}), "low > 0"),
        (lambda: SearchSpace(hyperparameters={"u": Integer(0, 8, log=True)}), "low > 0"),
        (lambda: SearchSpace(hyperparameters={"lr": Real(0.0, math.inf)}), "finite"),
        (lambda: SearchSpace(hyperparameters={"lr": Real(math.nan, 1.0)}), "finite"),
        (lambda: SearchSpace(hyperparameters={"lr": (0, 1)}), "expected Real"),
        (lambda: SearchSpace(min_layers=5, max_layers=4), "min_layers (5) > max_layers (4)"),
        (lambda: SearchSpace(min_layers=0, max_layers=4), "at least 1"),
        (lambda: SearchSpace(min_layers=2.0, max_layers=4), "integers"),
        (lambda: SearchSpace(family="cnn+rnn", min_layers=1, max_layers=1), "family needs"),
        (lambda: SearchSpace(family="transformer"), "unknown model family"),
        (lambda: SearchSpace(layers={**default_layer_domains(), "attention": {"units": Integer(1, 2)}}), "unknown layer kind 'attention'"),
        (lambda: SearchSpace(layers={k: v for k, v in default_layer_domains().items() if k != "conv"}), "needs domains for layer kinds"),
        (lambda: SearchSpace(layers={**default_layer_domains(), "dense": {"units": Integer(8, 16)}}), "needs domains for"),
        (lambda: SearchSpace(layers={**default_layer_domains(), "dropout": {"rate": Real(0.6, 0.1)}}), "dropout.rate"),
    ],
)
def test_invalid_spaces_raise_search_space_error(make, fragment):
    with pytest.raises(SearchSpaceError) as info:
        make()
    assert fragment in str(info.value)


def test_kinds_outside_the_family_are_allowed_and_ignored():
    s = SearchSpace(family="cnn")  # default layers contain rnn domains too
    assert "rnn" in s.layers and "rnn" not in s.kinds
    s2 = SearchSpace(family="cnn", layers={k: v for k, v in default_layer_domains().items() if k != "rnn"})
    assert s2.kinds == s.kinds


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"type": "fuzzy"}, "unknown domain type"),
        ({"type": "real", "low": 0}, "malformed"),
        ({"type": "real", "low": "a", "high": 1}, "malformed"),
        ({"type": "integer", "high": 3}, "malformed"),
        ({"type": "choice"}, "malformed"),
        ({"low": 0, "high": 1}, "malformed"),
    ],
)
def test_domain_from_dict_errors(data, fragment):
    with pytest.raises(SearchSpaceError) as info:
        domain_from_dict(data)
    assert fragment in str(info.value)


@pytest.mark.parametrize("missing", ["family", "min_layers", "max_layers", "hyperparameters", "layers"])
def test_space_from_dict_missing_field(missing):
    d = SearchSpace().to_dict()
    del d[missing]
    with pytest.raises(SearchSpaceError) as info:
        SearchSpace.from_dict(d)
    assert "malformed search space" in str(info.value)


def test_space_from_dict_rejects_invalid_content():
    d = SearchSpace().to_dict()
    d["hyperparameters"]["epochs"] = {"type": "integer", "low": 9, "high": 2}
    with pytest.raises(SearchSpaceError, match="inverted"):
        SearchSpace.from_dict(d)
    d = SearchSpace().to_dict()
    d["family"] = "mlp"
    with pytest.raises(SearchSpaceError, match="unknown model family"):
        SearchSpace.from_dict(d)


# -- serialisation -------------------------------------------------------------------------
@SETTINGS
@given(space=spaces())
def test_space_dict_round_trip_through_json(space):
    back = SearchSpace.from_dict(json.loads(json.dumps(space.to_dict())))
    assert back == space
    assert back.to_dict() == space.to_dict()


# -- sampling -------------------------------------------------------------------------------
@SETTINGS
@given(space=spaces(), seed=seeds)
def test_sampled_genomes_are_always_valid(space, seed):
    rng = np.random.default_rng(seed)
    for birth in range(5):
        g = space.sample_genome(rng, birth=birth)
        assert space.violations(g) == []
        assert space.min_layers <= len(g) <= space.max_layers
        assert g.family == space.family and g.birth == birth
        assert not get_family(space.family).violations(g)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_sampling_is_reproducible_and_seed_dependent(family):
    s = SearchSpace(family=family)
    a = [g.to_json() for g in sample(s, 11, n=20)]
    assert a == [g.to_json() for g in sample(s, 11, n=20)]
    assert a != [g.to_json() for g in sample(s, 12, n=20)]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_sampling_covers_every_length_and_kind(family):
    s = SearchSpace(family=family)
    genomes = sample(s, 3, n=400)
    assert {len(g) for g in genomes} == set(range(3, 8))
    assert {x.kind for g in genomes for x in g} == set(s.kinds)


def test_sample_genome_with_given_length_and_class():
    from evodeap.genome.individual import individual_class

    cls = individual_class(1)
    g = SearchSpace().sample_genome(np.random.default_rng(0), n_layers=5, cls=cls)
    assert type(g) is cls and len(g) == 5


@SETTINGS
@given(space=spaces(), seed=seeds)
def test_sampled_values_are_within_every_domain(space, seed):
    rng = np.random.default_rng(seed)
    for name, dom in space.hyperparameters.items():
        assert dom.contains(dom.sample(rng)), name
    for kind in space.kinds:
        gene = space.sample_layer(kind, rng)
        assert gene.kind == kind


# -- checking --------------------------------------------------------------------------------
def test_violations_name_each_problem():
    s = SearchSpace()
    good = sample(s, 0)[0]
    assert s.contains(good)
    g = Genome([D, C], {"learning_rate": 5.0}, family="rnn")
    problems = " | ".join(s.violations(g))
    assert "family 'rnn'" in problems
    assert "2 layers outside [3, 7]" in problems
    assert "comes after" in problems
    assert "learning_rate=5.0" in problems
    assert "hyperparameters" in problems
    g2 = Genome([C, R, D], good.hyperparameters, family="cnn")
    assert any("'rnn', not allowed" in p for p in s.violations(g2))
    g3 = Genome([X, D, D], good.hyperparameters, family="cnn")
    assert any("needs at least one conv" in p for p in s.violations(g3))
    g4 = Genome([ConvBlock(7, 3, "relu", "max"), D, D], good.hyperparameters, family="cnn")
    assert any("conv.filters=7" in p for p in s.violations(g4))


# -- ordering ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "family, given_layers, expected",
    [
        ("cnn", [D, C], [C, D]),
        ("cnn", [C, X, D], [C, X, D]),
        ("cnn", [D, C, X], [C, D, X]),
        ("cnn", [X, D, C], [X, C, D]),
        ("cnn", [D, X, X, C], [C, X, X, D]),
        ("cnn+rnn", [D, R, C], [C, R, D]),
        ("cnn+rnn", [R, X, C, D, X], [C, X, R, D, X]),
        ("rnn", [X, X, X], [X, X, X]),
        ("rnn", [], []),
    ],
)
def test_order_layers_examples(family, given_layers, expected):
    assert order_layers(given_layers, FAMILIES[family]) == expected
    assert not FAMILIES[family].violations(order_layers(given_layers, FAMILIES[family])) or family == "rnn"


def test_order_layers_is_stable_within_a_stage():
    d1, d2 = DenseLayer(8, "relu"), DenseLayer(9, "tanh")
    c1, c2 = ConvBlock(8, 3, "relu", "max"), ConvBlock(9, 5, "elu", "avg")
    assert order_layers([d1, c1, d2, c2], FAMILIES["cnn"]) == [c1, c2, d1, d2]


@SETTINGS
@given(family=families, seed=seeds)
def test_order_layers_is_a_permutation_that_satisfies_the_order(family, seed):
    rng = np.random.default_rng(seed)
    space = SearchSpace(family=family)
    layers = [space.sample_layer(space.kinds[int(i)], rng) for i in rng.integers(len(space.kinds), size=8)]
    ordered = order_layers(layers, FAMILIES[family])
    assert sorted(map(repr, ordered)) == sorted(map(repr, layers))
    assert not [p for p in FAMILIES[family].violations(ordered) if "comes after" in p]
    assert order_layers(ordered, FAMILIES[family]) == ordered
