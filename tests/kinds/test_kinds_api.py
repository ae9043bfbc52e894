"""The registration API, families as data, the walk and the new kinds' cost models."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from evodeap.domains import Integer
from evodeap.errors import LayerKindError, SearchSpaceError
from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer, layer_class
from evodeap.genome.genome import Genome
from evodeap.kinds import ANY, FAMILIES, FRAMES, KINDS, SEQUENCE, VECTOR, get_family, register_family, register_kind
from evodeap.kinds.batchnorm import BatchNormLayer
from evodeap.kinds.recurrent import GRULayer, LSTMLayer
from evodeap.kinds.residual import ResidualBlock
from evodeap.fitness.landscape import landscape_optimum, landscape_value
from evodeap.models import plan_model
from evodeap.genome.space import SearchSpace
from evodeap.testing import ContractTask

HP = {"learning_rate": 1e-3, "batch_size": 4, "optimizer": "adam", "dropout": 0.0, "epochs": 1}
TASK = ContractTask()


def plan(layers, family, shape=(2, 8, 8, 1)):
    return plan_model(Genome(layers, HP, family=family), shape, TASK, max_params=None)


def layers_of(p):
    return [(layer.name, layer.output_shape, layer.params, layer.macs) for layer in p.layers]


# -- the new kinds' cost models, by hand ---------------------------------------------------------
def test_lstm_and_gru_costs_and_return_sequences_exactly_when_a_later_gene_reads_a_sequence():
    p = plan([LSTMLayer(5, "tanh"), LSTMLayer(4, "tanh"), DenseLayer(3, "relu")], "lstm")
    d = 8 * 8  # 8×8 frames (no downsampling below 16), flattened
    assert layers_of(p)[:4] == [
        ("frame_flatten", (2, d), 0, 0),
        ("lstm_0", (2, 5), 4 * (d * 5 + 25 + 5), 2 * 4 * (d * 5 + 25)),
        ("lstm_1", (4,), 4 * (5 * 4 + 16 + 4), 2 * 4 * (5 * 4 + 16)),
        ("dense_2", (3,), 4 * 3 + 3, 12),
    ]
    g = plan([GRULayer(5, "tanh"), DropoutLayer(0.1)], "gru")
    assert layers_of(g)[1] == ("gru_0", (5,), 3 * (d * 5 + 25 + 10), 2 * 3 * (d * 5 + 25))
    assert layers_of(g)[2][:2] == ("dropout_1", (5,))


def test_lstm_family_downsamples_frames_like_the_rnn_family():
    p = plan([LSTMLayer(4, "tanh")], "lstm", shape=(2, 64, 40, 3))
    assert p.layers[0].name == "frame_downsample" and p.layers[0].output_shape == (2, 16, 10, 3)
    q = plan([ConvBlock(2, 3, "relu", "none"), LSTMLayer(4, "tanh")], "cnn+lstm", shape=(2, 64, 40, 3))
    assert "frame_downsample" not in [layer.name for layer in q.layers]


def test_batchnorm_costs_on_every_stage():
    p = plan([BatchNormLayer(0.9), ResidualBlock(4, 3, "relu", "none"), BatchNormLayer(0.99),
              DenseLayer(6, "relu"), BatchNormLayer(0.9)], "residual")
    rows = {name: (shape, params, macs) for name, shape, params, macs in layers_of(p)}
    assert rows["batchnorm_0"] == ((2, 8, 8, 1), 4, 2 * 8 * 8)
    assert rows["batchnorm_2"] == ((2, 8, 8, 4), 16, 2 * 8 * 8 * 4)
    assert rows["batchnorm_4"] == ((6,), 24, 6)


def test_residual_block_projects_only_when_the_channel_count_changes():
    p = plan([ResidualBlock(4, 3, "relu", "max"), ResidualBlock(4, 5, "elu", "none")], "residual")
    px = 2 * 8 * 8
    assert layers_of(p)[:6] == [
        ("residual_conv1_0", (2, 8, 8, 4), 9 * 1 * 4 + 4, px * 9 * 4),
        ("residual_conv2_0", (2, 8, 8, 4), 9 * 4 * 4 + 4, px * 9 * 16),
        ("residual_proj_0", (2, 8, 8, 4), 1 * 4 + 4, px * 4),
        ("residual_add_0", (2, 8, 8, 4), 0, 0),
        ("residual_act_0", (2, 8, 8, 4), 0, 0),
        ("residual_pool_0", (2, 4, 4, 4), 0, 0),
    ]
    second = [row[0] for row in layers_of(p) if row[0].endswith("_1")]
    assert second == ["residual_conv1_1", "residual_conv2_1", "residual_add_1", "residual_act_1"]
    shrink = plan([ResidualBlock(4, 3, "relu", "max")] * 4, "residual")
    assert any("(residual) pools a 1x1 frame" in problem for problem in shrink.problems)


# -- the walk ------------------------------------------------------------------------------------
def test_an_unknown_kind_is_an_invalid_plan_with_a_clear_reason():
    @dataclass(frozen=True)
    class Attention:
        kind: ClassVar[str] = "attention"
        heads: int

    p = plan([ConvBlock(2, 3, "relu", "none"), Attention(2)], "cnn")
    assert not p.valid
    assert any("unknown layer kind 'attention'" in problem and "conv" in problem for problem in p.problems)


def test_a_gene_that_cannot_reach_its_stage_is_reported_by_the_walk():
    # the family order forbids it too; the walk says why the model cannot be built
    p = plan([DenseLayer(4, "relu"), RecurrentLayer(3, "tanh")], "cnn+rnn")
    assert any("comes after" in problem for problem in p.problems)
    from evodeap.kinds.walk import walk

    w = walk([DenseLayer(4, "relu"), RecurrentLayer(3, "tanh")], (2, 8, 8, 1), get_family("cnn+rnn"),
             head_units=3, head_activation="softmax")
    assert w.problems == ("layer 1 (rnn) acts on sequence but its input is already a vector",)


# -- registration --------------------------------------------------------------------------------
def _gene(kind: str, **methods):
    namespace = {"__annotations__": {"kind": "ClassVar[str]", "width": "int"}, "kind": kind,
                 "plan": lambda self, shape, ctx: [], "build": lambda self, x, ctx: x, **methods}
    return dataclass(frozen=True)(type("G", (), namespace))


@pytest.mark.parametrize("make, fragment", [
    (lambda: register_kind(acts_on="pixels", domains={"width": Integer(1, 2)})(_gene("k1")), "acts_on must be one of"),
    (lambda: register_kind(acts_on=VECTOR, produces=FRAMES, domains={"width": Integer(1, 2)})(_gene("k2")), "produces must be"),
    (lambda: register_kind(acts_on=ANY, produces=VECTOR, domains={"width": Integer(1, 2)})(_gene("k3")), "keeps it"),
    (lambda: register_kind(acts_on=VECTOR, recurrent=True, domains={"width": Integer(1, 2)})(_gene("k4")), "recurrent"),
    (lambda: register_kind(acts_on=VECTOR, domains={"units": Integer(1, 2)})(_gene("k5")), "domains must give every field"),
    (lambda: register_kind(acts_on=VECTOR, domains={"width": Integer(5, 2)})(_gene("k6")), "inverted"),
    (lambda: register_kind(acts_on=VECTOR, domains={"width": Integer(1, 2)})(_gene("conv")), "already registered"),
    (lambda: register_kind(acts_on=VECTOR, domains={"width": Integer(1, 2)})(_gene("my kind")), "identifier"),
    (lambda: register_kind(acts_on=VECTOR, domains={"width": Integer(1, 2)}, roles={"width": ("units",)})(_gene("k7")), "roles"),
    (lambda: register_kind(acts_on=VECTOR, domains={"width": Integer(1, 2)})(
        dataclass(type("H", (), {"__annotations__": {"kind": "ClassVar[str]", "width": "int"}, "kind": "k8",
                                 "plan": None, "build": None}))), "frozen"),
])
def test_malformed_kinds_are_refused_with_one_clear_error(make, fragment):
    with pytest.raises(LayerKindError, match=fragment):
        make()


@pytest.mark.parametrize("stages, options, fragment", [
    ([("conv",), ("lstm",)], {"required": ("rnn",)}, "required kinds"),
    ([("dense",), ("conv",)], {}, "before the 'vector'"),
    ([("conv", "lstm")], {}, "mixes kinds"),
    ([("conv",), ("dense",)], {"free": ("dense",)}, "more than once"),
    ([("conv",)], {"free": ("conv",)}, "more than once"),
    ([("conv",)], {"free": ("rnn",)}, "must act on any stage"),
    ([("conv",), ("attention",)], {}, "unknown layer kind 'attention'"),
    ([], {}, "at least one stage"),
])
def test_malformed_families_are_refused(stages, options, fragment):
    with pytest.raises(LayerKindError, match=fragment):
        register_family("bad", stages, **options)
    assert "bad" not in FAMILIES


def test_a_new_family_is_data_and_gets_default_domains_and_sampling():
    register_family("conv_then_gru_test", [("conv",), ("gru",)], required=("gru",), free=("dropout", "batchnorm"))
    space = SearchSpace(family="conv_then_gru_test")
    assert space.kinds == ("conv", "gru", "dropout", "batchnorm")
    assert list(space.layers) == ["conv", "rnn", "dense", "dropout", "gru", "batchnorm"]
    rng = np.random.default_rng(0)
    for _ in range(50):
        genome = space.sample_genome(rng)
        assert space.violations(genome) == []
    assert SearchSpace.from_dict(space.to_dict()) == space


def test_default_spaces_of_the_old_families_are_unchanged():
    for family in ("cnn", "rnn", "cnn+rnn"):
        space = SearchSpace(family=family)
        assert list(space.layers) == ["conv", "rnn", "dense", "dropout"]
    with pytest.raises(SearchSpaceError, match="needs domains for layer kinds \\['lstm'\\]"):
        SearchSpace(family="lstm", layers=SearchSpace().layers)
    assert SearchSpace().with_family("lstm").layers["lstm"] == KINDS.get("lstm").default_domains()


def test_family_override_on_the_command_line_fills_the_new_kinds():
    from evodeap.config.settings import ExperimentConfig

    config = ExperimentConfig().with_overrides({"space.family": "cnn+gru"})
    assert config.space.family == "cnn+gru" and "gru" in config.space.layers


def test_gene_views_and_describe_cover_the_new_kinds():
    assert layer_class("lstm") is LSTMLayer and layer_class("residual") is ResidualBlock
    genome = Genome([ResidualBlock(8, 3, "relu", "max"), BatchNormLayer(0.99), ConvBlock(4, 3, "relu", "none"),
                     DenseLayer(8, "relu")], HP, family="residual")
    assert genome.describe() == "res8k3relu-max > bn0.99 > conv4k3relu-none > dense8relu"


@pytest.mark.parametrize("family", sorted(["cnn", "rnn", "cnn+rnn", "lstm", "gru", "cnn+lstm", "cnn+gru", "residual"]))
def test_the_landscape_optimum_exists_for_every_family(family):
    optimum = landscape_optimum(family)
    assert landscape_value(optimum) == pytest.approx(1.0, abs=1e-12)
    assert SearchSpace(family=family).violations(optimum) == []


def test_every_kind_declares_a_stage_and_roles():
    for name, kind in KINDS.items():
        assert kind.acts_on in (FRAMES, SEQUENCE, VECTOR, ANY) and kind.name == name
        assert set(kind.fields) == set(kind.default_domains())
    assert KINDS.get("residual").fields_for("width") == ("filters",)
    assert KINDS.get("lstm").recurrent and not KINDS.get("dense").recurrent


def test_kinds_use_only_the_public_keras_api_and_import_keras_lazily():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "evodeap" / "kinds"
    for path in root.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+tensorflow", text, re.M), path
        assert not re.search(r"\btf\.", text), path
        assert "keras.src" not in text, path
        assert not re.search(r"^(import keras|from keras)", text, re.M), f"{path}: import keras inside build()"


def test_a_genome_of_an_unregistered_kind_can_be_read_to_be_shown_but_not_planned():
    data = {"family": "cnn+attention", "hyperparameters": HP, "birth": 0,
            "layers": [{"kind": "conv", "filters": 4, "kernel_size": 3, "activation": "relu", "pooling": "max"},
                       {"kind": "attention", "heads": 2, "width": 8}]}
    from evodeap.errors import GenomeError

    with pytest.raises(GenomeError, match="unknown layer kind 'attention'"):
        Genome.from_dict(data)
    genome = Genome.from_dict(data, allow_unregistered=True)
    assert genome.to_dict() == data and Genome.from_json(genome.to_json(), allow_unregistered=True) == genome
    assert genome.describe() == "conv4k3relu-max > attention(heads=2,width=8)"
    assert not plan_model(genome, (2, 8, 8, 1), TASK).valid


def test_genes_of_every_registered_kind_are_layer_genes():
    from evodeap.genome.genes import UnregisteredGene, is_layer_gene

    import tiny_kind

    assert is_layer_gene(tiny_kind.TemporalConv(4, 3)) and is_layer_gene(LSTMLayer(4, "tanh"))
    assert not is_layer_gene(UnregisteredGene("attention", ())) and not is_layer_gene({"kind": "conv"})


def test_the_trials_table_reads_widths_through_the_kinds_roles():
    from evodeap.results.trials import structure_summary

    genome = Genome.from_dict({"family": "x", "hyperparameters": HP, "birth": 0, "layers": [
        {"kind": "residual", "filters": 8, "kernel_size": 3, "activation": "relu", "pooling": "max"},
        {"kind": "batchnorm", "momentum": 0.9}, {"kind": "attention", "units": 5, "heads": 2}]},
        allow_unregistered=True)
    summary = structure_summary(genome)
    assert summary["layer_kinds"] == "residual>batchnorm>attention" and summary["units"] == "8,5"
