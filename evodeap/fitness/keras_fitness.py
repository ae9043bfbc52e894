"""The real fitness: build the genome's Keras model, train it, score it.

``F = α·A − β·T + γ·R`` with

* ``A`` — the chosen metric (default accuracy) on the clean validation split;
* ``T`` — training cost squashed into ``[0, 1)``: ``T = c / (c + c_ref)``, where ``c`` is
  the selected cost measure (estimated training FLOPs by default, or wall-clock seconds
  of ``fit``, or parameter-steps) and ``c_ref`` the cost that gives ``T = 0.5``;
* ``R`` — the same metric on validation inputs perturbed by the data layer's
  noise/occlusion transform, drawn from a fixed perturbation seed;
* ``α, β, γ`` — ``accuracy_weight``, ``cost_weight``, ``robustness_weight`` (named so
  they are never confused with the Boltzmann selection pressure β).

In multi-objective mode the fitness is the vector ``(A, −T, R)`` (all maximised), for
NSGA-II. See docs/fitness.md for the defaults and why.

The parameters and their checks are :mod:`evodeap.fitness.keras_settings`; training (the
input pipeline, callbacks, epochs, costs) is :mod:`evodeap.fitness.training`; scoring (the
metrics per split, ``A``, ``T``, ``R``) is :mod:`evodeap.fitness.scoring`. This module builds
the model and composes them. A failed evaluation is reported by its status and message only:
the evaluation layer writes its failure value (:meth:`evodeap.evaluation.api.Objectives.with_failure_value`).

It trains on whichever Keras backend the process runs (:mod:`evodeap.execution.backend`): on
TensorFlow through ``tf.data`` (:meth:`DataBundle.dataset`), on JAX and PyTorch through
the backend-neutral NumPy batches (:meth:`DataBundle.batches`), which need no TensorFlow.
"""
from __future__ import annotations

import json
import time
from typing import Any

from evodeap.execution.backend import configure_runtime, require_backend, set_random_seed

require_backend()  # a missing or unusable Keras backend is one clear line, not Keras' import traceback

import keras

from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.fitness.keras_settings import COST_MEASURES, DEFAULT_COST_REFERENCES, DEFAULT_PERTURBATION, KerasSettings
import evodeap.fitness.scoring as scoring
import evodeap.fitness.training as training
from evodeap.fitness.phases import PhaseClock
from evodeap.fitness.runtime import is_out_of_memory, precision_policy, release_models
from evodeap.fitness.scoring import MAX_SCORING_BATCH, SCORING_MEMORY_MB, saturate, scoring_batch_size
from evodeap.genome.genome import Genome
from evodeap.models import InvalidModelError, build_model, plan_model

__all__ = ["KerasFitness", "load_bundle",
           # names of this module before the split (their homes: keras_settings, scoring)
           "COST_MEASURES", "DEFAULT_COST_REFERENCES", "DEFAULT_PERTURBATION", "MAX_SCORING_BATCH",
           "SCORING_MEMORY_MB", "saturate", "scoring_batch_size"]

# DataBundles built in this process, keyed by their DataSpec: a worker loads its data once.
_BUNDLES: dict[str, Any] = {}


def _spec_key(spec: Any) -> str:
    data = spec.to_dict() if hasattr(spec, "to_dict") else spec
    return json.dumps(data, sort_keys=True, default=str)


def load_bundle(spec: Any) -> Any:
    """The ``DataBundle`` of ``spec``, built once per process and then reused."""
    key = _spec_key(spec)
    if key not in _BUNDLES:
        from evodeap.data import load

        _BUNDLES[key] = load(spec)
    return _BUNDLES[key]


class KerasFitness(KerasSettings):
    """Train the genome's Keras model and score it with ``F = α·A − β·T + γ·R``.

    Picklable: it holds the data *spec* (or, for notebooks and tests, an in-memory
    bundle) and builds the data once per process.

    Args:
        data: an ``evodeap.data.DataSpec`` (or its dict form), or a ``DataBundle``
            (e.g. from ``evodeap.data.from_arrays``).
        accuracy_weight: α, weight of A.
        cost_weight: β, weight of T (not the Boltzmann selection β).
        robustness_weight: γ, weight of R.
        metric: validation metric used for A and R: ``accuracy``, ``precision``,
            ``recall``, ``f1``, ``auc`` (or ``label_accuracy`` for multi-label).
        cost_measure: ``flops`` (default, deterministic), ``wall_time`` or ``param_steps``.
        cost_reference: ``c_ref`` of the chosen measure (default per measure:
            1e13 FLOPs, 60 s, 1e8 parameter-steps).
        multi_objective: return ``(A, −T, R)`` instead of F.
        perturbation: ``evodeap.data.Perturbation`` parameters for R (a dict; default
            ``DEFAULT_PERTURBATION``), or ``None`` to skip R (then ``robustness_weight``
            must be 0 and ``multi_objective`` off).
        max_epochs: cap on the genome's ``epochs`` gene (``None``: no cap).
        early_stopping_patience: stop when the validation loss has not improved for this
            many epochs and restore the best weights (``None``: train all epochs).
        max_params: parameter cap; a larger model is ``invalid`` and not trained.
        max_activation_mb: predicted activation memory per training batch
            (``4 B · batch · Σ layer outputs``) above which the model is not trained and
            recorded as ``oom`` (``None``: no check). A CPU out-of-memory kills the
            process instead of raising, so this is the only way to record it.
        evaluate_test: also report ``test_*`` metrics when the data has a test split.
        deterministic: make the backend's ops deterministic where it can (same seed ⇒
            same metrics on one backend; see :func:`evodeap.execution.backend.configure_runtime`).
        mixed_precision: ``True``/``"float16"`` trains under ``mixed_float16`` (NVIDIA
            GPUs), ``"bfloat16"`` under ``mixed_bfloat16``; ``False``: float32.
        jit_compile: ``Model.compile(jit_compile=...)``. On JAX, ``False`` means Keras'
            ``"auto"`` (XLA whenever the model allows it): JAX has no compiled mode
            without XLA, and an uncompiled JAX step runs op by op.
        frame_size: the largest frame side a frame-downsampling family (``rnn``, ``lstm``,
            ``gru``) reads: frames are average-pooled by ``p = ⌈max(H, W) / frame_size⌉``
            before they leave the frames stage; ``None`` reads them at full resolution.
            Default 16, the size every run recorded before this setting used.
        thresholds: ``fixed`` (0.5) or ``validation``: the thresholded metrics of sigmoid
            outputs use, per label, the threshold that maximises its F1 on the clean
            validation split (:data:`evodeap.fitness.keras_settings.THRESHOLDS`).
    """

    # -- the evaluation protocol ------------------------------------------------
    @property
    def n_objectives(self) -> int:
        return 3 if self.multi_objective else 1

    @property
    def objective_names(self) -> tuple[str, ...]:
        return ("A", "-T", "R") if self.multi_objective else ("F",)

    @property
    def weights(self) -> tuple[float, ...]:
        """DEAP fitness weights: every objective is maximised."""
        return (1.0,) * self.n_objectives

    @property
    def failure_fitness(self) -> tuple[float, ...]:
        """The failure value this fitness declares (read by :meth:`evodeap.evaluation.api.Objectives.of`;
        the evaluation layer writes it into failed results): strictly worse than any trained
        model's in every objective.

        A trained model has ``F ≥ −β·T ≥ −β`` (A, R ≥ 0 and T < 1, see :func:`saturate`), so
        ``−1`` is below it while β < 1, and ``−(β + 1)`` otherwise. Multi-objective:
        ``(−1, −1, −1)``, below ``A ≥ 0``, ``−T > −1`` and ``R ≥ 0`` of every trained model.
        """
        if self.multi_objective:
            return (-1.0, -1.0, -1.0)
        return (-1.0 if self.cost_weight < 1.0 else -(self.cost_weight + 1.0),)

    def bundle(self) -> Any:
        """The ``DataBundle`` (loaded once per process for a spec), checked against the fitness.

        Raises:
            ConfigError: no validation data, or a metric the task does not have.
        """
        if hasattr(self.data, "dataset") and hasattr(self.data, "task"):
            bundle = self.data
        else:
            bundle = load_bundle(self.data)
        if "val" not in bundle.splits or bundle.size("val") == 0:
            raise ConfigError("the Keras fitness needs a validation split with at least one video")
        if self.metric == "label_accuracy" and bundle.task.kind != "multilabel":
            raise ConfigError(f"metric 'label_accuracy' needs a multilabel task, not {bundle.task.kind}")
        return bundle

    def data_warnings(self) -> list[str]:
        """Sentences to show before training: a validation split too small to rank models by
        the metric (:func:`evodeap.fitness.chance.split_warning`). Loads the data."""
        from evodeap.fitness.chance import split_warning

        bundle = self.bundle()
        note = split_warning(bundle.task.kind, self.metric, bundle.arrays("val")[1], n_classes=bundle.task.n_outputs)
        return [note] if note else []

    def check_ready(self) -> None:
        """Cheap checks of what the first evaluation needs (the data's folders exist), made by
        :func:`evodeap.config.resolve.plan_run` before a run writes anything."""
        if hasattr(self.data, "check_sources"):
            self.data.check_sources()

    def prepare(self) -> None:
        """Load the data now (call in the master to fail fast on a bad data spec)."""
        self.bundle()

    def compile_setting(self) -> bool | str:
        """The ``jit_compile`` given to Keras on this process's backend (``False`` is
        ``"auto"`` on JAX, see the class docstring)."""
        if self.jit_compile is False and keras.backend.backend() == "jax":
            return "auto"
        return self.jit_compile

    def combine(self, A: float, T: float, R: float) -> tuple[float, ...]:
        """``(α·A − β·T + γ·R,)`` or ``(A, −T, R)`` in multi-objective mode."""
        if self.multi_objective:
            return (A, -T, R)
        return (self.accuracy_weight * A - self.cost_weight * T + self.robustness_weight * R,)

    def planned_epochs(self, genome: Genome, context: EvalContext) -> int:
        """Epochs to train now (:func:`evodeap.fitness.training.planned_epochs`)."""
        return training.planned_epochs(self, genome, context)

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        """Build, train and score ``genome``; every outcome is an :class:`EvalResult`.

        A failure (``invalid``, ``oom``, ``nan``, ``error``) carries its status and message;
        its fitness value is written by the evaluation layer. The seconds of each phase
        (:mod:`evodeap.fitness.phases`) go to ``extra["phase_seconds"]``."""
        clock = PhaseClock()
        result = self._evaluate(genome, context, clock)
        result.extra["phase_seconds"] = clock.as_dict()
        return result

    def _evaluate(self, genome: Genome, context: EvalContext, clock: PhaseClock) -> EvalResult:
        start = time.perf_counter()
        with clock.phase("data"):
            bundle = self.bundle()
            configure_runtime(self.deterministic)
        with clock.phase("build"):
            plan = plan_model(genome, bundle.input_shape, bundle.task, max_params=self.max_params,
                              rnn_frame_size=self.frame_size)
        common = {"seed": context.seed, "n_params": plan.n_params if plan.valid else 0}

        def failure(status: str, message: str) -> EvalResult:
            return EvalResult.failure(status, message, wall_time=time.perf_counter() - start, **common)

        refusal = self._refusal(plan, genome)
        if refusal is not None:
            return failure(*refusal)
        model = None
        try:
            with precision_policy(self.mixed_precision):
                with clock.phase("build"):
                    set_random_seed(context.seed)
                    model = build_model(genome, bundle.input_shape, bundle.task, max_params=self.max_params,
                                        jit_compile=self.compile_setting(), plan=plan)
                with clock.phase("weights"):
                    started = self._start_from(model, genome, bundle, context)
                result = self._train_and_score(model, plan, genome, bundle, context, start, started, clock)
        except InvalidModelError as exc:
            result = failure("invalid", str(exc))
        except Exception as exc:  # a failing model is a result, never a crashed run
            result = failure("oom" if is_out_of_memory(exc) else "error", f"{type(exc).__name__}: {str(exc)[:500]}")
        finally:
            with clock.phase("teardown"):
                del model
                release_models()
        return result

    def _refusal(self, plan: Any, genome: Genome) -> tuple[str, str] | None:
        """(status, message) of a genome not to train: an invalid plan, or predicted
        activation memory (``4 B · batch · Σ layer outputs``) over ``max_activation_mb``."""
        if not plan.valid:
            return "invalid", "; ".join(plan.problems)
        activation_mb = 4.0 * int(genome.hyperparameters.get("batch_size", 32)) * plan.activation_elements / 2**20
        if self.max_activation_mb is not None and activation_mb > self.max_activation_mb:
            return "oom", (f"predicted activation memory {activation_mb:.0f} MB per batch exceeds "
                           f"max_activation_mb={self.max_activation_mb:.0f}")
        return None

    def _start_from(self, model, genome: Genome, bundle, context: EvalContext) -> dict[str, Any]:
        """Load the context's starting weights: the genome's own (continuation of a lower
        multi-fidelity rung) or a parent's, layer by layer where kind and shape match."""
        if context.weights is None:
            return {}
        from evodeap.fitness.inheritance import inherit_weights, load_weights_bytes

        source = Genome.from_dict(context.weights_genome)
        if source.key() == genome.key():
            load_weights_bytes(model, context.weights)
            return {"continued_from_epochs": context.trained_epochs}
        report = inherit_weights(model, source, context.weights, bundle.input_shape, bundle.task,
                                 max_params=self.max_params, jit_compile=self.jit_compile,
                                 rnn_frame_size=self.frame_size)
        return {"inherited_layers": report["inherited"], "fresh_layers": report["fresh"]}

    def _train_and_score(self, model, plan, genome: Genome, bundle, context: EvalContext, start: float,
                         started: dict[str, Any], clock: PhaseClock) -> EvalResult:
        """Train (:func:`evodeap.fitness.training.fit`), then score on every split
        (:func:`evodeap.fitness.scoring.score_splits`) into ``F`` — or a ``nan`` failure."""
        batch_size = int(genome.hyperparameters.get("batch_size", 32))
        score_batch = scoring_batch_size(plan.activation_elements, batch_size)
        trained = training.fit(self, model, genome, bundle, context, clock, score_batch)
        n_train = bundle.size("train")
        extra = training.training_extra(self, plan, n_train, batch_size, context, trained, started)
        common = {"seed": context.seed, "n_params": plan.n_params, "extra": extra}
        if trained.diverged:
            return EvalResult.failure("nan", f"training loss became non-finite (epoch losses {trained.losses.tolist()})",
                                      wall_time=time.perf_counter() - start, **common)
        metrics: dict[str, float] = {"train_loss": float(trained.losses[-1])}
        with clock.phase("scoring"):
            bad_split = scoring.score_splits(self, model, bundle, score_batch, metrics)
        if bad_split is not None:
            return EvalResult.failure("nan", f"non-finite predictions on {bad_split}", metrics=metrics,
                                      wall_time=time.perf_counter() - start, **common)
        metrics.update(scoring.chance_terms(self, bundle))
        costs = training.costs(plan, n_train, batch_size, extra["epochs_total"], trained.seconds)
        terms = scoring.components(self, metrics, scoring.normalised_costs(self, costs))
        weights = None
        if context.return_weights:
            from evodeap.fitness.inheritance import weights_to_bytes

            weights = weights_to_bytes(model)
        return EvalResult(
            fitness=self.combine(terms["A"], terms["T"], terms.get("R", 0.0)), status="ok", metrics=metrics,
            components=terms, wall_time=time.perf_counter() - start, weights=weights, **common,
        )

    def __repr__(self) -> str:
        mode = "(A, -T, R)" if self.multi_objective else (
            f"{self.accuracy_weight}·A − {self.cost_weight}·T + {self.robustness_weight}·R"
        )
        return f"KerasFitness({mode}, metric={self.metric}, cost={self.cost_measure})"
