"""Console progress of a run: bars over generations and evaluations, the per-generation
table, and the closing summary."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.engine.records import EvolutionResult, GenerationReport

# (logbook field, heading, width, format)
TABLE_COLUMNS = (
    ("generation", "gen", 4, "d"), ("nevals", "nevals", 6, "d"), ("cache_hits", "hits", 5, "d"),
    ("failures", "fail", 5, "d"), ("best", "best", 8, ".4f"), ("mean", "mean", 8, ".4f"),
    ("std", "std", 7, ".4f"), ("diversity", "divers", 7, ".3f"), ("unique", "unique", 6, "d"),
    ("mu", "mu", 7, ".4f"), ("beta", "beta", 7, ".3g"), ("layers_mean", "layers", 6, ".2f"),
)


def format_header() -> str:
    return " ".join(heading.rjust(width) for _, heading, width, _ in TABLE_COLUMNS)


def format_row(record: dict) -> str:
    """One line of the per-generation table (``-`` for a missing value)."""
    cells = []
    for name, _, width, fmt in TABLE_COLUMNS:
        value = record.get(name)
        cells.append(("-" if value is None else format(value, fmt)).rjust(width))
    return " ".join(cells)


class ConsoleProgress:
    """Hooks for :func:`evodeap.runs.lifecycle.run`: the table on ``out``, bars on stderr.

    ``quiet`` prints nothing; ``verbose`` adds one line per evaluation. The bars appear
    with the first evaluation, so a run refused before any work shows none.
    """

    def __init__(self, generations: int, population: int, *, quiet: bool = False, verbose: bool = False,
                 bars: bool | None = None, out: TextIO | None = None) -> None:
        self.quiet, self.verbose = quiet, verbose
        self.out = out or sys.stdout
        self.population = population
        self.header_printed = False
        self.generations = generations
        self.show_bars = (sys.stderr.isatty() if bars is None else bars) and not quiet
        self.gen_bar = self.eval_bar = None

    def _bars(self) -> None:
        if self.show_bars and self.gen_bar is None:
            from tqdm import tqdm

            self.gen_bar = tqdm(total=self.generations + 1, desc="generations", position=0, unit="gen")
            self.eval_bar = tqdm(total=self.population, desc="evaluations", position=1, unit="eval", leave=False)

    def _write(self, line: str) -> None:
        if self.gen_bar is not None:
            self.gen_bar.write(line, file=self.out)
        else:
            print(line, file=self.out, flush=True)

    def evaluation(self, record: EvaluationRecord) -> None:
        self._bars()
        if self.eval_bar is not None:
            self.eval_bar.update(1)
        if self.verbose and not self.quiet:
            r = record.result
            self._write(f"  g{record.generation:<3} #{record.index:<3} {r.status:<7} "
                        f"fitness {r.fitness[0]: .4f}  {r.wall_time:6.2f}s  {record.genome.describe()}"
                        + (f"  [{r.message}]" if r.message else ""))

    def generation(self, report: GenerationReport) -> None:
        if self.quiet:
            return
        self._bars()
        if not self.header_printed:
            self._write(format_header())
            self.header_printed = True
        self._write(format_row(report.record))
        if self.gen_bar is not None:
            self.gen_bar.update(1)
            self.gen_bar.set_postfix(best=f"{report.record['best']:.4f}")
            self.eval_bar.reset(total=self.population)

    def close(self) -> None:
        for bar in (self.eval_bar, self.gen_bar):
            if bar is not None:
                bar.close()
        self.show_bars = False


def _described(result: EvolutionResult) -> tuple[list[tuple[str, str]], list[str]]:
    """:func:`evodeap.fitness.chance.describe_model` of the best's evaluation (none when ``result``
    does not hold it, e.g. it was evaluated before a resume)."""
    from evodeap.fitness.chance import describe_model

    key = result.hall_of_fame[0].key()
    record = next((r for r in reversed(result.evaluations) if r.result.ok and r.genome.key() == key), None)
    if record is None:
        return [], []
    return describe_model(record.result.metrics or {}, record.result.components or {})


def best_model_lines(result: EvolutionResult) -> list[str]:
    """The best's fitness components and validation metric against chance, one line each, then warnings."""
    rows, warnings = _described(result)
    return [f"{label}: {value}" for label, value in rows] + [f"warning: {w}" for w in warnings]


def summary(result: EvolutionResult, directory: Path | None) -> str:
    """The closing table: best result, its fitness components and validation metric against
    the chance level (:func:`evodeap.fitness.chance.describe_model`, when the evaluation is in
    ``result``), the path of every output, and a warning when the best is within noise of chance."""
    best = result.hall_of_fame[0]
    evaluated = len(result.evaluations)
    failed = sum(not r.result.ok for r in result.evaluations)
    rows = [
        ("best fitness", ", ".join(f"{v:.6f}" for v in best.fitness.values)),
        ("best structure", best.describe()),
        ("best hyperparameters", ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                           for k, v in best.hyperparameters.items())),
        ("evaluations", f"{evaluated} ({failed} failed)"),
        ("generations", str(len(result.logbook) - 1)),
    ]
    lines, warnings = _described(result)
    rows += lines
    if directory is not None:
        for label, name in (("run directory", ""), ("results database", "results.sqlite"),
                            ("checkpoint", "checkpoint.json"), ("logbook", "logbook.csv"),
                            ("hall of fame", "hall_of_fame.json"), ("final search space", "space.json"),
                            ("tensorboard", "tensorboard")):
            path = directory / name if name else directory
            if path.exists():
                rows.append((label, str(path)))
    width = max(len(label) for label, _ in rows)
    return "\n".join([f"{label.ljust(width)}  {value}" for label, value in rows] + [f"warning: {w}" for w in warnings])
