"""A Ray cluster that loses a node: a run on a real multi-node cluster, a worker node killed
during a generation, then the head and the driver killed.

On this one machine it starts a real cluster with ``ray start``: a head node (no CPUs for
evaluations) and two worker nodes, each with ``--num-cpus 2`` and its own custom resources
(``{"evaluator": 2, "node_a": 1}`` and ``{"evaluator": 2, "node_b": 1}``). A small landscape
run (a fitness that sleeps ``--delay`` seconds per evaluation, so a generation takes a while)
runs on it through ``evodeap run`` with ``executor="ray"`` and ``executor_params={"address":
…, "resources": {"evaluator": 1}, "scheduling": "SPREAD", "retries": 3}``:

* ``worker`` — once generation 1 has begun, node B's raylet is killed (SIGKILL: its worker
  processes die with it). Ray retries the lost tasks on node A; the run completes and its
  evaluations and logbook equal an uninterrupted serial run's (same seed);
* ``head`` — once generation 1 is checkpointed, the driver (``evodeap run``) and the head
  node's processes are killed (SIGKILL); the rest of the old cluster is stopped, a fresh
  cluster is started on the same address, and ``evodeap resume DIR`` finishes the run,
  again equal to the uninterrupted serial run.

It prints what happened and exits 1 if a check fails. Every process it starts (the nodes'
processes are found by the cluster's own temporary folder) is killed by its id at the end,
and its temporary folders are removed.

    python experiments/ray_node_loss.py [--scenario worker|head|both] [--population 8]
                                        [--generations 3] [--delay 0.5]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
RAY = str(Path(sys.executable).with_name("ray"))

EXPERIMENT = '''
import time

from evodeap.config.settings import ExperimentConfig
from evodeap.evaluation.api import EvalResult
from evodeap.fitness.landscape import landscape_value


def slow_landscape(genome, context):
    """The landscape value, after {delay} s (long enough to lose a node during a generation)."""
    time.sleep({delay})
    return EvalResult((landscape_value(genome),), seed=context.seed)


CONFIG = ExperimentConfig(
    name="ray_node_loss", population_size={population}, generations={generations}, seed=3,
    fitness=slow_landscape, executor="ray",
    executor_params={{"address": "{address}", "resources": {{"evaluator": 1}}, "scheduling": "SPREAD",
                     "retries": 3}},
)
'''


class Cluster:
    """A Ray cluster of this machine: a head and worker nodes, in a temporary folder of its own."""

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        self.temp = Path(tempfile.mkdtemp(prefix="evodeap-ray-", dir="/tmp"))  # short: Unix socket paths
        (self.root / "home").mkdir(exist_ok=True)
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(self.root / "home"),
                    "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _ray(self, *args: str) -> None:
        done = subprocess.run([RAY, *args], env=self.env, capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise RuntimeError(f"ray {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")

    def start(self) -> None:
        """The head (0 CPUs: evaluations run on the worker nodes), then nodes A and B."""
        self._ray("start", "--head", f"--port={self.port}", "--num-cpus=0", "--include-dashboard=false",
                  f"--temp-dir={self.temp}", "--disable-usage-stats")
        for name in ("node_a", "node_b"):
            self._ray("start", f"--address={self.address}", "--num-cpus=2",
                      f"--resources={json.dumps({'evaluator': 2, name: 1})}", "--disable-usage-stats")

    def processes(self) -> list[psutil.Process]:
        """Every process of this cluster (its command line names the cluster's folder)."""
        found = []
        for process in psutil.process_iter(["cmdline"]):
            if any(str(self.temp) in part for part in process.info["cmdline"] or ()):
                found.append(process)
        return found

    def raylet(self, resource: str | None) -> psutil.Process:
        """The raylet of the node with custom resource ``resource`` (``None``: the head's)."""
        raylets = [p for p in self.processes() if Path(p.info["cmdline"][0]).name == "raylet"]
        for process in raylets:
            text = " ".join(process.info["cmdline"])
            if (resource is None and "--head" in text) or (resource is not None and resource in text):
                return process
        raise RuntimeError(f"no raylet for {resource or 'the head'} among {len(raylets)}")

    def kill(self, processes: list[psutil.Process]) -> None:
        for process in processes:
            try:
                process.send_signal(signal.SIGKILL)
            except psutil.Error:
                pass
        psutil.wait_procs(processes, timeout=10)

    def stop(self) -> None:
        """Kill every process of this cluster, by its id."""
        for _ in range(3):
            self.kill(self.processes())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def evaluations(out: Path) -> list[tuple]:
    if not (out / "results.sqlite").exists():
        return []
    try:
        with sqlite3.connect(f"file:{out / 'results.sqlite'}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT generation, idx, key, status, fitness, worker FROM evaluations "
                                "ORDER BY generation, idx").fetchall()
    except sqlite3.Error:
        return []


def logbook(out: Path) -> list[dict]:
    with sqlite3.connect(f"file:{out / 'results.sqlite'}?mode=ro", uri=True) as conn:
        rows = [json.loads(r) for (r,) in conn.execute("SELECT record FROM generations ORDER BY generation")]
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in rows]


def reference(experiment: Path, out: Path) -> None:
    """The same run, serial and uninterrupted."""
    from evodeap.config.experiment import load_experiment
    from evodeap.runs.lifecycle import run
    import dataclasses

    config = load_experiment(experiment)["CONFIG"]
    run(dataclasses.replace(config, executor="serial", executor_params={}), out)


def evodeap(cluster: Cluster, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "evodeap", *args, "--quiet"], env=cluster.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def same(out: Path, ref: Path) -> bool:
    return ([row[:5] for row in evaluations(out)] == [row[:5] for row in evaluations(ref)]
            and logbook(out) == logbook(ref))


def lose_a_worker_node(cluster: Cluster, experiment: Path, out: Path, ref: Path, timeout: float) -> bool:
    node_b = cluster.raylet("node_b")
    workers_b: set[int] = set()
    driver = evodeap(cluster, "run", str(experiment), "--out", str(out))
    try:
        def generation_1_began() -> bool:
            workers_b.update(child.pid for child in node_b.children(recursive=True))
            return any(row[0] >= 1 for row in evaluations(out)) or driver.poll() is not None

        wait_for(generation_1_began, timeout, "generation 1")
        print(f"generation 1 began; killing node B's raylet (pid {node_b.pid}) and its "
              f"{len(workers_b)} processes", flush=True)
        cluster.kill([node_b])
        output, _ = driver.communicate(timeout=timeout)
    finally:
        if driver.poll() is None:
            driver.kill()
    rows = evaluations(out)
    pids = {int(row[5].rsplit(":", 1)[1]) for row in rows if row[5]}
    print(f"driver exit status {driver.returncode}; {len(rows)} evaluations, {len(pids & workers_b)} of node B's "
          f"workers and {len(pids - workers_b)} others evaluated", flush=True)
    ok = driver.returncode == 0 and same(out, ref) and bool(pids & workers_b) and bool(pids - workers_b)
    if not ok:
        print(output[-3000:])
    return ok


def lose_the_head(cluster: Cluster, experiment: Path, out: Path, ref: Path, timeout: float) -> bool:
    driver = evodeap(cluster, "run", str(experiment), "--out", str(out))

    def checkpointed() -> bool:
        try:
            return json.loads((out / "checkpoint.json").read_text())["generation"] >= 1 or driver.poll() is not None
        except (OSError, ValueError, KeyError):
            return driver.poll() is not None

    wait_for(checkpointed, timeout, "the checkpoint of generation 1")
    head = cluster.raylet(None)
    gcs = [p for p in cluster.processes() if Path(p.info["cmdline"][0]).name == "gcs_server"]
    print(f"generation 1 checkpointed; killing the driver (pid {driver.pid}), the head's raylet and GCS", flush=True)
    cluster.kill([psutil.Process(driver.pid), head, *gcs])
    driver.wait()
    done = len(evaluations(out))
    cluster.stop()  # what is left of the old cluster
    cluster.start()
    print(f"{done} evaluations stored; a fresh cluster started; evodeap resume", flush=True)
    resumed = evodeap(cluster, "resume", str(out))
    output, _ = resumed.communicate(timeout=timeout)
    print(f"resume exit status {resumed.returncode}; {len(evaluations(out))} evaluations", flush=True)
    ok = resumed.returncode == 0 and same(out, ref)
    if not ok:
        print(output[-3000:])
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("worker", "head", "both"), default="both")
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="evodeap-node-loss-"))
    cluster = Cluster(root, free_port())
    experiment = root / "experiment.py"
    experiment.write_text(textwrap.dedent(EXPERIMENT.format(
        delay=args.delay, population=args.population, generations=args.generations, address=cluster.address)))
    start = time.monotonic()
    results = {}
    try:
        reference(experiment, root / "reference")
        cluster.start()
        print(f"cluster up at {cluster.address} in {time.monotonic() - start:.0f} s: head, node A, node B", flush=True)
        if args.scenario in ("worker", "both"):
            results["worker node lost"] = lose_a_worker_node(cluster, experiment, root / "worker", root / "reference",
                                                             args.timeout)
        if args.scenario in ("head", "both"):
            if args.scenario == "both":  # node B is gone: a whole cluster again
                cluster.stop()
                cluster.start()
            results["head and driver lost"] = lose_the_head(cluster, experiment, root / "head", root / "reference",
                                                            args.timeout)
    finally:
        cluster.stop()
        shutil.rmtree(cluster.temp, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
    for what, ok in results.items():
        print(f"{what}: {'identical to the uninterrupted serial run' if ok else 'FAILED'}")
    print(f"{time.monotonic() - start:.0f} s in all")
    return 0 if results and all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
