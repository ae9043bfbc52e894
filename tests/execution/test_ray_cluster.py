"""Ray on a cluster that loses a node (issue 25, §7).

The whole scenario — a head and two worker nodes started with ``ray start``, each with its
own custom resources; a worker node killed during a generation; the head and the driver
killed, then ``evodeap resume`` — is experiments/ray_node_loss.py: starting three nodes
takes over a minute on a loaded 2-core machine, so the suite runs its worker-node scenario
only (marked slow), and the executor's own parts here without starting Ray.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.execution.executors import RayExecutor, _first_line, check_executor_params

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "ray_node_loss.py"


class FakeRay:
    """What ``RayExecutor._slots`` asks of Ray: the cluster's resources."""

    def cluster_resources(self):
        return {"CPU": 8.0, "evaluator": 3.0, "node_a": 1.0}


def test_custom_resources_and_scheduling_are_executor_params():
    check_executor_params("ray", {"address": "auto", "resources": {"evaluator": 1}, "scheduling": "SPREAD"})
    ExperimentConfig(executor="ray", executor_params={"resources": {"evaluator": 1}, "scheduling": "SPREAD"})
    executor = RayExecutor(address="auto", resources={"evaluator": 1}, scheduling="SPREAD")
    executor._ray = FakeRay()
    assert executor._slots() == 3  # a timeout keeps as many tasks in flight as the scarcest resource allows
    executor = RayExecutor(address="auto", num_cpus=2)
    executor._ray = FakeRay()
    assert executor._slots() == 4


def test_a_failed_ray_task_is_recorded_with_its_cause_in_one_line():
    class NodeDied(Exception):
        pass

    assert _first_line(NodeDied("The node with node id 1a2b has died.\nTraceback ...\n  more")) == \
        "NodeDied: The node with node id 1a2b has died."
    assert _first_line(NodeDied()) == "NodeDied"


@pytest.mark.slow
def test_a_run_on_a_three_node_cluster_survives_losing_a_worker_node():
    done = subprocess.run([sys.executable, str(SCRIPT), "--scenario", "worker", "--population", "6",
                           "--generations", "2", "--delay", "0.3", "--timeout", "400"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "killing node B's raylet" in done.stdout
    assert "worker node lost: identical to the uninterrupted serial run" in done.stdout
