"""Weight inheritance (Lamarckian evolution): a child starts from its parent's trained weights.

A child model inherits, layer by layer, the trained weights of its parent for every
layer whose *kind* and *variable shapes* match (:func:`match_layers`); every other layer
keeps its fresh initialisation. The pieces:

* :func:`describe` — the layers of a model that have weights, as plain
  :class:`LayerInfo` values (name, kind, variable shapes);
* :func:`match_layers` — the pure pairing rule (no Keras), tested exactly;
* :func:`transfer_weights` — copy the matched layers' weights from one model to another;
* :func:`weights_to_bytes`, :func:`load_weights_bytes` — a model's weights as the bytes of
  a Keras ``.weights.h5`` file, so they travel in results between processes;
* :func:`inherit_weights` — rebuild the parent's model from its genome, load its weight
  bytes, transfer to the (already built) child model.

Layer names come from the layer kinds (:mod:`evodeap.kinds`): ``conv_{i}``, ``rnn_{i}``,
``dense_{i}``, ``lstm_{i}`` ... (``i`` is the gene position), ``residual_conv1_{i}``-style
names for the parts of a gene with several layers, and ``head``. Because an inserted or
deleted gene renames every later layer, layers are paired by kind and ordinal, never by name.
"""
from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections import Counter, defaultdict
from typing import Any, NamedTuple, Sequence

import keras

from evodeap.execution.global_random import preserved_global_random
from evodeap.models import build_model

_ORDINAL_SUFFIX = re.compile(r"_\d+$")

# Keras' file extension for ``save_weights`` / ``load_weights`` (any other name is refused).
_WEIGHTS_FILE = "model.weights.h5"


def layer_kind(name: str) -> str:
    """The kind of a layer: its name without a trailing ``_<digits>``.

    ``"conv_3"`` -> ``"conv"``, ``"dense_0"`` -> ``"dense"``, ``"head"`` -> ``"head"``.
    Only one suffix is stripped (``"a_1_2"`` -> ``"a_1"``).
    """
    return _ORDINAL_SUFFIX.sub("", name)


class LayerInfo(NamedTuple):
    """A layer that has weights, as plain values.

    Attributes:
        name: the Keras layer name (e.g. ``"conv_2"``).
        kind: :func:`layer_kind` of the name (e.g. ``"conv"``).
        shapes: the shape of each of the layer's variables, in ``layer.weights`` order
            (the order of ``get_weights`` / ``set_weights``).
    """

    name: str
    kind: str
    shapes: tuple[tuple[int, ...], ...]


def describe(model: keras.Model) -> list[LayerInfo]:
    """The layers of ``model`` that have at least one variable, in ``model.layers`` order.

    Weightless layers (input, pooling, reshape, dropout ...) are left out.
    """
    infos = []
    for layer in model.layers:
        if layer.weights:
            shapes = tuple(tuple(int(d) for d in w.shape) for w in layer.weights)
            infos.append(LayerInfo(layer.name, layer_kind(layer.name), shapes))
    return infos


def match_layers(source: Sequence[LayerInfo], target: Sequence[LayerInfo]) -> list[tuple[str, str]]:
    """Pair target layers with the source layers whose weights they can take over.

    The rule: number the layers of each kind in list order, separately per kind
    (the 0th, 1st, 2nd ... ``conv``; the 0th, 1st ... ``dense``). The k-th target layer
    of kind K is paired with the k-th source layer of kind K if and only if that source
    layer exists and both have the same number of variables with equal shapes,
    variable by variable. Nothing else is tried: a target layer whose ordinal partner
    does not fit is left unpaired even when another source layer of its kind would fit,
    so a layer of another kind inserted or removed never shifts the pairing of a kind,
    and each source layer is paired at most once.

    Args:
        source: the parent's layers (:func:`describe` of the parent model).
        target: the child's layers (:func:`describe` of the child model).

    Returns:
        ``(source_name, target_name)`` pairs, in target order.
    """
    by_kind: dict[str, list[LayerInfo]] = defaultdict(list)
    for info in source:
        by_kind[info.kind].append(info)
    ordinal: Counter[str] = Counter()
    pairs = []
    for info in target:
        k = ordinal[info.kind]
        ordinal[info.kind] += 1
        candidates = by_kind.get(info.kind, [])
        if k < len(candidates) and _shapes(candidates[k]) == _shapes(info):
            pairs.append((candidates[k].name, info.name))
    return pairs


def _shapes(info: LayerInfo) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(d) for d in shape) for shape in info.shapes)


def transfer_weights(source_model: keras.Model, target_model: keras.Model) -> dict[str, list[str]]:
    """Copy the weights of every :func:`match_layers` pair from source to target.

    Each matched target layer gets ``set_weights(source_layer.get_weights())`` (an exact
    copy of every variable, non-trainable ones included); every other target layer keeps
    its weights. Neither the optimizer state nor the source model is touched.

    Returns:
        ``{"inherited": [...], "fresh": [...]}``: the names of the target's layers with
        weights that were copied / left as they were, each in model order.
    """
    target_layers = describe(target_model)
    pairs = match_layers(describe(source_model), target_layers)
    for source_name, target_name in pairs:
        weights = source_model.get_layer(source_name).get_weights()
        target_model.get_layer(target_name).set_weights(weights)
    inherited = {target_name for _, target_name in pairs}
    return {
        "inherited": [info.name for info in target_layers if info.name in inherited],
        "fresh": [info.name for info in target_layers if info.name not in inherited],
    }


def weights_to_bytes(model: keras.Model) -> bytes:
    """The bytes of the Keras ``.weights.h5`` file of ``model`` (``model.save_weights``).

    The file holds every layer's variables and, for a compiled model whose optimizer has
    been built (trained at least one step), the optimizer's variables too. It is written
    to a private temporary directory that is removed before returning. The same weights
    give the same bytes.
    """
    with tempfile.TemporaryDirectory(prefix="evodeap-weights-") as folder:
        path = os.path.join(folder, _WEIGHTS_FILE)
        model.save_weights(path)
        with open(path, "rb") as f:
            return f.read()


def load_weights_bytes(model: keras.Model, data: bytes) -> None:
    """Load :func:`weights_to_bytes` output into ``model`` (``model.load_weights``).

    ``model`` must have the architecture the bytes were saved from: Keras stores the
    layers in the file by class and position (``conv3d``, ``dense``, ``dense_1`` ...), not
    by layer name, and raises ``ValueError`` when a variable's shape differs. The
    optimizer's variables are restored only when ``model``'s optimizer is already built
    with the same variables (Keras' rule); otherwise they are skipped, and Keras'
    "Skipping variable loading for optimizer" warning about it is silenced. The temporary
    file is removed before returning.

    Raises:
        ValueError: the bytes do not fit the model's layers.
    """
    with tempfile.TemporaryDirectory(prefix="evodeap-weights-") as folder:
        path = os.path.join(folder, _WEIGHTS_FILE)
        with open(path, "wb") as f:
            f.write(data)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(path)


def inherit_weights(
    target_model: keras.Model,
    parent_genome: Any,
    parent_weights: bytes,
    input_shape: Sequence[int],
    task: Any,
    **build_kwargs: Any,
) -> dict[str, list[str]]:
    """Give ``target_model`` its parent's trained weights wherever they fit.

    Builds the parent's model with ``evodeap.models.build_model(parent_genome, input_shape, task,
    **build_kwargs)`` (``compile=False`` unless given: no optimizer is needed), loads
    ``parent_weights`` (:func:`weights_to_bytes` of the trained parent) into it, copies
    the matched layers with :func:`transfer_weights`, and drops the parent model.

    Randomness: building the parent draws Keras' default initializer seeds from Python's
    ``random``; that state (and NumPy's global state) is saved before and restored after,
    so every random draw made after this call is the same as without inheritance. The
    target's fresh layers were initialised when it was built, before this call, and are
    not touched. Nothing is re-seeded, and ``keras.backend.clear_session`` is not called
    (it would invalidate the target model).

    Args:
        target_model: the child's model, already built (typically compiled, untrained).
        parent_genome: the genome ``parent_weights`` were trained for.
        parent_weights: :func:`weights_to_bytes` of the parent's trained model.
        input_shape: ``(T, H, W, C)`` of one video, as for the target.
        task: the ``TaskInfo``, as for the target.
        **build_kwargs: passed to ``evodeap.models.build_model`` (``max_params``,
            ``rnn_frame_size`` ...; a ``plan`` must be the *parent's* plan).

    Returns:
        :func:`transfer_weights`' report: ``{"inherited": [...], "fresh": [...]}``
        (target layer names).

    Raises:
        evodeap.models.InvalidModelError: the parent genome does not build with these arguments.
        ValueError: ``parent_weights`` do not fit the parent genome's model.
    """
    build_kwargs.setdefault("compile", False)
    with preserved_global_random():
        parent = build_model(parent_genome, input_shape, task, **build_kwargs)
    try:
        load_weights_bytes(parent, parent_weights)
        return transfer_weights(parent, target_model)
    finally:
        del parent
