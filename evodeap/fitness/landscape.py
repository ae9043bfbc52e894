"""A cheap, deterministic stand-in fitness with a known optimum.

The landscape scores a genome in [0, 1] as a weighted mean of terms that each peak at 1,
with interactions between hyperparameters and structure, so the whole evolutionary loop
can be exercised in milliseconds per evaluation. *Weighted* layers are those of a kind
with a ``width`` field (conv filters; rnn, dense, lstm, gru units; residual filters — see
the kinds' ``roles``); terms read the kinds' roles, so a researcher's kind is scored too:

* learning rate: ``exp(−(log10 lr − log10 lr*)² / (2·0.35²))`` with
  ``lr* = base(optimizer)·sqrt(batch_size / 32)`` (adam 1e-3, rmsprop 5e-4, sgd 2e-2),
  times the optimizer's quality (adam 1, rmsprop 0.9, sgd 0.85) — weight 3;
* batch size: ``exp(−(log2 b − 6)² / 2)`` (best at 64) — weight 1;
* depth: ``exp(−(n − 5)² / (2·1.2²))`` over all layers — weight 2;
* dropout hyperparameter: ``exp(−(d − d*)² / (2·0.08²))``, ``d* = min(0.5, 0.06·w)`` with
  ``w`` the number of weighted layers — weight 1;
* width: mean over weighted layers of ``exp(−(log2 width − 6)² / 2)`` (best at 64) — weight 2;
* activation: fraction of the weighted layers with an activation field that use their
  kind's best activation (tanh for recurrent kinds, relu for the others: relu for conv
  and dense, tanh for SimpleRNN) — weight 1;
* convolution details: mean over layers with a ``kernel`` field (conv and residual blocks)
  of the fraction of those fields at their best (kernel 3, max pooling) — weight 0.5;
* epochs: ``exp(−(e − 8)² / (2·2.5²))`` — weight 1;
* dropout layers: mean over dropout layers of ``exp(−(r − 0.2)² / (2·0.1²))`` — weight 0.5
  (1 when there are none).

:func:`landscape_optimum` builds a genome that scores exactly 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.genome.genome import Genome
from evodeap.kinds import get_family, get_kind
from evodeap.kinds.api import kind_of

LR_BASE = {"adam": 1e-3, "rmsprop": 5e-4, "sgd": 2e-2}
OPTIMIZER_QUALITY = {"adam": 1.0, "rmsprop": 0.9, "sgd": 0.85}
#: The best value of each field a ``kernel`` role may name.
BEST_KERNEL = {"kernel_size": 3, "pooling": "max"}
#: The width every weighted layer of the optimum has.
BEST_WIDTH = 64
#: the noise draw is clipped to ±NOISE_CLIP standard deviations (a draw beyond 10σ has
#: probability 1.5e-23: clipping changes no result in practice, and bounds the range)
NOISE_CLIP = 10.0


def _bell(x: float, centre: float, width: float) -> float:
    return math.exp(-((x - centre) ** 2) / (2 * width**2))


def _role(gene: Any, role: str) -> tuple[str, ...]:
    return kind_of(gene).fields_for(role)


def best_activation(kind: str) -> str:
    """tanh for a recurrent kind, relu for any other."""
    return "tanh" if get_kind(kind).recurrent else "relu"


def landscape_terms(genome: Genome) -> dict[str, float]:
    """Each term of the landscape (all in [0, 1])."""
    h = genome.hyperparameters
    weighted = [g for g in genome if _role(g, "width")]
    activated = [g for g in weighted if _role(g, "activation")]
    kernels = [[f for f in _role(g, "kernel") if f in BEST_KERNEL] for g in genome]
    detailed = [(g, fields) for g, fields in zip(genome, kernels) if fields]
    drops = [g for g in genome if g.kind == "dropout"]
    optimizer = h.get("optimizer", "adam")
    batch = float(h.get("batch_size", 32))
    lr_star = LR_BASE.get(optimizer, 1e-3) * math.sqrt(batch / 32)
    quality = OPTIMIZER_QUALITY.get(optimizer, 0.5)
    widths = [getattr(g, _role(g, "width")[0]) for g in weighted]
    return {
        "learning_rate": quality * _bell(math.log10(h.get("learning_rate", 1e-3)), math.log10(lr_star), 0.35),
        "batch_size": _bell(math.log2(batch), 6.0, 1.0),
        "depth": _bell(len(genome), 5.0, 1.2),
        "dropout": _bell(float(h.get("dropout", 0.0)), min(0.5, 0.06 * len(weighted)), 0.08),
        "width": sum(_bell(math.log2(w), 6.0, 1.0) for w in widths) / len(widths) if widths else 0.0,
        "activation": (
            sum(getattr(g, _role(g, "activation")[0]) == best_activation(g.kind) for g in activated) / len(activated)
            if activated else 0.0
        ),
        "conv_details": (
            sum(sum((getattr(g, f) == BEST_KERNEL[f]) / len(fields) for f in fields) for g, fields in detailed)
            / len(detailed) if detailed else 1.0
        ),
        "epochs": _bell(float(h.get("epochs", 1)), 8.0, 2.5),
        "dropout_layers": sum(_bell(g.rate, 0.2, 0.1) for g in drops) / len(drops) if drops else 1.0,
    }


TERM_WEIGHTS = {
    "learning_rate": 3.0, "batch_size": 1.0, "depth": 2.0, "dropout": 1.0, "width": 2.0,
    "activation": 1.0, "conv_details": 0.5, "epochs": 1.0, "dropout_layers": 0.5,
}


def landscape_value(genome: Genome) -> float:
    """The weighted mean of :func:`landscape_terms` — 1.0 exactly at the optimum."""
    terms = landscape_terms(genome)
    return sum(TERM_WEIGHTS[k] * v for k, v in terms.items()) / sum(TERM_WEIGHTS.values())


def landscape_optimum(family: str = "cnn") -> Genome:
    """A genome with landscape value 1: the family's five-layer
    :meth:`~evodeap.kinds.families.Family.template` (``cnn``: 3 conv, 2 dense; ``cnn+rnn``:
    2 conv, 2 rnn, 1 dense), every layer at its best (width 64, best activation, kernel 3,
    max pooling; other fields at the centre of their default domain), adam, batch 64 ..."""
    layers = [_best_gene(kind) for kind in get_family(family).template(5)]
    hyper = {
        "learning_rate": LR_BASE["adam"] * math.sqrt(2.0), "batch_size": 64,
        "optimizer": "adam", "dropout": 0.3, "epochs": 8,
    }
    return Genome(layers, hyper, family=family)


def _best_gene(kind_name: str) -> Any:
    kind = get_kind(kind_name)
    best = {name: dom.from_unit(0.5) for name, dom in kind.default_domains().items()}
    best.update({f: BEST_WIDTH for f in kind.fields_for("width")[:1]})
    best.update({f: best_activation(kind_name) for f in kind.fields_for("activation")[:1]})
    best.update({f: BEST_KERNEL[f] for f in kind.fields_for("kernel") if f in BEST_KERNEL})
    return kind.gene(**best)


@dataclass(frozen=True)
class LandscapeFitness:
    """Stand-in fitness: the landscape value, reported like a real evaluation.

    ``components`` holds each term; ``metrics`` holds ``val_score``. With ``noise = σ > 0``
    a seeded Gaussian (from the evaluation seed), clipped to ``±10σ``, is added, to study
    noisy fitness; ``delay`` seconds of sleep stand in for training time (executor tests
    and benchmarks).

    The value lies in ``[−10σ, 1 + 10σ]``, so the failure value ``−1 − 10σ`` (−1 without
    noise) is strictly below every trained genome's.

    A multi-fidelity ``context.budget`` stands for the epochs trained: the genome is scored
    with its ``epochs`` gene set to the budget, and ``extra`` reports
    ``epochs_run = budget − trained_epochs`` (the compute a real training would spend), so
    successive halving and budget accounting can be exercised without training.
    """

    noise: float = 0.0
    delay: float = 0.0
    n_objectives: int = 1

    def __post_init__(self) -> None:
        if self.n_objectives != 1:
            raise ConfigError(f"the landscape has one objective; n_objectives must be 1, got {self.n_objectives!r}")
        for name, high in (("noise", 1e6), ("delay", 3600.0)):  # a delay of 1e30 s would hang the run
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
                raise ConfigError(f"{name} must be a number in [0, {high:g}], got {value!r}")

    @property
    def failure_fitness(self) -> tuple[float, ...]:
        """``(−1 − 10σ,)``: below the lowest value, ``−10σ``."""
        return (-1.0 - NOISE_CLIP * self.noise,)

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        import time

        import numpy as np

        if self.delay:
            time.sleep(self.delay)
        epochs = genome.hyperparameters.get("epochs", 1)
        if context.budget is not None:
            epochs = context.budget
            genome = Genome(genome, {**genome.hyperparameters, "epochs": epochs}, family=genome.family)
        value = landscape_value(genome)
        if self.noise:
            z = float(np.random.default_rng(context.seed).standard_normal())
            value += self.noise * min(max(z, -NOISE_CLIP), NOISE_CLIP)
        return EvalResult(
            fitness=(value,), metrics={"val_score": value}, components=landscape_terms(genome),
            seed=context.seed,
            extra={"epochs_run": max(0, epochs - context.trained_epochs), "epochs_total": epochs},
        )
