"""Learning-curve early termination: stop a model that cannot reach the k-th best in time.

The rule. Let ``v_1, …, v_e`` be a model's validation metric after each epoch trained so
far (higher is better) and ``r`` the number of epochs its budget still allows. Its
*optimistic final value* assumes the curve keeps improving at the best one-epoch rate it
has shown for every remaining epoch::

    s = max(0, max_{2≤j≤e} (v_j − v_{j−1}))        best observed one-epoch improvement
    B = v_e + r · s                                  optimistic bound on v_{e+r}

and training stops after epoch ``e`` iff ``B < θ`` (strictly), where ``θ`` is the
threshold. With fewer than two points there is no slope yet and ``B = +∞``.

Why optimistic. Learning curves are concave-ish: improvements shrink as training goes
on. For a curve whose increments never grow (``v_{j+1} − v_j ≤ v_j − v_{j−1}``), every
future increment is at most ``s``, so ``v_{e+r} ≤ v_e + r·s = B``. Hence the rule never
stops a model that would have reached ``θ`` by the end of its budget; it only stops a
model whose curve would have to improve *faster than it ever has* to get there. (A
curve that later speeds up — a plateau followed by a drop in loss — can be stopped
wrongly; ``min_epochs`` guards the noisy start.)

What the threshold is. The caller passes the k-th best validation metric among the
comparable evaluations so far (:func:`kth_best`; same budget, same metric): a model
that cannot beat it would not enter the top k, so the rest of its training is wasted.
``θ = None`` (fewer than k comparable results yet) disables the rule.

The pure rule (:func:`optimistic_final`, :func:`should_terminate`, :func:`kth_best`)
imports no Keras. :class:`LearningCurveStopper` — the Keras callback that applies it
after every epoch — is created on first access, so importing this module stays free of
TensorFlow.
"""
from __future__ import annotations

import functools
import heapq
import math
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from evodeap.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import keras

__all__ = [
    "LearningCurveStopper",
    "kth_best",
    "optimistic_final",
    "should_terminate",
]


def optimistic_final(curve: Sequence[float], remaining: int) -> float:
    """The optimistic bound on the curve's value after ``remaining`` more epochs.

    With ``curve = (v_1, …, v_e)``::

        s = max(0, max_{2≤j≤e} (v_j − v_{j−1}))
        optimistic_final = v_e + remaining · s

    Args:
        curve: the validation metric after each epoch so far, higher is better.
        remaining: epochs still to train (``≥ 0``).

    Returns:
        ``v_e + remaining · s``; ``+inf`` when ``e < 2`` (no slope known yet); ``nan``
        when a value of the curve is not finite (the rule cannot judge such a curve, and
        :func:`should_terminate` never stops on a ``nan`` bound).

    Raises:
        ValueError: ``remaining < 0``.
    """
    if remaining < 0:
        raise ValueError(f"remaining epochs must be >= 0, got {remaining}")
    values = [float(v) for v in curve]
    if not all(math.isfinite(v) for v in values):
        return math.nan
    if len(values) < 2:
        return math.inf
    slope = max(0.0, max(b - a for a, b in zip(values, values[1:])))
    return values[-1] + remaining * slope


def _check_min_epochs(min_epochs: int) -> None:
    if min_epochs < 2:
        raise ConfigError(f"min_epochs must be >= 2 (a slope needs two points), got {min_epochs}")


def should_terminate(
    curve: Sequence[float],
    remaining: int,
    threshold: float | None,
    min_epochs: int = 2,
) -> bool:
    """Whether to stop training now: the optimistic bound falls short of the threshold.

    True iff ``threshold is not None``, ``len(curve) ≥ min_epochs``, ``remaining > 0``
    and ``optimistic_final(curve, remaining) < threshold`` (strict: a bound equal to the
    threshold keeps training). ``remaining ≤ 0`` means training ends anyway, so False.
    A ``nan`` bound or threshold never stops training.

    Args:
        curve: the validation metric after each epoch so far, higher is better.
        remaining: epochs still to train.
        threshold: the value to reach (the k-th best so far), or None to never stop.
        min_epochs: epochs to observe before the rule may stop a model.

    Raises:
        ConfigError: ``min_epochs < 2`` — a slope needs two points (a ``ValueError``).
    """
    _check_min_epochs(min_epochs)
    if threshold is None or len(curve) < min_epochs or remaining <= 0:
        return False
    return optimistic_final(curve, remaining) < threshold


def kth_best(values: Iterable[float], k: int) -> float | None:
    """The k-th largest finite value: the threshold a newcomer must reach to enter the top k.

    Args:
        values: metric values (higher is better); ``nan`` and ``±inf`` are ignored.
        k: rank, ``k ≥ 1`` (``k = 1`` is the maximum).

    Returns:
        The k-th largest finite value (ties count separately), or None when there are
        fewer than ``k`` finite values.

    Raises:
        ConfigError: ``k < 1`` (a ``ValueError``).
    """
    if k < 1:
        raise ConfigError(f"k must be >= 1, got {k}")
    finite = [float(v) for v in values if math.isfinite(float(v))]
    if len(finite) < k:
        return None
    return heapq.nlargest(k, finite)[-1]


class _LearningCurveStopperMixin:
    """The Keras-free body of :class:`LearningCurveStopper` (the Keras base is added lazily)."""

    model: Any  # set by Keras (Callback.set_model)

    def __init__(
        self,
        score: Callable[[keras.Model], float],
        total_epochs: int,
        threshold: float | None,
        min_epochs: int = 2,
        prefix: Sequence[float] = (),
    ) -> None:
        """Stop ``model.fit`` once the validation curve cannot reach ``threshold`` in time.

        Args:
            score: ``score(model) -> float``, the validation metric (higher is better),
                called once after every epoch.
            total_epochs: the epochs this ``fit`` was asked to train (its ``epochs``).
            threshold: the value to reach — the k-th best comparable validation metric
                so far (:func:`kth_best`) — or None to never stop.
            min_epochs: epochs to observe (``prefix`` included) before the rule may stop.
            prefix: the curve of earlier training of the same model (e.g. an earlier,
                lower-budget round). Those epochs count as observed points of the curve
                but not in ``total_epochs``.

        Raises:
            ConfigError: ``min_epochs < 2`` or ``total_epochs < 0``.
        """
        super().__init__()
        _check_min_epochs(min_epochs)
        if total_epochs < 0:
            raise ConfigError(f"total_epochs must be >= 0, got {total_epochs}")
        self.score = score
        self.total_epochs = int(total_epochs)
        self.threshold = threshold
        self.min_epochs = int(min_epochs)
        self.prefix: tuple[float, ...] = tuple(float(v) for v in prefix)
        self._reset()

    def _reset(self) -> None:
        #: the validation metric after each epoch of this fit (prefix not included)
        self.curve: list[float] = []
        #: epochs of this fit trained when the rule stopped it, or None
        self.stopped_after: int | None = None
        #: the optimistic bound that fell short of the threshold, or None
        self.bound: float | None = None

    @property
    def terminated(self) -> bool:
        """Whether the rule stopped this fit early."""
        return self.stopped_after is not None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start a fresh curve, so one stopper can serve several ``fit`` calls."""
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Score the model, extend the curve and stop training when the bound falls short.

        ``remaining = total_epochs − len(curve)``, the epochs of this fit still to come
        (equal to ``total_epochs − (epoch + 1)`` when the fit starts at epoch 0; counting
        the curve keeps it right for ``fit(initial_epoch=…)`` too).
        """
        self.curve.append(float(self.score(self.model)))
        remaining = self.total_epochs - len(self.curve)
        observed = list(self.prefix) + self.curve
        if should_terminate(observed, remaining, self.threshold, self.min_epochs):
            self.model.stop_training = True
            self.stopped_after = len(self.curve)
            self.bound = optimistic_final(observed, remaining)


@functools.cache
def _stopper_class() -> type:
    import keras

    return type(
        "LearningCurveStopper",
        (_LearningCurveStopperMixin, keras.callbacks.Callback),
        {"__module__": __name__, "__doc__": _STOPPER_DOC},
    )


_STOPPER_DOC = """A Keras callback that stops ``fit`` once the validation curve cannot reach a threshold.

After every epoch it appends ``v = score(model)`` to :attr:`curve` and, with
``remaining = total_epochs − len(curve)``, sets ``model.stop_training = True`` iff
``should_terminate(prefix + curve, remaining, threshold, min_epochs)``, i.e. iff the
optimistic bound ``v_e + remaining · s`` (``s`` the best one-epoch improvement of
``prefix + curve``) is below ``threshold``.

Attributes:
    curve: the validation metric after each epoch of this fit (``prefix`` not included).
    stopped_after: the number of epochs of this fit trained when it was stopped, or None.
    bound: the optimistic bound that fell short of the threshold, or None.
    terminated: ``stopped_after is not None``.

Example::

    stopper = LearningCurveStopper(lambda m: val_accuracy(m), total_epochs=10,
                                   threshold=kth_best(previous_val_accuracies, k=5))
    model.fit(x, y, epochs=10, callbacks=[stopper])
"""


def __getattr__(name: str) -> Any:  # lazy: keep `import evodeap.evaluation.curves` free of Keras
    if name == "LearningCurveStopper":
        return _stopper_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
