"""frame_pool and time_pool: how frames become a sequence and a sequence a vector.

Both are optional stages of every built-in family: a space searches them only when it
gives them domains (``SearchSpace.with_kinds``), so default spaces, recorded spaces and
their random streams are those of the code before the kinds existed (the keys below were
recorded with that code).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import pathlib
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pytest

from evodeap.domains import Choice
from evodeap.errors import ConfigError, LayerKindError, SearchSpaceError
from evodeap.genome.genome import Genome
from evodeap.kinds import (
    FAMILIES,
    FRAMES,
    KINDS,
    VECTOR,
    BatchNormLayer,
    ConvBlock,
    DenseLayer,
    DropoutLayer,
    FramePool,
    LayerPlan,
    LSTMLayer,
    RecurrentLayer,
    ResidualBlock,
    TimePool,
    get_family,
    register_family,
    register_kind,
)
from evodeap.models import plan_model
from evodeap.operators.mutation import mut_add_layer, mut_structure
from evodeap.operators.repair import repair
from evodeap.genome.space import SearchSpace, default_layer_domains
from evodeap.testing import ContractTask, check_layer_kind

HP = {"learning_rate": 1e-3, "batch_size": 4, "optimizer": "adam", "dropout": 0.0, "epochs": 1}
TASK = ContractTask()
SHAPE = (3, 20, 20, 2)  # 20×20 frames: the rnn-like families downsample them by 2 first
BUILT_IN = ("cnn", "rnn", "cnn+rnn", "lstm", "gru", "cnn+lstm", "cnn+gru", "residual")
FRAME_MODES = (None, "flatten", "max", "avg", "rows")
TIME_MODES = (None, "mean", "max", "last")


def plan(layers, family, shape=SHAPE):
    return plan_model(Genome(layers, HP, family=family), shape, TASK, max_params=None)


def rows(p, names=True):
    return [((layer.name,) if names else ()) + (layer.output_shape, layer.params, layer.macs) for layer in p.layers]


def with_pools(family: str, fp: str | None, tp: str | None) -> list:
    """A genome of ``family`` with (or without) a frame_pool and a time_pool gene."""
    f = [FramePool(fp)] if fp else []
    t = [TimePool(tp)] if tp else []
    return {
        "cnn": [ConvBlock(4, 3, "relu", "max"), *f, *t, DenseLayer(5, "relu")],
        "rnn": [DropoutLayer(0.1), *f, RecurrentLayer(4, "tanh"), RecurrentLayer(3, "relu"), *t, DenseLayer(5, "relu")],
        "cnn+rnn": [ConvBlock(3, 3, "relu", "none"), *f, RecurrentLayer(4, "tanh"), *t, DenseLayer(5, "relu")],
        "lstm": [*f, LSTMLayer(4, "tanh"), *t, DropoutLayer(0.2)],
        "residual": [ResidualBlock(4, 3, "relu", "avg"), BatchNormLayer(0.9), *f, *t, DenseLayer(5, "relu")],
    }[family]


# -- plan == built model, for every combination ----------------------------------------------
def assert_plan_is_model(genome: Genome, shape=SHAPE) -> None:
    import keras

    from evodeap.models import build_model

    p = plan_model(genome, shape, TASK, max_params=None)
    assert p.valid, p.problems
    model = build_model(genome, shape, TASK, max_params=None, plan=p)
    built = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert [layer.name for layer in built] == [q.name for q in p.layers], genome.describe()
    for q, layer in zip(p.layers, built):
        assert tuple(int(d) for d in layer.output.shape[1:]) == q.output_shape, (genome.describe(), q.name)
        assert layer.count_params() == q.params, (genome.describe(), q.name)
    assert model.count_params() == p.n_params
    keras.backend.clear_session()


@pytest.mark.slow
@pytest.mark.parametrize("family", ["cnn", "rnn", "cnn+rnn", "lstm", "residual"])
def test_plan_equals_the_built_model_for_every_combination(family):
    for fp, tp in itertools.product(FRAME_MODES, TIME_MODES):
        assert_plan_is_model(Genome(with_pools(family, fp, tp), HP, family=family))


def test_layers_names_and_shapes_of_each_mode():
    p = plan(with_pools("cnn", "max", "last"), "cnn")
    assert rows(p)[2:7] == [
        ("frame_pool_1", (3, 1, 1, 4), 0, 0), ("frame_pool_reshape_1", (3, 4), 0, 0),
        ("time_pool_2", (1, 4), 0, 0), ("time_pool_reshape_2", (4,), 0, 0), ("dense_3", (5,), 25, 20)]
    p = plan(with_pools("cnn", "avg", "max"), "cnn")
    assert [r[:2] for r in rows(p)[2:5]] == [("frame_pool_1", (3, 1, 1, 4)), ("frame_pool_reshape_1", (3, 4)),
                                           ("time_pool_2", (4,))]
    p = plan(with_pools("cnn", "flatten", "mean"), "cnn")
    assert [r[:2] for r in rows(p)[2:4]] == [("frame_pool_1", (3, 400)), ("time_pool_2", (400,))]


def test_a_frames_leaving_gene_gets_the_familys_downsampling_first():
    p = plan(with_pools("rnn", "avg", None), "rnn")
    assert [r[:2] for r in rows(p)[:4]] == [("dropout_0", SHAPE), ("frame_downsample", (3, 10, 10, 2)),
                                          ("frame_pool_1", (3, 1, 1, 2)), ("frame_pool_reshape_1", (3, 2))]
    q = plan(with_pools("cnn+rnn", "avg", None), "cnn+rnn")  # no frame_downsample in cnn+rnn
    assert "frame_downsample" not in [layer.name for layer in q.layers]


# -- absent genes and neutral modes keep today's models --------------------------------------------
def test_flatten_and_mean_in_cnn_are_the_model_without_the_genes():
    without = plan(with_pools("cnn", None, None), "cnn")
    with_genes = plan(with_pools("cnn", "flatten", "mean"), "cnn")
    assert rows(with_genes, names=False) == rows(without, names=False)
    assert [layer.name for layer in without.layers][2:4] == ["frame_flatten", "temporal_pool"]


@pytest.mark.parametrize("family", ["rnn", "lstm"])
def test_flatten_in_an_rnn_family_is_the_default_model(family):
    assert rows(plan(with_pools(family, "flatten", None), family), names=False) == \
        rows(plan(with_pools(family, None, None), family), names=False)


@pytest.mark.parametrize("family", ["rnn", "cnn+rnn", "lstm"])
def test_last_time_step_after_a_recurrent_layer_has_the_weights_of_no_time_pool(family):
    without = plan(with_pools(family, None, None), family)
    last = plan(with_pools(family, None, "last"), family)
    assert last.n_params == without.n_params
    recurrent = [layer for layer in last.layers if layer.name.startswith(("rnn_", "lstm_"))][-1]
    assert len(recurrent.output_shape) == 2  # it returns its sequence to the time pool


@pytest.mark.slow
def test_pooled_values_are_the_maximum_mean_and_last_step():
    import keras

    from evodeap.models import build_model

    x = np.random.default_rng(0).random((2, 3, 8, 8, 2), dtype=np.float32)
    for mode, reduce in (("max", np.max), ("avg", np.mean)):
        genome = Genome([FramePool(mode), RecurrentLayer(3, "tanh")], HP, family="rnn")
        model = build_model(genome, (3, 8, 8, 2), TASK)
        probe = keras.Model(model.inputs, model.get_layer("frame_pool_reshape_0").output)
        np.testing.assert_allclose(probe.predict(x, verbose=0), reduce(x, axis=(2, 3)), rtol=1e-6, atol=1e-6)
    keras.utils.set_random_seed(1)
    last = build_model(Genome([RecurrentLayer(3, "tanh"), TimePool("last")], HP, family="rnn"), (3, 8, 8, 2), TASK)
    plain = build_model(Genome([RecurrentLayer(3, "tanh")], HP, family="rnn"), (3, 8, 8, 2), TASK)
    for layer in plain.layers:
        if layer.get_weights():
            layer.set_weights(last.get_layer(layer.name).get_weights())  # rnn_0 and head
    np.testing.assert_allclose(last.predict(x, verbose=0), plain.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    keras.backend.clear_session()


def test_unknown_modes_are_invalid_with_a_reason_and_describe_is_short():
    p = plan([ConvBlock(4, 3, "relu", "none"), FramePool("median")], "cnn")
    assert any("unknown frame_pool mode 'median'" in reason for reason in p.problems)
    assert any("unknown time_pool mode 'first'" in reason
               for reason in plan([RecurrentLayer(4, "tanh"), TimePool("first")], "rnn").problems)
    assert Genome(with_pools("cnn", "max", "last"), HP).describe() == \
        "conv4k3relu-max > fpool-max > tpool-last > dense5relu"


def test_a_genome_holds_at_most_one_of_each():
    assert KINDS.get("frame_pool").at_most_once and KINDS.get("time_pool").at_most_once
    assert not any(KINDS.get(k).at_most_once for k in ("conv", "rnn", "lstm", "dense", "dropout", "batchnorm"))
    p = plan([ConvBlock(4, 3, "relu", "none"), FramePool("max"), FramePool("avg")], "cnn")
    assert any("second frame_pool layer" in reason for reason in p.problems)


def test_the_walk_is_generic_a_new_frames_leaving_kind_gets_the_downsampling():
    @register_kind(acts_on=FRAMES, produces=VECTOR, domains={})
    @dataclass(frozen=True)
    class FrameVectorProbe:
        kind: ClassVar[str] = "frame_vector_probe"

        def plan(self, shape, ctx):
            return [LayerPlan(ctx.name, (shape[-1],))]

        def build(self, x: Any, ctx):
            import keras

            return keras.layers.GlobalAveragePooling3D(name=ctx.name)(x)

    register_family("probe_family", [("frame_vector_probe",), ("dense",)], required=("frame_vector_probe",),
                    frame_downsample=True)
    assert KINDS.get("frame_vector_probe").at_most_once
    p = plan([FrameVectorProbe(), DenseLayer(4, "relu")], "probe_family", shape=(2, 64, 32, 3))
    assert [r[:2] for r in rows(p)[:2]] == [("frame_downsample", (2, 16, 8, 3)), ("frame_vector_probe_0", (3,))]
    walk = (pathlib.Path(__file__).resolve().parents[2] / "evodeap" / "kinds" / "walk.py").read_text()
    assert not re.search(r"[\"'](frame_pool|time_pool)[\"']", walk)


# -- the contract ---------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("kind, family", [("frame_pool", "rnn"), ("time_pool", "cnn+lstm"), ("time_pool", "residual")])
def test_the_kinds_pass_the_layer_kind_contract_in_other_families(kind, family):
    check_layer_kind(kind, family=family)


# -- families and spaces: optional stages ----------------------------------------------------------
#: Recorded before the kinds existed: per family, a hash of ``SearchSpace(family).to_dict()``,
#: the keys of four genomes sampled with ``default_rng(7)``, and the keys along a chain of six
#: structural mutations, three add_layer mutations and one repair (see ``old_stream``).
OLD_STREAMS = {
    "cnn": ("67acc38c38d3a9c1",
            ['d8eec88c8b1ed06e', '04e298e03f5b9831', '729f81446dd06b9d', '716338ad24427397'],
            ['abd78782dd4b7dd1', '15dfd5549b9ba9df', '2a8d6a1a5c17355b', '8cc930c2257c6d12', '53441655b0bd09ee',
             '5c78c842cff72bd7', 'e47ff310e12c8bd3', '198d3837ca1bbc8f']),
    "cnn+gru": ("b44be19042f359fc",
                ['4caa0e3dbf7151ce', 'b0b51a7f1ad77c8c', 'a0649dd90dc6bdfc', '61d8cb54e9b51180'],
                ['aac7777de3d033d0', '2537bd1c8b3c8d92', 'c17eebba51874055', '4ab0c852fbcb9900', '1d53315b9a84c528',
                 '9eac075be270ef4a', '773054eba3bb54b4', '4f76d501719cbe16']),
    "cnn+lstm": ("b66e8cd0f35412ab",
                 ['4def56fcc4905f76', '5c79eb35437f735d', 'acf49e6a43fe0f2a', '4f9b9fb48cd253e2'],
                 ['2a264e0f54afffc3', '6e035233f8750d53', '09dab053260b92c0', '65cd31a9db215e39', '146471a362a20e46',
                  '37518332208e6536', 'b3ef6242c02e80c5', '1209a6bf8c448614']),
    "cnn+rnn": ("a9043344a2c5e8bf",
                ['0ad32292faaa27ff', '00e91c8c4a5c0229', '1797499af9c1a582', 'bd4fa507ec2588cb'],
                ['6af1935dc89eef44', '2210e1d46fbd3aea', '7d4e51ed6ec8c70f', 'c8f073c6c346aaff', '6a44f42ad347688e',
                 '2490c5b00feee048', 'f361b444a1b5664f', 'b83798b48856e7de']),
    "gru": ("73bbde587e62e131",
            ['eada7a9fda42d5b6', 'a9a458c19939e1b1', 'd895541eb3c0925c', 'e5823c6a5b341fac'],
            ['ba6e9efac2e1552d', 'bc4a8c9a08b2f3fe', '03d471c09a71674d', 'b27e31a952d9b10a', 'a5e9a303027b1fdb',
             '8513cb3d999777fe', '05de1a4b555d18ad', '24eb2b2c6d1738cd']),
    "lstm": ("f4d0054523e127a5",
             ['05c2b3d6711cfcaa', 'e3c08f87c4c6878d', 'd925aa118ecdb834', '3bc1a16c4a23fa98'],
             ['61533488f04c0716', '9fd143e7dabc0c35', 'de4ea87eb470697d', '0ab3eb6fb0e7bb75', '1db9cdfe30207c9f',
              'e1466458339d67fe', '21dfef42832b23b3', 'bdf43e870668d571']),
    "residual": ("61cb7c74520c3d32",
                 ['672f9c5b1426d314', '681a49f7458db673', '5412470677116cfb', 'e4d9476df56d18cf'],
                 ['45823429f81af8dc', '16f1137560d2f4bb', '6706face2c7c7c60', '9d0cf32dc8be1757', '043641b81040e890',
                  '48414c197b81e0f7', '1e55ceb8dae28e37', '21b39807ca5b7a4a']),
    "rnn": ("8f23591b849f0aeb",
            ['29218ec5b1ff90f7', 'e23361919081034a', '4718e665069979b7', '8181f27b7f4ce201'],
            ['65ddad061f4eb04d', '14004b755fd40e01', '1ebab3895cdb6520', 'e42d6beb6645f4eb', '8641a012150d5e69',
             'cc7097d6cf3a6388', '24218bbb509320a8', '85a85f11eb602580']),
}
OLD_KINDS = {"cnn": ("conv", "dense", "dropout"), "rnn": ("rnn", "dense", "dropout"),
             "cnn+rnn": ("conv", "rnn", "dense", "dropout"), "lstm": ("lstm", "dense", "dropout"),
             "gru": ("gru", "dense", "dropout"), "cnn+lstm": ("conv", "lstm", "dense", "dropout"),
             "cnn+gru": ("conv", "gru", "dense", "dropout"), "residual": ("residual", "conv", "dense", "dropout", "batchnorm")}
OLD_REPRESENTATIVES = {"cnn": ("conv", "dense"), "rnn": ("rnn", "dense"), "cnn+rnn": ("conv", "rnn", "dense"),
                       "lstm": ("lstm", "dense"), "gru": ("gru", "dense"), "cnn+lstm": ("conv", "lstm", "dense"),
                       "cnn+gru": ("conv", "gru", "dense"), "residual": ("residual", "dense")}


def old_stream(space: SearchSpace):
    rng = np.random.default_rng(7)
    sampled = [space.sample_genome(rng).key() for _ in range(4)]
    rng = np.random.default_rng(11)
    g = space.sample_genome(rng)
    chain = []
    for _ in range(6):
        mut_structure(g, space=space, rng=rng, indpb=0.3, add_prob=0.5, remove_prob=0.3)
        chain.append(g.key())
    rng = np.random.default_rng(5)
    g = space.sample_genome(rng)
    for _ in range(3):
        mut_add_layer(g, space=space, rng=rng)
    chain.append(g.key())
    g = Genome([], {}, family=space.family)
    repair(g, space, np.random.default_rng(3))
    chain.append(g.key())
    return sampled, chain


@pytest.mark.parametrize("family", BUILT_IN)
def test_default_and_recorded_spaces_keep_their_meaning_and_random_streams(family):
    space = SearchSpace(family=family)
    digest, sampled, chain = OLD_STREAMS[family]
    assert hashlib.sha256(json.dumps(space.to_dict(), sort_keys=True).encode()).hexdigest()[:16] == digest
    assert space.kinds == OLD_KINDS[family] and "frame_pool" not in space.layers
    assert set(get_family(family).optional) == {"frame_pool", "time_pool"}
    assert old_stream(space) == (sampled, chain)
    again = SearchSpace.from_dict(space.to_dict())
    assert again == space and again.kinds == space.kinds and old_stream(again) == (sampled, chain)
    assert get_family(family).representatives() == OLD_REPRESENTATIVES[family]
    assert "frame_pool" not in default_layer_domains(family)


def test_templates_are_unchanged():
    assert get_family("cnn").template(5) == ["conv"] * 3 + ["dense"] * 2
    assert get_family("cnn+rnn").template(4) == ["conv", "conv", "rnn", "dense"]
    assert get_family("residual").template(3) == ["residual", "residual", "dense"]


def test_with_kinds_turns_the_genes_on_and_survives_json():
    space = SearchSpace(family="cnn").with_kinds("frame_pool", "time_pool")
    assert space.kinds == ("conv", "frame_pool", "time_pool", "dense", "dropout")
    assert space.at_most_once == {"frame_pool", "time_pool"}
    assert space.layers["frame_pool"] == {"mode": Choice(("flatten", "max", "avg", "rows"))}
    assert SearchSpace.from_dict(json.loads(json.dumps(space.to_dict()))) == space
    narrowed = space.with_domain("time_pool.mode", Choice(("max",)))
    assert narrowed.with_kinds("time_pool").layers["time_pool"]["mode"] == Choice(("max",))  # kept
    spelled_out = SearchSpace(family="cnn", layers={**default_layer_domains("cnn"),
                                                    "frame_pool": {"mode": Choice(("max", "avg"))}})
    assert spelled_out.kinds == ("conv", "frame_pool", "dense", "dropout")
    assert space.with_family("rnn").kinds == ("frame_pool", "rnn", "time_pool", "dense", "dropout")
    with pytest.raises(SearchSpaceError, match="not a kind of family 'cnn'"):
        SearchSpace(family="cnn").with_kinds("lstm")
    with pytest.raises(SearchSpaceError, match="unknown layer kind 'pool'"):
        SearchSpace(family="cnn").with_kinds("pool")


def test_the_command_line_turns_the_genes_on():
    from evodeap.config.overrides import parse_assignments
    from evodeap.config.settings import ExperimentConfig

    config = ExperimentConfig().with_overrides(parse_assignments(
        ['space.with_kinds=["frame_pool","time_pool"]', 'space.frame_pool.mode.options=["max","avg"]']))
    assert config.space.layers["frame_pool"]["mode"] == Choice(("max", "avg"))
    assert config.space.kinds == ("conv", "frame_pool", "time_pool", "dense", "dropout")
    one = ExperimentConfig().with_overrides(parse_assignments(["space.with_kinds=time_pool"]))
    assert one.space.kinds == ("conv", "time_pool", "dense", "dropout")
    with pytest.raises(ConfigError, match="add it first with --set space.with_kinds=time_pool"):
        ExperimentConfig().with_overrides(parse_assignments(['space.time_pool.mode.options=["max"]']))
    with pytest.raises(ConfigError, match="expects a layer kind name or a list"):
        ExperimentConfig().with_overrides({"space.with_kinds": 3})


def test_optional_kinds_are_validated_like_the_other_fields():
    with pytest.raises(LayerKindError, match="optional kinds \\['lstm'\\] are not kinds of the family"):
        register_family("bad_optional", [("conv",), ("dense",)], optional=("lstm",))
    with pytest.raises(LayerKindError, match="both required and optional"):
        register_family("bad_optional", [("conv",), ("dense",)], required=("conv",), optional=("conv",))
    assert "bad_optional" not in FAMILIES


# -- sampling, mutation and repair --------------------------------------------------------------
def pools_of(genome) -> list[str]:
    return [g.describe() for g in genome if g.kind in ("frame_pool", "time_pool")]


@pytest.mark.parametrize("family", ["cnn", "rnn", "cnn+lstm", "residual"])
def test_sampling_a_space_with_the_genes_draws_every_mode_and_never_two(family):
    space = SearchSpace(family=family).with_kinds("frame_pool", "time_pool")
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        genome = space.sample_genome(rng)
        assert space.violations(genome) == [], genome.describe()
        assert sum(g.kind == "frame_pool" for g in genome) <= 1 and sum(g.kind == "time_pool" for g in genome) <= 1
        seen.update(pools_of(genome))
    assert seen == {"fpool-flatten", "fpool-max", "fpool-avg", "fpool-rows", "tpool-mean", "tpool-max", "tpool-last"}


@pytest.mark.parametrize("family", ["cnn", "cnn+rnn", "gru"])
def test_structural_mutation_reaches_every_mode_and_keeps_genomes_valid(family):
    space = SearchSpace(family=family, max_layers=9).with_kinds("frame_pool", "time_pool")
    old = SearchSpace(family=family, max_layers=9)
    for sp, expect in ((space, {"fpool-flatten", "fpool-max", "fpool-avg", "fpool-rows", "tpool-mean", "tpool-max", "tpool-last"}),
                       (old, set())):
        seen = set()
        for seed in range(40):
            rng = np.random.default_rng(seed)
            genome = sp.sample_genome(rng, n_layers=sp.min_layers)
            for _ in range(15):
                mut_structure(genome, space=sp, rng=rng, indpb=0.3, add_prob=0.6, remove_prob=0.3)
                assert sp.violations(genome) == [], genome.describe()
                seen.update(pools_of(genome))
        assert seen == expect


def test_add_layer_never_picks_a_kind_the_genome_already_holds_once():
    space = SearchSpace(family="cnn", max_layers=12).with_kinds("frame_pool", "time_pool")
    for seed in range(30):
        rng = np.random.default_rng(seed)
        genome = Genome([ConvBlock(8, 3, "relu", "none"), FramePool("max"), TimePool("mean")],
                        space.sample_hyperparameters(rng), family="cnn")
        for n in range(4, 13):
            mut_add_layer(genome, space=space, rng=rng)
            assert len(genome) == n and space.violations(genome) == []  # added, nothing repaired away
            assert pools_of(genome) == ["fpool-max", "tpool-mean"]


def test_repair_keeps_the_first_of_each_and_drops_kinds_the_space_does_not_search():
    space = SearchSpace(family="cnn").with_kinds("frame_pool", "time_pool")
    rng = np.random.default_rng(0)
    genome = Genome([ConvBlock(8, 3, "relu", "none"), TimePool("max"), FramePool("avg"), TimePool("last"),
                     FramePool("max"), DenseLayer(8, "relu")], space.sample_hyperparameters(rng), family="cnn")
    assert any("second time_pool" in p for p in space.violations(genome))
    repair(genome, space, rng)
    assert space.violations(genome) == [] and pools_of(genome) == ["fpool-avg", "tpool-max"]
    old = SearchSpace(family="cnn")
    genome = Genome([ConvBlock(8, 3, "relu", "none"), FramePool("max"), DenseLayer(8, "relu"), DenseLayer(9, "elu")],
                    old.sample_hyperparameters(rng), family="cnn")
    assert any("does not search" in p for p in old.violations(genome))
    repair(genome, old, rng)
    assert old.violations(genome) == [] and pools_of(genome) == []
    assert genome.describe() == "conv8k3relu-none > dense8relu > dense9elu"


def test_the_extending_doc_example_runs():
    doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "extending.md").read_text()
    code = re.search(r"<!-- script: pooling -->\n```python\n(.*?)```", doc, re.S).group(1)
    exec(compile(code, "docs/extending.md", "exec"), {})
