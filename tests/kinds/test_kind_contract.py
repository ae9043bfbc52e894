"""The layer-kind contract, run on every registered kind — built-in or a researcher's.

Parametrized over the kinds registry (``tiny_kind`` registers a custom kind first, through
the public API), so a newly registered kind is checked here with no new test code: see
:mod:`evodeap.testing` for the checks.
"""
from __future__ import annotations

import pytest
import tiny_kind  # noqa: F401  (registers temporal_conv and the tconv family)

from evodeap.kinds import KINDS
from evodeap.testing import (
    check_json_round_trip,
    check_mutation,
    check_plan_matches_model,
    check_sampling,
    check_training_step,
    check_weight_inheritance,
)

#: Every registered kind in the family the contract picks, plus the free kinds on sequences.
CASES = [(kind, None) for kind in KINDS.names()] + [("dropout", "tconv"), ("batchnorm", "tconv")]
IDS = [kind if family is None else f"{kind}-in-{family}" for kind, family in CASES]


def test_the_contract_covers_the_new_kinds_and_a_custom_one():
    assert {"conv", "rnn", "dense", "dropout", "lstm", "gru", "batchnorm", "residual", "temporal_conv"} <= set(KINDS.names())


@pytest.mark.parametrize("kind, family", CASES, ids=IDS)
def test_sampling_json_and_mutation(kind, family):
    check_sampling(kind, family)
    check_json_round_trip(kind, family)
    check_mutation(kind, family)


@pytest.mark.slow
@pytest.mark.parametrize("kind, family", CASES, ids=IDS)
def test_plan_equals_built_model(kind, family):
    check_plan_matches_model(kind, family)


@pytest.mark.slow
@pytest.mark.parametrize("kind, family", CASES, ids=IDS)
def test_one_training_step(kind, family):
    check_training_step(kind, family)


@pytest.mark.slow
@pytest.mark.parametrize("kind, family", CASES, ids=IDS)
def test_weight_inheritance(kind, family):
    check_weight_inheritance(kind, family)
