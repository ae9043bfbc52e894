"""Gene importance over the trials table (evodeap.reports.importance): one gene alone drives the metric."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evodeap.errors import ConfigError
from evodeap.reports.importance import (SELECTION_BIAS, first_order_share, hyperparameter_importance,
                                        importance_figure)


def synthetic(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Four genes; the fitness is a function of ``hp_learning_rate`` alone plus small noise."""
    rng = np.random.default_rng(seed)
    lr = 10 ** rng.uniform(-4, -1, n)
    frame = pd.DataFrame({
        "status": "ok", "hp_learning_rate": lr, "hp_dropout": rng.uniform(0, 0.5, n),
        "hp_optimizer": rng.choice(["adam", "sgd", "rmsprop"], n), "n_layers": rng.integers(1, 5, n),
        "hp_batch_size": 32,  # never varies
    })
    frame["fitness"] = -(np.log10(lr) + 2.5) ** 2 + rng.normal(0, 0.01, n)
    return frame


def test_the_one_gene_that_drives_the_metric_comes_first_and_explains_it():
    result = hyperparameter_importance(synthetic())
    table = result.table.set_index("gene")
    assert result.table["gene"].iloc[0] == "hp_learning_rate"
    assert table.loc["hp_learning_rate", "eta_sq"] > 0.9 and table.loc["hp_learning_rate", "share"] > 0.9
    for gene in ("hp_dropout", "hp_optimizer", "n_layers"):
        assert table.loc[gene, "eta_sq_adj"] < 0.03, gene
    assert "hp_batch_size" not in table.index and any("hp_batch_size" in w for w in result.warnings)
    assert result.warnings[0] == SELECTION_BIAS and "selection-biased" in SELECTION_BIAS
    assert table["share"].sum() == pytest.approx(1.0)


def test_eta_squared_is_the_between_group_share_and_its_chance_correction():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    codes = np.array([0, 0, 1, 1])
    eta, k = first_order_share(y, codes)
    assert (eta, k) == (pytest.approx((2 * 1.0 + 2 * 1.0) / 5.0), 2)  # means 1.5, 3.5 around 2.5
    frame = pd.DataFrame({"hp_a": ["x", "x", "y", "y"], "fitness": y})
    row = hyperparameter_importance(frame).table.iloc[0]
    e = (2 - 1) / (4 - 1)
    assert row["eta_sq_adj"] == pytest.approx((0.8 - e) / (1 - e))
    assert first_order_share(np.ones(4), codes)[0] == 0.0


def test_a_study_table_includes_the_variant_and_a_bad_target_is_one_line():
    frame = synthetic(200)
    frame.insert(0, "variant", np.where(frame["fitness"] > frame["fitness"].median(), "a", "b"))
    genes = hyperparameter_importance(frame).table["gene"].tolist()
    assert "variant" in genes[:2]
    with pytest.raises(ConfigError, match="no column 'metric_val_auc'"):
        hyperparameter_importance(frame, target="metric_val_auc")


def test_the_figure_carries_the_selection_bias_caution():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = importance_figure(hyperparameter_importance(synthetic(100)))
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "selection-biased" in texts.replace("\n", " ") and fig.axes[0].get_xlabel()
    plt.close(fig)


def test_the_run_report_writes_the_importance_and_the_hall_of_fame(tmp_path):
    from evodeap.config.settings import ExperimentConfig
    from evodeap.reports.run_report import write_report
    from evodeap.results.trials import trials_dataframe
    from evodeap.runs.lifecycle import run

    out = tmp_path / "run"
    run(ExperimentConfig(population_size=8, generations=3, seed=4), out)
    written = {p.name for p in write_report(out)}
    assert {"importance.csv", "importance.png", "hall_of_fame.csv"} <= written
    table = pd.read_csv(out / "tables" / "importance.csv")
    assert table["gene"].tolist() == hyperparameter_importance(out).table["gene"].tolist()
    fame = pd.read_csv(out / "tables" / "hall_of_fame.csv")
    flat = trials_dataframe(out)
    assert fame["fitness"].iloc[0] == pytest.approx(flat.loc[flat["status"] == "ok", "fitness"].max())
    assert fame["key"].is_unique and fame["fitness"].is_monotonic_decreasing
    assert "run_warnings.md" not in written  # the landscape records no chance level
