"""The typed field table (issue 25 §5): every setting has a type, a range and a bound, checked
before anything is written — property tests over many bad values per field, drawn by a seeded
generator, through the Python API (an EvodeapError) and the command line (exit 2, one line,
no run directory left)."""
from __future__ import annotations

import dataclasses
import json
import math
import random
import re
from pathlib import Path

import pytest

from evodeap.cli import main
from evodeap.config.fields import (EXECUTOR_PARAMETERS, FIELDS, MAX_SEED, PARAMETERS, SCHEDULE_PARAMETERS, Field,
                                   check_plain)
from evodeap.config.resolve import plan_run
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError, EvodeapError
from evodeap.genome.space import SearchSpace
from evodeap.runs.lifecycle import run

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")
SEED = 20261207

#: values no setting of any kind accepts but "any"
HOSTILE = [math.nan, [1, 2], {"deep": {"er": 1}}, object()]


def bad_values(spec: Field, rng: random.Random, n: int = 6) -> list:
    """``n`` values ``spec`` refuses, drawn with ``rng``: wrong types (``True`` for an integer,
    ``"yes"`` for a boolean, ``null`` for a required setting), NaN, infinities, numbers just
    past either end of the range and far past it."""
    kind = spec.kind
    values: list = [] if spec.optional else [None]
    if kind in ("int", "real"):
        low, high = spec.low, spec.high
        values += [True, False, "yes", "1", math.nan, [1]]
        if spec.finite:
            values += [math.inf, -math.inf, high + 1 if kind == "int" else high * (1 + rng.random()) + 1,
                       high * 10 ** rng.randint(1, 30) + 1, low - 1 - rng.random() * 10 ** rng.randint(0, 20)]
            if spec.open_low:
                values.append(low if kind == "real" else low)
        if kind == "int":
            values += [low + 0.5, float(min(high, low + 1)) + 0.25, 1e20, 2**64]
    elif kind == "bool":
        values += ["yes", "true", 1, 0, 1.0, [True]]
    elif kind == "text":
        values += ["", "a/b", "../up", "x" * 101, 3, True, "\x00", " lead"]
    elif kind == "choice":
        values += ["bogus" + str(rng.randint(0, 99)), 1, True, [spec.choices[0]]]
    elif kind == "spec":
        values += ["", 3, 2.5, True, "x" * 201]
    elif kind == "mapping":
        values += [3, "x", [1, 2], True, {"a": math.nan}, {1: 2}, _deep(rng.randint(10, 50))]
    elif kind == "schedule":
        values += [math.nan, "fast", True, [0.1]]
    rng.shuffle(values)
    return values[:n]


def _deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"x": value}
    return value


def checked_fields() -> list[str]:
    return [name for name, spec in FIELDS.items() if spec.kind != "any"]


def base() -> ExperimentConfig:
    return ExperimentConfig(population_size=4, generations=1)


def test_the_table_covers_every_setting_and_nothing_else():
    assert set(FIELDS) == {f.name for f in dataclasses.fields(ExperimentConfig)}


def test_the_defaults_fit_the_table():
    config = ExperimentConfig()
    for name, spec in FIELDS.items():
        spec.check(name, getattr(config, name))


@pytest.mark.parametrize("name", checked_fields())
def test_bad_values_of_every_setting_are_refused_through_the_api(name):
    rng = random.Random(f"{SEED}-{name}")
    for value in bad_values(FIELDS[name], rng, n=12):
        config = dataclasses.replace(base(), **{name: value})
        with pytest.raises(EvodeapError) as info:
            plan_run(config)
        assert name in str(info.value), (name, value, str(info.value))


@pytest.mark.parametrize("name, spec", sorted({**PARAMETERS, **EXECUTOR_PARAMETERS}.items()))
def test_bad_operator_and_executor_parameters_are_refused(name, spec):
    rng = random.Random(f"{SEED}-param-{name}")
    where = ("executor_params" if name in EXECUTOR_PARAMETERS else None)
    for value in bad_values(spec, rng):
        if value is None and spec.optional:
            continue
        config = _with_parameter(name, value, where)
        with pytest.raises(EvodeapError) as info:
            config.validate()
        assert name in str(info.value), (name, value, str(info.value))


def _with_parameter(name: str, value, where: str | None) -> ExperimentConfig:
    if where == "executor_params":
        executor = "ray" if name in ("num_cpus", "num_gpus") else "process"
        return dataclasses.replace(base(), executor=executor, executor_params={name: value})
    owners = {"indpb": ("crossover", "uniform"), "alpha": ("crossover", "one_point"),
              "hyperparameters": ("crossover", "one_point"), "sigma": ("mutation", "split"),
              "hyperparameter_prob": ("mutation", "split"), "structural_prob": ("mutation", "split"),
              "add_prob": ("mutation", "split"), "remove_prob": ("mutation", "split"),
              "tournsize": ("selection", "tournament"), "beta": ("selection", "boltzmann"),
              "nd": ("survival", "nsga2")}
    role, operator = owners[name]
    return dataclasses.replace(base(), **{role: operator, f"{role}_params": {name: value}})


@pytest.mark.parametrize("setting", ["mutation_rate", "selection_pressure"])
def test_bad_schedule_parameters_are_refused(setting):
    rng = random.Random(f"{SEED}-{setting}")
    names = {"mutation_rate": ("exponential_decay", ("initial", "rate", "floor")),
             "selection_pressure": ("exponential_increase", ("start", "rate", "maximum"))}
    schedule, params = names[setting]
    for key in params:
        spec = SCHEDULE_PARAMETERS.get(key, Field("real", -1e9, 1e9))
        for value in bad_values(spec, rng) + ([1.5, -0.1] if setting == "mutation_rate" and key != "rate" else []):
            if key == "maximum" and value in (math.inf,):
                continue  # no cap: allowed
            given = {"name": schedule, **{p: 0.01 for p in params if p != "maximum"}, key: value}
            with pytest.raises(EvodeapError) as info:
                plan_run(dataclasses.replace(base(), **{setting: given}))
            assert f"{setting}.{key}" in str(info.value) or "schedule" in str(info.value), (key, value, info.value)


def test_gene_bounds_and_layer_counts_are_bounded():
    rng = random.Random(SEED)
    for value in [math.nan, math.inf, 1e30, -1e30, 10 ** rng.randint(10, 300), True, "0.1"]:
        with pytest.raises(EvodeapError, match="learning_rate"):
            base().with_overrides({"space.learning_rate.high": value}).validate()
    for value in [10**6, 1001, True]:
        with pytest.raises(EvodeapError, match="layers"):
            base().with_overrides({"space.max_layers": value}).validate()
    with pytest.raises(EvodeapError, match="options must be finite"):
        base().with_overrides({"space.optimizer.options": ["adam", math.nan]}).validate()


def test_a_seed_past_the_bound_is_refused_and_the_bound_itself_runs():
    with pytest.raises(ConfigError, match="seed must be an integer in"):
        dataclasses.replace(base(), seed=MAX_SEED + 1).validate()
    assert run(dataclasses.replace(base(), seed=MAX_SEED)).hall_of_fame


def test_mapping_settings_are_bounded_in_depth_and_size():
    with pytest.raises(ConfigError, match="deeper"):
        check_plain("fitness_params", _deep(20))
    with pytest.raises(ConfigError, match="entries"):
        check_plain("fitness_params", {str(i): i for i in range(10_001)})


def _as_json(value) -> str | None:
    """``value`` as ``--set`` writes it, or ``None`` when JSON cannot say exactly that value
    (``object()``; ``{1: 2}``, whose key JSON turns into a string)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        return None
    same = json.loads(text) == value or (isinstance(value, float) and math.isnan(value))
    return text if same else None


@pytest.mark.parametrize("name", [n for n in checked_fields() if n != "space"])
def test_bad_values_through_the_command_line_exit_2_and_leave_no_directory(name, tmp_path, capsys):
    rng = random.Random(f"{SEED}-cli-{name}")
    for i, value in enumerate(bad_values(FIELDS[name], rng, n=4)):
        text = _as_json(value)
        if text is None:
            continue
        out = tmp_path / f"run{i}"
        code = main(["run", DEMO, "--set", "generations=1", "--set", "population_size=4",
                     "--set", f"{name}={text}", "--out", str(out), "--quiet"])
        _, err = capsys.readouterr()
        assert code == 2 and err.count("\n") == 1 and err.startswith("evodeap: error:"), (name, text, err)
        assert not out.exists(), (name, text, sorted(p.name for p in out.iterdir()))


@pytest.mark.parametrize("argv", [["--seed", "18446744073709551616"], ["--seed", "-1"],
                                  ["--set", "space.learning_rate.high=1e30"], ["--set", "mutation_rate=NaN"],
                                  ["--set", "population_size=1e20"], ["--set", "tensorboard=\"yes\""],
                                  ["--set", "population_size=true"], ["--set", "name=null"],
                                  ["--workers", "100000"], ["--set", "selection_params.beta=NaN",
                                                            "--set", "selection_pressure=null"]])
def test_the_issues_examples_exit_2_and_leave_no_directory(argv, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", DEMO, *argv, "--out", str(out), "--quiet"])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1, err
    assert not out.exists()


def test_a_refusal_after_the_start_undoes_it(tmp_path, monkeypatch):
    """An executor that refuses its settings only when it starts (after the run directory's
    start files are written): the start is removed, the folder too when the run created it."""
    from evodeap.execution.executors import EXECUTORS, SerialExecutor

    class Refusing(SerialExecutor):
        def __enter__(self):
            raise ConfigError("this executor refuses to start")

    monkeypatch.setitem(EXECUTORS._items, "refusing_for_test", Refusing)  # registered for this test only
    fresh, existing = tmp_path / "fresh", tmp_path / "existing"
    existing.mkdir()
    for out in (fresh, existing):
        with pytest.raises(ConfigError, match="refuses to start"):
            run(dataclasses.replace(base(), executor="refusing_for_test"), out)
    assert not fresh.exists() and existing.is_dir() and not any(existing.iterdir())


def test_a_missing_data_folder_is_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "run"
    data = {"videos": [8, 4, 4], "frames": 4, "downsample": 8, "data_dir": str(tmp_path / "no-such-folder")}
    code = main(["run", DEMO, "--set", "fitness=keras", "--set", f"fitness_params={json.dumps({'data': data})}",
                 "--out", str(out), "--quiet"])
    _, err = capsys.readouterr()
    assert code == 2 and "data_dir" in err and "is not a folder" in err, err
    assert not out.exists()


def test_docs_core_holds_the_generated_settings_table():
    import re

    from evodeap.config import fields

    text = (ROOT / "docs" / "core.md").read_text()
    found = re.search(r"<!-- settings:begin[^>]*-->\n(.*?)<!-- settings:end -->", text, re.S)
    assert found and found.group(1) == fields.markdown()


@pytest.mark.parametrize("fitness, params, message", [
    ("landscape", {"delay": 1e30}, "delay must be a number in [0, 3600]"),
    ("landscape", {"delay": math.nan}, "fitness_params.delay must not be NaN"),
    ("landscape", {"noise": "x"}, "noise must be a number"),
    ("landscape", {"noise": True}, "noise must be a number"),
    ("keras", {"data": {"videos": [8, 4, 4]}, "cost_weight": "yes"}, "cost_weight must be a finite number"),
    ("keras", {"data": {"videos": [8, 4, 4]}, "deterministic": "yes"}, "deterministic must be true or false"),
    ("keras", {"data": {"videos": [8, 4, 4], "frames": "many"}}, "frames must be an integer"),
])
def test_bad_fitness_settings_are_refused_before_anything_is_written(fitness, params, message, tmp_path, capsys):
    with pytest.raises(EvodeapError, match=re.escape(message)):
        plan_run(dataclasses.replace(base(), fitness=fitness, fitness_params=params))
    out = tmp_path / "run"
    code = main(["run", DEMO, "--set", f"fitness={fitness}", "--set", f"fitness_params={json.dumps(params)}",
                 "--set", "population_size=4", "--set", "generations=1", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not out.exists()
