"""Benchmark (not a test): what a model learns at the quick preset's data size — the
measurements the paper replication's ``quick`` preset was sized by (docs/paper.md) — or at
the search-efficiency benchmark's (``--data search``, docs/efficiency.md).

Trains a few fixed genomes (the hand-picked "before" configurations and models an
evolved search can reach) with a plain Keras loop, batch 32, seed 0, and prints a
**validation** metric every ``--block`` epochs and the seconds spent training. It never
reads a test split: design decisions are made on the validation split of the design data
seed (``DESIGN_DATA_SEED`` of experiments/paper_replication.py), and every reported number
comes from other data seeds (a test checks both). The data:

* ``quick`` (default): the quick preset's data (experiments/paper_replication.py, ``QUICK``)
  on the design data seed — 2,000 / 500 hard Captioned Moving MNIST videos of 8 frames at
  18×32, task ``digits+direction``; metric: macro ROC AUC, and apart the macro AUC of the
  10 digit labels and of the 8 direction labels;
* ``search``: ``experiments/bench_search.py``'s 2,000 / 500 easy videos, one frame at 36×64,
  task ``digit`` (10 classes); metric: accuracy.

    python experiments/sizing_quick.py [--models cnn_hand,cnn_pool,...] [--blocks 3] [--block 2]
    python experiments/sizing_quick.py --data search --models cnn_small_flat,cnn_pool --blocks 4 --block 2
"""
from __future__ import annotations

import argparse
import os
import platform
import runpy
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from evodeap.data import DataSpec, load
from evodeap.fitness.metrics import classification_metrics, per_class_metrics
from evodeap.genome.genome import Genome

REPLICATION = runpy.run_path(str(Path(__file__).with_name("paper_replication.py")))
#: the only data seed sizing reads
DESIGN_DATA_SEED = REPLICATION["DESIGN_DATA_SEED"]
#: name -> (data, the metric printed)
DATA = {
    "quick": (DataSpec(**{**REPLICATION["QUICK"]["fitness_params.data"], "seed": DESIGN_DATA_SEED}), "auc"),
    "search": (DataSpec(version="easy", task="digit", videos=(2000, 500, 1000), frames=1, downsample=2,
                        seed=DESIGN_DATA_SEED), "accuracy"),
}


def _conv(filters: int, pooling: str = "max") -> dict:
    return {"kind": "conv", "filters": filters, "kernel_size": 3, "activation": "relu", "pooling": pooling}


def _rnn(units: int) -> dict:
    return {"kind": "rnn", "units": units, "activation": "tanh"}


def _pool(kind: str, mode: str) -> dict:
    return {"kind": kind, "mode": mode}


def _genome(family: str, layers: list[dict], lr: float) -> Genome:
    return Genome.from_dict({"family": family, "layers": layers, "hyperparameters": {
        "learning_rate": lr, "batch_size": 32, "optimizer": "adam", "dropout": 0.0, "epochs": 6}})


MODELS = {
    "cnn_hand": ("the hand-picked CNN: conv 32, conv 32 (max pooling), flatten, mean over time; lr 0.01",
                 _genome("cnn", [_conv(32), _conv(32)], 0.01)),
    "cnn_small_flat": ("conv 8/16/32, flatten, mean over time; lr 0.003",
                       _genome("cnn", [_conv(8), _conv(16), _conv(32)], 0.003)),
    "cnn_pool": ("conv 8/16/32, frame_pool(max), time_pool(max); lr 0.003",
                 _genome("cnn", [_conv(8), _conv(16), _conv(32), _pool("frame_pool", "max"),
                                 _pool("time_pool", "max")], 0.003)),
    "cnn_flat_max": ("conv 8/16, flatten, time_pool(max), dense 64; lr 0.003",
                     _genome("cnn", [_conv(8), _conv(16), _pool("frame_pool", "flatten"), _pool("time_pool", "max"),
                                     {"kind": "dense", "units": 64, "activation": "relu"}], 0.003)),
    "rnn_hand": ("the hand-picked RNN: conv 32 (max pooling), SimpleRNN 32, 32 over the 8 frames; lr 0.01",
                 _genome("cnn+rnn", [_conv(32), _rnn(32), _rnn(32)], 0.01)),
    "rnn_small": ("conv 8/16, flatten, SimpleRNN 64 over the 8 frames; lr 0.003",
                  _genome("cnn+rnn", [_conv(8), _conv(16), _pool("frame_pool", "flatten"), _rnn(64)], 0.003)),
    "rnn_pool": ("conv 8/16/32, frame_pool(max), SimpleRNN 64; lr 0.003",
                 _genome("cnn+rnn", [_conv(8), _conv(16), _conv(32), _pool("frame_pool", "max"), _rnn(64)], 0.003)),
}


def scores(model, x: np.ndarray) -> np.ndarray:
    import keras

    return np.concatenate([keras.ops.convert_to_numpy(model(x[i:i + 250], training=False))
                           for i in range(0, len(x), 250)])


def train(genome: Genome, bundle, blocks: int, block: int, metric: str = "auc") -> tuple[list[dict], float]:
    """Train ``genome`` ``blocks × block`` epochs on the train split; after every block the
    validation ``metric`` (and, on a ``digits+direction`` task, the macro AUC of its two
    label groups). Reads the train and validation splits only."""
    import keras

    from evodeap.models import build_model

    keras.utils.set_random_seed(0)
    model = build_model(genome, bundle.input_shape, bundle.task)
    train_data = bundle.dataset("train", 32, shuffle_seed=0)
    x, y = bundle.inputs("val")
    rows, seconds = [], 0.0
    for _ in range(blocks):
        start = time.perf_counter()
        model.fit(train_data, epochs=block, verbose=0, shuffle=False)  # the dataset shuffles by seed
        seconds += time.perf_counter() - start
        s = scores(model, x)
        row = {"value": classification_metrics(bundle.task.kind, y, s)[metric]}
        if bundle.task.name == "digits+direction":
            auc = per_class_metrics(bundle.task.kind, y, s)["auc"]
            row.update(digits=float(np.nanmean(auc[:10])), direction=float(np.nanmean(auc[10:])))
        rows.append(row)
    return rows, seconds


def _cell(row: dict) -> str:
    parts = [f"{row['value']:.3f}"]
    if "digits" in row:
        parts.append(f"({row['digits']:.2f}/{row['direction']:.2f})")
    return " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--block", type=int, default=2, help="epochs between two scorings")
    parser.add_argument("--data", choices=sorted(DATA), default="quick")
    args = parser.parse_args()
    chosen = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    spec, metric = DATA[args.data]
    bundle = load(spec)
    load_avg = os.getloadavg()[0]
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} CPUs; "
          f"load average {load_avg:.1f}; data {spec.videos[:2]} {spec.version} videos of {bundle.input_shape[0]} "
          f"frames at {bundle.input_shape[1:3]}, task {spec.task}, design data seed {spec.seed}")
    epochs = " / ".join(str(args.block * (i + 1)) for i in range(args.blocks))
    name = "macro AUC (digits / direction)" if metric == "auc" else metric
    print(f"| model | validation {name} after {epochs} epochs | training seconds |")
    print("|---|---|---|")
    for key in chosen:
        text, genome = MODELS[key]
        rows, seconds = train(genome, bundle, args.blocks, args.block, metric)
        print(f"| `{key}` — {text} | {' / '.join(_cell(r) for r in rows)} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
