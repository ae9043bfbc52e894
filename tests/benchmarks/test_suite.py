"""The suite machinery on a cheap costed problem: jobs run, respect the budget, resume, rank."""
from __future__ import annotations

import dataclasses
import json
import math

import pytest

from evodeap.benchmarks.analysis import build_grid, paired_tests, ranks_at, ranks_rows, reach, reach_fraction
from evodeap.benchmarks.jobs import JobResult, job_path, read_job, trace_of
from evodeap.benchmarks.problem import METHODS, SuiteProblem
from evodeap.benchmarks.report import write_report
from evodeap.benchmarks.suite import pending_jobs, run_job, run_suite
from evodeap.errors import ConfigError, DamagedFileError, UnknownNameError
from evodeap.evaluation.api import EvalResult
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.fitness import FITNESSES
from evodeap.fitness.landscape import LandscapeFitness
from evodeap.genome.space import SearchSpace


@dataclasses.dataclass(frozen=True)
class CostedLandscape(LandscapeFitness):
    """The landscape, each evaluation costing 1 + its epochs gene (a stand-in for seconds)."""

    def __call__(self, genome, context):
        result = super().__call__(genome, context)
        extra = {**result.extra, "train_flops": 1.0 + genome.hyperparameters.get("epochs", 1)}
        metrics = {"val_score": result.fitness[0], "test_score": result.fitness[0] * 0.9}
        return dataclasses.replace(result, extra=extra, metrics=metrics)


@pytest.fixture(autouse=True)
def costed_landscape():
    """The test fitness is registered only while this module's tests run."""
    FITNESSES.register("costed_landscape_test", replace=True)(CostedLandscape)
    yield
    FITNESSES._items.pop("costed_landscape_test", None)

PROBLEM = SuiteProblem("toy/landscape", "costed_landscape_test", {}, SearchSpace(family="cnn"), budget=150.0,
                       score_metric="val_score", test_metric="test_score", best_known=1.0)


def test_a_job_spends_its_budget_and_stops():
    for method in ("random", "evodeap_published"):
        job = run_job(PROBLEM, method, 0)
        assert job.spent >= PROBLEM.budget and job.evaluations > 5
        assert job.trace and all(a[0] <= b[0] and a[1] < b[1] for a, b in zip(job.trace, job.trace[1:]))
        assert all(point[2] == point[1] and point[3] == pytest.approx(0.9 * point[1]) for point in job.trace)
        assert run_job(PROBLEM, method, 0).trace == job.trace  # deterministic for a seed


def test_trace_keeps_only_improvements_and_counts_cost():
    space = SearchSpace(family="cnn")
    genome = space.sample_genome(__import__("numpy").random.default_rng(0))

    def record(value, cost, ok=True, cached=False):
        result = EvalResult((value,), metrics={"v": value, "t": value / 2}, extra={"train_flops": cost},
                            status="ok" if ok else "error")
        return EvaluationRecord(0, 0, genome, result, cached=cached)

    records = [record(0.2, 1), record(0.1, 1), record(0.9, 5, ok=False), record(0.5, 2), record(0.7, 9, cached=True)]
    trace, spent = trace_of(records, lambda r: r.result.fitness[0], lambda r: r.result.metrics["v"] + 1,
                            lambda r: r.result.metrics["t"])
    assert spent == 9 and trace == ((1.0, 0.2, 1.2, 0.1), (9.0, 0.5, 1.5, 0.25), (9.0, 0.7, 1.7, 0.35))


def test_suite_resumes_and_reports(tmp_path):
    done = []
    results = run_suite(tmp_path, [PROBLEM], ["random", "evodeap_published"], range(3), jobs=1, on_done=done.append)
    assert len(results) == 6 and len(done) == 6
    assert pending_jobs(tmp_path, [PROBLEM], ["random", "evodeap_published"], range(3)) == []
    again = []
    run_suite(tmp_path, [PROBLEM], ["random", "evodeap_published"], range(3), jobs=1, on_done=again.append)
    assert again == []  # nothing rerun
    grid = build_grid(results, [PROBLEM])
    rows = ranks_rows(grid, ranks_at(grid))
    assert {r["budget_fraction"] for r in rows} == {0.25, 1.0} and all(r["seeds"] == 3 for r in rows)
    assert all(1.0 <= r["mean_rank"] <= 2.0 for r in rows)
    assert {r["method"] for r in paired_tests(grid, "evodeap_published")} == {"random"}
    assert set(reach(grid, "evodeap_published")) == {"toy/landscape", "median"}
    paths = write_report(tmp_path / "report", grid, "evodeap_published")
    assert (tmp_path / "report" / "ranks.csv").read_text().splitlines()[0] == \
        "method,budget_fraction,mean_rank,problems,seeds"
    assert all(p.stat().st_size > 0 for p in paths)


def test_suite_runs_in_worker_processes(tmp_path):
    results = run_suite(tmp_path, [PROBLEM], ["random"], range(2), jobs=2)
    assert [r.seed for r in results] == [0, 1]
    assert results[0].trace == run_job(PROBLEM, "random", 0).trace


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(UnknownNameError):
        run_suite(tmp_path, [PROBLEM], ["no_such_method"], range(1))
    assert not (tmp_path / "jobs").exists()
    path = job_path(tmp_path, "a/b", "m", 0)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"format": 1, "trace": "x"}))
    with pytest.raises(DamagedFileError, match="not a benchmark job result"):
        read_job(path)
    with pytest.raises(ConfigError, match="no seed"):
        build_grid([])


def test_reach_fraction():
    job = JobResult("p", "m", 0, 10.0, 12.0, 4, 0.1,
                    ((1.0, 0.3, 0.3, 0.3), (4.0, 0.6, 0.6, 0.5), (11.0, 0.9, 0.9, 0.9)))
    assert reach_fraction(job, 0.5) == 0.4 and reach_fraction(job, 0.3) == 0.1
    assert math.isinf(reach_fraction(job, 0.8))  # found only after the budget
    assert job.incumbent_at(3.9) == (0.3, 0.3) and job.incumbent_at(0.5)[0] == -math.inf


def test_suite_problems_come_from_the_benchmark_registry():
    from evodeap.benchmarks.problem import DESIGN_SUITE, STANDARD_SUITE, suite_problem
    from evodeap.fitness.benchmarks import PROBLEMS

    assert len(STANDARD_SUITE) == 18 and not set(STANDARD_SUITE) & set(DESIGN_SUITE)
    assert all(name in PROBLEMS for name in STANDARD_SUITE + DESIGN_SUITE)
    lcbench = suite_problem("lcbench/167168")
    assert lcbench.budget == 6544 and lcbench.max_fidelity == 52 and lcbench.test_metric == "test_balanced_accuracy"
    nb201 = suite_problem("nasbench201/cifar10", budget=1e4)
    assert nb201.best_known == pytest.approx(91.6067, abs=1e-3) and nb201.budget == 1e4
    fcnet = suite_problem("fcnet/naval_propulsion", budget=1e4)
    assert fcnet.score_sign == -1 and fcnet.best_known < 0


def test_methods_are_one_registry():
    assert {"random", "evodeap_published", "evodeap_mf"} <= set(METHODS.names())


def test_a_job_file_is_strict_json_and_reads_back(tmp_path):
    from evodeap.benchmarks.jobs import write_job

    job = JobResult("a/b", "m", 3, 10.0, 9.0, 2, 0.5, ((1.0, 0.5, 0.4, math.nan), (4.0, 0.7, 0.6, math.nan)))
    path = write_job(tmp_path, job)
    json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    back = read_job(path)
    assert back.trace[1][:3] == (4.0, 0.7, 0.6) and math.isnan(back.trace[1][3]) and back.seed == 3
