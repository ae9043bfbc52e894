"""Benchmark (not a test): what a model learns at the quick preset's data size — the
measurements the paper replication's ``quick`` preset was sized by (docs/paper.md).

Trains a few fixed genomes (the hand-picked "before" configurations and models an
evolved search can reach) with a plain Keras loop on the quick preset's data — 4,000 /
1,000 / 1,000 hard Captioned Moving MNIST videos, one frame at 36×64, task ``digits`` —
batch 32, seed 0, and prints the test macro ROC AUC every ``--block`` epochs and the
seconds spent training.

    python experiments/sizing_quick.py [--models cnn_hand,cnn_pool,...] [--blocks 5] [--block 8]
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
from evodeap.genome import Genome

DATA = DataSpec(version="hard", task="digits", videos=(4000, 1000, 1000), frames=1, downsample=2)


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


def train(genome: Genome, bundle, blocks: int, block: int) -> tuple[list[float], float]:
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
        aucs.append(classification_metrics(bundle.task.kind, y, scores)["auc"])
    return aucs, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--block", type=int, default=8, help="epochs between two scorings")
    args = parser.parse_args()
    chosen = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    bundle = load(DATA)
    load_avg = os.getloadavg()[0]
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} CPUs; "
          f"load average {load_avg:.1f}; data {DATA.videos} hard one-frame videos at {bundle.input_shape[1:3]}")
    epochs = " / ".join(str(args.block * (i + 1)) for i in range(args.blocks))
    print(f"| model | test macro AUC after {epochs} epochs | training seconds |")
    print("|---|---|---|")
    for name in chosen:
        text, genome = MODELS[name]
        aucs, seconds = train(genome, bundle, args.blocks, args.block)
        print(f"| `{name}` — {text} | {' / '.join(f'{a:.3f}' for a in aucs)} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
