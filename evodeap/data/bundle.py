"""``DataBundle``: the train / val / test data of one run, as arrays, ``tf.data`` pipelines
(TensorFlow) or backend-neutral NumPy batches (:class:`evodeap.data.batches.ArrayBatches`).

Also the bring-your-own-data entry points :func:`from_arrays` and :func:`from_datasets`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from evodeap.data.digits import SPLITS
from evodeap.data.perturb import Perturbation
from evodeap.data.tasks import KINDS, TaskInfo
from evodeap.errors import DataError

if TYPE_CHECKING:
    import tensorflow as tf

    from evodeap.data.batches import ArrayBatches
    from evodeap.data.spec import DataSpec

SplitSource = Callable[[], tuple[np.ndarray, np.ndarray]]


class DataBundle:
    """Data of one run, split into ``train``, ``val`` and (optionally) ``test``.

    Attributes:
        task: what the labels mean.
        input_shape: ``(T, H, W, C)`` of one input, after frame stride and downsampling.
        spec: the :class:`DataSpec` it was loaded from (``None`` for your own data).
    """

    def __init__(
        self,
        task: TaskInfo,
        input_shape: tuple[int, int, int, int],
        sources: Mapping[str, SplitSource],
        *,
        spec: DataSpec | None = None,
        captions: Mapping[str, list[str]] | None = None,
        datasets: Mapping[str, Any] | None = None,
    ) -> None:
        self.task = task
        self.input_shape = tuple(int(d) for d in input_shape)
        self.spec = spec
        self._sources = dict(sources)
        self._captions = dict(captions or {})
        self._datasets = dict(datasets or {})
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._perturbed: dict[tuple[str, Perturbation], np.ndarray] = {}

    @property
    def splits(self) -> tuple[str, ...]:
        """The splits this bundle has, in train / val / test order."""
        return tuple(s for s in SPLITS if s in self._sources)

    def _check_split(self, split: str) -> None:
        if split not in SPLITS:
            raise DataError(f"unknown split {split!r}; choose train, val or test")
        if split not in self._sources:
            raise DataError(f"this data bundle has no {split} split")

    def arrays(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and labels of a split (computed once, then returned read-only).

        Returns:
            ``x`` float32 ``(N, T, H, W, C)`` in [0, 1] and ``y``: int64 class ids
            (multiclass), float32 0/1 matrix ``(N, K)`` (multilabel) or float32 0/1
            vector ``(N,)`` (binary).
        """
        self._check_split(split)
        if split not in self._arrays:
            x, y = self._sources[split]()
            x.setflags(write=False)
            y.setflags(write=False)
            self._arrays[split] = (x, y)
        return self._arrays[split]

    def size(self, split: str) -> int:
        """Number of samples in a split."""
        return len(self.arrays(split)[1])

    def captions(self, split: str) -> list[str]:
        """The captions of a split's videos (generated or published data only)."""
        self._check_split(split)
        if split not in self._captions:
            raise DataError("this data bundle has no captions (it was built from your own data)")
        return list(self._captions[split])

    def inputs(self, split: str, perturbation: Perturbation | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`arrays` of a split, with ``perturbation`` applied to the inputs.

        A perturbation is deterministic (its own seed), so each (split, perturbation) is
        computed once per bundle and returned read-only: every evaluation of a worker
        scores against the same perturbed arrays without re-corrupting the split.
        """
        x, y = self.arrays(split)
        if perturbation is None:
            return x, y
        key = (split, perturbation)
        if key not in self._perturbed:
            perturbed = perturbation.apply(x)
            perturbed.setflags(write=False)
            self._perturbed[key] = perturbed
        return self._perturbed[key], y

    def dataset(
        self,
        split: str,
        batch_size: int,
        *,
        shuffle_seed: int | None = None,
        perturbation: Perturbation | None = None,
    ) -> tf.data.Dataset:
        """A ``tf.data`` pipeline of ``(x, y)`` batches.

        ``from_tensor_slices → cache → shuffle(N, seed, reshuffle each epoch) → batch →
        prefetch(AUTOTUNE)``; no shuffling when ``shuffle_seed`` is None. With a
        ``perturbation`` the inputs are :meth:`Perturbation.apply`-ed once, so every
        epoch sees the same corrupted inputs.
        """
        import tensorflow as tf

        self._check_split(split)
        _check_batch_size(batch_size)
        if perturbation is None and split in self._datasets:
            ds = self._datasets[split].cache()
            n = int(ds.cardinality())
            buffer = n if n > 0 else 10_000
        else:
            x, y = self.inputs(split, perturbation)
            ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
            buffer = max(1, len(y))
        if shuffle_seed is not None:
            ds = ds.shuffle(buffer, seed=int(shuffle_seed), reshuffle_each_iteration=True)
        return ds.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)

    def batches(
        self,
        split: str,
        batch_size: int,
        *,
        shuffle_seed: int | None = None,
        perturbation: Perturbation | None = None,
    ) -> ArrayBatches:
        """The backend-neutral pipeline: a ``keras.utils.PyDataset`` of NumPy ``(x, y)`` batches.

        The same batching, per-epoch reshuffling by seed and once-applied perturbation as
        :meth:`dataset`, without TensorFlow (see :mod:`evodeap.data.batches`; the shuffled
        orders of the two differ). Datasets given to :func:`from_datasets` are read into
        memory once (that needs TensorFlow).
        """
        from evodeap.data.batches import ArrayBatches

        self._check_split(split)
        _check_batch_size(batch_size)
        x, y = self.inputs(split, perturbation)
        return ArrayBatches(x, y, int(batch_size), shuffle_seed=None if shuffle_seed is None else int(shuffle_seed))

    def __repr__(self) -> str:
        return f"DataBundle(task={self.task.name!r}/{self.task.kind}, input_shape={self.input_shape}, splits={self.splits})"


def _check_batch_size(batch_size: Any) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise DataError(f"batch_size must be an integer >= 1, got {batch_size!r}")


# ---- bring your own data -------------------------------------------------------------


def _as_inputs(x: Any, name: str) -> np.ndarray:
    """Images ``(N, H, W)`` / ``(N, H, W, C)`` become 1-frame videos; ``(N, T, H, W, C)`` stays."""
    try:
        a = np.asarray(x)
    except Exception:
        raise DataError(f"{name}: cannot be turned into an array") from None
    if a.dtype == bool:
        a = a.astype(np.float32)
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise DataError(f"{name}: expected a numeric array, got dtype {a.dtype}")
    if a.ndim == 3:
        a = a[:, None, :, :, None]
    elif a.ndim == 4:
        a = a[:, None]
    elif a.ndim != 5:
        raise DataError(f"{name}: expected images (N, H, W[, C]) or videos (N, T, H, W, C), got shape {a.shape}")
    if len(a) == 0 or 0 in a.shape[1:]:
        raise DataError(f"{name}: empty array of shape {a.shape}")
    if a.dtype == np.uint8:
        return a.astype(np.float32) / np.float32(255.0)
    if np.issubdtype(a.dtype, np.integer):
        raise DataError(f"{name}: integer inputs must be uint8 (0..255); scale others to floats in [0, 1]")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise DataError(f"{name}: contains NaN or infinity")
    if a.min() < 0.0 or a.max() > 1.0:
        raise DataError(f"{name}: float inputs must lie in [0, 1] (uint8 inputs are divided by 255)")
    return a


def _as_labels(y: Any, kind: str, n: int, name: str) -> np.ndarray:
    try:
        a = np.asarray(y)
    except Exception:
        raise DataError(f"{name}: cannot be turned into an array") from None
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise DataError(f"{name}: expected numeric labels, got dtype {a.dtype}")
    if kind in ("multiclass", "binary") and a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if len(a) != n:
        raise DataError(f"{name}: {len(a)} labels for {n} inputs")
    if not np.isfinite(a.astype(np.float64)).all():
        raise DataError(f"{name}: contains NaN or infinity")
    if kind == "multiclass":
        if a.ndim != 1:
            raise DataError(f"{name}: multiclass labels must be class ids of shape (N,), got {a.shape}")
        if (a != np.round(a)).any() or a.min() < 0:
            raise DataError(f"{name}: multiclass labels must be integers >= 0")
        return a.astype(np.int64)
    want = 2 if kind == "multilabel" else 1
    if a.ndim != want:
        raise DataError(f"{name}: {kind} labels must have shape {'(N, K)' if want == 2 else '(N,)'}, got {a.shape}")
    if not np.isin(a, (0, 1)).all():
        raise DataError(f"{name}: {kind} labels must be 0 or 1")
    return a.astype(np.float32)


def _resolve_task(task: str | TaskInfo, labels: list[np.ndarray]) -> TaskInfo:
    if isinstance(task, TaskInfo):
        info = task
    elif task in KINDS:
        if task == "multiclass":
            k = max(2, int(max(int(y.max()) for y in labels if len(y)) + 1))
        elif task == "multilabel":
            k = labels[0].shape[1]
        else:
            k = 1
        names = ("positive",) if task == "binary" else tuple(str(i) for i in range(k))
        info = TaskInfo("custom", task, k, names)
    else:
        raise DataError(f"task must be a TaskInfo or one of {', '.join(KINDS)}, got {task!r}")
    for y in labels:
        if info.kind == "multiclass" and len(y) and y.max() >= info.n_outputs:
            raise DataError(f"label {int(y.max())} is out of range for {info.n_outputs} classes")
        if info.kind == "multilabel" and y.shape[1] != info.n_outputs:
            raise DataError(f"multilabel labels have {y.shape[1]} columns, the task has {info.n_outputs} outputs")
    return info


def from_arrays(
    x_train: Any,
    y_train: Any,
    x_val: Any,
    y_val: Any,
    x_test: Any = None,
    y_test: Any = None,
    task: str | TaskInfo = "multiclass",
) -> DataBundle:
    """A bundle from your own arrays.

    Args:
        x_*: images ``(N, H, W)`` or ``(N, H, W, C)`` (each becomes a 1-frame video) or
            videos / sequences ``(N, T, H, W, C)``; uint8 (divided by 255) or floats in [0, 1].
        y_*: class ids ``(N,)`` (multiclass), a 0/1 matrix ``(N, K)`` (multilabel) or a
            0/1 vector ``(N,)`` (binary).
        task: ``multiclass``, ``multilabel``, ``binary`` (a ``custom`` task; for
            multiclass the class count is ``max label + 1``) or a full :class:`TaskInfo`.

    Raises:
        DataError: shapes, dtypes, ranges or label types that do not fit.
    """
    if (x_test is None) != (y_test is None):
        raise DataError("give both x_test and y_test, or neither")
    kind = task.kind if isinstance(task, TaskInfo) else task
    if kind not in KINDS:
        raise DataError(f"task must be a TaskInfo or one of {', '.join(KINDS)}, got {task!r}")
    named = [("train", x_train, y_train), ("val", x_val, y_val)]
    if x_test is not None:
        named.append(("test", x_test, y_test))
    data = {}
    for split, x, y in named:
        xa = _as_inputs(x, f"x_{split}")
        data[split] = (xa, _as_labels(y, kind, len(xa), f"y_{split}"))
    shapes = {xa.shape[1:] for xa, _ in data.values()}
    if len(shapes) > 1:
        raise DataError(f"inputs of the splits differ in shape: {sorted(shapes)}")
    info = _resolve_task(task, [y for _, y in data.values()])
    sources = {s: (lambda pair=pair: pair) for s, pair in data.items()}
    return DataBundle(info, next(iter(shapes)), sources)


def from_datasets(train: Any, val: Any, test: Any = None, task: str | TaskInfo = "multiclass") -> DataBundle:
    """A bundle from ready ``tf.data.Dataset`` objects.

    Each dataset must yield **unbatched** ``(x, y)`` elements: ``x`` float32 of a fully
    known shape ``(T, H, W, C)`` in [0, 1]; ``y`` a class id (multiclass), a 0/1
    vector ``(K,)`` (multilabel) or a 0/1 scalar (binary). :meth:`DataBundle.dataset`
    adds cache, shuffle, batch and prefetch. ``arrays()`` (and a perturbed
    ``dataset()``) iterate the dataset once into memory. With ``task="multiclass"`` the
    class count is found by iterating the labels of train and val once.

    Raises:
        DataError: not datasets, batched elements, unknown shapes, mismatched splits.
    """
    named = {"train": train, "val": val}
    if test is not None:
        named["test"] = test
    kind = task.kind if isinstance(task, TaskInfo) else task
    if kind not in KINDS:
        raise DataError(f"task must be a TaskInfo or one of {', '.join(KINDS)}, got {task!r}")
    shape = _dataset_input_shape(named, kind)
    sources = {s: (lambda ds=ds, s=s: _materialise(ds, s, kind)) for s, ds in named.items()}
    return DataBundle(_dataset_task(task, kind, named), shape, sources, datasets=named)


def _dataset_input_shape(named: dict[str, Any], kind: str) -> tuple[int, ...]:
    """The input shape ``(T, H, W, C)`` shared by every dataset of ``named`` (split -> dataset).

    Raises:
        DataError: not a ``tf.data.Dataset``, elements not ``(x, y)`` pairs, ``x`` not of a
            known rank-4 shape (batched), labels of the wrong rank for ``kind``, or shapes
            that differ between splits.
    """
    import tensorflow as tf

    shape = None
    for split, ds in named.items():
        if not isinstance(ds, tf.data.Dataset):
            raise DataError(f"{split}: expected a tf.data.Dataset, got {type(ds).__name__}")
        spec = ds.element_spec
        if not (isinstance(spec, tuple) and len(spec) == 2):
            raise DataError(f"{split}: elements must be (x, y) pairs")
        xs, ys = spec
        if xs.shape.rank != 4 or not xs.shape.is_fully_defined():
            raise DataError(
                f"{split}: each x must have a known shape (T, H, W, C), got {xs.shape}; "
                "pass unbatched datasets (call .unbatch() on batched ones)"
            )
        want_y = 1 if kind == "multilabel" else 0
        if ys.shape.rank != want_y:
            raise DataError(f"{split}: {kind} labels must have rank {want_y} per element, got shape {ys.shape}")
        if shape is not None and tuple(xs.shape) != shape:
            raise DataError(f"{split}: inputs of shape {tuple(xs.shape)} differ from train's {shape}")
        shape = tuple(int(d) for d in xs.shape)
    return shape


def _dataset_task(task: str | TaskInfo, kind: str, named: dict[str, Any]) -> TaskInfo:
    """The task of datasets: ``task`` itself when a :class:`TaskInfo`; for ``multiclass`` the
    class count found from the labels of train and val (iterated once); for ``multilabel``
    the label width ``K`` of train's elements; one positive class for ``binary``."""
    if isinstance(task, TaskInfo):
        return task
    if kind == "multiclass":
        labels = [np.concatenate([b for b in ds.map(lambda x, y: y).batch(4096).as_numpy_iterator()])
                  for s, ds in named.items() if s != "test"]
        return _resolve_task(task, [_as_labels(y, kind, len(y), "labels") for y in labels])
    if kind == "multilabel":
        k = named["train"].element_spec[1].shape[0]
        if k is None:
            raise DataError("train: multilabel labels need a known width K")
        return TaskInfo("custom", kind, int(k), tuple(str(i) for i in range(k)))
    return TaskInfo("custom", kind, 1, ("positive",))


def _materialise(ds: Any, split: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A dataset's elements as arrays ``(x float32, labels)``, read once in batches of 256.

    Raises:
        DataError: the dataset is empty, or its labels do not fit ``kind``.
    """
    xs, ys = [], []
    for xb, yb in ds.batch(256).as_numpy_iterator():
        xs.append(xb)
        ys.append(yb)
    if not xs:
        raise DataError(f"{split}: the dataset is empty")
    x = np.concatenate(xs).astype(np.float32)
    return x, _as_labels(np.concatenate(ys), kind, len(x), f"{split} labels")
