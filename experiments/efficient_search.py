"""Evolution that spends less training: multi-fidelity, weight inheritance, early termination.

    evodeap run experiments/efficient_search.py --out runs/efficient    # a few minutes on 2 cores
    evodeap report runs/efficient

The keras_tiny search (generated hard-version videos, 8 frames at 18×32) with

* successive halving inside every generation (``min_budget=1, eta=2, max_budget=4``):
  candidates train 1 epoch, the better half go on to 2, the better half of those to 4,
  continuing from their own weights — each generation looks at 4× as many candidates
  for 2× the epochs of training only its survivors fully
  (``MultiFidelity.epochs_per_survivor()`` = 8 epochs per survivor against 4);
* weight inheritance: offspring start from their parent's trained layers where kind and
  shape match (files in ``runs/efficient/weights/``);
* learning-curve early termination against the 2nd best validation AUC of earlier
  generations at the same rung.

Each evaluation's row records its rung (``budget``), the epochs and FLOPs it spent, and
how it started (``started_from``, ``inherited_layers``); the logbook has the compute per
generation and in total. Turn any of the three off with ``--set``, e.g.
``--set inheritance=false`` or ``--set early_termination=null``. See docs/efficiency.md.
"""
import dataclasses
import runpy
from pathlib import Path

from evodeap.evaluation.fidelity import with_multi_fidelity

TINY = runpy.run_path(str(Path(__file__).with_name("keras_tiny.py")))["CONFIG"]

CONFIG = dataclasses.replace(
    with_multi_fidelity(TINY, min_budget=1, eta=2, max_budget=4),
    name="efficient_search",
    population_size=4,
    generations=3,
    inheritance=True,
    early_termination={"top_k": 2, "min_epochs": 2},
)
