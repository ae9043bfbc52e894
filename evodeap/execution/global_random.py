"""Python's and NumPy's global random states in a run: seeded, checkpointed, protected.

evodeap's own operators draw from a ``numpy.random.Generator`` passed as ``rng`` (DESIGN.md),
and nothing in evodeap draws from the global states; this module only *seeds and restores*
them, because plain DEAP tools do not take an ``rng`` — ``tools.selTournament`` draws from ``random``, others from
``numpy.random``'s global state. So that the run seed still decides the whole run:

* the engine seeds both global states at the start of every generation ``g`` from the
  run's seed tree: ``SeedSequence([seed, 0x61B0, g])`` gives four 32-bit words, which seed
  ``random`` (as one integer) and ``numpy.random`` (as the word array);
* both states are part of every checkpoint and are restored on resume (:class:`GlobalRandom`,
  the :class:`~evodeap.stateful.Stateful` protocol);
* every evaluation runs inside :func:`isolated_user_code`
  (:func:`evodeap.evaluation.api.run_evaluation`): both states *and the current working
  directory* are saved before it and restored after it, so a fitness that reseeds them —
  Keras' ``keras.utils.set_random_seed`` does — or calls ``os.chdir`` cannot change the
  master's states or the folder relative paths are read from in a serial run;
* an evaluation the serial executor abandons (``evaluation_timeout``) may go on in its
  thread after the master went on: :func:`abandon` restores, in the master, the states
  taken before the evaluation and marks the thread, and the thread's own restore is then a
  no-op (:func:`isolated_user_code` checks the mark under the same lock), so a thread that
  wakes up later cannot set the master's states back mid-generation;
* :func:`evodeap.engine.loop.evolve` gives the caller back the states it had before the run.
"""
from __future__ import annotations

import os
import random
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import numpy as np

GLOBAL_STREAM = 0x61B0


def seed_global_random(run_seed: int, generation: int) -> None:
    """Seed ``random`` and ``numpy.random`` for ``generation`` of the run seeded ``run_seed``."""
    words = np.random.SeedSequence([int(run_seed), GLOBAL_STREAM, int(generation)]).generate_state(4)
    random.seed(int.from_bytes(words.tobytes(), "little"))
    np.random.seed(words)


class GlobalRandom:
    """Python's ``random`` and NumPy's global ``numpy.random`` states as one
    :class:`~evodeap.stateful.Stateful` (both are process-wide, so every instance reads and
    sets the same two states).

    ``get_state()`` is plain JSON: ``{"python": {"version", "state", "gauss_next"},
    "numpy": {"bit_generator", "key", "pos", "has_gauss", "cached_gaussian"}}``.
    """

    def get_state(self) -> dict[str, Any]:
        """Both global states as plain JSON."""
        version, internal, gauss_next = random.getstate()
        name, key, pos, has_gauss, cached = np.random.get_state()
        return {
            "python": {"version": version, "state": list(internal), "gauss_next": gauss_next},
            "numpy": {"bit_generator": name, "key": key.tolist(), "pos": int(pos),
                      "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`get_state` output (``ValueError`` when it is malformed)."""
        try:
            py, npy = state["python"], state["numpy"]
            random.setstate((int(py["version"]), tuple(int(v) for v in py["state"]), py["gauss_next"]))
            np.random.set_state((str(npy["bit_generator"]), np.asarray(npy["key"], dtype=np.uint32),
                                 int(npy["pos"]), int(npy["has_gauss"]), float(npy["cached_gaussian"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed global random state: {type(exc).__name__}: {exc}") from None


@contextmanager
def preserved_global_random() -> Iterator[None]:
    """Run the body with ``random``'s and ``numpy.random``'s states saved and restored after it."""
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


class ProcessState:
    """What user code may change in this process and must give back: ``random``'s and
    ``numpy.random``'s states and the current working directory, taken when made."""

    def __init__(self) -> None:
        self.python = random.getstate()
        self.numpy = np.random.get_state()
        try:
            self.cwd: str | None = os.getcwd()
        except OSError:  # the folder was deleted: nothing to go back to
            self.cwd = None

    def restore(self) -> None:
        """Set both random states and the working directory back to what they were."""
        random.setstate(self.python)
        np.random.set_state(self.numpy)
        if self.cwd is not None:
            try:
                if os.getcwd() == self.cwd:
                    return
            except OSError:
                pass
            try:
                os.chdir(self.cwd)
            except OSError:  # removed meanwhile: stay where user code left it
                pass


_RESTORING = threading.Lock()  # a thread's restore and its abandonment never interleave


def _abandoned(thread: threading.Thread) -> bool:
    return getattr(thread, "_evodeap_abandoned", False)


def abandon(thread: threading.Thread, before: ProcessState) -> None:
    """Give up on the user code running in ``thread``: restore ``before`` (taken before it
    started) here, and make the thread's own later restore a no-op."""
    with _RESTORING:
        thread._evodeap_abandoned = True  # type: ignore[attr-defined]
        before.restore()


@contextmanager
def isolated_user_code() -> Iterator[None]:
    """Run the body (user code) with :class:`ProcessState` saved and restored after it —
    unless its thread was abandoned meanwhile (:func:`abandon`): then the master has
    restored it already and may be drawing from the states again."""
    before = ProcessState()
    try:
        yield
    finally:
        with _RESTORING:
            if not _abandoned(threading.current_thread()):
                before.restore()
