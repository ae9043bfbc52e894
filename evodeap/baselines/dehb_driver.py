"""DEHB (Awad, Mallik, Hutter 2021: differential evolution inside Hyperband brackets) over the space.

DEHB pins ``numpy<2``, which cannot share evodeap's environment, so it runs in its own Python
(``python3 -m venv /opt/dehbenv && /opt/dehbenv/bin/pip install dehb``) named by the environment
variable ``EVODEAP_DEHB_PYTHON``. That Python runs :mod:`evodeap.baselines.dehb_worker`, which
asks DEHB for jobs and tells it results over JSON lines (configurations out, results in); every
evaluation happens here, in evodeap's process, through the same budget as every other method.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, IO

from evodeap.baselines.common import (
    BudgetedEvaluator, OnEvaluation, fidelity_range, finite_loss, flat_genome, flat_parameters, method_rng,
    method_seed,
)
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.errors import ConfigError, EvodeapError
from evodeap.evaluation.budget import evaluation_compute
from evodeap.genome.space import SearchSpace

#: The environment variable naming the Python that has ``dehb`` installed.
DEHB_PYTHON_VARIABLE = "EVODEAP_DEHB_PYTHON"
WORKER = Path(__file__).resolve().with_name("dehb_worker.py")


def dehb_python(python: str | os.PathLike | None = None) -> str:
    """The Python to run DEHB with: ``python``, else ``$EVODEAP_DEHB_PYTHON``.

    Raises:
        ConfigError: neither names an existing file.
    """
    chosen = python if python is not None else os.environ.get(DEHB_PYTHON_VARIABLE)
    if not chosen or not Path(chosen).is_file():
        raise ConfigError(
            f"the dehb baseline needs a Python with DEHB installed (DEHB pins numpy<2): create one with "
            f"'python3 -m venv /opt/dehbenv && /opt/dehbenv/bin/pip install dehb' and set "
            f"{DEHB_PYTHON_VARIABLE}=/opt/dehbenv/bin/python (now: {chosen or 'unset'})")
    return str(chosen)


def _read_job(worker: subprocess.Popen, log: IO[str]) -> dict[str, Any]:
    """The worker's next JSON line; an :class:`EvodeapError` with its message (or stderr tail) on failure."""
    line = worker.stdout.readline()
    message = json.loads(line) if line.strip() else {"error": "the DEHB worker stopped without a word"}
    if "error" in message:
        worker.wait(timeout=30)
        log.seek(0)
        tail = log.read()[-2000:]
        raise EvodeapError(f"DEHB failed: {message['error']}" + (f"\n{tail}" if tail else ""))
    return message


def _send(worker: subprocess.Popen, message: dict[str, Any]) -> None:
    worker.stdin.write(json.dumps(message) + "\n")
    worker.stdin.flush()


def dehb(space: SearchSpace, fitness: Any, budget: int, seed: int, *, eta: int = 3, min_epochs: int = 1,
         max_epochs: int | None = None, python: str | os.PathLike | None = None,
         on_evaluation: OnEvaluation | None = None, compute_budget: float | None = None) -> list[EvaluationRecord]:
    """DEHB choosing genomes and epoch budgets, ask-and-tell through a worker process.

    Configured as DEHB's documentation recommends: ``DEHB(cs, dimensions, min_fidelity,
    max_fidelity, eta, n_workers=1, seed)`` with its default differential evolution
    (``rand1_bin``, mutation factor 0.5, crossover probability 0.5), fidelity = the ``epochs``
    gene in ``[min_epochs, max_epochs]``, fitness told = ``−fitness`` (DEHB minimises; a
    non-finite fitness tells ``1e12``), cost told = the compute the evaluation spent (its
    ``train_flops``). The space is the flat space of
    :func:`evodeap.baselines.common.flat_parameters` (DE mutates vectors, so every position's
    genes exist; :func:`~evodeap.baselines.common.flat_genome` reads the active ones). Every
    job trains from scratch, as DEHB's own target functions do.

    Args:
        space: the search space; it must have an ``epochs`` hyperparameter (the fidelity).
        fitness, budget, seed, on_evaluation, compute_budget: as for
            :func:`~evodeap.baselines.random_search.random_search`.
        eta: Hyperband's reduction factor η.
        min_epochs, max_epochs: the smallest and largest epoch budget (default: the
            ``epochs`` domain's upper bound).
        python: DEHB's Python (default: ``$EVODEAP_DEHB_PYTHON``).

    Raises:
        ConfigError: no DEHB Python, no ``epochs`` gene, or not ``1 <= min_epochs < max_epochs``.
        EvodeapError: the DEHB worker failed (its message and stderr).
    """
    executable = dehb_python(python)
    min_epochs, max_epochs = fidelity_range(space, "dehb", min_epochs, max_epochs)
    rng = method_rng(seed, "dehb")
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    if budget == 0:
        return evaluate.records
    parameters = [[name, domain.to_dict()] for name, domain in flat_parameters(space, fidelity="epochs")]
    with tempfile.TemporaryDirectory(prefix="evodeap-dehb-") as scratch, \
            open(Path(scratch) / "stderr.log", "w+") as log:
        worker = subprocess.Popen([executable, "-I", str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=log, text=True, cwd=scratch)
        try:
            _send(worker, {"parameters": parameters, "min_fidelity": min_epochs, "max_fidelity": max_epochs,
                           "eta": int(eta), "seed": method_seed(seed, "dehb"), "output_path": str(Path(scratch) / "dehb")})
            _drive(worker, log, space, evaluate, rng)
            _send(worker, {"stop": True})
            worker.wait(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    return evaluate.records


def _drive(worker: subprocess.Popen, log: IO[str], space: SearchSpace, evaluate: BudgetedEvaluator,
           rng: Any) -> None:
    """Evaluate each job the worker sends and answer with its loss and cost, until the budget is spent."""
    while evaluate.left > 0:
        job = _read_job(worker, log)
        genome = flat_genome(job["config"], space, rng, fidelity=("epochs", job["fidelity"]))
        record = evaluate(genome, dehb_fidelity=float(job["fidelity"]))
        if evaluate.left > 0:
            _send(worker, {"fitness": finite_loss(record.result.fitness[0]),
                           "cost": evaluation_compute(record.result)["train_flops"]})
        else:  # the last job: the worker is asked for no further one
            return
