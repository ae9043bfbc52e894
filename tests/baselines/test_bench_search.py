"""experiments/bench_search.py: every method's driver at a tiny budget, and the report."""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from evodeap.genome.space import Choice, Integer

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "bench_search.py"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras_tuner's threading calls


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_search_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass needs its module registered
    spec.loader.exec_module(module)
    return module


bench = load_bench()
TINY = bench.Setup(
    data={"version": "easy", "task": "digit", "videos": [24, 12, 12], "frames": 1, "downsample": 4, "seed": 0},
    space=dataclasses.replace(  # the benchmark's space, made tiny
        bench.SPACE.with_domain("conv.filters", Integer(2, 4)).with_domain("dense.units", Integer(4, 8))
        .with_domain("batch_size", Choice((8,))).with_domain("epochs", Integer(1, 3)),
        max_layers=3),
    budget_models=3, max_epochs=3, min_epochs=1,
)


def test_the_budget_is_budget_models_mean_random_draws_and_scales():
    one = bench.compute_budget(1.0, draws=200, setup=TINY)
    assert one > 0 and bench.compute_budget(0.5, draws=200, setup=TINY) == pytest.approx(one / 2)


@pytest.mark.slow
@pytest.mark.parametrize("method", bench.METHODS + bench.WALL_METHODS)
def test_every_driver_runs_spends_its_budget_and_records_compute(method):
    budget = bench.compute_budget(1.0, draws=200, setup=TINY)
    rows, seconds = bench.run_job(method, 0, budget, TINY)
    assert rows and seconds > 0
    for row in rows:
        assert row["status"] == "ok"
        assert row["train_flops"] > 0 and row["epochs"] >= 1
        assert 0.0 <= row["val_accuracy"] <= 1.0 and 0.0 <= row["test_accuracy"] <= 1.0
        assert 0.0 < row["train_seconds"] <= row["wall_time"]
    spent = np.cumsum([r["train_flops"] for r in rows])
    assert spent[-1] >= budget  # it spent its budget …
    if method.startswith("evodeap"):  # … and stopped after the generation that crossed it
        last = max(r["generation"] for r in rows)
        assert sum(r["train_flops"] for r in rows if r["generation"] < last) < budget
    else:  # … and stopped with the evaluation that crossed it
        assert spent[-2] < budget


def test_each_ablation_changes_one_default_of_evodeap_mf_and_is_not_in_a_plain_run():
    base = bench.evolution_config(0, 1e12, "evodeap_mf")
    r1 = bench.evolution_config(0, 1e12, "evodeap_mf_r1")
    mu = bench.evolution_config(0, 1e12, "evodeap_mf_mu20")
    assert base.multi_fidelity["min_budget"] == 3 and r1.multi_fidelity["min_budget"] == 1
    assert dataclasses.replace(r1, name=base.name, multi_fidelity=base.multi_fidelity) == base
    assert base.mutation_rate["initial"] == 0.05 and mu.mutation_rate["initial"] == 0.2
    assert dataclasses.replace(mu, name=base.name, mutation_rate=base.mutation_rate) == base
    assert set(bench.ABLATIONS) <= set(bench.METHODS) and not set(bench.ABLATIONS) & set(bench.DEFAULT_METHODS)


@pytest.mark.parametrize("name", ["", "../x", "a/b", "a.md", "a b"])
def test_a_report_name_is_a_plain_file_stem(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--report", name, "--out", "unused"])
    assert exit_info.value.code == 2 and "report name" in capsys.readouterr().err


def fake_job(out: Path, method: str, seed: int, budget: float, tests: list[float]) -> None:
    """A job file of ``len(tests)`` evaluations, each spending a quarter of the budget."""
    rows = [{"generation": i, "index": 0, "status": "ok", "train_flops": budget / 4, "epochs": 1.0, "budget": None,
             "terminated_early": False, "val_accuracy": t, "test_accuracy": t, "wall_time": 2.0,
             "train_seconds": 1.5} for i, t in enumerate(tests)]
    path = bench.job_path(out, method, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"method": method, "seed": seed, "budget": budget, "wall_seconds": 11.0,
                                "search_seconds": 10.0, "evaluations": rows}))


def test_report_tables_paired_comparisons_timing_and_the_figure(tmp_path):
    budget, seeds = 100.0, list(range(6))
    for seed in seeds:
        fake_job(tmp_path, "random", seed, budget, [0.2, 0.5, 0.5, 0.5])
        fake_job(tmp_path, "evodeap_mf", seed, budget, [0.3, 0.6 + 0.01 * seed, 0.7, 0.7])
        fake_job(tmp_path, "grid", seed, budget, [0.1, 0.1, 0.1, 0.1])
    for seed in seeds[:2]:
        fake_job(tmp_path, "evodeap_mf_sync2", seed, budget, [0.3, 0.6, 0.7, 0.7])
        fake_job(tmp_path, "evodeap_mf_async2", seed, budget, [0.3, 0.6, 0.7])
    text = bench.report(tmp_path, ["evodeap_mf", "random", "grid"], seeds, budget)
    frame = bench.summarise(bench.load(tmp_path, ["evodeap_mf", "random", "grid"], seeds), budget).set_index("method")
    assert frame.loc["evodeap_mf", "reach_median"] == 0.5  # random's 0.5 is reached after 2 of 4 quarters
    assert frame.loc["grid", "reach_median"] == math.inf and frame.loc["grid", "losses"] == 6
    assert frame.loc["random", "p_wilcoxon"] == pytest.approx(2 / 2**6)
    assert frame.loc["random", "evaluations"] == 4 and frame.loc["random", "minutes"] == pytest.approx(10 / 60)
    assert frame.loc["random", "method_share"] == pytest.approx(0.2)  # 8 of the search's 10 s in evaluations
    assert frame.loc["random", "fixed_share"] == pytest.approx(0.2)  # 4 × 0.5 s outside fit
    assert "| grid | 0.100 [0.100, 0.100] | never | 0/6 |" in text
    assert "synchronous" in text and (tmp_path / "bench_search.png").stat().st_size > 0
    assert (tmp_path / "bench_search.csv").exists() and (tmp_path / "bench_search.md").read_text() == text
    other = bench.report(tmp_path, ["evodeap_mf", "random"], seeds, budget, name="ablations")
    assert (tmp_path / "ablations.md").read_text() == other and (tmp_path / "ablations.png").exists()
    assert (tmp_path / "bench_search.md").read_text() == text  # the main report is kept
