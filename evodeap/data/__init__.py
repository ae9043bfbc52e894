"""Captioned Moving MNIST for evodeap: generator, published-file reader, tasks, pipelines.

Public API::

    from evodeap.data import DataSpec, load, Perturbation, from_arrays, from_datasets

    bundle = load(DataSpec(version="hard", task="digits", videos=(1000, 250, 250)))
    train = bundle.dataset("train", 32, shuffle_seed=0)
    x_val, y_val = bundle.arrays("val")
    noisy = bundle.dataset("test", 32, perturbation=Perturbation(noise_sigma=0.1, seed=1))

Modules:

* :mod:`evodeap.data.spec` — ``DataSpec``, the JSON-able description of a data set;
* :mod:`evodeap.data.loader` — ``load(spec)``: generated (cached), stored or published data;
* :mod:`evodeap.data.bundle` — ``DataBundle``: train / val / test arrays and pipelines;
* :mod:`evodeap.data.batches` — the backend-neutral input pipeline of NumPy batches;
* :mod:`evodeap.data.generator`, :mod:`evodeap.data.motion`, :mod:`evodeap.data.digits` — the
  generator: digit sources, trajectories, frames, captions;
* :mod:`evodeap.data.captions` — the caption grammar and its exact parser;
* :mod:`evodeap.data.tasks` — labelled tasks, every label derived from the captions;
* :mod:`evodeap.data.perturb` — the fixed-seed corruption of the robustness term;
* :mod:`evodeap.data.published`, :mod:`evodeap.data.store` — published files, the cache and
  stored sets;
* :mod:`evodeap.data.show`, :mod:`evodeap.data.cli` — pictures of the data, ``evodeap data``.

See docs/data.md for the generator rules, the task label definitions and the cache.
"""
from evodeap.data.bundle import DataBundle, from_arrays, from_datasets
from evodeap.data.captions import Caption, format_caption, parse_caption
from evodeap.data.loader import load
from evodeap.data.perturb import Perturbation
from evodeap.data.published import read_published, write_published
from evodeap.data.spec import DEFAULT_TASK, DataSpec
from evodeap.data.tasks import TASKS, Task, TaskInfo, task_info, task_labels

__all__ = [
    "DEFAULT_TASK",
    "TASKS",
    "Caption",
    "DataBundle",
    "DataSpec",
    "Perturbation",
    "Task",
    "TaskInfo",
    "format_caption",
    "from_arrays",
    "from_datasets",
    "load",
    "parse_caption",
    "read_published",
    "task_info",
    "task_labels",
    "write_published",
]
