"""The Keras backend an evaluation runs on (TensorFlow, JAX or PyTorch) and its process setup.

Keras 3 picks its backend once per process, when ``keras`` is first imported: the
``KERAS_BACKEND`` environment variable if set, else ``"backend"`` in
``$KERAS_HOME/keras.json`` (``~/.keras/keras.json``), else ``tensorflow``.
:func:`current_backend` answers the same question *without importing Keras*, so the
master process of a run (which may never train a model) can record the backend and
check it on resume without loading TensorFlow, JAX or PyTorch.

Setup per backend, in the order it must happen:

* before the backend initialises its devices — :func:`process_environment`, applied to
  every worker of the process executor (evodeap.execution.executors) and, for the process that
  trains, by :func:`configure_runtime` before its first model:

  ===========  ======================================================================
  tensorflow   ``TF_FORCE_GPU_ALLOW_GROWTH=true`` (GPU memory is taken as needed, so
               several workers share one GPU)
  jax          ``XLA_PYTHON_CLIENT_PREALLOCATE=false`` (JAX preallocates 75 % of a GPU
               otherwise; its docs name this, or ``XLA_PYTHON_CLIENT_MEM_FRACTION``,
               for several processes on one GPU). A memory setting of your own in the
               environment is kept.
  torch        nothing: PyTorch's caching allocator takes GPU memory as needed
  ===========  ======================================================================

* determinism (``configure_runtime(deterministic=True)``):

  ===========  ======================================================================
  tensorflow   ``tf.config.experimental.enable_op_determinism()``
  jax          CPU: deterministic already. GPU: ``--xla_gpu_deterministic_ops=true``
               added to ``XLA_FLAGS`` (effective only if JAX has not yet initialised
               its GPU backend — true in evodeap's workers)
  torch        ``torch.use_deterministic_algorithms(True, warn_only=True)``,
               ``torch.backends.cudnn.benchmark = False``, and
               ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` (needed by cuBLAS, before CUDA
               starts). An op without a deterministic kernel warns instead of failing.
  ===========  ======================================================================

Initial weights differ across backends for the same seed (each backend has its own
random number generator), so the same genome and seed give the same metrics on one
backend, and comparable — not equal — metrics across backends.
"""
from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from typing import Any, ContextManager, Mapping

from evodeap.errors import ConfigError
from evodeap.files import RUNTIME_FORMAT

#: The Keras backends evodeap trains on.
BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_BACKEND = "tensorflow"

#: The Python packages of each backend: (module to import, distributions to report).
_PACKAGES = {
    "tensorflow": ("tensorflow", ("tensorflow",)),
    "jax": ("jax", ("jax", "jaxlib")),
    "torch": ("torch", ("torch",)),
}
_INSTALL_HINT = {
    "tensorflow": "pip install tensorflow",
    "jax": "pip install jax (or jax[cuda12] on an NVIDIA GPU)",
    "torch": "pip install 'evodeap[torch]'",
}
_JAX_MEMORY_VARIABLES = ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION",
                         "XLA_CLIENT_MEM_FRACTION", "XLA_PYTHON_CLIENT_ALLOCATOR")
_JAX_DETERMINISM_FLAG = "--xla_gpu_deterministic_ops=true"
_CONFIGURED: set[tuple[str, bool]] = set()


def _keras_json_backend(environ: Mapping[str, str]) -> str | None:
    """``"backend"`` of Keras' config file, found as Keras finds it (None if absent or unreadable)."""
    home = environ.get("KERAS_HOME")
    if home is None:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    try:
        with open(os.path.join(os.path.expanduser(home), "keras.json")) as handle:
            value = json.load(handle).get("backend")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def configured_backend(environ: Mapping[str, str] | None = None) -> str:
    """The backend Keras will pick in a process started with ``environ`` (default: this one's).

    ``KERAS_BACKEND`` if set and not empty, else ``keras.json``'s ``"backend"``, else
    ``tensorflow`` — Keras' own rule (keras/src/backend/config.py). Imports nothing.
    """
    environ = os.environ if environ is None else environ
    return environ.get("KERAS_BACKEND") or _keras_json_backend(environ) or DEFAULT_BACKEND


def current_backend() -> str:
    """The backend of this process: Keras' own answer once ``keras`` is imported,
    :func:`configured_backend` before (without importing it)."""
    if "keras" in sys.modules:
        return sys.modules["keras"].config.backend()
    return configured_backend()


def require_backend(name: str | None = None) -> str:
    """Check that backend ``name`` (default: this process's) is one evodeap trains on and installed.

    Returns:
        The backend's name.

    Raises:
        ConfigError: an unknown backend, or one whose package is not installed (one line
            that says what to install).
    """
    name = current_backend() if name is None else name
    if name not in BACKENDS:
        raise ConfigError(f"Keras backend {name!r} (KERAS_BACKEND or keras.json) cannot train models; "
                          f"evodeap trains on {', '.join(BACKENDS)}")
    module, _ = _PACKAGES[name]
    if not _installed(module):
        raise ConfigError(f"the Keras backend is {name!r} but {module} is not installed: {_INSTALL_HINT[name]}, "
                          f"or pick another backend with KERAS_BACKEND")
    return name


def _installed(module: str) -> bool:
    """Whether ``module`` can be found (an import hook that refuses it counts as absent)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def describe_backend(name: str | None = None) -> dict[str, Any]:
    """``{"backend": name, "versions": {package: version}}`` of Keras and the backend.

    Read from the installed packages' metadata: nothing is imported. A package that is
    not installed has version None.
    """
    name = current_backend() if name is None else name
    _, distributions = _PACKAGES.get(name, (name, (name,)))
    return {"backend": name, "versions": {d: _version(d) for d in ("keras", *distributions)}}


def process_environment(backend: str | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Variables a process that trains on ``backend`` needs before the backend starts (GPU memory).

    Only variables that ``environ`` (default: this process's) does not already set are
    returned, so your own settings win. See the module docstring for what each backend gets.
    """
    environ = os.environ if environ is None else environ
    backend = configured_backend(environ) if backend is None else backend
    wanted: dict[str, str] = {}
    if backend == "tensorflow":
        wanted["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    elif backend == "jax" and not any(v in environ for v in _JAX_MEMORY_VARIABLES):
        wanted["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    return {k: v for k, v in wanted.items() if k not in environ}


def _determinism_environment(backend: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Variables that make ``backend`` deterministic on a GPU (set before it starts)."""
    if backend == "jax":
        flags = environ.get("XLA_FLAGS", "")
        if "xla_gpu_deterministic_ops" not in flags:
            return {"XLA_FLAGS": f"{flags} {_JAX_DETERMINISM_FLAG}".strip()}
    elif backend == "torch" and "CUBLAS_WORKSPACE_CONFIG" not in environ:
        return {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
    return {}


def configure_runtime(deterministic: bool = True) -> str:
    """Set up this process for training on its Keras backend, once per (backend, determinism).

    Sets :func:`process_environment` (and, when ``deterministic``, the determinism
    variables) where they are not set yet, then makes the backend's own calls: TensorFlow
    memory growth on every GPU and op determinism; PyTorch deterministic algorithms.
    Environment variables take effect only if the backend has not yet started its GPU
    (in evodeap's worker processes it has not; in a notebook that already ran a model it
    may have). Call it before the first model of the process.

    Returns:
        The backend's name.
    """
    backend = current_backend()
    key = (backend, bool(deterministic))
    if key in _CONFIGURED:
        return backend
    os.environ.update(process_environment(backend))
    if deterministic:
        os.environ.update(_determinism_environment(backend, os.environ))
    if backend == "tensorflow":
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except (RuntimeError, ValueError):  # already initialised: keep its setting
                pass
        if deterministic:
            tf.config.experimental.enable_op_determinism()
    elif backend == "torch" and deterministic:
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    _CONFIGURED.add(key)
    return backend


def set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed(seed)`` — Python, NumPy, Keras and the backend's seeds —
    without loading TensorFlow into a process that trains on JAX or PyTorch.

    Keras' function also seeds TensorFlow whenever it is importable (for ``tf.data``
    shuffles), which would import TensorFlow (seconds, hundreds of MB) into every JAX or
    PyTorch worker. evodeap's input path on those backends shuffles with NumPy, so there
    Keras is told, for this one call, that TensorFlow is not available (its lazy
    ``tensorflow`` module); if Keras' internals differ, its function is called as it is.
    """
    import keras

    lazy = None
    if keras.backend.backend() != "tensorflow" and "tensorflow" not in sys.modules:
        try:
            from keras.src.utils.module_utils import tensorflow as lazy  # Keras' lazy TF module
        except ImportError:
            lazy = None
    if lazy is None or "_available" not in vars(lazy):  # (hasattr would import TensorFlow)
        keras.utils.set_random_seed(seed)
        return
    saved = lazy._available
    lazy._available = False
    try:
        keras.utils.set_random_seed(seed)
    finally:
        lazy._available = saved


def inference_mode() -> ContextManager[Any]:
    """A block in which direct model calls record no gradients: ``torch.no_grad()`` on
    PyTorch (whose eager calls build an autograd graph otherwise), a no-op elsewhere."""
    if current_backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


def gpu_devices() -> list[str]:
    """The GPUs this process's backend sees, as readable names (imports the backend)."""
    backend = current_backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [f"{d.platform}:{d.id} {getattr(d, 'device_kind', '')}".strip()
                for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            return []
        return [f"cuda:{i} {torch.cuda.get_device_name(i)}" for i in range(torch.cuda.device_count())]
    return []


def peak_gpu_memory_mb() -> float | None:
    """Peak GPU memory this process's backend has allocated on its first GPU, in MB.

    TensorFlow: ``tf.config.experimental.get_memory_info("GPU:0")["peak"]``; JAX:
    ``device.memory_stats()["peak_bytes_in_use"]``; PyTorch:
    ``torch.cuda.max_memory_allocated()``. Each counts since the process started.
    None without a GPU (or when the backend does not report it).
    """
    if not gpu_devices():
        return None
    backend = current_backend()
    if backend == "tensorflow":
        import tensorflow as tf

        peak = tf.config.experimental.get_memory_info("GPU:0").get("peak")
    elif backend == "jax":
        import jax

        gpu = next(d for d in jax.devices() if d.platform == "gpu")
        peak = (gpu.memory_stats() or {}).get("peak_bytes_in_use")
    else:
        import torch

        peak = torch.cuda.max_memory_allocated(0)
    return None if peak is None else float(peak) / 2**20


# -- the backend a run directory trains on (runtime.json) ------------------------------------


def runtime_record(name: str | None = None) -> dict[str, Any]:
    """The ``runtime.json`` of a new run: format, backend and package versions, no changes yet."""
    return {"format": RUNTIME_FORMAT, **describe_backend(name), "changes": []}


def _utc_now() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def check_runtime_record(recorded: Any, where: Any) -> dict[str, Any]:
    """``recorded`` (a run's ``runtime.json``) if it has the form :func:`runtime_record` gives.

    Raises:
        DamagedFileError: no backend name, or ``changes`` that is not a list.
    """
    from evodeap.errors import DamagedFileError

    if (not isinstance(recorded, dict) or not isinstance(recorded.get("backend"), str)
            or not isinstance(recorded.get("changes", []), list)):
        raise DamagedFileError(f"{where} is corrupt: no backend recorded")
    return recorded


def reconcile_backend(recorded: dict[str, Any] | None, *, force: bool, where: Any,
                      name: str | None = None) -> dict[str, Any] | None:
    """Check a run's recorded backend against this process's before the run trains again.

    Args:
        recorded: the run's checked ``runtime.json`` (:func:`check_runtime_record`), or None
            when the run has none (started before evodeap recorded backends, or stopped
            before the file was written): it is then recorded now.
        force: continue on another backend than the recorded one.
        where: the run directory, for messages.
        name: this process's backend (default :func:`current_backend`).

    Returns:
        None when nothing changes, else the ``runtime.json`` to write: for a forced change
        ``backend`` and ``versions`` become this process's and ``changes`` gains
        ``{"from", "to", "versions", "at"}`` (UTC, ISO 8601).

    Raises:
        RunDirectoryError: another backend without ``force`` (one line: results trained on
            two backends would not be comparable).
    """
    from evodeap.errors import RunDirectoryError

    now = describe_backend(name)
    if recorded is None:
        return {**runtime_record(now["backend"]), "recorded": "on resume (no backend was recorded before)"}
    before = recorded["backend"]
    if before == now["backend"]:
        return None
    if not force:
        raise RunDirectoryError(
            f"{where} was trained on the Keras backend '{before}' but this process uses '{now['backend']}': "
            f"results would not be comparable; resume with KERAS_BACKEND={before}, or pass --force-backend "
            f"to continue on {now['backend']} (the change is recorded in runtime.json)")
    change = {"from": before, "to": now["backend"], "versions": now["versions"], "at": _utc_now()}
    return {**recorded, **now, "changes": [*recorded.get("changes", []), change]}
