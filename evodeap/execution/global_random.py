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
* every evaluation runs with both states saved and restored around it
  (:func:`evodeap.evaluation.api.run_evaluation`), so a fitness that reseeds them — Keras'
  ``keras.utils.set_random_seed`` does — cannot reset the master's states in a serial run;
* :func:`evodeap.engine.loop.evolve` gives the caller back the states it had before the run.
"""
from __future__ import annotations

import random
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
