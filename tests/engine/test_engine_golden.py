"""Runs give exactly what they gave before names were resolved once per run.

``fixtures/engine_before_resolve.json`` holds :func:`outcome` of :data:`CONFIGS` computed by
the code of commit 3b2800f (the toolbox rebuilt, and every name looked up, each
generation)::

    git archive 3b2800f | tar -x -C /tmp/base
    PYTHONPATH=/tmp/base python tests/engine/test_engine_golden.py > tests/fixtures/engine_before_resolve.json
"""
from __future__ import annotations

import json
from pathlib import Path

from evodeap.results.columns import current_names
from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "engine_before_resolve.json"
CONFIGS = {
    "refine_convergence": dict(population_size=12, generations=6, seed=7, refine_every=2,
                               selection_pressure={"name": "convergence", "scale": 2.0, "maximum": 200.0}),
    "tournament_aging": dict(population_size=10, generations=4, seed=3, selection="tournament",
                             selection_params={"tournsize": 3}, survival="aging"),
}


def outcome(settings: dict) -> dict:
    """Logbook (without times), final population keys, hall of fame and every evaluation."""
    result = evolve(ExperimentConfig(**settings))
    return json.loads(json.dumps({
        "logbook": [{k: v for k, v in row.items() if k != "elapsed"} for row in result.logbook],
        "population": [ind.key() for ind in result.population],
        "hall_of_fame": [list(ind.fitness.values) for ind in result.hall_of_fame],
        "evaluations": [[r.generation, r.index, r.genome.key(), list(r.result.fitness)] for r in result.evaluations],
    }))


def without_added_columns(result: dict) -> dict:
    """``result`` without the logbook columns added since the fixture was recorded (``repaired``)."""
    return {**result, "logbook": [{k: v for k, v in row.items() if k != "repaired"} for row in result["logbook"]]}


def test_runs_equal_those_of_the_code_before_the_change():
    recorded = json.loads(FIXTURE.read_text())
    for run in recorded.values():  # recorded when the logbook called the generation "gen"
        run["logbook"] = [current_names(row) for row in run["logbook"]]
    now = {name: without_added_columns(outcome(settings)) for name, settings in CONFIGS.items()}
    assert now["tournament_aging"] == recorded["tournament_aging"]
    # Refinement keeps its bounds exact since issue 13 (a bound at an original bound or at an
    # elite's value is that number, not exp(log(x))): from the refinement at generation 4 on,
    # one genome differs in a last digit — with the same fitness, logbook and survivors.
    new, old = now["refine_convergence"], recorded["refine_convergence"]
    assert {k: new[k] for k in ("logbook", "population", "hall_of_fame")} == \
           {k: old[k] for k in ("logbook", "population", "hall_of_fame")}
    assert [e for e in new["evaluations"] if e[0] < 4] == [e for e in old["evaluations"] if e[0] < 4]
    assert [(g, i, f) for g, i, _, f in new["evaluations"]] == [(g, i, f) for g, i, _, f in old["evaluations"]]


if __name__ == "__main__":
    print(json.dumps({name: outcome(settings) for name, settings in CONFIGS.items()}, indent=0))
