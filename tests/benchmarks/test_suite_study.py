"""Suite studies: an experiment's variants × a suite's problems × seeds, from the CLI and from Python."""
from __future__ import annotations

import csv
import json
import math
import runpy
from pathlib import Path

import pytest

from evodeap.benchmarks.analysis import Grid
from evodeap.benchmarks.effects import direction, problem_effects, variant_effects
from evodeap.benchmarks.jobs import JobResult, job_path, read_job
from evodeap.benchmarks.study_report import write_suite_study_report
from evodeap.benchmarks.suite_study import (
    RECORD,
    plan_suite_study,
    problem_names,
    read_suite_study,
    run_suite_study,
    variant_config,
)
from evodeap.benchmarks.problem import DESIGN_SUITE, suite_problem
from evodeap.cli import main
from evodeap.config.experiment import apply_study_preset, preset_overrides, study_plan, suite_spec
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError, DamagedFileError
from evodeap.genome.space import SearchSpace

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = ["lcbench/3945", "lcbench/7593"]
TINY = f'''
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace
CONFIG = ExperimentConfig(name="tiny_suite", space=SearchSpace(family="cnn"), fitness="landscape",
                          population_size=10, generations=5, selection="boltzmann", selection_params={{"beta": 5.0}})
VARIANTS = {{"beta5": {{}}, "tournament": {{"selection": "tournament", "selection_params": {{"tournsize": 3}}}}}}
SEEDS = [0, 1, 2]
SUITE = {PROBLEMS!r}
'''


def tiny_file(tmp_path: Path, text: str = TINY) -> Path:
    path = tmp_path / "tiny_suite.py"
    path.write_text(text)
    return path


def namespace_of(text: str = TINY) -> dict:
    namespace: dict = {}
    exec(text, namespace)
    return namespace


def traces(out: Path) -> dict:
    return {(p, v, s): read_job(job_path(out, p, v, s)).trace
            for p in PROBLEMS for v in ("beta5", "tournament") for s in (0, 1, 2)}


def test_a_suite_study_runs_resumes_and_reports_from_the_cli(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["run", str(tiny_file(tmp_path)), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert "12 jobs: 2 variants × 2 problems × 3 seeds" in capsys.readouterr().out
    info = read_suite_study(out)
    assert (info["problems"], info["variants"], info["seeds"], info["reference"]) == (
        PROBLEMS, ["beta5", "tournament"], [0, 1, 2], "beta5")
    first = traces(out)
    assert all(first.values())
    job_path(out, PROBLEMS[1], "tournament", 2).unlink()  # a stopped study: resume runs what is missing
    kept = job_path(out, PROBLEMS[0], "beta5", 0).read_bytes()
    assert main(["resume", str(out), "--quiet"]) == 0
    assert traces(out) == first and job_path(out, PROBLEMS[0], "beta5", 0).read_bytes() == kept
    assert main(["report", str(out)]) == 0
    report = out / "report"
    assert {p.name for p in report.iterdir()} == {"study.md", "effects.csv", "effects_per_problem.csv", "ranks.csv",
                                                  "study_curves.png", "study_cd_25.png", "study_cd_100.png"}
    rows = list(csv.DictReader((report / "effects.csv").open()))
    assert [r["variant"] for r in rows] == ["tournament"] and rows[0]["problems"] == "2"
    assert len(list(csv.DictReader((report / "effects_per_problem.csv").open()))) == 2
    assert "Each variant against beta5 (2 problems × 3 seeds)" in (report / "study.md").read_text()


def test_a_suite_study_runs_from_python_as_from_the_cli(tmp_path, capsys):
    namespace = namespace_of()
    out = tmp_path / "python"
    results = run_suite_study(namespace, out, workers=1)
    assert len(results) == 12 and {r.method for r in results} == {"beta5", "tournament"}
    assert main(["run", str(tiny_file(tmp_path)), "--out", str(tmp_path / "cli"), "--workers", "2", "--quiet"]) == 0
    assert traces(out) == traces(tmp_path / "cli")  # same jobs, one process or two
    paths = write_suite_study_report(out)
    assert (out / "report" / "study_cd_100.png") in paths
    # each job ran its variant's config on its problem: the tournament arm's config, with the problem's budget
    config = variant_config(namespace, {}, "tournament", suite_problem(PROBLEMS[0]), 2)
    assert (config.selection, config.fitness, config.seed, config.compute_budget) == (
        "tournament", "lcbench", 2, read_job(job_path(out, PROBLEMS[0], "tournament", 2)).budget)


@pytest.mark.parametrize("change, message", [
    ('SUITE = ["lcbench/3945", "lcbench/nope"]', "unknown suite or problem 'lcbench/nope'"),
    ('VARIANTS = {"beta5": {}, "bad": {"no_such_setting": 1}}', "unknown setting 'no_such_setting'"),
    ('VARIANTS = {"beta5": {}, "bad": {"selection": "no_such_selection"}}', "no_such_selection"),
    ('VARIANTS = {"beta5": {}, "moved": {"fitness_params": {"task": "7593"}}}', "changes the problem"),
    ('SUITE = 3', "SUITE must be"),
])
def test_bad_suite_studies_exit_2_and_write_nothing(tmp_path, capsys, change, message):
    path = tiny_file(tmp_path, TINY + change + "\n")
    out = tmp_path / "study"
    assert main(["run", str(path), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_suite_option_and_existing_folders(tmp_path, capsys):
    path = tiny_file(tmp_path)
    out = tmp_path / "study"
    assert main(["run", str(path), "--out", str(out), "--suite", "nope"]) == 2
    assert "unknown suite or problem 'nope'" in capsys.readouterr().err and not out.exists()
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert main(["run", str(path), "--seed", "1"]) == 2  # a suite study needs --out
    assert "needs --out" in capsys.readouterr().err


def test_suite_names_expand_and_are_checked():
    assert problem_names(["design"]) == list(DESIGN_SUITE)
    assert problem_names(["lcbench/3945", "standard"])[:2] == ["lcbench/3945", "nasbench201/cifar10"]
    with pytest.raises(ConfigError, match="twice"):
        problem_names(["design", "lcbench/3945"])
    assert suite_spec({"SUITE": "design"}) == ["design"] and suite_spec({}) is None
    for bad in ([], [""], ["a", "a"], 7):
        with pytest.raises(ConfigError):
            suite_spec({"SUITE": bad})


def test_a_damaged_record_is_refused(tmp_path):
    (tmp_path / RECORD).write_text(json.dumps({"format": 1, "problems": ["x"]}))
    with pytest.raises(DamagedFileError, match="not a suite study record"):
        read_suite_study(tmp_path)


def hand_grid() -> Grid:
    """Three problems, a reference and a variant, three seeds; regret = 1 − score (best 1, worst 0)."""
    reference = {"p1": [0.2, 0.2, 0.4], "p2": [0.5, 0.6, 0.7], "p3": [0.1, 0.3, 0.2]}
    variant = {"p1": [0.1, 0.2, 0.3], "p2": [0.5, 0.9, 0.9], "p3": [0.1, 0.2, 0.0]}
    jobs = {}
    for method, regrets in (("ref", reference), ("var", variant)):
        for problem, values in regrets.items():
            for seed, regret in enumerate(values):
                jobs[(problem, method, seed)] = JobResult(problem, method, seed, 1.0, 1.0, 1, 0.0,
                                                          ((0.0, 1 - regret, 1 - regret, math.nan),))
    return Grid(("p1", "p2", "p3"), ("ref", "var"), (0, 1, 2), jobs, {p: (1.0, 0.0) for p in reference})


def test_effects_agree_with_a_hand_computed_example():
    rows = {r["problem"]: r for r in problem_effects(hand_grid(), "ref")}
    # p1: d = (-0.1, 0, -0.1) -> median -0.1; A12 = P(var < ref) + ½ P(=) over the 9 pairs:
    # 0.1 beats 0.2, 0.2, 0.4 (3); 0.2 ties 0.2 twice (1) and beats 0.4 (1); 0.3 beats 0.4 (1) -> 6/9
    assert rows["p1"]["delta"] == pytest.approx(-0.1) and rows["p1"]["a12"] == pytest.approx(6 / 9)
    # p2: d = (0, 0.3, 0.2) -> 0.2; var 0.5 ties 0.5, beats 0.6, 0.7 (2.5); 0.9 beats nothing (0) -> 2.5/9
    assert rows["p2"]["delta"] == pytest.approx(0.2) and rows["p2"]["a12"] == pytest.approx(2.5 / 9)
    # p3: d = (0, -0.1, -0.2) -> -0.1; 0.1 ties 0.1, beats 0.3, 0.2 (2.5); 0.2 beats 0.3, ties 0.2 (1.5);
    # 0.0 beats all (3) -> 7/9
    assert rows["p3"]["delta"] == pytest.approx(-0.1) and rows["p3"]["a12"] == pytest.approx(7 / 9)
    # p1: two non-zero differences, both negative: the exact two-sided p is 2 · (1/2)² = 0.5
    assert rows["p1"]["p"] == pytest.approx(0.5) and rows["p1"]["verdict"] == "—"
    (summary,) = variant_effects(hand_grid(), "ref")
    # the effect: the median of (-0.1, 0.2, -0.1); with three problems a resample's median is the
    # smallest Δ with probability 7/27 and the largest with 7/27 (> 2.5 %): the CI is [min, max]
    assert summary["effect"] == pytest.approx(-0.1)
    assert (summary["ci_low"], summary["ci_high"]) == pytest.approx((-0.1, 0.2))
    assert summary["median_a12"] == pytest.approx(6 / 9)
    assert summary["problems"] == 3 and summary["better"] == summary["worse"] == 0  # 3 seeds: p >= 0.25
    # mean ranks on the mean regret: p1 var, p2 ref, p3 var better -> var 4/3, ref 5/3
    assert (summary["rank_100"], summary["rank_25"]) == pytest.approx((4 / 3, 4 / 3))


def test_direction_is_the_larger_signed_rank_sum():
    assert direction([-0.3, 0.1, 0.0, -0.2]) == -1
    assert direction([0.3, -0.1, 0.2]) == 1
    assert direction([0.0, 0.0]) == 0 and direction([0.1, -0.1]) == 0


def test_the_study_files_run_on_the_design_suite_and_keep_their_landscape_presets():
    pressure = runpy.run_path(str(ROOT / "experiments" / "selection_pressure.py"))
    assert suite_spec(pressure) == ["design"] and study_plan(pressure)[1] == list(range(30))
    assert "tournament3" in pressure["VARIANTS"] and pressure["REFERENCE"] == "beta5"
    preset = preset_overrides(pressure, "landscape")
    seeds = preset.pop("seeds")
    landscape = apply_study_preset(pressure, preset)
    assert preset == {} and seeds == list(range(10)) and suite_spec(landscape) is None
    assert list(landscape["VARIANTS"]) == ["beta0", "beta1", "beta5", "beta20", "increasing"]

    ablation = runpy.run_path(str(ROOT / "experiments" / "operator_ablation.py"))
    preset = preset_overrides(ablation, None)  # DEFAULT_PRESET: the reference and its one-operator changes
    default = apply_study_preset(ablation, preset)
    reference = ablation["REFERENCE"]
    assert len(default["VARIANTS"]) == 8 and reference in default["VARIANTS"]
    for name in default["VARIANTS"]:
        assert sum(a != b for a, b in zip(name.split("+"), reference.split("+"))) <= 1
    plan = plan_suite_study(default, preset, [0], ["lcbench/3945"])
    assert plan.reference == reference and len(plan.searches) == 8
    preset = preset_overrides(ablation, "landscape")
    seeds = preset.pop("seeds")
    landscape = apply_study_preset(ablation, preset)
    assert suite_spec(landscape) is None and len(landscape["VARIANTS"]) == 48 and len(landscape["FACTORS"]) == 48
    assert seeds == [0, 1, 2, 3, 4]


def test_the_landscape_preset_runs_the_landscape_study(tmp_path, capsys):
    out = tmp_path / "pressure"
    assert main(["run", str(ROOT / "experiments" / "selection_pressure.py"), "--preset", "landscape", "--out",
                 str(out), "--seed", "0", "--set", "population_size=4", "--set", "generations=1", "--quiet"]) == 0
    study = json.loads((out / "study.json").read_text())
    assert study["variants"] == ["beta0", "beta1", "beta5", "beta20", "increasing"] and study["seeds"] == [0]
    config = json.loads((out / "beta20" / "seed-0" / "config.json").read_text())
    assert config["fitness"] == "landscape" and config["selection_params"]["beta"] == 20.0


def test_a_preset_variant_list_must_name_variants():
    namespace = {"CONFIG": ExperimentConfig(name="x", space=SearchSpace(family="cnn")), "VARIANTS": {"a": {}}}
    with pytest.raises(ConfigError, match="'variants' must be"):
        apply_study_preset(namespace, {"variants": ["b"]})
