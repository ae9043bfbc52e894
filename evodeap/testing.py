"""The layer-kind contract: checks every registered kind passes, reusable for your own kinds.

Like Optuna's reusable sampler tests, :func:`check_layer_kind` runs the whole contract on
one registered kind, and each check is a function of its own::

    from evodeap.testing import check_layer_kind

    def test_my_kind():
        check_layer_kind("my_lstm")            # in a family that allows it (or family=...)

The contract, on tiny inputs (``(2, 8, 8, 1)`` videos, small widths):

* :func:`check_sampling` — sampled genes are of the kind's class, inside every domain,
  frozen, and reproducible from the seed;
* :func:`check_json_round_trip` — genes and genomes holding them survive JSON exactly;
* :func:`check_mutation` — every registered mutation keeps genomes holding the kind valid;
* :func:`check_plan_matches_model` — the plan equals the built Keras model: the same
  layers, each with its planned output shape and parameter count, ``count_params()``
  equal to the plan's; layer names end in the gene's position;
* :func:`check_training_step` — one training step gives a finite loss and changes the
  kind's trainable weights;
* :func:`check_weight_inheritance` — a child of a trained parent inherits every layer of
  an identical genome, and for a mutated gene copies exactly the paired layers.

A failed check raises ``AssertionError`` with the reason. Keras is imported only by the
checks that build models.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from evodeap.domains import Integer
from evodeap.genome.genes import gene_from_dict, gene_to_dict
from evodeap.genome.genome import Genome
from evodeap.kinds import FAMILIES, KINDS, describe_gene
from evodeap.genome.space import SearchSpace

#: ``(T, H, W, C)`` of the contract's videos.
CONTRACT_SHAPE = (2, 8, 8, 1)


@dataclass(frozen=True)
class ContractTask:
    """A three-class task (anything with ``kind`` and ``n_outputs`` is a task)."""

    kind: str = "multiclass"
    n_outputs: int = 3


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def contract_family(kind: str) -> str:
    """A registered family that allows ``kind``: one that requires it, else any that allows it."""
    _expect(kind in KINDS, f"layer kind {kind!r} is not registered (known: {', '.join(KINDS.names())})")
    families = FAMILIES.items()
    for name, family in families:
        if kind in family.required:
            return name
    for name, family in families:
        if kind in family.kinds:
            return name
    raise AssertionError(f"no registered family allows layer kind {kind!r}: register one, or pass family=")


def kind_space(kind: str, family: str | None = None) -> SearchSpace:
    """The family's default space, searching ``kind`` too when it is an optional kind of
    the family (:meth:`SearchSpace.with_kinds`)."""
    space = SearchSpace(family=family or contract_family(kind))
    return space if kind in space.kinds else space.with_kinds(kind)


def contract_space(kind: str, family: str | None = None) -> SearchSpace:
    """The family's default space (with ``kind``, see :func:`kind_space`) with every integer
    domain cut to ``[low, min(high, 2·low)]`` (small models) and at most four layers beyond
    the required ones."""
    family = family or contract_family(kind)
    base = kind_space(kind, family)
    layers = {k: {f: _small(d) for f, d in fields.items()} for k, fields in base.layers.items()}
    required = len(base.family_rules.required)
    return SearchSpace(family=family, hyperparameters=base.hyperparameters, layers=layers,
                       min_layers=max(1, required), max_layers=max(1, required) + 4)


def _small(domain: Any) -> Any:
    if isinstance(domain, Integer) and domain.low >= 1:
        return Integer(domain.low, max(domain.low, min(domain.high, 2 * domain.low)), domain.log)
    return domain


def genomes_with(kind: str, space: SearchSpace, n: int = 3, seed: int = 0,
                 input_shape: Sequence[int] = CONTRACT_SHAPE) -> list[Genome]:
    """``n`` valid genomes of ``space`` that hold ``kind`` and plan validly on ``input_shape``."""
    from evodeap.models import plan_model
    from evodeap.operators.repair import insert_layer

    rng = np.random.default_rng(seed)
    found: list[Genome] = []
    for _ in range(50 * n):
        genome = space.sample_genome(rng, n_layers=int(rng.integers(space.min_layers, space.max_layers)))
        if all(g.kind != kind for g in genome):
            genome[:] = insert_layer(list(genome), space.sample_layer(kind, rng), rng, space)
        if space.contains(genome) and plan_model(genome, input_shape, ContractTask(), max_params=None).valid:
            found.append(genome)
            if len(found) == n:
                return found
    raise AssertionError(f"could not sample {n} valid {space.family} genomes holding {kind!r} "
                         f"at input shape {tuple(input_shape)}")


# -- checks without Keras -------------------------------------------------------------------------
def check_sampling(kind: str, family: str | None = None, n: int = 100, seed: int = 0) -> None:
    """Sampled genes: the kind's class, every field inside its domain, frozen, reproducible."""
    space = kind_space(kind, family)
    record = KINDS.get(kind)
    draws = [space.sample_layer(kind, np.random.default_rng(seed + i)) for i in range(n)]
    for gene in draws:
        _expect(type(gene) is record.gene and gene.kind == kind, f"{kind}: sampled {gene!r}")
        for name, domain in space.layers[kind].items():
            _expect(domain.contains(getattr(gene, name)), f"{kind}.{name}={getattr(gene, name)!r} outside {domain}")
        for f in dataclasses.fields(gene):
            try:
                setattr(gene, f.name, getattr(gene, f.name))
            except dataclasses.FrozenInstanceError:
                continue
            raise AssertionError(f"{kind}: field {f.name} can be set; genes must be frozen")
    again = [space.sample_layer(kind, np.random.default_rng(seed + i)) for i in range(n)]
    _expect(again == draws, f"{kind}: sampling with the same seed gave other genes")


def check_json_round_trip(kind: str, family: str | None = None, seed: int = 0) -> None:
    """Genes and genomes holding the kind come back from JSON equal, with the same key."""
    space = contract_space(kind, family)
    for genome in genomes_with(kind, space, n=3, seed=seed):
        for gene in genome:
            back = gene_from_dict(json.loads(json.dumps(gene_to_dict(gene))))
            _expect(back == gene and type(back) is type(gene), f"{kind}: {gene!r} came back as {back!r}")
        back = Genome.from_json(genome.to_json())
        _expect(back == genome and back.key() == genome.key(), f"{kind}: genome changed in JSON")
        text = describe_gene(genome[[g.kind for g in genome].index(kind)])
        _expect(isinstance(text, str) and text and " > " not in text, f"{kind}: describe() gave {text!r}")


def check_mutation(kind: str, family: str | None = None, seeds: Sequence[int] = range(10)) -> None:
    """Every registered mutation, at its default rate and at rate 1, keeps genomes valid."""
    from evodeap.operators import MUTATIONS

    space = kind_space(kind, family)
    for name, mutation in MUTATIONS.items():
        takes_rate = "indpb" in inspect.signature(mutation).parameters
        for seed in seeds:
            for options in ({}, {"indpb": 1.0}) if takes_rate else ({},):
                genome = genomes_with(kind, space, n=1, seed=seed, input_shape=(2, 64, 64, 1))[0]
                out = mutation(genome, space=space, rng=np.random.default_rng(seed), **options)
                _expect(isinstance(out, tuple) and len(out) == 1 and out[0] is genome,
                        f"mutation {name!r} broke the (ind,) convention on a {kind} genome")
                _expect(space.violations(genome) == [],
                        f"mutation {name!r} made an invalid {kind} genome: {space.violations(genome)}")


# -- checks with Keras ----------------------------------------------------------------------------
def check_plan_matches_model(kind: str, family: str | None = None, seed: int = 0,
                             input_shape: Sequence[int] = CONTRACT_SHAPE) -> None:
    """Plan == built model: every planned layer exists with its output shape and parameter
    count, no other layer exists, and ``count_params()`` equals the plan's total."""
    import keras

    from evodeap.models import build_model, plan_model

    for genome in genomes_with(kind, contract_space(kind, family), n=3, seed=seed, input_shape=input_shape):
        plan = plan_model(genome, input_shape, ContractTask(), max_params=None)
        model = build_model(genome, input_shape, ContractTask(), max_params=None, plan=plan)
        where = f"{kind} in {genome.describe()}"
        built = {layer.name for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)}
        _expect(built == {p.name for p in plan.layers},
                f"{where}: built layers {sorted(built)} differ from planned {[p.name for p in plan.layers]}")
        for p in plan.layers:
            layer = model.get_layer(p.name)
            shape = tuple(int(d) for d in layer.output.shape[1:])
            _expect(shape == p.output_shape, f"{where}: layer {p.name} outputs {shape}, planned {p.output_shape}")
            _expect(layer.count_params() == p.params,
                    f"{where}: layer {p.name} has {layer.count_params()} parameters, planned {p.params}")
        _expect(model.count_params() == plan.n_params,
                f"{where}: count_params() {model.count_params()} != planned {plan.n_params}")
        _expect(tuple(model.output_shape[1:]) == plan.layers[-1].output_shape, f"{where}: output shape")
        for step in plan.steps:
            if step.context.index >= 0:
                suffix = f"_{step.context.index}"
                _expect(all(p.name.endswith(suffix) for p in step.layers),
                        f"{where}: layers of gene {step.context.index} must be named ..._{step.context.index}")
        keras.backend.clear_session()


def keras_numpy(variable: Any) -> np.ndarray:
    """A Keras variable's value as a NumPy array (a copy)."""
    import keras

    return np.array(keras.ops.convert_to_numpy(variable))


def _kind_weights(model: Any, plan: Any, kind: str) -> list[np.ndarray]:
    names = [p.name for s in plan.steps if s.context.kind == kind and s.context.index >= 0 for p in s.layers]
    return [keras_numpy(w) for name in names for w in model.get_layer(name).trainable_weights]


def check_training_step(kind: str, family: str | None = None, seed: int = 0,
                        input_shape: Sequence[int] = CONTRACT_SHAPE) -> None:
    """One ``train_on_batch`` on tiny random data: a finite loss, and the kind's trainable
    weights (if it has any) change."""
    import keras

    from evodeap.models import build_model, plan_model

    rng = np.random.default_rng(seed)
    x = rng.random((4,) + tuple(input_shape), dtype=np.float32)
    y = rng.integers(0, ContractTask().n_outputs, 4)
    genome = genomes_with(kind, contract_space(kind, family), n=1, seed=seed, input_shape=input_shape)[0]
    genome.hyperparameters.update(optimizer="sgd", learning_rate=0.1)
    keras.utils.set_random_seed(seed)
    plan = plan_model(genome, input_shape, ContractTask(), max_params=None)
    model = build_model(genome, input_shape, ContractTask(), max_params=None, plan=plan)
    before = _kind_weights(model, plan, kind)
    loss = float(np.asarray(model.train_on_batch(x, y)).ravel()[0])
    _expect(np.isfinite(loss), f"{kind}: one training step of {genome.describe()} gave loss {loss}")
    after = _kind_weights(model, plan, kind)
    if before:
        _expect(any(not np.array_equal(a, b) for a, b in zip(before, after)),
                f"{kind}: one training step changed none of its weights in {genome.describe()}")
    keras.backend.clear_session()


def check_weight_inheritance(kind: str, family: str | None = None, seed: int = 0,
                             input_shape: Sequence[int] = CONTRACT_SHAPE) -> None:
    """A trained parent's weights reach its children: an identical child inherits every
    layer (same weights); a child whose kind gene mutated gets exactly its paired layers'
    weights, and its other layers keep their fresh initialisation."""
    import keras

    from evodeap.fitness.inheritance import describe, inherit_weights, match_layers, weights_to_bytes
    from evodeap.models import build_model
    from evodeap.operators.mutation import mutate_field

    task = ContractTask()
    space = contract_space(kind, family)
    parent = genomes_with(kind, space, n=1, seed=seed, input_shape=input_shape)[0]
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    trained = build_model(parent, input_shape, task, max_params=None)
    trained.train_on_batch(rng.random((4,) + tuple(input_shape), dtype=np.float32), rng.integers(0, 3, 4))
    data = weights_to_bytes(trained)
    parent_weights = {layer.name: [np.array(w) for w in layer.get_weights()] for layer in trained.layers}

    twin = build_model(parent, input_shape, task, max_params=None)
    report = inherit_weights(twin, parent, data, input_shape, task, max_params=None)
    _expect(report["fresh"] == [], f"{kind}: an identical child left {report['fresh']} fresh")
    for layer in twin.layers:
        for a, b in zip(layer.get_weights(), parent_weights[layer.name]):
            _expect(np.array_equal(a, b), f"{kind}: identical child's {layer.name} differs from its parent's")

    position = [g.kind for g in parent].index(kind)
    gene = parent[position]
    mutated = [f for f in space.layers[kind] if space.layers[kind][f].size > 1]
    child = Genome(parent, parent.hyperparameters, family=parent.family)
    if mutated:
        child[position] = dataclasses.replace(
            gene, **{mutated[0]: mutate_field(gene, mutated[0], space.layers[kind][mutated[0]], rng, 0.5)})
    child_model = build_model(child, input_shape, task, max_params=None)
    fresh = {layer.name: [np.array(w) for w in layer.get_weights()] for layer in child_model.layers}
    pairs = dict((t, s) for s, t in match_layers(describe(trained), describe(child_model)))
    report = inherit_weights(child_model, parent, data, input_shape, task, max_params=None)
    _expect(sorted(report["inherited"]) == sorted(pairs), f"{kind}: inherited {report['inherited']}, paired {pairs}")
    for layer in child_model.layers:
        expected = parent_weights[pairs[layer.name]] if layer.name in pairs else fresh[layer.name]
        for a, b in zip(layer.get_weights(), expected):
            _expect(np.array_equal(a, b), f"{kind}: child's {layer.name} does not hold the weights it should")
    keras.backend.clear_session()


def check_layer_kind(kind: str, *, family: str | None = None, seed: int = 0,
                     input_shape: Sequence[int] = CONTRACT_SHAPE, with_keras: bool = True) -> None:
    """Run the whole layer-kind contract on ``kind`` (in ``family``, default: one that allows it).

    ``with_keras=False`` runs only the checks that build no model (fast).
    """
    check_sampling(kind, family, seed=seed)
    check_json_round_trip(kind, family, seed=seed)
    check_mutation(kind, family)
    if with_keras:
        check_plan_matches_model(kind, family, seed=seed, input_shape=input_shape)
        check_training_step(kind, family, seed=seed, input_shape=input_shape)
        check_weight_inheritance(kind, family, seed=seed, input_shape=input_shape)
