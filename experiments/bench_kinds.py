"""What the layer-kind walk costs: planning and building time per genome (a short measurement).

    python experiments/bench_kinds.py [--repeats 20] [--builds 10]

Plans every genome of ``tests/fixtures/old_plans.json`` (90 sampled cnn, rnn and cnn+rnn
genomes on three input shapes) ``--repeats`` times and builds (uncompiled Keras models,
``clear_session`` after each) the first ``--builds`` valid ones; prints the median time per
``plan_model`` call and per ``build_model`` call as JSON. It uses only ``plan_model``,
``build_model`` and ``Genome``, so it also measures code from before layer kinds were
plug-ins (``PYTHONPATH=<old tree> python experiments/bench_kinds.py``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CASES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "old_plans.json"


class Task:
    kind, n_outputs = "multiclass", 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--builds", type=int, default=10)
    args = parser.parse_args()
    import keras

    from evodeap.genome.genome import Genome
    from evodeap.models import build_model, plan_model

    cases = [(Genome.from_dict(c["genome"]), tuple(c["input_shape"])) for c in json.loads(CASES.read_text())]
    plan_times = []
    for _ in range(args.repeats):
        for genome, shape in cases:
            start = time.perf_counter()
            plan_model(genome, shape, Task(), max_params=None)
            plan_times.append(time.perf_counter() - start)
    valid = [(g, s) for g, s in cases if plan_model(g, s, Task(), max_params=None).valid][: args.builds]
    build_model(*valid[0], Task(), max_params=None, compile=False)  # warm up Keras
    keras.backend.clear_session()
    build_times = []
    for genome, shape in valid:
        start = time.perf_counter()
        build_model(genome, shape, Task(), max_params=None, compile=False)
        build_times.append(time.perf_counter() - start)
        keras.backend.clear_session()
    print(json.dumps({
        "plan_model_us": round(1e6 * statistics.median(plan_times), 1),
        "build_model_ms": round(1e3 * statistics.median(build_times), 1),
        "plans": len(plan_times), "builds": len(build_times),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }))


if __name__ == "__main__":
    main()
