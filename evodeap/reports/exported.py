"""Reading an export back: the Keras model with the input pipeline it was trained with.

``evodeap.export.load(DIR)`` (this module's :func:`load`) reads ``DIR/best_model.keras`` and
``DIR/best_model.json`` (written by ``evodeap export``, :mod:`evodeap.reports.export`) and
returns a :class:`LoadedModel`:

* ``model`` — the compiled Keras model (``import evodeap.models`` registers its custom loss);
* ``prepare(videos)`` — raw uint8 videos ``(N, T0, 72, 128)`` → the model's inputs, exactly as
  in training (:func:`evodeap.data.loader.videos_to_inputs` with the recorded frames, frame
  stride and downsampling); for a model trained on arrays given to ``from_arrays`` (no data
  spec) it only checks the shape and casts to float32;
* ``bundle()`` — the recorded data set itself (:func:`evodeap.data.load` of the spec), so
  ``bundle().arrays("test")`` and ``bundle().dataset("test", 32)`` are the prepared splits;
* ``predict(videos)`` — ``model`` on ``prepare(videos)``; ``task`` — what the outputs mean.

A ``best_model.json`` of format 1 (before the data was recorded) loads the model, but
``prepare`` and ``bundle`` refuse, saying how to export again.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evodeap.errors import RunDirectoryError
from evodeap.files import BEST_MODEL_FORMAT, read_json
from evodeap.reports.export import INFO_FILE, MODEL_FILE

__all__ = ["LoadedModel", "load"]


@dataclass
class LoadedModel:
    """An exported model and what feeds it (see the module docstring)."""

    model: Any
    info: dict[str, Any]
    directory: Path

    @property
    def data(self) -> dict[str, Any]:
        data = self.info.get("data")
        if not isinstance(data, dict):
            raise RunDirectoryError(f"{self.directory / INFO_FILE} records no data (format {self.info.get('format', 1)}:"
                                    f" exported by an older evodeap); export again with: "
                                    f"evodeap export {self.directory} --force")
        return data

    @property
    def task(self) -> dict[str, Any]:
        """``name``, ``kind`` (multiclass / multilabel / binary), ``n_outputs``, ``class_names``."""
        return self.data["task"]

    @property
    def spec(self) -> Any:
        """The :class:`evodeap.data.DataSpec` the model was trained on (``None``: arrays were given)."""
        from evodeap.data import DataSpec

        spec = self.data.get("spec")
        return DataSpec.from_dict(spec) if spec is not None else None

    def prepare(self, videos: Any) -> np.ndarray:
        """Raw videos → model inputs, as in training (see the module docstring)."""
        from evodeap.data.loader import videos_to_inputs
        from evodeap.errors import DataError

        spec = self.spec
        shape = tuple(self.data["input_shape"])
        if spec is None:
            x = np.asarray(videos, dtype=np.float32)
            if x.shape[1:] != shape:
                raise DataError(f"the model takes inputs of shape (N, {', '.join(map(str, shape))}), got {x.shape}")
            return x
        return videos_to_inputs(np.asarray(videos), spec.frames, spec.frame_stride, spec.downsample)

    def bundle(self) -> Any:
        """The recorded data set, prepared (:func:`evodeap.data.load` of :attr:`spec`)."""
        from evodeap.data import load as load_data
        from evodeap.errors import DataError

        spec = self.spec
        if spec is None:
            raise DataError("the model was trained on arrays given to evodeap.data.from_arrays: prepare your own "
                            "inputs the same way (see best_model.json's data)")
        return load_data(spec)

    def predict(self, videos: Any, batch_size: int = 32) -> np.ndarray:
        """The model's outputs (probabilities) on raw ``videos``."""
        return np.asarray(self.model.predict(self.prepare(videos), batch_size=batch_size, verbose=0))


def load(directory: str | Path) -> LoadedModel:
    """Load ``directory``'s export (see the module docstring).

    Raises:
        RunDirectoryError: no export there (the message says how to make one), a study
            directory, a damaged or newer ``best_model.json``.
    """
    import keras

    import evodeap.models  # noqa: F401  (registers evodeap's custom loss)
    from evodeap.results.layout import is_study

    directory = Path(directory)
    if is_study(directory):
        raise RunDirectoryError(f"{directory} is a study: load one sub-run's export, e.g. "
                                f"evodeap.export.load('{directory}/<variant>/seed-<seed>')")
    try:
        info = read_json(directory, INFO_FILE)  # the one bounded reader: DamagedFileError when corrupt
    except FileNotFoundError:
        raise RunDirectoryError(f"no export in {directory}: make one with: evodeap export {directory}") from None
    version = info.get("format", 1) if isinstance(info, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise RunDirectoryError(f"{directory / INFO_FILE} is corrupt: not an export record")
    if version > BEST_MODEL_FORMAT:
        raise RunDirectoryError(f"{directory / INFO_FILE} was written by a newer evodeap (format {version}; this one "
                                f"reads up to {BEST_MODEL_FORMAT}): upgrade evodeap")
    path = directory / MODEL_FILE
    if path.is_symlink() or not path.is_file():
        raise RunDirectoryError(f"{path} is missing or not a regular file: export again with: "
                                f"evodeap export {directory} --force")
    return LoadedModel(keras.saving.load_model(path), info, directory)
