"""What a study's report says: paired tests, effect sizes, attainable p, curves against
evaluations and compute, labelled figures, and the factorial analysis."""
from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evodeap.studies import factorial
from evodeap.cli import main
from evodeap.errors import ConfigError, RunDirectoryError
from evodeap.reports.stats import vargha_delaney_a12, wilcoxon_signed_rank
from evodeap.config.experiment import check_factors
from evodeap.studies.report import compare_study, curve_bands_against, study_curves, study_figures, study_summary

EXPERIMENT = """
import itertools
from evodeap.config.settings import ExperimentConfig

CONFIG = ExperimentConfig(name="factorial", population_size=6, generations=4, crossover="two_point",
                          selection_params={"beta": 5.0})
CROSSOVER = {"none": {"cxpb": 0.0}, "two_point": {"cxpb": 0.7}}
REFINEMENT = {"norefine": {"refine_every": 0}, "refine": {"refine_every": 2}}
VARIANTS = {f"{c}+{r}": {**CROSSOVER[c], **REFINEMENT[r]} for c, r in itertools.product(CROSSOVER, REFINEMENT)}
FACTORS = {f"{c}+{r}": {"crossover": c, "refinement": r} for c, r in itertools.product(CROSSOVER, REFINEMENT)}
SEEDS = [0, 1, 2]
REFERENCE = "two_point+refine"
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("factorial")
    (root / "exp.py").write_text(textwrap.dedent(EXPERIMENT))
    out = root / "out"
    assert main(["run", str(root / "exp.py"), "--out", str(out), "--quiet"]) == 0
    return out


def test_comparisons_are_paired_by_seed(study):
    summary = study_summary(study)
    table = compare_study(study)["final_best"].set_index("arm")
    ref = summary[summary["variant"] == "two_point+refine"].set_index("seed")["final_best"]
    for arm in ("none+norefine", "none+refine", "two_point+norefine"):
        values = summary[summary["variant"] == arm].set_index("seed")["final_best"]
        seeds = sorted(set(values.index) & set(ref.index))
        row = table.loc[arm]
        assert (row["W"], row["p_wilcoxon"]) == pytest.approx(
            wilcoxon_signed_rank(values.loc[seeds].tolist(), ref.loc[seeds].tolist()))
        assert row["A12"] == pytest.approx(vargha_delaney_a12(values.tolist(), ref.tolist()))
        assert row["median_diff"] == pytest.approx(float(np.median(values.loc[seeds] - ref.loc[seeds])))
        assert row["n_pairs"] == 3 and row["min_p_wilcoxon"] == 0.25 and row["min_p_mann_whitney"] == pytest.approx(0.1)


def test_report_warns_that_three_seeds_cannot_reach_alpha(study, capsys):
    assert main(["report", str(study)]) == 0
    printed = capsys.readouterr().out
    assert "warning: final best fitness: with these seeds the smallest Mann–Whitney p is 0.1 >= alpha" in printed
    assert "smallest Wilcoxon signed-rank p is 0.25" in (study / "tables" / "study_warnings.md").read_text()
    ranking = pd.read_csv(study / "tables" / "study_ranking.csv")
    assert {"p (W)", "p_holm (W)", "p (MW)", "A12", "Δ median [CI]"} <= set(ranking.columns)
    for name in ("best_so_far", "best_so_far_vs_evaluations", "best_so_far_vs_compute", "diversity", "final_best",
                 "factorial_main_effects", "factorial_interactions"):
        assert (study / "figures" / f"{name}.png").stat().st_size > 1000, name
    effects = pd.read_csv(study / "tables" / "factorial_effects.csv")
    assert set(effects["term"]) == {"crossover", "refinement", "crossover×refinement"}


def test_every_figure_has_labelled_axes_a_legend_and_refinement_marks(study):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = study_figures(study)
    analysis = factorial.analyse(study)
    figures.update(factorial.effects_figures(analysis))
    for name, fig in figures.items():
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            assert ax.get_xlabel() and ax.get_title(), name
            assert ax.get_legend() is not None or name == "factorial_main_effects", name
        assert fig.axes[0].get_ylabel(), name
    marks = [line.get_xdata()[0] for line in figures["best_so_far"].axes[0].lines if line.get_linestyle() == ":"]
    assert marks == [2, 4]
    legend = [t.get_text() for t in figures["best_so_far"].axes[0].get_legend().get_texts()]
    assert "refinement (2 of 4 arms)" in legend
    assert figures["best_so_far_vs_compute"].axes[0].get_xlabel() == "training compute (epochs trained)"
    for fig in figures.values():
        plt.close(fig)


def test_curves_against_evaluations_step_and_share_a_grid():
    curves = pd.DataFrame({
        "variant": "a", "seed": [0, 0, 0, 1, 1],
        "evaluations": [4, 8, 12, 5, 10], "best_so_far": [0.1, 0.3, 0.6, 0.2, 0.4],
    })
    bands = curve_bands_against(curves, "evaluations", "best_so_far")
    assert bands["evaluations"].tolist() == [5.0, 8.0, 10.0, 12.0]  # every step, to the longest seed
    # seed 0 at 5, 8, 10, 12 holds 0.1, 0.3, 0.3, 0.6; seed 1 holds 0.2, 0.2, 0.4 and keeps 0.4
    assert bands["mean"].tolist() == pytest.approx([0.15, 0.25, 0.35, 0.5])
    assert curve_bands_against(curves, "evaluations", "best_so_far", points=2)["evaluations"].tolist() == [5.0, 12.0]


def test_curves_of_seeds_of_different_lengths_end_at_the_longest_with_the_mean_of_the_finals():
    """Seed 0 ran 4 generations, seed 1 only 2: the arm ends at generation 4 (and at seed 0's
    last evaluation count), and its last value is the mean of both seeds' finals, not seed 0's."""
    from evodeap.studies.curves import curve_bands

    curves = pd.DataFrame({
        "variant": "a", "seed": [0] * 5 + [1] * 3, "generation": [0, 1, 2, 3, 4, 0, 1, 2],
        "evaluations": [6, 12, 18, 24, 30, 6, 12, 18], "epochs_total": [6, 12, 18, 24, 30, 6, 12, 18.0],
        "best_so_far": [0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.8, 0.9],
    })
    finals = [0.4, 0.9]
    for x in ("evaluations", "epochs_total"):
        bands = curve_bands_against(curves, x, "best_so_far")
        assert bands[x].max() == 30 and bands["mean"].iloc[-1] == pytest.approx(np.mean(finals))
        assert bands[x].is_monotonic_increasing
    by_generation = curve_bands(curves, "best_so_far")
    assert by_generation["generation"].tolist() == [0, 1, 2, 3, 4]
    assert by_generation["mean"].iloc[-1] == pytest.approx(np.mean(finals))
    assert by_generation["mean"].tolist() == pytest.approx([0.3, 0.5, 0.6, 0.625, 0.65])
    median = np.median(finals)
    assert by_generation["mean"].iloc[-1] == pytest.approx(median)  # two seeds: mean = median
    cut = curve_bands(curves, "best_so_far", carry=False)
    assert cut["mean"].iloc[-1] == pytest.approx(0.4)  # without carrying, the short seed drops out


def test_study_figures_are_step_curves_with_integer_generation_ticks(study):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figures = study_figures(study)
    for name in ("best_so_far", "best_so_far_vs_evaluations", "diversity"):
        ax = figures[name].axes[0]
        assert isinstance(ax.xaxis.get_major_locator(), MaxNLocator), name
        assert all(float(t).is_integer() for t in ax.get_xticks()), name
        drawn = [line for line in ax.lines if line.get_linestyle() != ":"]
        assert drawn and all(line.get_drawstyle() == "steps-post" for line in drawn), name
    for fig in figures.values():
        plt.close(fig)


def test_study_curves_carry_compute(study):
    curves = study_curves(study)
    first = curves[(curves["variant"] == "none+norefine") & (curves["seed"] == 0)]
    assert first["evaluations"].tolist() == first["nevals"].cumsum().tolist()
    assert first["epochs_total"].is_monotonic_increasing and first["epochs_total"].iloc[-1] > 0


def test_effects_are_exact_on_a_known_design():
    # y = 1 + 0.4·[A=a1] + 0.2·[B=b1] + 0.1·[A=a1][B=b1], two runs per cell
    levels = {"A": ["a0", "a1"], "B": ["b0", "b1"]}
    codes = np.array([[i, j] for i, j in itertools.product(range(2), range(2)) for _ in range(2)])
    values = 1 + 0.4 * codes[:, 0] + 0.2 * codes[:, 1] + 0.1 * codes[:, 0] * codes[:, 1]
    effects, sums, total = factorial._effects_from(values, codes, ["A", "B"], levels)
    mu = values.mean()
    assert effects[("A", "a1")] == (4, pytest.approx(1.55), pytest.approx(1.55 - mu))  # (1.4 + 1.7) / 2
    assert effects[("A", "a0")][2] == pytest.approx(-effects[("A", "a1")][2])
    assert effects[("A×B", "a1×b1")][2] == pytest.approx(0.1 / 4)  # the interaction, effect-coded
    assert sum(ss for _, ss in sums.values()) == pytest.approx(total)  # balanced 2×2: the terms add up


def test_factorial_analysis_of_the_study(study):
    analysis = factorial.analyse(study)
    assert analysis.seeds == [0, 1, 2] and analysis.factors == {"crossover": ["none", "two_point"],
                                                                 "refinement": ["norefine", "refine"]}
    main_effects = analysis.effects[analysis.effects["kind"] == "main"]
    for _, group in main_effects.groupby("term"):
        assert group["effect"].sum() == pytest.approx(0.0, abs=1e-12)
        assert (group["ci_low"] <= group["effect"]).all() and (group["effect"] <= group["ci_high"]).all()
    assert analysis.terms["eta_sq"].between(0, 1).all() and analysis.terms["eta_sq"].sum() <= 1 + 1e-9
    assert any("bootstrap over 3 seeds" in w for w in analysis.warnings)
    summary = study_summary(study)
    crossed = summary[summary["variant"].str.startswith("two_point")]["final_best"].mean()
    row = analysis.effects.set_index(["term", "level"]).loc[("crossover", "two_point")]
    assert row["mean"] == pytest.approx(crossed) and row["n"] == 6


def test_bad_factors_and_a_non_factorial_study_are_clear_errors(study, tmp_path, capsys):
    bad = EXPERIMENT.replace('FACTORS = {', 'FACTORS = {"ghost": {"crossover": "x", "refinement": "y"}, **{') \
                    .replace('itertools.product(CROSSOVER, REFINEMENT)}\nSEEDS', 'itertools.product(CROSSOVER, REFINEMENT)}}\nSEEDS')
    (tmp_path / "bad.py").write_text(textwrap.dedent(bad))
    assert main(["run", str(tmp_path / "bad.py"), "--out", str(tmp_path / "out")]) == 2
    assert "FACTORS must name every variant exactly" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ConfigError, match="same levels"):
        check_factors({"a": {"f": "1"}, "b": {"f": "1"}}, ["a", "b"])
    plain = EXPERIMENT.replace("FACTORS =", "_FACTORS =")
    (tmp_path / "plain.py").write_text(textwrap.dedent(plain).replace("generations=4", "generations=1")
                                       .replace("SEEDS = [0, 1, 2]", "SEEDS = [0]"))
    assert main(["run", str(tmp_path / "plain.py"), "--out", str(tmp_path / "plain"), "--quiet"]) == 0
    with pytest.raises(RunDirectoryError, match="not a factorial study"):
        factorial.analyse(tmp_path / "plain")


def test_a_study_started_from_python_is_finished_from_python(tmp_path, capsys):
    from evodeap.config.settings import ExperimentConfig
    from evodeap.studies.study import run_study

    study = {"CONFIG": ExperimentConfig(population_size=4, generations=1), "VARIANTS": {"a": {}}, "SEEDS": [0]}
    run_study(study, tmp_path / "s", {"file": None, "overrides": {}})
    assert main(["resume", str(tmp_path / "s")]) == 2
    assert "started from Python" in capsys.readouterr().err
    assert run_study(study, tmp_path / "s", {"file": None, "overrides": {}}, resume=True)  # complete: skipped


def test_the_interaction_grid_shares_one_y_scale_and_no_title_overlaps():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["crossover", "mutation", "refinement", "mutation_rate"]
    levels = {"crossover": ["none", "two_point"], "mutation": ["hyperparameter", "split"],
              "refinement": ["norefine", "refine"], "mutation_rate": ["constant", "adaptive"]}
    codes = np.array(list(itertools.product(range(2), repeat=4)) * 2)
    values = 0.5 + 0.3 * codes[:, 0] + 0.01 * codes[:, 1] - 0.2 * codes[:, 2] * codes[:, 3]
    point, sums, total = factorial._effects_from(values, codes, names, levels)
    rows, term_rows = factorial._effect_rows(point, sums, total, {k: [] for k in point}, {t: [] for t in sums}, 0.95)
    analysis = factorial.FactorialAnalysis(pd.DataFrame(rows), pd.DataFrame(term_rows), [0, 1], float(values.mean()),
                                           "final_best", levels)
    figures = factorial.effects_figures(analysis)
    for name, fig in figures.items():
        fig.canvas.draw()
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert len({ax.get_ylim() for ax in axes}) == 1, name  # one y-scale
        renderer = fig.canvas.get_renderer()
        titles = [ax.title.get_window_extent(renderer) for ax in axes]
        for i, title in enumerate(titles):
            for j, ax in enumerate(axes):
                if i != j:
                    assert not title.overlaps(ax.get_tightbbox(renderer)), (name, i, j)
            assert not any(title.overlaps(other) for k, other in enumerate(titles) if k != i), name
        plt.close(fig)
    assert len([ax for ax in figures["factorial_interactions"].axes if ax.get_visible()]) == 6
