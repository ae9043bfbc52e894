"""Where evaluations run: the Keras backend, executors (serial, process, Ray), timeouts.

* :mod:`evodeap.execution.backend` — which Keras backend and device a process uses;
* :mod:`evodeap.execution.executors` — the executor registry: serial, process pool, Ray;
* :mod:`evodeap.execution.timeouts` — per-evaluation time limits;
* :mod:`evodeap.execution.global_random` — Python's and NumPy's global random states, seeded,
  checkpointed and protected around user code;
* :mod:`evodeap.execution.timing` — timing helpers for the benchmark scripts.
"""
