"""Does the best model learn? The hall of fame with validation and test side by side, and the
run's warnings about chance.

A composite fitness hides whether a model learns (docs/fitness.md). The Keras fitness records,
with every trained model's metrics, the chance level ``c`` of its validation metric and the
metric's noise ``SE`` on the validation split (:mod:`evodeap.fitness.chance`):

* :func:`hall_of_fame_table` — the ``k`` best distinct genomes: fitness, its components
  (``A``, ``T``, ``R``), every metric as ``val_<m>`` beside ``test_<m>``, and ``chance`` /
  ``chance_2se`` / ``above_chance`` (``val − c > 2·SE``) for the fitness's metric;
* :func:`learning_warnings` — a sentence when the best model's validation metric is within
  noise of chance (:func:`evodeap.fitness.chance.chance_verdict`), and when the validation split
  is too small to rank models (``2·SE >`` :data:`evodeap.fitness.chance.RANKING_RESOLUTION`).

A run whose fitness records no chance level (the landscape stand-in, a run written before it
was recorded) gets the table without those columns and no warning.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from evodeap.fitness.chance import RANKING_RESOLUTION, Z, chance_verdict
from evodeap.errors import RunDirectoryError

__all__ = ["candidates", "hall_of_fame_table", "learning_warnings", "run_config"]


def run_config(run_dir: Path) -> dict[str, Any]:
    """The run's ``config.json`` as a dict, read by the one bounded reader (:func:`evodeap.files.read_json`:
    no link followed, bounded size and depth; one line when it is missing, a link or corrupt)."""
    from evodeap.files import read_json

    try:
        config = read_json(run_dir, "config.json")
    except FileNotFoundError:
        raise RunDirectoryError(f"{run_dir / 'config.json'} is missing: is {run_dir} a run directory?") from None
    if not isinstance(config, dict):
        raise RunDirectoryError(f"{run_dir / 'config.json'} is corrupt: expected a JSON object")
    return config


def candidates(run_dir: str | Path):
    """The rows (of :func:`evodeap.results.trials.trials_dataframe`) a best model is chosen from:
    the ``ok`` evaluations, with multi-fidelity only the full-budget ones."""
    from evodeap.results.trials import trials_dataframe

    run_dir = Path(run_dir)
    flat = trials_dataframe(run_dir)
    ok = flat[flat["status"] == "ok"] if not flat.empty else flat
    fidelity = run_config(run_dir).get("multi_fidelity")
    if fidelity and not ok.empty:
        ok = ok[ok["budget"] == fidelity.get("max_budget")]
    return ok


def _chance(row: dict[str, Any]) -> tuple[str, float, float] | None:
    for key, value in row.items():
        if key.startswith("metric_val_chance_") and not key.startswith("metric_val_chance_se_") and value == value:
            metric = key[len("metric_val_chance_"):]
            return metric, float(value), float(row.get(f"metric_val_chance_se_{metric}", float("nan")))
    return None


def hall_of_fame_table(run_dir: str | Path, k: int = 10):
    """The ``k`` best distinct genomes of a run (see the module docstring), best first."""
    import pandas as pd

    ok = candidates(run_dir)
    if ok.empty:
        return pd.DataFrame(columns=["rank", "key", "generation", "fitness"])
    ok = ok.sort_values(["fitness", "generation", "idx"], ascending=[False, True, True], kind="stable")
    top = ok.drop_duplicates("key").head(k)
    metrics = sorted({c[len("metric_val_"):] for c in ok.columns
                      if c.startswith("metric_val_") and not c.startswith(("metric_val_chance", "metric_val_perturbed"))})
    rows = []
    for rank, row in enumerate(top.to_dict("records"), start=1):
        out: dict[str, Any] = {"rank": rank, "key": row["key"], "generation": int(row["generation"]),
                               "fitness": row["fitness"], "structure": row.get("layer_kinds", "")}
        out.update({c[len("component_"):]: row[c] for c in top.columns
                    if c.startswith("component_") and not c.startswith("component_T_")})
        for metric in metrics:
            out[f"val_{metric}"] = row.get(f"metric_val_{metric}")
            out[f"test_{metric}"] = row.get(f"metric_test_{metric}", float("nan"))
        chance = _chance(row)
        if chance is not None:
            metric, level, se = chance
            value = row.get(f"metric_val_{metric}")
            out.update({"chance_metric": metric, "chance": level, "chance_2se": Z * se,
                        "above_chance": bool(value is not None and value - level > Z * se)})
        rows.append(out)
    return pd.DataFrame(rows)


def learning_warnings(best: dict[str, Any], where: str = "") -> list[str]:
    """Warnings about one best model's row of the trials table (see the module docstring);
    ``where`` prefixes each sentence (e.g. a study's ``variant/seed-3: ``)."""
    chance = _chance(best)
    if chance is None:
        return []
    metric, level, se = chance
    notes = []
    verdict = chance_verdict(float(best.get(f"metric_val_{metric}", float("nan"))), level, se, metric)
    if verdict:
        notes.append(verdict)
    if se == se and Z * se > RANKING_RESOLUTION:
        notes.append(f"the validation split is too small to rank models by {metric}: {Z:g}·SE = {Z * se:.3f} > "
                     f"{RANKING_RESOLUTION} at chance level {level:.3f}")
    return [f"{where}{note}" for note in notes]
