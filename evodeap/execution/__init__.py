"""Where evaluations run: the Keras backend, executors (serial, process, Ray, simulated), timeouts.

* :mod:`evodeap.execution.backend` — which Keras backend and device a process uses;
* :mod:`evodeap.execution.executors` — the executor registry: serial, process pool, Ray;
* :mod:`evodeap.execution.workers` — what runs inside a process worker (its environment, its loop);
* :mod:`evodeap.execution.quiet` — process workers that start quiet and leave Ctrl-C to the parent;
* :mod:`evodeap.execution.simulated` — ``N`` asynchronous workers on a virtual clock, for
  fitnesses whose training time is known (registered as ``"simulated"``);
* :mod:`evodeap.execution.timeouts` — per-evaluation time limits;
* :mod:`evodeap.execution.global_random` — Python's and NumPy's global random states, seeded,
  checkpointed and protected around user code (with the working directory);
* :mod:`evodeap.execution.timing` — timing helpers for the benchmark scripts.

Importing the package registers the simulated executor in
:data:`evodeap.execution.executors.EXECUTORS` (its module imports the registry, so the
registry's module cannot import it back).
"""
from evodeap.execution import simulated as _simulated  # noqa: F401  (registers "simulated")
