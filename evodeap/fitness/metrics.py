"""Classification metrics in NumPy: accuracy, precision, recall, F1 and ROC AUC.

Every function takes ``y_true`` in the data layer's label format and ``y_score`` as the
model's outputs (probabilities):

=============  =====================================  ============================
task kind      ``y_true``                             ``y_score``
=============  =====================================  ============================
multiclass     int class ids, shape ``(N,)``          ``(N, K)`` class probabilities
multilabel     0/1 matrix, shape ``(N, L)``           ``(N, L)`` label probabilities
binary         0/1 vector, shape ``(N,)``             ``(N,)`` or ``(N, 1)`` P(positive)
=============  =====================================  ============================

Predictions: ``argmax`` (multi-class); ``score >= threshold`` (multi-label, binary), with
one threshold for every label (default 0.5) or one per label (an array of ``L`` values,
e.g. :func:`f1_thresholds` chosen on the validation split).

Per class ``c`` with true positives ``TPc``, false positives ``FPc``, false negatives ``FNc``::

    precision_c = TPc / (TPc + FPc)     recall_c = TPc / (TPc + FNc)
    F1_c = 2·TPc / (2·TPc + FPc + FNc)  (= harmonic mean of precision_c and recall_c)

A ratio whose denominator is 0 is defined as 0 (scikit-learn's ``zero_division=0``).

* **multiclass** — accuracy = fraction of argmax predictions equal to the label;
  precision / recall / F1 are macro averages over *all K classes* (also the ones absent
  from the batch); AUC is the macro one-vs-rest average over the classes that have both
  positives and negatives in ``y_true``.
* **multilabel** — accuracy = subset accuracy (all labels of a sample right), plus
  ``label_accuracy`` = fraction of correct (sample, label) cells (1 − Hamming loss);
  precision / recall / F1 / AUC are macro averages over labels (AUC over labels with
  both classes present).
* **binary** — precision / recall / F1 of the positive class; AUC of the scores.

ROC AUC is the Mann–Whitney statistic with average ranks for ties::

    AUC = (Σ rank(positives) − P(P+1)/2) / (P·N)

It is ``nan`` where undefined (no class with both positives and negatives).
Results equal scikit-learn's (``labels=range(K)``, ``zero_division=0``) to 1e-6; see
tests/fitness/test_metrics.py.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

TASK_KINDS = ("multiclass", "multilabel", "binary")
METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "auc")


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def binary_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of one binary problem (Mann–Whitney U with tie ranks); ``nan`` if undefined."""
    y_true = np.asarray(y_true).astype(bool).ravel()
    score = np.asarray(score, dtype=np.float64).ravel()
    n_pos = int(y_true.sum())
    n_neg = y_true.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)  # average ranks for ties
    return float((ranks[y_true].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def indicator_counts(truth: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column ``(TP, FP, FN)`` of two boolean ``(N, K)`` indicator matrices."""
    truth = truth.astype(bool)
    pred = pred.astype(bool)
    tp = np.sum(truth & pred, axis=0)
    fp = np.sum(~truth & pred, axis=0)
    fn = np.sum(truth & ~pred, axis=0)
    return tp, fp, fn


def per_class_scores(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class ``(precision, recall, F1)`` from counts (0 where a denominator is 0)."""
    precision = _safe_divide(tp, tp + fp)
    recall = _safe_divide(tp, tp + fn)
    f1 = _safe_divide(2 * tp, 2 * tp + fp + fn)
    return precision, recall, f1


def f1_thresholds(kind: str, y_true: np.ndarray, y_score: np.ndarray, default: float = 0.5) -> np.ndarray | None:
    """Per label, the threshold that maximises the label's F1 on ``(y_true, y_score)``.

    For a label with ``P`` positives, predicting the ``k`` highest scores positive gives
    ``F1(k) = 2·TP(k) / (k + P)``; over the cuts ``k`` that fall between two different
    scores the best ``k*`` (the smallest on ties) gives the threshold halfway between the
    ``k*``-th and the next score (below the lowest score when ``k* = N``). A label without
    positives keeps ``default``. Multi-class tasks decide by ``argmax``: ``None``.

    Returns:
        ``(L,)`` thresholds (multi-label), ``(1,)`` (binary) or ``None`` (multi-class).
    """
    if kind == "multiclass":
        return None
    truth, _, score = _indicators(kind, y_true, y_score, default)
    thresholds = np.full(truth.shape[1], float(default))
    for c in range(truth.shape[1]):
        order = np.argsort(-score[:, c], kind="stable")
        s, t = score[order, c], truth[order, c]
        positives = int(t.sum())
        if positives == 0:
            continue
        k = np.arange(1, s.size + 1)
        f1 = 2.0 * np.cumsum(t) / (k + positives)
        cut = np.append(s[1:] < s[:-1], True)  # k may end only where the next score is lower
        f1[~cut] = -1.0
        best = int(np.argmax(f1))
        thresholds[c] = (s[best] + s[best + 1]) / 2.0 if best + 1 < s.size else np.nextafter(s[best], -np.inf)
    return thresholds


def _indicators(kind: str, y_true: np.ndarray, y_score: np.ndarray, threshold: float | np.ndarray):
    """``(truth, pred, score)`` as ``(N, K)`` arrays, the per-class view of any task kind."""
    if kind == "multiclass":
        y_true = np.asarray(y_true).astype(np.int64).ravel()
        y_score = np.asarray(y_score, dtype=np.float64)
        if y_score.ndim != 2:
            raise ValueError(f"multiclass scores must be (N, K), got shape {y_score.shape}")
        k = y_score.shape[1]
        truth = np.zeros_like(y_score, dtype=bool)
        truth[np.arange(y_true.size), y_true] = True
        pred = np.zeros_like(truth)
        pred[np.arange(y_true.size), np.argmax(y_score, axis=1)] = True
        return truth, pred, y_score
    if kind == "multilabel":
        truth = np.asarray(y_true) > 0.5
        score = np.asarray(y_score, dtype=np.float64)
        if score.shape != truth.shape:
            raise ValueError(f"multilabel scores {score.shape} do not match labels {truth.shape}")
        return truth, score >= threshold, score
    if kind == "binary":
        truth = (np.asarray(y_true).ravel() > 0.5)[:, None]
        score = np.asarray(y_score, dtype=np.float64).reshape(-1, 1)
        return truth, score >= threshold, score
    raise ValueError(f"unknown task kind {kind!r}; one of {TASK_KINDS}")


def per_class_metrics(
    kind: str, y_true: np.ndarray, y_score: np.ndarray, threshold: float | np.ndarray = 0.5
) -> dict[str, np.ndarray]:
    """Per-class (per-label) ``precision``, ``recall``, ``f1`` and ``auc`` arrays.

    For ``binary`` there is one entry: the positive class.
    """
    truth, pred, score = _indicators(kind, y_true, y_score, threshold)
    precision, recall, f1 = per_class_scores(*indicator_counts(truth, pred))
    auc = np.array([binary_auc(truth[:, c], score[:, c]) for c in range(truth.shape[1])])
    return {"precision": precision, "recall": recall, "f1": f1, "auc": auc}


def classification_metrics(
    kind: str, y_true: np.ndarray, y_score: np.ndarray, threshold: float | np.ndarray = 0.5
) -> dict[str, float]:
    """Accuracy, macro precision / recall / F1 and macro ROC AUC of one split.

    Args:
        kind: ``"multiclass"``, ``"multilabel"`` or ``"binary"``.
        y_true: labels in the data layer's format (see the module docstring).
        y_score: model outputs (probabilities).
        threshold: decision threshold for sigmoid outputs: one for all labels, or one per
            label (``(L,)``; see :func:`f1_thresholds`).

    Returns:
        ``{"accuracy", "precision", "recall", "f1", "auc"}`` (plus ``"label_accuracy"``
        for multi-label); ``auc`` is ``nan`` when no class has both outcomes.
    """
    truth, pred, score = _indicators(kind, y_true, y_score, threshold)
    if truth.shape[0] == 0:
        raise ValueError("cannot compute metrics on an empty split")
    per_class = per_class_metrics(kind, y_true, y_score, threshold)
    # one-hot rows: for multiclass this is argmax == label, for multilabel subset accuracy
    accuracy = float(np.mean(np.all(truth == pred, axis=1)))
    defined = per_class["auc"][~np.isnan(per_class["auc"])]
    out = {
        "accuracy": accuracy,
        "precision": float(np.mean(per_class["precision"])),
        "recall": float(np.mean(per_class["recall"])),
        "f1": float(np.mean(per_class["f1"])),
        "auc": float(np.mean(defined)) if defined.size else float("nan"),
    }
    if kind == "multilabel":
        out["label_accuracy"] = float(np.mean(truth == pred))
    return out
