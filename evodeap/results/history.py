"""The population's history in ``results.sqlite``: who was alive, and who made whom.

Like DEAP's ``tools.History``, but persistent and resumable. Two tables, written by the
master process after every generation (in one transaction, replacing that generation's
rows, so a resumed generation rewrites exactly what an uninterrupted one would):

* ``population`` — one row per living individual of each generation: ``generation``,
  ``position``, ``key``, ``fitness`` (JSON list), ``fitness0`` (first objective), ``birth``;
* ``offspring`` — one row per offspring that variation produced in a generation
  ``t ≥ 1``: ``generation``, ``position``, ``key``, ``parents`` (JSON list of keys: one
  parent, or two when it was recombined — its own parent first), ``crossover`` and
  ``mutation`` (the operator names, ``NULL`` when not applied), ``mutated`` (JSON list of
  what the mutation changed: hyperparameter names, ``layer[i]``, ``+layer``/``-layer``)
  and ``fitness0`` (``NULL`` when it was dropped before a full evaluation, e.g. in a
  multi-fidelity rung).

Individuals are identified by their genome key. The *origin* of a key is the earliest
record that produced it: an ``offspring`` row, or the initial population (generation 0,
operator ``init``). :func:`genealogy` follows origins back through the parents' keys; since
a parent was alive in the generation before its child's origin, the walk always ends.

Readers return pandas DataFrames (:func:`population_history`, :func:`offspring_history`,
:func:`selection_counts` and :func:`key_share` also accept a study directory and add
``variant`` and ``seed`` columns); :func:`plot_genealogy` draws the genealogy of the best
individual.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Sequence

from evodeap.genome.genome import Genome
from evodeap.results.layout import study_aware
from evodeap.results.schema import HISTORY_SCHEMA, database_path, decode_column

SCHEMA = HISTORY_SCHEMA  # the tables' definition lives with the database's (evodeap.results.schema)


# -- what variation did ---------------------------------------------------------------------
def operator_name(spec: Any) -> str:
    """The name an operator is recorded under: its registry name, or its qualified name."""
    if isinstance(spec, str):
        return spec
    return getattr(spec, "__qualname__", None) or getattr(spec, "__name__", None) or type(spec).__name__


def describe_mutation(before: Genome, after: Genome) -> list[str]:
    """What a mutation changed: hyperparameter names, then ``layer[i]`` for each changed
    layer when the length is kept, or ``+layer``/``-layer`` (once per layer) when it is not."""
    changed = [name for name in after.hyperparameters if before.hyperparameters.get(name) != after.hyperparameters[name]]
    if len(before) == len(after):
        changed += [f"layer[{i}]" for i, (a, b) in enumerate(zip(before, after)) if a != b]
    else:
        sign = "+" if len(after) > len(before) else "-"
        changed += [f"{sign}layer"] * abs(len(after) - len(before))
    return changed


def variation_record(parents: Sequence[Genome], crossover: str | None = None,
                     mutation: str | None = None, mutated: Sequence[str] = ()) -> dict[str, Any]:
    """The ``variation`` attribute the engine sets on every offspring (see the module docstring)."""
    return {"parents": [p.key() for p in parents], "crossover": crossover, "mutation": mutation,
            "mutated": list(mutated)}


# -- writing ---------------------------------------------------------------------------------
def _fitness(ind: Any) -> tuple[str | None, float | None]:
    fitness = getattr(ind, "fitness", None)
    if fitness is None or not fitness.valid:
        return None, None
    return json.dumps(list(fitness.values)), float(fitness.values[0])


class HistoryWriter:
    """Writes the ``population`` and ``offspring`` tables through an open connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.executescript(SCHEMA)

    def write(self, generation: int, population: Iterable[Any], offspring: Iterable[Any] = ()) -> None:
        """Replace generation ``generation``'s rows with ``population`` and ``offspring``
        (individuals whose ``variation`` attribute :func:`variation_record` set)."""
        living = []
        for position, ind in enumerate(population):
            text, first = _fitness(ind)
            living.append((generation, position, ind.key(), text, first, int(getattr(ind, "birth", 0))))
        made = []
        for position, ind in enumerate(offspring):
            variation = getattr(ind, "variation", None)
            if variation is None:
                continue
            made.append((generation, position, ind.key(), json.dumps(variation["parents"]), variation["crossover"],
                         variation["mutation"], json.dumps(variation["mutated"]), _fitness(ind)[1]))
        self.conn.execute("BEGIN")
        try:
            self.conn.execute("DELETE FROM population WHERE generation = ?", (generation,))
            self.conn.execute("DELETE FROM offspring WHERE generation = ?", (generation,))
            self.conn.executemany("INSERT INTO population VALUES (?,?,?,?,?,?)", living)
            self.conn.executemany("INSERT INTO offspring VALUES (?,?,?,?,?,?,?,?)", made)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")


# -- reading ---------------------------------------------------------------------------------
def _read(run_dir: str | Path, table: str, query: str, columns: Sequence[str]):
    """``query`` on a run's database; an empty frame with ``columns`` when ``table`` does not
    exist (a run directory written before the history was recorded)."""
    import pandas as pd

    from evodeap.results.queries import read_frame

    tables = set(read_frame(run_dir, "SELECT name FROM sqlite_master WHERE type = 'table'")["name"])
    if table not in tables:
        return pd.DataFrame(columns=list(columns))
    return read_frame(run_dir, query)


POPULATION_COLUMNS = ("generation", "position", "key", "fitness", "birth")
OFFSPRING_COLUMNS = ("generation", "position", "key", "parents", "crossover", "mutation", "mutated", "fitness")


@study_aware
def population_history(run_dir: str | Path):
    """The living population of every generation: one row per (generation, position) with
    ``key``, ``fitness`` (first objective) and ``birth``."""
    return _read(run_dir, "population", "SELECT generation, position, key, fitness0 AS fitness, birth FROM population "
                          "ORDER BY generation, position", POPULATION_COLUMNS)


@study_aware
def offspring_history(run_dir: str | Path):
    """Every offspring of generations ≥ 1: ``key``, ``parents`` (a list of keys),
    ``crossover``, ``mutation``, ``mutated`` (a list) and ``fitness`` (first objective)."""
    import pandas as pd

    frame = _read(run_dir, "offspring", "SELECT generation, position, key, parents, crossover, mutation, mutated, "
                           "fitness0 AS fitness FROM offspring ORDER BY generation, position", OFFSPRING_COLUMNS)
    for column in ("parents", "mutated"):
        frame[column] = [decode_column(v, column, database_path(run_dir), f"offspring (generation {g}, position {p})")
                         for v, g, p in zip(frame[column], frame["generation"], frame["position"])]
    for column in ("crossover", "mutation"):  # None (not NaN) where the operator was not applied
        frame[column] = pd.Series([v if isinstance(v, str) else None for v in frame[column]], index=frame.index,
                                  dtype=object)
    return frame


def origins(run_dir: str | Path):
    """The origin of every key (see the module docstring), indexed by ``key``: ``generation``,
    ``parents``, ``crossover``, ``mutation``, ``mutated``, ``fitness``."""
    import pandas as pd

    made = offspring_history(run_dir)
    living = population_history(run_dir)
    initial = living[living["generation"] == 0].drop_duplicates("key")
    init = pd.DataFrame({"generation": 0, "key": initial["key"], "parents": [[] for _ in range(len(initial))],
                         "crossover": "init", "mutation": None, "mutated": [[] for _ in range(len(initial))],
                         "fitness": initial["fitness"]})
    frames = [f for f in (init, made[list(init.columns)]) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(init.columns)).set_index("key")
    every = pd.concat(frames, ignore_index=True)
    # among a key's records the earliest generation wins; at equal generation the one with a fitness
    every["_unscored"] = every["fitness"].isna()
    every = every.sort_values(["generation", "_unscored"], kind="stable").drop(columns="_unscored")
    return every.drop_duplicates("key").set_index("key")


def best_key(run_dir: str | Path) -> str:
    """The key of the fittest individual (first objective) that was ever alive in the run."""
    from evodeap.errors import RunDirectoryError

    living = population_history(run_dir).dropna(subset=["fitness"])
    if living.empty:
        raise RunDirectoryError(f"{run_dir} has no population history (run before it was recorded?)")
    return str(living.loc[living["fitness"].idxmax(), "key"])


def genealogy(run_dir: str | Path, key: str | None = None):
    """The ancestors of ``key`` (default: :func:`best_key`), itself included, oldest first.

    One row per ancestor key: ``key``, ``generation`` (of its origin), ``depth`` (0 for
    ``key``, 1 for its parents ...; the shortest path), ``parents``, ``crossover``,
    ``mutation``, ``mutated``, ``fitness``.
    """
    import pandas as pd

    from evodeap.errors import RunDirectoryError

    key = best_key(run_dir) if key is None else key
    table = origins(run_dir)
    if key not in table.index:
        raise RunDirectoryError(f"no individual with key {key!r} in the history of {run_dir}")
    depth = {key: 0}
    frontier = [key]
    while frontier:
        following = []
        for current in frontier:
            for parent in table.loc[current, "parents"]:
                if parent not in depth and parent in table.index:
                    depth[parent] = depth[current] + 1
                    following.append(parent)
        frontier = following
    rows = [{"key": k, "depth": d, **table.loc[k].to_dict()} for k, d in depth.items()]
    frame = pd.DataFrame(rows, columns=["key", "generation", "depth", "parents", "crossover", "mutation",
                                        "mutated", "fitness"])
    return frame.sort_values(["generation", "depth", "key"], kind="stable").reset_index(drop=True)


@study_aware
def selection_counts(run_dir: str | Path):
    """Selection pressure, generation by generation.

    For every generation ``t ≥ 1`` and every distinct key alive in generation ``t − 1``:
    ``fitness``, ``rank`` (1 = fittest, ties share the best rank), ``copies`` (how many
    living individuals carry the key) and ``offspring`` (how many offspring of generation
    ``t`` name it as a parent; a key selected twice for one pair counts twice). Under
    fitness-proportional pressure ``offspring`` falls with ``rank``; with β = 0 it does not.
    """
    import pandas as pd

    living = population_history(run_dir)
    made = offspring_history(run_dir)
    counts: dict[tuple[int, str], int] = {}
    for generation, parents in zip(made["generation"], made["parents"]):
        for parent in parents:
            counts[(int(generation), parent)] = counts.get((int(generation), parent), 0) + 1
    rows = []
    for generation, group in living.groupby("generation"):
        following = int(generation) + 1
        if not (made["generation"] == following).any():
            continue
        per_key = group.groupby("key").agg(fitness=("fitness", "max"), copies=("position", "size")).reset_index()
        per_key["rank"] = per_key["fitness"].rank(ascending=False, method="min").astype(int)
        for row in per_key.itertuples(index=False):
            rows.append({"generation": following, "key": row.key, "fitness": row.fitness, "rank": int(row.rank),
                         "copies": int(row.copies), "offspring": counts.get((following, row.key), 0)})
    return pd.DataFrame(rows, columns=["generation", "key", "fitness", "rank", "copies", "offspring"])


@study_aware
def key_share(run_dir: str | Path):
    """Per generation: the fittest key alive, the share of the population carrying it, and
    the number of distinct keys. The *takeover time* of a run is the first generation
    whose ``best_share`` reaches a chosen level (e.g. 0.5)."""
    import pandas as pd

    rows = []
    for generation, group in population_history(run_dir).groupby("generation"):
        scored = group.dropna(subset=["fitness"])
        top = scored.loc[scored["fitness"].idxmax(), "key"] if not scored.empty else None
        rows.append({"generation": int(generation), "best_key": top,
                     "best_share": float((group["key"] == top).mean()) if top is not None else float("nan"),
                     "unique": int(group["key"].nunique()), "size": len(group)})
    return pd.DataFrame(rows, columns=["generation", "best_key", "best_share", "unique", "size"])


# -- the figure ------------------------------------------------------------------------------
EDGE_STYLES = {
    "crossover + mutation": {"color": "tab:purple", "linestyle": "-"},
    "crossover": {"color": "tab:blue", "linestyle": "-"},
    "mutation": {"color": "tab:orange", "linestyle": "--"},
    "copy": {"color": "tab:gray", "linestyle": ":"},
}


def _edge_kind(row) -> str:
    crossed = isinstance(row["crossover"], str) and row["crossover"] != "init"
    mutated = bool(row["mutated"])
    if crossed and mutated:
        return "crossover + mutation"
    return "crossover" if crossed else ("mutation" if mutated else "copy")


def plot_genealogy(run_dir: str | Path, key: str | None = None, ax=None):
    """Draw the genealogy of ``key`` (default: the best individual): one dot per ancestor at
    its generation of origin, coloured by fitness; a line from each parent to its child,
    styled by what made the child. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    tree = genealogy(run_dir, key)
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 5.5))
    else:
        fig = ax.figure
    positions = {}
    for generation, group in tree.groupby("generation"):
        ordered = group.sort_values("fitness", ascending=False, na_position="last")
        span = max(1, len(ordered) - 1)
        for i, ancestor in enumerate(ordered["key"]):
            positions[ancestor] = (int(generation), 0.5 if len(ordered) == 1 else i / span)
    drawn = set()
    for _, row in tree.iterrows():
        kind = _edge_kind(row)
        for parent in row["parents"]:
            if parent in positions:
                (x0, y0), (x1, y1) = positions[parent], positions[row["key"]]
                ax.plot([x0, x1], [y0, y1], linewidth=1.0, alpha=0.7, zorder=1,
                        label=kind if kind not in drawn else None, **EDGE_STYLES[kind])
                drawn.add(kind)
    xs = [positions[k][0] for k in tree["key"]]
    ys = [positions[k][1] for k in tree["key"]]
    points = ax.scatter(xs, ys, c=tree["fitness"], cmap="viridis", s=40, zorder=2, edgecolors="black", linewidths=0.4)
    target = tree.loc[tree["depth"] == 0].iloc[0]
    ax.scatter([positions[target["key"]][0]], [positions[target["key"]][1]], marker="*", s=260, color="tab:red",
               zorder=3, label=f"best individual {target['key'][:8]}")
    fig.colorbar(points, ax=ax, label="fitness")
    ax.set(xlabel="generation of origin", ylabel="ancestors of the generation (fittest at the bottom)",
           title=f"Genealogy of {target['key'][:8]} (fitness {target['fitness']:.4f}): {len(tree) - 1} ancestors")
    ax.set_yticks([])
    ax.set_ylim(-0.08, 1.08)
    ax.set_xlim(min(xs) - 0.5, max(max(xs), min(xs) + 1) + 0.5)  # whole generations, even for one
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(title="how the child was made", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
              fontsize="small")
    return fig


__all__ = [
    "HistoryWriter", "best_key", "describe_mutation", "genealogy", "key_share", "offspring_history", "operator_name",
    "origins", "plot_genealogy", "population_history", "selection_counts", "variation_record",
]
