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

It trains on whichever Keras backend the process runs (:mod:`evodeap.execution.backend`): on
TensorFlow through ``tf.data`` (:meth:`DataBundle.dataset`), on JAX and PyTorch through
the backend-neutral NumPy batches (:meth:`DataBundle.batches`), which need no TensorFlow.
"""
from __future__ import annotations

import json
import math
import time
from typing import Any, Mapping

from evodeap.execution.backend import configure_runtime, inference_mode, peak_gpu_memory_mb, require_backend, set_random_seed

require_backend()  # a missing or unusable Keras backend is one clear line, not Keras' import traceback

import keras
import numpy as np

from evodeap.data.batches import ArrayBatches
from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.fitness.metrics import METRIC_NAMES, classification_metrics
from evodeap.fitness.phases import PhaseClock
from evodeap.fitness.runtime import is_out_of_memory, precision_policy, precision_policy_name, release_models
from evodeap.genome.genome import Genome
from evodeap.models import DEFAULT_MAX_PARAMS, InvalidModelError, build_model, parameter_steps, plan_model, training_flops

COST_MEASURES = ("flops", "wall_time", "param_steps")
#: ``c_ref`` per cost measure: the cost at which ``T = 0.5`` (see docs/fitness.md).
DEFAULT_COST_REFERENCES = {"flops": 1e13, "wall_time": 60.0, "param_steps": 1e8}
#: Validation-input perturbation for R (``evodeap.data.Perturbation`` parameters).
DEFAULT_PERTURBATION = {"noise_sigma": 0.1, "occlusion_size": 16, "occlusion_prob": 0.5, "seed": 0}

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


#: Memory a scoring call's activations may take: scoring slices hold up to
#: ``SCORING_MEMORY_MB / (4 B · Σ layer outputs)`` videos (at least the training batch).
SCORING_MEMORY_MB = 256.0
#: The most videos one scoring call takes.
MAX_SCORING_BATCH = 1024


def scoring_batch_size(activation_elements: int, batch_size: int) -> int:
    """Videos per scoring call: ``⌊SCORING_MEMORY_MB / (4 B · activation_elements)⌋``,
    between the training ``batch_size`` and :data:`MAX_SCORING_BATCH` — a few large calls
    instead of one per training batch (see docs/fitness.md, "Fixed cost of an evaluation")."""
    fits = int(SCORING_MEMORY_MB * 2**20 // (4 * max(1, int(activation_elements))))
    return max(int(batch_size), min(MAX_SCORING_BATCH, fits))


#: the largest float below 1: T never reaches 1, even where ``c / (c + c_ref)`` rounds to 1.0
_BELOW_ONE = math.nextafter(1.0, 0.0)


def saturate(cost: float, reference: float) -> float:
    """``c / (c + c_ref)``: 0 for free training, 0.5 at the reference cost, → 1 above (never 1)."""
    return float(min(cost / (cost + reference), _BELOW_ONE)) if cost > 0 else 0.0


class KerasFitness:
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
    """

    def __init__(
        self,
        data: Any,
        *,
        accuracy_weight: float = 1.0,
        cost_weight: float = 0.1,
        robustness_weight: float = 0.5,
        metric: str = "accuracy",
        cost_measure: str = "flops",
        cost_reference: float | None = None,
        multi_objective: bool = False,
        perturbation: Mapping[str, Any] | None | str = "default",
        max_epochs: int | None = None,
        early_stopping_patience: int | None = None,
        max_params: int | None = DEFAULT_MAX_PARAMS,
        max_activation_mb: float | None = 4096.0,
        evaluate_test: bool = True,
        deterministic: bool = True,
        mixed_precision: bool | str = False,
        jit_compile: bool | str = False,
    ) -> None:
        if isinstance(data, Mapping):
            from evodeap.data import DataSpec

            data = DataSpec.from_dict(dict(data))
        self.data = data
        self.accuracy_weight = float(accuracy_weight)
        self.cost_weight = float(cost_weight)
        self.robustness_weight = float(robustness_weight)
        self.metric = metric
        self.cost_measure = cost_measure
        self.cost_reference = float(
            DEFAULT_COST_REFERENCES.get(cost_measure, 1.0) if cost_reference is None else cost_reference
        )
        self.multi_objective = bool(multi_objective)
        if isinstance(perturbation, str) and perturbation == "default":
            perturbation = DEFAULT_PERTURBATION
        self.perturbation = None if perturbation is None else dict(perturbation)
        self.max_epochs = max_epochs
        self.early_stopping_patience = early_stopping_patience
        self.max_params = max_params
        self.max_activation_mb = max_activation_mb
        self.evaluate_test = bool(evaluate_test)
        self.deterministic = bool(deterministic)
        self.mixed_precision = mixed_precision
        self.jit_compile = jit_compile
        self._check()

    def _check(self) -> None:
        for name in ("accuracy_weight", "cost_weight", "robustness_weight"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"{name} must be a finite number >= 0, got {value}")
        if self.metric not in METRIC_NAMES + ("label_accuracy",):
            raise ConfigError(f"unknown metric {self.metric!r}; one of {', '.join(METRIC_NAMES)}, label_accuracy")
        if self.cost_measure not in COST_MEASURES:
            raise ConfigError(f"unknown cost_measure {self.cost_measure!r}; one of {', '.join(COST_MEASURES)}")
        if not (math.isfinite(self.cost_reference) and self.cost_reference > 0):
            raise ConfigError(f"cost_reference must be > 0, got {self.cost_reference}")
        if self.perturbation is None and (self.robustness_weight > 0 or self.multi_objective):
            raise ConfigError("robustness (R) needs a perturbation; give one or set robustness_weight=0")
        for name in ("max_epochs", "max_params"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name} must be a positive integer or None, got {value!r}")
        patience = self.early_stopping_patience
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 0):
            raise ConfigError(f"early_stopping_patience must be an integer >= 0 or None, got {patience!r}")
        if self.max_activation_mb is not None and not self.max_activation_mb > 0:
            raise ConfigError(f"max_activation_mb must be > 0 or None, got {self.max_activation_mb}")
        precision_policy_name(self.mixed_precision)

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
        """Fitness of a failed evaluation, strictly worse than any trained model's in every objective.

        A trained model has ``F ≥ −β·T ≥ −β`` (A, R ≥ 0 and T < 1, see :func:`saturate`), so
        ``−1`` is below it while β < 1, and ``−(β + 1)`` otherwise. Multi-objective:
        ``(−1, −1, −1)``, below ``A ≥ 0``, ``−T > −1`` and ``R ≥ 0`` of every trained model.
        """
        if self.multi_objective:
            return (-1.0, -1.0, -1.0)
        return (-1.0 if self.cost_weight < 1.0 else -(self.cost_weight + 1.0),)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able parameters (the data as its spec dict, or a note for an in-memory bundle)."""
        data = self.data.to_dict() if hasattr(self.data, "to_dict") else f"<{type(self.data).__name__}>"
        keys = (
            "accuracy_weight", "cost_weight", "robustness_weight", "metric", "cost_measure",
            "cost_reference", "multi_objective", "perturbation", "max_epochs",
            "early_stopping_patience", "max_params", "max_activation_mb", "evaluate_test",
            "deterministic", "mixed_precision", "jit_compile",
        )
        return {"data": data, **{k: getattr(self, k) for k in keys}}

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

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        """Build, train and score ``genome``; every outcome is an :class:`EvalResult`.

        The seconds of each phase (:mod:`evodeap.fitness.phases`) go to
        ``extra["phase_seconds"]``."""
        clock = PhaseClock()
        result = self._evaluate(genome, context, clock)
        result.extra["phase_seconds"] = clock.as_dict()
        return result

    def _evaluate(self, genome: Genome, context: EvalContext, clock: PhaseClock) -> EvalResult:
        start = time.perf_counter()
        with clock.phase("data"):
            bundle = self.bundle()
            configure_runtime(self.deterministic)
        hp = genome.hyperparameters
        with clock.phase("build"):
            plan = plan_model(genome, bundle.input_shape, bundle.task, max_params=self.max_params)
        common = {"seed": context.seed, "n_params": plan.n_params if plan.valid else 0}

        def failure(status: str, message: str, **kwargs: Any) -> EvalResult:
            kwargs.setdefault("wall_time", time.perf_counter() - start)
            return EvalResult.failure(status, message, self.failure_fitness, **common, **kwargs)

        if not plan.valid:
            return failure("invalid", "; ".join(plan.problems))
        batch_size = int(hp.get("batch_size", 32))
        activation_mb = 4.0 * batch_size * plan.activation_elements / 2**20
        if self.max_activation_mb is not None and activation_mb > self.max_activation_mb:
            return failure(
                "oom",
                f"predicted activation memory {activation_mb:.0f} MB per batch exceeds "
                f"max_activation_mb={self.max_activation_mb:.0f}",
            )
        model = None
        try:
            with precision_policy(self.mixed_precision):
                with clock.phase("build"):
                    set_random_seed(context.seed)
                    model = build_model(
                        genome, bundle.input_shape, bundle.task, max_params=self.max_params,
                        jit_compile=self.compile_setting(), plan=plan,
                    )
                with clock.phase("weights"):
                    started = self._start_from(model, genome, bundle, context)
                result = self._train_and_score(model, plan, genome, bundle, context, start, started, clock)
        except InvalidModelError as exc:
            result = failure("invalid", str(exc))
        except Exception as exc:  # a failing model is a result, never a crashed run
            if is_out_of_memory(exc):
                result = failure("oom", f"{type(exc).__name__}: {str(exc)[:500]}")
            else:
                result = failure("error", f"{type(exc).__name__}: {str(exc)[:500]}")
        finally:
            with clock.phase("teardown"):
                del model
                release_models()
        return result

    # -- internals ------------------------------------------------------------------
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
                                 max_params=self.max_params, jit_compile=self.jit_compile)
        return {"inherited_layers": report["inherited"], "fresh_layers": report["fresh"]}

    def planned_epochs(self, genome: Genome, context: EvalContext) -> int:
        """Epochs to train now: the context's budget (or the ``epochs`` gene, capped by
        ``max_epochs``) minus the epochs its starting weights were already trained."""
        if context.budget is not None:
            total = int(context.budget)
        else:
            total = int(genome.hyperparameters.get("epochs", 1))
            if self.max_epochs is not None:
                total = min(total, self.max_epochs)
        return max(1, total - int(context.trained_epochs))

    def _validation_score(self, model, bundle, batch_size: int) -> float:
        """The fitness metric on the clean validation split (the learning curve's value);
        ``batch_size`` videos per scoring call."""
        y_true, y_score = self._predict(model, bundle, "val", batch_size, None)
        return float(classification_metrics(bundle.task.kind, y_true, y_score)[self.metric])

    def _train_and_score(self, model, plan, genome, bundle, context, start, started, clock) -> EvalResult:
        from evodeap.evaluation.curves import LearningCurveStopper

        hp = genome.hyperparameters
        batch_size = int(hp.get("batch_size", 32))
        epochs = self.planned_epochs(genome, context)
        n_train = bundle.size("train")
        with clock.phase("data"):
            train = self._inputs(bundle, "train", batch_size, shuffle_seed=context.seed)
        fit_clock = clock.fit_callback()
        callbacks: list[keras.callbacks.Callback] = [keras.callbacks.TerminateOnNaN(), fit_clock]
        if isinstance(train, ArrayBatches):  # reshuffle by seed every epoch
            callbacks.append(train.epoch_callback())
        validation = None
        if self.early_stopping_patience is not None:
            validation = self._inputs(bundle, "val", batch_size)
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=self.early_stopping_patience, restore_best_weights=True
                )
            )
        score_batch = scoring_batch_size(plan.activation_elements, batch_size)
        stopper = None
        if context.stop_threshold is not None:
            stopper = LearningCurveStopper(
                lambda m: self._validation_score(m, bundle, score_batch), total_epochs=epochs,
                threshold=context.stop_threshold, min_epochs=context.stop_min_epochs, prefix=context.curve,
            )
            callbacks.append(stopper)
        fit_start = time.perf_counter()
        history = model.fit(
            train, epochs=epochs, validation_data=validation, callbacks=callbacks, shuffle=False, verbose=0
        )
        fit_end = time.perf_counter()
        train_seconds = fit_end - fit_start
        clock.fit_done(fit_clock, fit_start, fit_end)
        losses = np.asarray(history.history.get("loss", []), dtype=float)
        epochs_run = len(losses)
        epochs_total = int(context.trained_epochs) + epochs_run
        steps = epochs_run * math.ceil(n_train / batch_size)
        # T is the cost of the model's whole training (earlier rungs included); the
        # budget accounting (extra) counts only what this evaluation spent
        costs = {
            "wall_time": train_seconds,
            "flops": training_flops(plan, n_train * epochs_total),
            "param_steps": parameter_steps(plan, epochs_total * math.ceil(n_train / batch_size)),
        }
        normalised = {
            m: saturate(c, self.cost_reference if m == self.cost_measure else DEFAULT_COST_REFERENCES[m])
            for m, c in costs.items()
        }
        extra = {
            "epochs_run": epochs_run,
            "epochs_planned": epochs,
            "epochs_total": epochs_total,
            "optimizer_steps": steps,
            "train_seconds": train_seconds,
            "train_flops": training_flops(plan, n_train * epochs_run),
            "param_steps": parameter_steps(plan, steps),
            **started,
            "forward_flops": plan.forward_flops,
            "cost_measure": self.cost_measure,
            "losses": [float(v) for v in losses],
            "history": {k: [float(v) for v in values] for k, values in history.history.items()},
            "backend": keras.backend.backend(),
        }
        gpu_peak = peak_gpu_memory_mb()
        if gpu_peak is not None:
            extra["gpu_peak_mb"] = gpu_peak
        if stopper is not None:
            extra["terminated_early"] = stopper.terminated
            extra["val_curve"] = [*context.curve, *stopper.curve]
        common = {"seed": context.seed, "n_params": plan.n_params, "extra": extra}
        if epochs_run == 0 or not np.all(np.isfinite(losses)):
            return EvalResult.failure(
                "nan", f"training loss became non-finite (epoch losses {losses.tolist()})", self.failure_fitness,
                wall_time=time.perf_counter() - start, **common,
            )
        task = bundle.task
        metrics: dict[str, float] = {"train_loss": float(losses[-1])}
        splits = [("val", None)]
        if self.perturbation is not None:
            splits.append(("val_perturbed", self._perturbation()))
        if self.evaluate_test and "test" in bundle.splits:
            splits.append(("test", None))
        with clock.phase("scoring"):
            for name, perturbation in splits:
                split = "val" if name.startswith("val") else name
                y_true, y_score = self._predict(model, bundle, split, score_batch, perturbation)
                if not np.all(np.isfinite(y_score)):
                    return EvalResult.failure(
                        "nan", f"non-finite predictions on {name}", self.failure_fitness, metrics=metrics,
                        wall_time=time.perf_counter() - start, **common,
                    )
                for key, value in classification_metrics(task.kind, y_true, y_score).items():
                    metrics[f"{name}_{key}"] = value
        A = metrics[f"val_{self.metric}"]
        R = metrics.get(f"val_perturbed_{self.metric}", 0.0)
        T = normalised[self.cost_measure]
        components = {
            "A": A, "T": T, "R": R,
            "T_flops": normalised["flops"], "T_wall_time": normalised["wall_time"],
            "T_param_steps": normalised["param_steps"],
        }
        if self.perturbation is None:
            components.pop("R")
        weights = None
        if context.return_weights:
            from evodeap.fitness.inheritance import weights_to_bytes

            weights = weights_to_bytes(model)
        return EvalResult(
            fitness=self.combine(A, T, R), status="ok", metrics=metrics, components=components,
            wall_time=time.perf_counter() - start, weights=weights, **common,
        )

    def _perturbation(self) -> Any:
        from evodeap.data import Perturbation

        return Perturbation(**self.perturbation)

    @staticmethod
    def _inputs(bundle, split: str, batch_size: int, **kwargs: Any) -> Any:
        """The input pipeline of a split on this process's backend: ``tf.data`` on
        TensorFlow, the backend-neutral :class:`~evodeap.data.batches.ArrayBatches` elsewhere."""
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        if keras.backend.backend() == "tensorflow":
            return bundle.dataset(split, batch_size, **kwargs)
        return bundle.batches(split, batch_size, **kwargs)

    @classmethod
    def _predict(cls, model, bundle, split: str, batch_size: int, perturbation) -> tuple[np.ndarray, np.ndarray]:
        """Labels and model outputs over a split (order kept), ``batch_size`` videos per call.

        The split's arrays (:meth:`DataBundle.inputs`, perturbed once per bundle) are fed
        in slices to direct model calls, which run eagerly: no input pipeline to build and
        no per-model tracing of a predict function, which would dominate the cost of
        scoring the small validation and test splits."""
        x, y = bundle.inputs(split, perturbation)
        scores = []
        with inference_mode():
            for i in range(0, len(x), int(batch_size)):
                out = model(x[i:i + int(batch_size)], training=False)
                scores.append(np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64))
        return np.asarray(y), np.concatenate(scores)

    def __repr__(self) -> str:
        mode = "(A, -T, R)" if self.multi_objective else (
            f"{self.accuracy_weight}·A − {self.cost_weight}·T + {self.robustness_weight}·R"
        )
        return f"KerasFitness({mode}, metric={self.metric}, cost={self.cost_measure})"
