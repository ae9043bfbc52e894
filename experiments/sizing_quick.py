"""Benchmark (not a test): what a model learns at the quick preset's data size — the
measurements the paper replication's ``quick`` preset was sized by (docs/paper.md) — or at
the search-efficiency benchmark's (``--data search``, docs/efficiency.md).

Trains a few fixed genomes (the hand-picked "before" configurations and models an
evolved search can reach) with a plain Keras loop, batch 32, seed 0, and prints a test
metric every ``--block`` epochs and the seconds spent training. The data:

* ``quick`` (default): the quick preset's 4,000 / 1,000 / 1,000 hard Captioned Moving MNIST
  videos, one frame at 36×64, task ``digits``; metric: macro ROC AUC;
* ``search``: ``experiments/bench_search.py``'s 2,000 / 500 / 1,000 easy videos, one frame
  at 36×64, task ``digit`` (10 classes); metric: accuracy.

    python experiments/sizing_quick.py [--models cnn_hand,cnn_pool,...] [--blocks 5] [--block 8]
    python experiments/sizing_quick.py --data search --models cnn_small_flat,cnn_pool --blocks 4 --block 2
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import datetime, timezone

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from evodeap.data import DataSpec, load
from evodeap.fitness.metrics import classification_metrics
from evodeap.genome.genome import Genome

#: name -> (data, the metric printed)
DATA = {
    "quick": (DataSpec(version="hard", task="digits", videos=(4000, 1000, 1000), frames=1, downsample=2), "auc"),
    "search": (DataSpec(version="easy", task="digit", videos=(2000, 500, 1000), frames=1, downsample=2), "accuracy"),
}


def _conv(filters: int, pooling: str = "max") -> dict:
    return {"kind": "conv", "filters": filters, "kernel_size": 3, "activation": "relu", "pooling": pooling}


def _rnn(units: int) -> dict:
    return {"kind": "rnn", "units": units, "activation": "tanh"}


def _genome(family: str, layers: list[dict], lr: float) -> Genome:
    return Genome.from_dict({"family": family, "layers": layers, "hyperparameters": {
        "learning_rate": lr, "batch_size": 32, "optimizer": "adam", "dropout": 0.0, "epochs": 8}})


MODELS = {
    "cnn_hand": ("the hand-picked CNN: conv 32, conv 32 (max pooling), flatten, mean; lr 0.01",
                 _genome("cnn", [_conv(32), _conv(32)], 0.01)),
    "cnn_small_flat": ("conv 8/16/32, flatten, mean; lr 0.003",
                       _genome("cnn", [_conv(8), _conv(16), _conv(32)], 0.003)),
    "cnn_pool": ("conv 8/16/32, frame_pool(max); lr 0.003",
                 _genome("cnn", [_conv(8), _conv(16), _conv(32), {"kind": "frame_pool", "mode": "max"}], 0.003)),
    "rnn_hand": ("the hand-picked RNN: SimpleRNN 32, 32 on the flattened 9×16 frame; lr 0.01",
                 _genome("rnn", [_rnn(32), _rnn(32)], 0.01)),
    "rnn_flat": ("SimpleRNN 64, dense 64 on the flattened 9×16 frame; lr 0.001",
                 _genome("rnn", [_rnn(64), {"kind": "dense", "units": 64, "activation": "relu"}], 0.001)),
    "rnn_rows": ("frame_pool(rows): SimpleRNN 64 over the 9 rows of 16, time_pool(max), dense 64; lr 0.003",
                 _genome("rnn", [{"kind": "frame_pool", "mode": "rows"}, _rnn(64), {"kind": "time_pool", "mode": "max"},
                                 {"kind": "dense", "units": 64, "activation": "relu"}], 0.003)),
}


def train(genome: Genome, bundle, blocks: int, block: int, metric: str = "auc") -> tuple[list[float], float]:
    import keras

    from evodeap.models import build_model

    keras.utils.set_random_seed(0)
    model = build_model(genome, bundle.input_shape, bundle.task)
    train_data = bundle.dataset("train", 32, shuffle_seed=0)
    x, y = bundle.inputs("test")
    aucs, seconds = [], 0.0
    for _ in range(blocks):
        start = time.perf_counter()
        model.fit(train_data, epochs=block, verbose=0, shuffle=False)  # the dataset shuffles by seed
        seconds += time.perf_counter() - start
        scores = np.concatenate([keras.ops.convert_to_numpy(model(x[i:i + 500], training=False))
                                 for i in range(0, len(x), 500)])
        aucs.append(classification_metrics(bundle.task.kind, y, scores)[metric])
    return aucs, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--block", type=int, default=8, help="epochs between two scorings")
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
          f"load average {load_avg:.1f}; data {spec.videos} {spec.version} one-frame videos at "
          f"{bundle.input_shape[1:3]}, task {spec.task}")
    epochs = " / ".join(str(args.block * (i + 1)) for i in range(args.blocks))
    print(f"| model | test {'macro AUC' if metric == 'auc' else metric} after {epochs} epochs | training seconds |")
    print("|---|---|---|")
    for name in chosen:
        text, genome = MODELS[name]
        aucs, seconds = train(genome, bundle, args.blocks, args.block, metric)
        print(f"| `{name}` — {text} | {' / '.join(f'{a:.3f}' for a in aucs)} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
