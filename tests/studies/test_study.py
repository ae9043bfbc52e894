"""Studies end to end: ``evodeap run`` of VARIANTS × SEEDS, ``resume``, ``report``, bad input."""
from __future__ import annotations

import json
import runpy
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evodeap.cli import main
from evodeap.errors import ConfigError, RunDirectoryError
from evodeap.runs.lifecycle import RunInterrupted
from evodeap.reports.stats import area_under_best_so_far, bootstrap_ci, mann_whitney
from evodeap.results.queries import evaluations, generations
from evodeap.studies.study import arms, read_study, run_study
from evodeap.studies.report import study_summary, write_study_report

HEADER = """
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace

CONFIG = ExperimentConfig(name="tiny_study", space=SearchSpace(family="cnn"), fitness="landscape",
                          population_size=6, generations=3, crossover="two_point", mutation="split",
                          selection="boltzmann", selection_params={"beta": 5.0}, elitism=1)
"""
BODY = """
import dataclasses

VARIANTS = {
    "beta1": {"selection_params.beta": 1.0},
    "nocx": lambda c: dataclasses.replace(c, cxpb=0.0),
}
SEEDS = [3, 7]
REFERENCE = "beta1"
"""
SUB_RUN_FILES = {"config.json", "experiment.json", "results.sqlite", "checkpoint.json", "logbook.csv",
                 "hall_of_fame.json", "space.json"}


def write_experiment(directory: Path, body: str = BODY, name: str = "study_exp.py") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(HEADER) + textwrap.dedent(body))
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> tuple[Path, Path]:
    """One finished tiny study (2 variants × 2 seeds), shared read-only by the tests below."""
    root = tmp_path_factory.mktemp("study")
    experiment = write_experiment(root)
    out = root / "out"
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 0
    return experiment, out


def logbook(directory: Path) -> pd.DataFrame:
    return pd.read_csv(directory / "logbook.csv").drop(columns="elapsed")  # wall time differs


def mtimes(directory: Path) -> dict[str, int]:
    return {str(p.relative_to(directory)): p.stat().st_mtime_ns for p in sorted(directory.rglob("*")) if p.is_file()}


def test_study_layout_study_json_and_shared_seeds(study):
    experiment, out = study
    info = json.loads((out / "study.json").read_text())
    assert info["variants"] == ["beta1", "nocx"] and info["seeds"] == [3, 7]
    assert info["reference"] == "beta1" and info["name"] == "tiny_study"
    assert info["experiment"]["file"] == str(experiment.resolve())
    assert sorted(p.name for p in out.iterdir()) == ["beta1", "nocx", "study.json"]
    seeds_by_variant = {}
    for variant in ("beta1", "nocx"):
        seeds_by_variant[variant] = sorted(p.name for p in (out / variant).iterdir())
        for seed in (3, 7):
            sub = out / variant / f"seed-{seed}"
            assert SUB_RUN_FILES <= {p.name for p in sub.iterdir()}
            config = json.loads((sub / "config.json").read_text())
            source = json.loads((sub / "experiment.json").read_text())
            assert config["seed"] == seed and source["seed"] == seed and source["variant"] == variant
            assert json.loads((sub / "checkpoint.json").read_text())["generation"] == 3
            assert generations(sub)["generation"].tolist() == [0, 1, 2, 3]
        # the variant's change reached the sub-run's config, and only it
        config = json.loads((out / variant / "seed-3" / "config.json").read_text())
        assert (config["selection_params"]["beta"], config["cxpb"]) == ((1.0, 0.7) if variant == "beta1" else (5.0, 0.0))
    assert seeds_by_variant["beta1"] == seeds_by_variant["nocx"] == ["seed-3", "seed-7"]
    assert [(a.variant, a.seed) for a in arms(out)] == [("beta1", 3), ("beta1", 7), ("nocx", 3), ("nocx", 7)]
    # different seeds give different runs; the same seed in both arms starts from the same population
    first = {a: evaluations(out / a[0] / f"seed-{a[1]}") for a in [("beta1", 3), ("beta1", 7), ("nocx", 3)]}
    gen0 = {a: frame.loc[frame["generation"] == 0, "key"].tolist() for a, frame in first.items()}
    assert gen0[("beta1", 3)] == gen0[("nocx", 3)] != gen0[("beta1", 7)]


def test_report_numbers_equal_a_recomputation_from_the_databases(study, tmp_path):
    _, original = study
    out = tmp_path / "copy"
    shutil.copytree(original, out)
    assert main(["report", str(out)]) == 0
    tables, figures = out / "tables", out / "figures"
    for name in ("study_runs", "study_final_best", "study_auc", "study_ranking"):
        assert (tables / f"{name}.csv").stat().st_size > 0 and (tables / f"{name}.md").read_text().startswith("| ")
    for name in ("best_so_far", "diversity", "final_best"):
        assert (figures / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (figures / f"{name}.svg").stat().st_size > 0

    # recompute from each sub-run's database, independently of study_report
    final, auc = {}, {}
    for variant in ("beta1", "nocx"):
        for seed in (3, 7):
            sub = out / variant / f"seed-{seed}"
            gens, evals = generations(sub), evaluations(sub)
            ok = evals[evals["status"] == "ok"]
            final.setdefault(variant, []).append(float(ok["fitness"].max()))
            auc.setdefault(variant, []).append(area_under_best_so_far(gens.sort_values("generation")["best"]))
    runs = pd.read_csv(tables / "study_runs.csv")
    assert runs["complete"].all() and len(runs) == 4
    for measure, name, values in (("final_best", "study_final_best", final), ("auc", "study_auc", auc)):
        table = pd.read_csv(tables / f"{name}.csv").set_index("arm")
        assert table.index.tolist() == ["beta1", "nocx"]
        for variant, vals in values.items():
            row = table.loc[variant]
            assert row["n"] == 2
            assert row["mean"] == pytest.approx(np.mean(vals)) and row["median"] == pytest.approx(np.median(vals))
            assert (row["mean_ci_low"], row["mean_ci_high"]) == pytest.approx(bootstrap_ci(vals))
        u, p = mann_whitney(values["nocx"], values["beta1"])
        assert table.loc["nocx", "U"] == pytest.approx(u) and table.loc["nocx", "p_value"] == pytest.approx(p)
        assert np.isnan(table.loc["beta1", "p_value"])
    ranking = pd.read_csv(tables / "study_ranking.csv")
    means = {v: np.mean(vals) for v, vals in final.items()}
    order = sorted(means, key=lambda v: -means[v])
    assert [a.replace(" (reference)", "") for a in ranking["arm"]] == order
    assert "beta1 (reference)" in ranking["arm"].tolist()


def test_resume_finishes_only_what_is_missing(study, tmp_path):
    _, original = study
    out = tmp_path / "copy"
    shutil.copytree(original, out)
    shutil.rmtree(out / "nocx" / "seed-7")                      # a sub-run never started
    (out / "beta1" / "seed-7" / "checkpoint.json").unlink()     # a sub-run without its checkpoint
    untouched = {arm: mtimes(out / arm) for arm in ("beta1/seed-3", "nocx/seed-3")}
    assert main(["resume", str(out), "--quiet"]) == 0
    for arm, before in untouched.items():
        assert mtimes(out / arm) == before, f"{arm} was rewritten"
    for arm in ("nocx/seed-7", "beta1/seed-7"):
        assert json.loads((out / arm / "checkpoint.json").read_text())["generation"] == 3
        # deterministic landscape + same seed: the redone sub-run is the original one
        pd.testing.assert_frame_equal(logbook(out / arm), logbook(original / arm))
        assert generations(out / arm)["generation"].tolist() == [0, 1, 2, 3]
    before = mtimes(out)
    assert main(["resume", str(out), "--quiet"]) == 0          # a complete study: nothing to do
    assert mtimes(out) == before


def test_interrupted_study_resumes_and_reports_only_complete_sub_runs(tmp_path, capsys):
    experiment = write_experiment(tmp_path)
    namespace = runpy.run_path(str(experiment))
    out = tmp_path / "out"

    def start(arm, config):
        def on_generation(report):
            if arm.variant == "nocx" and arm.seed == 7 and report.generation == 1:
                raise KeyboardInterrupt
        return on_generation, None

    with pytest.raises(RunInterrupted):
        run_study(namespace, out, {"file": str(experiment.resolve()), "overrides": {}}, on_arm_start=start)
    # regression: an interrupted sub-run must not enter the comparison (it stopped at generation 1)
    summary = study_summary(out).set_index(["variant", "seed"])
    assert not summary.loc[("nocx", 7), "complete"] and summary["complete"].sum() == 3
    write_study_report(out)
    table = pd.read_csv(out / "tables" / "study_final_best.csv").set_index("arm")
    assert table.loc["nocx", "n"] == 1 and table.loc["beta1", "n"] == 2
    untouched = mtimes(out / "nocx" / "seed-3")
    assert main(["resume", str(out), "--quiet"]) == 0
    assert mtimes(out / "nocx" / "seed-3") == untouched
    assert study_summary(out)["complete"].all()
    assert main(["report", str(out)]) == 0
    assert pd.read_csv(out / "tables" / "study_final_best.csv").set_index("arm").loc["nocx", "n"] == 2


def test_report_refuses_a_study_without_a_complete_sub_run(tmp_path):
    experiment = write_experiment(tmp_path)
    namespace = runpy.run_path(str(experiment))

    def start(arm, config):
        def on_generation(report):
            if report.generation == 1:
                raise KeyboardInterrupt
        return on_generation, None

    with pytest.raises(RunInterrupted):
        run_study(namespace, tmp_path / "out", {"file": str(experiment), "overrides": {}}, on_arm_start=start)
    with pytest.raises(RunDirectoryError, match="no complete sub-run"):
        write_study_report(tmp_path / "out")


@pytest.mark.parametrize("body, message", [
    ("VARIANTS = []", "VARIANTS must be a non-empty dict"),
    ("VARIANTS = {}", "VARIANTS must be a non-empty dict"),
    ("VARIANTS = {'bad name': {}}", "variant name 'bad name'"),
    ("VARIANTS = {'a': 3}", "variant 'a' must be a dict of overrides or a function"),
    ("VARIANTS = {'a': lambda c: 3}", "variant 'a' must return an ExperimentConfig"),
    ("VARIANTS = {'a': {'no_such_setting': 1}}", "unknown setting 'no_such_setting'"),
    ("VARIANTS = {'a': {'population_size': 1}}", "population_size must be an integer in [2, 100_000], got 1"),
    ("SEEDS = []", "SEEDS must be a non-empty list"),
    ("SEEDS = [1, -1]", "SEEDS must be a non-empty list of integers >= 0"),
    ("SEEDS = ['0']", "SEEDS must be a non-empty list of integers >= 0"),
    ("SEEDS = [1, 1]", "SEEDS has duplicates"),
    ("VARIANTS = {'a': {}}\nREFERENCE = 'b'", "REFERENCE 'b' is not a variant"),
])
def test_bad_study_declarations_exit_2_with_one_line(tmp_path, capsys, body, message):
    experiment = write_experiment(tmp_path, body)
    out = tmp_path / "out"
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("evodeap: error: ") and message in err
    assert not out.exists()  # refused before anything was written


def test_verbose_shows_generation_and_evaluation_lines_in_studies_too(tmp_path, capsys):
    experiment = write_experiment(tmp_path, "SEEDS = [1]\n")
    assert main(["run", str(experiment), "--out", str(tmp_path / "out"), "--verbose",
                 "--set", "generations=1", "--set", "population_size=4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    evaluations = [line for line in lines if line.startswith("  g0 ") or line.startswith("  g1 ")]
    assert len(evaluations) >= 4 and all(" ok " in line and "fitness" in line for line in evaluations)
    assert any(line.split()[:2] == ["gen", "nevals"] for line in lines)
    assert main(["run", str(experiment), "--out", str(tmp_path / "quiet"), "--quiet",
                 "--set", "generations=1", "--set", "population_size=4"]) == 0
    assert not any(line.startswith("  g0 ") for line in capsys.readouterr().out.splitlines())


def test_study_without_out_writes_a_default_study_directory(tmp_path, capsys, monkeypatch):
    experiment = write_experiment(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(experiment), "--quiet"]) == 0
    (out,) = (tmp_path / "runs").iterdir()
    assert out.name.startswith("tiny_study-")
    assert f"study directory: {Path('runs') / out.name}" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["beta1", "nocx", "study.json"]


def test_study_refuses_an_existing_study_directory(study, capsys):
    experiment, out = study
    before = mtimes(out)
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 2
    assert "evodeap resume" in capsys.readouterr().err
    assert mtimes(out) == before


def test_study_report_out_writes_elsewhere_and_leaves_the_study_untouched(study, tmp_path, capsys):
    _, out = study
    before = mtimes(out)
    elsewhere = tmp_path / "report"
    assert main(["report", str(out), "--out", str(elsewhere)]) == 0
    assert (elsewhere / "tables" / "study_ranking.csv").is_file() and (elsewhere / "figures" / "final_best.png").is_file()
    assert mtimes(out) == before


def test_changed_study_experiment_is_refused_on_resume_unless_forced(study, tmp_path, capsys):
    experiment, original = study
    copy_dir = tmp_path / "copy"
    shutil.copytree(original, copy_dir)
    edited = tmp_path / "edited.py"
    edited.write_text(experiment.read_text() + "\n# an edit\n")
    info = json.loads((copy_dir / "study.json").read_text())
    info["experiment"]["file"] = str(edited)
    (copy_dir / "study.json").write_text(json.dumps(info))
    shutil.rmtree(copy_dir / "nocx" / "seed-7")
    capsys.readouterr()
    assert main(["resume", str(copy_dir), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the experiment changed" in err and str(edited) in err
    assert not (copy_dir / "nocx" / "seed-7").exists()
    assert main(["resume", str(copy_dir), "--quiet", "--force"]) == 0
    change = json.loads((copy_dir / "study.json").read_text())["experiment"]["changes"][-1]
    assert change["forced"] and str(edited) in change["change"]
    assert json.loads((copy_dir / "nocx" / "seed-7" / "checkpoint.json").read_text())["generation"] == 3


def test_read_study_errors(tmp_path):
    with pytest.raises(RunDirectoryError, match="not a study directory"):
        read_study(tmp_path)
    (tmp_path / "study.json").write_text("{not json")
    with pytest.raises(RunDirectoryError, match="corrupt"):
        read_study(tmp_path)


def test_operator_ablation_declares_the_full_factorial():
    namespace = runpy.run_path(str(Path(__file__).resolve().parents[2] / "experiments" / "operator_ablation.py"))
    from evodeap.config.experiment import apply_variant
    from evodeap.config.experiment import study_plan

    variants, seeds = study_plan(namespace)
    assert len(variants) == 48 == len(set(variants)) and len(seeds) >= 5
    assert namespace["REFERENCE"] == "cx-two_point+mut-split+refine+adaptive"
    seen = set()
    for name in variants:
        config = apply_variant(namespace["CONFIG"], namespace, name).validate()
        cx = "none" if config.cxpb == 0 else config.crossover
        refine = "refine" if config.refine_every > 0 else "norefine"
        rate = "constant" if isinstance(config.mutation_rate, float) else "adaptive"
        assert name == f"cx-{cx}+mut-{config.mutation}+{refine}+{rate}"
        seen.add((cx, config.mutation, refine, rate))
    assert len(seen) == 48
    with pytest.raises(ConfigError):
        study_plan({**namespace, "REFERENCE": "cx-two_point+mut-split"})


def test_curve_bands_are_the_bootstrap_ci_of_each_generation():
    from evodeap.studies.report import curve_bands

    curves = pd.DataFrame({"variant": ["a"] * 6 + ["b"] * 3, "generation": [0, 0, 0, 1, 1, 1, 0, 0, 0],
                           "best_so_far": [0.1, 0.5, 0.3, 0.6, 0.6, 0.9, 0.2, 0.2, 0.2]})
    bands = curve_bands(curves, "best_so_far", n_resamples=500, seed=4)
    assert bands[["variant", "generation"]].values.tolist() == [["a", 0], ["a", 1], ["b", 0]]
    assert bands["mean"].tolist() == pytest.approx([0.3, 0.7, 0.2])
    assert tuple(bands.loc[1, ["ci_low", "ci_high"]]) == bootstrap_ci([0.6, 0.6, 0.9], n_resamples=500, seed=4)
    assert tuple(bands.loc[2, ["ci_low", "ci_high"]]) == pytest.approx((0.2, 0.2))


def test_run_level_readers_accept_a_study_and_add_variant_and_seed(study):
    from evodeap.results import history, queries
    from evodeap.results.trials import trials_dataframe

    _, out = study
    flat = trials_dataframe(out)
    assert list(flat.columns[:2]) == ["variant", "seed"] and "eval_seed" in flat.columns
    for variant in ("beta1", "nocx"):
        for seed in (3, 7):
            sub = trials_dataframe(out / variant / f"seed-{seed}")
            part = flat[(flat["variant"] == variant) & (flat["seed"] == seed)]
            assert part["key"].tolist() == sub["key"].tolist()
            assert part["eval_seed"].tolist() == sub["seed"].tolist()
            assert part["fitness"].tolist() == pytest.approx(sub["fitness"].tolist())
    for reader in (queries.evaluations, queries.generations, queries.best_per_generation,
                   queries.compute_per_generation, history.population_history, history.key_share):
        frame = reader(out)
        assert list(frame.columns[:2]) == ["variant", "seed"], reader.__name__
        assert set(zip(frame["variant"], frame["seed"])) == {("beta1", 3), ("beta1", 7), ("nocx", 3), ("nocx", 7)}
        assert len(frame) == sum(len(reader(out / v / f"seed-{s}")) for v in ("beta1", "nocx") for s in (3, 7))
    with pytest.raises(RunDirectoryError, match="is a study directory"):
        queries.read_frame(out, "SELECT 1")


def test_a_study_without_started_sub_runs_is_refused_by_the_readers(tmp_path):
    from evodeap.results.trials import trials_dataframe

    (tmp_path / "study.json").write_text(json.dumps({"format": 2, "variants": ["a"], "seeds": [0]}))
    with pytest.raises(RunDirectoryError, match="no sub-run of the study"):
        trials_dataframe(tmp_path)
    (tmp_path / "study.json").write_text(json.dumps({"format": 2, "variants": ["../x"], "seeds": [0]}))
    with pytest.raises(RunDirectoryError, match="'variants' must be a non-empty list of names"):
        trials_dataframe(tmp_path)


def test_study_best_lists_each_sub_runs_best_genome_and_metrics(study, tmp_path):
    from evodeap.studies.best import study_best

    _, original = study
    out = tmp_path / "copy"
    shutil.copytree(original, out)
    best = study_best(out)
    assert [(r.variant, r.seed) for r in best.itertuples()] == [("beta1", 3), ("beta1", 7), ("nocx", 3), ("nocx", 7)]
    for row in best.to_dict("records"):
        evals = evaluations(out / row["variant"] / f"seed-{row['seed']}")
        top = evals[evals["status"] == "ok"].sort_values("fitness", ascending=False).iloc[0]
        assert row["status"] == "ok" and row["fitness"] == pytest.approx(top["fitness"])
        assert row["key"] == top["key"] and row["metric_val_score"] == pytest.approx(top["metric_val_score"])
        assert row["structure"] and any(c.startswith("hp_") for c in best.columns)
    assert main(["report", str(out)]) == 0
    table = pd.read_csv(out / "tables" / "study_best.csv")
    assert table["fitness"].tolist() == pytest.approx(best["fitness"].tolist())
    shutil.rmtree(out / "nocx" / "seed-7")
    assert study_best(out).iloc[-1]["status"] == "not started"


def test_export_of_a_study_of_a_non_keras_fitness_is_one_line(study, tmp_path, capsys):
    _, original = study
    out = tmp_path / "copy"
    shutil.copytree(original, out)
    assert main(["export", str(out)]) == 2
    assert "export trains a Keras model" in capsys.readouterr().err
    assert not list(out.rglob("best_model.*"))
