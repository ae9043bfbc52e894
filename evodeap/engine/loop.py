"""The evolutionary engine: DEAP toolbox construction and the generational loop.

One generation ``t ≥ 1`` of :func:`evolve`:

0. Python's and NumPy's global random states are seeded from (run seed, ``t``), for plain
   DEAP tools that draw from them (:mod:`evodeap.execution.global_random`);
1. statistics of the current population give ``μ(t)`` and ``β(t)`` (one source each,
   :mod:`evodeap.config.rates`), which are bound into ``toolbox.mutate`` (``indpb``) and
   ``toolbox.select`` (``beta``);
2. every ``k`` generations the search space is refined around the top ``q`` (and the
   variation operators are rebound to the new space);
3. ``elitism`` best individuals are copied unchanged; parents are selected, cloned,
   recombined with probability ``cxpb`` per pair and mutated with probability ``mutpb``;
   every operator call is checked against the operator contract (:mod:`evodeap.operators.contract`),
   and a copy no operator changed that lies outside the (refined) space is repaired into
   it — so every offspring lies inside the space in force; elites and surviving parents
   are kept as they are;
4. changed offspring are evaluated through ``toolbox.map`` — a genome whose key was seen
   before in the run is not evaluated again (cache) — with per-evaluation seeds derived
   from (run seed, generation, index); too many failures stop the run
   (:mod:`evodeap.evaluation.failures`);
5. the next population is elites + offspring (or ``survival(parents + offspring, n)``);
   the hall of fame, logbook and callback see it.

Every name of the config is resolved once, before generation 0
(:func:`evodeap.config.resolve.resolve_run`), and the run's toolbox (:class:`RunToolbox`) is built
once from those objects; per generation only μ(t), β(t) and — after a refinement — the
space are rebound. A failed evaluation gets the fitness's failure value
(:class:`evodeap.evaluation.api.Objectives`), strictly worse than every trained model in
every objective, so no selection, survival, hall of fame or report ranks it above one.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from deap import base, tools
from scipy.spatial.distance import pdist

from evodeap.evaluation.budget import COMPUTE_FIELDS, EarlyTermination, generation_compute
from evodeap.results.columns import current_names
from evodeap.config.settings import ExperimentConfig, fixed_epochs
from evodeap.operators.contract import OperatorContract
from evodeap.evaluation.api import EvalContext, EvalResult, Objectives, genome_seed, run_evaluation
from evodeap.evaluation.evaluator import EvaluationRecord, Evaluator
from evodeap.execution.executors import make_executor
from evodeap.evaluation.failures import check_generation
from evodeap.evaluation.fidelity import MultiFidelity
from evodeap.genome.genome import Genome
from evodeap.execution.global_random import global_random_state, preserved_global_random, seed_global_random, set_global_random_state
from evodeap.results.history import describe_mutation, operator_name, variation_record
from evodeap.operators.refinement import Refinement, refine_space
from evodeap.operators.schedules import PopulationStats
from evodeap.config.rates import takes, value_at
from evodeap.registry import display_name
from evodeap.config.resolve import ResolvedRun, resolve_run
from evodeap.genome.space import SearchSpace
from evodeap.execution.timeouts import check_executor_timeout
from evodeap.evaluation.weights import WeightStore

LOGBOOK_FIELDS = (
    "generation", "nevals", "cache_hits", "failures", "repaired", "best", "mean", "std", "min", "diversity",
    "unique", "mu", "beta", "layers_mean", "layers_min", "layers_max", "elapsed", "best_key",
) + COMPUTE_FIELDS


def _bind(toolbox: base.Toolbox, alias: str, fn: Callable, params: dict, **context: Any) -> None:
    extra = {k: v for k, v in context.items() if takes(fn, k)}
    toolbox.register(alias, fn, **{**extra, **params})


def _rate_param(name: str, schedule: Callable | None, value: float | None) -> dict[str, float]:
    """``{name: value}`` when the operator takes the rate (it has a schedule), else nothing."""
    return {} if schedule is None or value is None else {name: value}


# -- toolbox ---------------------------------------------------------------------------------
def deap_evaluate(individual: Genome, *, fitness: Callable, seed: int, objectives: Objectives) -> tuple:
    """DEAP-style ``evaluate(ind) -> fitness tuple`` (seed derived from the genome key)."""
    context = EvalContext(seed=genome_seed(seed, individual.key()))
    return run_evaluation(fitness, individual.plain(), context, objectives).fitness


class RunToolbox:
    """The DEAP toolbox of one run, built once from the resolved objects.

    Only what changes during a run is rebound: ``mutate`` when μ(t) or the space changes,
    ``select`` when β(t) changes, ``mate`` and ``individual`` when a refinement replaces the
    space. Rebinding registers a new partial of the same resolved callable — no name is
    looked up again. Every operator is registered wrapped in its contract check
    (:mod:`evodeap.operators.contract`); ``contract`` (also ``toolbox.contract``) checks against the
    space in force and counts the repairs.
    """

    def __init__(self, config: ExperimentConfig, ops: ResolvedRun, *, space: SearchSpace,
                 rng: np.random.Generator, init_rng: np.random.Generator, mu: float | None,
                 beta: float | None, map_fn: Callable = map) -> None:
        self.config = config
        self.ops = ops
        self.rng = rng
        self.init_rng = init_rng
        self.toolbox = base.Toolbox()
        self.contract = OperatorContract(space, rng, config.invalid_offspring)
        self.toolbox.contract = self.contract
        self.toolbox.register("population", tools.initRepeat, list, self._individual)
        if ops.survive is not None:
            _bind(self.toolbox, "survive", ops.survive, config.survival_params, rng=rng)
            self.contract.wrap(self.toolbox, "survive", config.survival)
        self.toolbox.register("evaluate", deap_evaluate, fitness=ops.fitness, seed=config.seed,
                              objectives=ops.objectives)
        self.toolbox.register("map", map_fn)
        self.space: SearchSpace | None = None
        self.mu: float | None = None
        self.beta: float | None = None
        self.rebind(space=space, mu=value_at(ops.mutation_rate, 0, None) if mu is None else mu,
                    beta=value_at(ops.selection_pressure, 0, None) if beta is None else beta)

    def _individual(self):
        return self.toolbox.individual()

    def rebind(self, *, space: SearchSpace, mu: float | None, beta: float | None) -> base.Toolbox:
        """Bind the space, μ and β in force from now on (only those that changed)."""
        ops, config, toolbox, contract = self.ops, self.config, self.toolbox, self.contract
        space_changed = space is not self.space
        if space_changed:
            contract.space = space
            toolbox.register("individual", space.sample_genome, self.init_rng, cls=ops.individual)
            _bind(toolbox, "mate", ops.mate, config.crossover_params, space=space, rng=self.rng)
            contract.wrap(toolbox, "mate", config.crossover)
        if space_changed or mu != self.mu:
            _bind(toolbox, "mutate", ops.mutate, {**ops.mutation_params, **_rate_param("indpb", ops.mutation_rate, mu)},
                  space=space, rng=self.rng)
            contract.wrap(toolbox, "mutate", config.mutation)
        if space_changed or beta != self.beta:
            _bind(toolbox, "select", ops.select,
                  {**ops.selection_params, **_rate_param("beta", ops.selection_pressure, beta)}, rng=self.rng)
            contract.wrap(toolbox, "select", config.selection)
        self.space, self.mu, self.beta = space, mu, beta
        return toolbox


def build_toolbox(
    config: ExperimentConfig,
    *,
    space: SearchSpace | None = None,
    rng: np.random.Generator | None = None,
    fitness: Callable | None = None,
    mu: float | None = None,
    beta: float | None = None,
) -> base.Toolbox:
    """A DEAP toolbox with ``individual``, ``population``, ``mate``, ``mutate``, ``select``,
    ``survive`` (if configured), ``evaluate``, ``map`` and ``clone``.

    It works unchanged with ``deap.algorithms`` (e.g. ``eaMuPlusLambda``). ``mu``/``beta``
    override the schedules' generation-0 values. The operators are wrapped in their contract
    checks (:mod:`evodeap.operators.contract`; ``toolbox.contract``).
    """
    rng = rng if rng is not None else np.random.default_rng(config.seed)
    ops = resolve_run(config, fitness)
    return RunToolbox(config, ops, space=space or config.space, rng=rng, init_rng=rng, mu=mu, beta=beta).toolbox


# -- records ------------------------------------------------------------------------------------
@dataclass
class GenerationReport:
    """What the per-generation callback receives."""

    generation: int
    population: list
    record: dict[str, Any]
    evaluations: list[EvaluationRecord]
    space: SearchSpace
    hall_of_fame: Any
    refinement: Refinement | None = None
    offspring: list = field(default_factory=list)  # what variation produced this generation


@dataclass
class EvolutionResult:
    """Everything :func:`evolve` produced."""

    population: list
    logbook: tools.Logbook
    hall_of_fame: Any
    space: SearchSpace
    evaluations: list[EvaluationRecord] = field(default_factory=list)
    refinements: list[tuple[int, Refinement]] = field(default_factory=list)

    @property
    def best(self) -> Genome:
        return self.hall_of_fame[0]


def genotype_vector(genome: Genome, space: SearchSpace) -> np.ndarray:
    """Unit-space coordinates of a genome: hyperparameters, layer count, kind fractions."""
    values = [dom.to_unit(dom.clip(genome.hyperparameters[name])) for name, dom in space.hyperparameters.items()]
    span = max(1, space.max_layers - space.min_layers)
    values.append((len(genome) - space.min_layers) / span)
    n = max(1, len(genome))
    values += [sum(g.kind == kind for g in genome) / n for kind in space.kinds]
    return np.asarray(values, dtype=float)


def diversity(population: Sequence[Genome], space: SearchSpace) -> float:
    """Mean pairwise Euclidean distance of genotype vectors divided by √dims (0 = all equal)."""
    if len(population) < 2:
        return 0.0
    vectors = np.stack([genotype_vector(g, space) for g in population])
    return float(pdist(vectors).mean() / np.sqrt(vectors.shape[1]))


def population_stats(population: Sequence, space: SearchSpace) -> PopulationStats:
    """Statistics of the first objective (best and worst in the direction of its weight)."""
    f = np.array([ind.fitness.values[0] for ind in population], dtype=float)
    maximised = population[0].fitness.weights[0] > 0
    best, worst = (f.max(), f.min()) if maximised else (f.min(), f.max())
    return PopulationStats(best=float(best), mean=float(f.mean()), std=float(f.std()),
                           worst=float(worst), diversity=diversity(population, space))


# -- the loop -------------------------------------------------------------------------------------
def _individual_to_dict(ind) -> dict[str, Any]:
    return {"genome": ind.to_dict(), "fitness": list(ind.fitness.values) if ind.fitness.valid else None}


def _individual_from_dict(data: dict[str, Any], cls: type):
    genome = Genome.from_dict(data["genome"])
    ind = cls(genome, genome.hyperparameters, family=genome.family, birth=genome.birth)
    if data.get("fitness") is not None:
        ind.fitness.values = tuple(data["fitness"])
    return ind


@dataclass
class ResumeState:
    """What a resumed run starts from.

    Attributes:
        checkpoint: the engine state saved after the last completed generation
            (``None`` when the run stopped before generation 0 completed).
        evaluations: every evaluation stored in the results database, as
            (generation, index, genome, result). Those of completed generations fill the
            cache; those of the interrupted generation are *replayed* — used as the result
            of the same (generation, index) instead of training again.
        retry_failures: the run was stopped by user code (an operator error, a generation of
            failed evaluations): failed evaluations of the interrupted generation are
            evaluated again instead of replayed, so the fixed code decides them.
    """

    checkpoint: dict[str, Any] | None
    evaluations: list[tuple[int, int, Genome, EvalResult]] = field(default_factory=list)
    retry_failures: bool = False


class _Evolution:
    """State of one run of :func:`evolve` (kept in one object so the loop reads plainly)."""

    def __init__(self, config: ExperimentConfig, ops: ResolvedRun, executor: Any,
                 callback: Callable[[GenerationReport], None] | None,
                 on_evaluation: Callable[[EvaluationRecord], None] | None = None,
                 on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
                 weights_dir: str | None = None) -> None:
        self.config = config
        self.ops = ops
        self.fitness = ops.fitness
        self.objectives = ops.objectives
        self.individual = ops.individual
        self.callback = callback
        self.on_checkpoint = on_checkpoint
        init_seq, variation_seq = np.random.SeedSequence(config.seed).spawn(2)
        self.init_rng = np.random.default_rng(init_seq)
        self.rng = np.random.default_rng(variation_seq)
        self.space = config.space
        self.fidelity = MultiFidelity.from_config(config.multi_fidelity) if config.multi_fidelity else None
        store = None
        continued = config.strategy == "fixed" and config.fixed_schedule == "continue"
        if config.inheritance or self.fidelity is not None or continued:
            if weights_dir is None:  # an in-memory run: weights live as long as the run
                self._scratch = tempfile.TemporaryDirectory(prefix="evodeap-weights-")
                weights_dir = self._scratch.name
            store = WeightStore(weights_dir)
        self.evaluator = Evaluator(
            seed=config.seed, fitness=self.fitness, executor=executor, objectives=self.objectives,
            fidelity=self.fidelity,
            stopping=EarlyTermination.from_config(config.early_termination) if config.early_termination else None,
            store=store, inheritance=config.inheritance, on_evaluation=on_evaluation,
            timeout=config.evaluation_timeout,
        )
        self.executor = executor
        self.refinements: list[tuple[int, Refinement]] = []
        self.logbook = tools.Logbook()
        self.logbook.header = LOGBOOK_FIELDS
        if self.objectives.n > 1:
            self.hof = tools.ParetoFront()
        elif config.strategy == "fixed":  # one genome trained many times: keep its best trainings
            self.hof = tools.HallOfFame(config.hall_of_fame_size, similar=_never_similar)
        else:
            self.hof = tools.HallOfFame(config.hall_of_fame_size)
        self.elapsed_before = 0.0
        self.start = time.perf_counter()
        self.mu, self.beta = self._rates(0, None)
        self.run_toolbox = RunToolbox(config, ops, space=self.space, rng=self.rng, init_rng=self.init_rng,
                                      mu=self.mu, beta=self.beta, map_fn=executor.map)
        self.toolbox = self.run_toolbox.toolbox
        self.contract = self.run_toolbox.contract

    def _rates(self, generation: int, stats: PopulationStats | None) -> tuple[float | None, float | None]:
        """(μ, β) bound into the operators for ``generation`` — what the logbook shows."""
        return (value_at(self.ops.mutation_rate, generation, stats),
                value_at(self.ops.selection_pressure, generation, stats))

    def _rebind(self) -> None:
        """Bind the space, μ and β now in force into the run's toolbox."""
        self.run_toolbox.rebind(space=self.space, mu=self.mu, beta=self.beta)

    # -- state ---------------------------------------------------------------------------
    def state_dict(self, generation: int, population: list) -> dict[str, Any]:
        """Everything needed to continue after ``generation`` exactly (plain JSON)."""
        schedules = {}
        for name, schedule in (("mutation_rate", self.ops.mutation_rate), ("selection_pressure", self.ops.selection_pressure)):
            if schedule is not None and hasattr(schedule, "state_dict"):
                schedules[name] = schedule.state_dict()
        return {
            "format": 1,
            "generation": generation,
            "population": [_individual_to_dict(ind) for ind in population],
            "hall_of_fame": [_individual_to_dict(ind) for ind in self.hof],
            "logbook": [dict(row) for row in self.logbook],
            "rng": {"init": self.init_rng.bit_generator.state, "variation": self.rng.bit_generator.state},
            "global_random": global_random_state(),
            "schedules": schedules,
            "mu": self.mu,
            "beta": self.beta,
            "space": self.space.to_dict(),
            "refinements": [{"generation": g, **r.to_dict()} for g, r in self.refinements],
            "elapsed": self.elapsed(),
        }

    def load_state(self, state: dict[str, Any]) -> list:
        """Restore :meth:`state_dict` output; returns the population."""
        self.space = SearchSpace.from_dict(state["space"])
        self.init_rng.bit_generator.state = state["rng"]["init"]
        self.rng.bit_generator.state = state["rng"]["variation"]
        if "global_random" in state:  # checkpoints before it was recorded lack it
            set_global_random_state(state["global_random"])
        for name, schedule_state in state.get("schedules", {}).items():
            getattr(self.ops, name).load_state_dict(schedule_state)
        self.mu, self.beta = state["mu"], state["beta"]
        for row in state["logbook"]:
            self.logbook.record(**current_names(row))
        hof_items = [_individual_from_dict(d, self.individual) for d in state["hall_of_fame"]]
        self.hof.items = hof_items
        self.hof.keys = [ind.fitness for ind in reversed(hof_items)]
        self.refinements = [
            (r["generation"], Refinement(self.space, {k: (tuple(o), tuple(n)) for k, (o, n) in r["changes"].items()}))
            for r in state.get("refinements", [])
        ]
        self.elapsed_before = float(state.get("elapsed", 0.0))
        self._rebind()
        return [_individual_from_dict(d, self.individual) for d in state["population"]]

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.start

    # -- evaluation -----------------------------------------------------------------------
    def evaluate(self, individuals: list, generation: int, survivors: int | None = None,
                 use_cache: bool = True) -> tuple[list, list[EvaluationRecord], int]:
        """Fitness for ``individuals``; returns (the individuals to keep, new records, cache hits).

        Without multi-fidelity every individual is kept; with it, ``individuals`` are the
        candidates of successive halving and the best ``survivors`` are kept.
        """
        bred = len(individuals)
        if self.fidelity is None:
            new, hits = self.evaluator.evaluate(individuals, generation, use_cache)
        else:
            individuals, new, hits = self.evaluator.evaluate_multi_fidelity(individuals, generation,
                                                                            survivors or len(individuals))
        check_generation(new, bred, generation, self.config.max_failure_fraction, display_name(self.fitness))
        return individuals, new, hits

    def record(self, generation: int, population: list, new: list[EvaluationRecord], hits: int,
               refinement: Refinement | None = None, offspring: list | None = None) -> dict[str, Any]:
        self.hof.update(population)
        stats = population_stats(population, self.space)
        lengths = np.array([len(ind) for ind in population])
        best = max(population, key=lambda ind: ind.fitness.wvalues[0])
        record = {
            "generation": generation, "nevals": len(new), "cache_hits": hits,
            "failures": sum(not r.result.ok for r in new), "repaired": self.contract.take_repaired(),
            "best": stats.best, "mean": stats.mean, "std": stats.std, "min": stats.worst,
            "diversity": stats.diversity, "unique": len({ind.key() for ind in population}),
            "mu": self.mu, "beta": self.beta, "layers_mean": float(lengths.mean()),
            "layers_min": int(lengths.min()), "layers_max": int(lengths.max()),
            "elapsed": self.elapsed(), "best_key": best.key(),
            **generation_compute([r.result for r in new], self.logbook[-1] if len(self.logbook) else None),
        }
        self.logbook.record(**record)
        self.recorded = (population, stats)
        if self.callback is not None:
            self.callback(GenerationReport(generation, population, record, new, self.space, self.hof, refinement,
                                           offspring or []))
        if self.on_checkpoint is not None:
            self.on_checkpoint(self.state_dict(generation, population))
        if self.evaluator.store is not None:  # after the checkpoint: a resume needs the parents' files
            self.evaluator.store.prune({ind.key() for ind in population})
        return record

    def refine(self, generation: int, population: list) -> Refinement | None:
        every = self.config.refine_every
        if not every or generation % every:
            return None
        ranked = sorted(population, key=lambda ind: ind.fitness.wvalues[0], reverse=True)
        elites = ranked[: max(2, int(round(self.config.refine_top * len(population))))]
        refinement = refine_space(self.space, elites, self.config.space,
                                  self.config.refine_epsilon, self.config.refine_min_width)
        self.space = refinement.space
        self.refinements.append((generation, refinement))
        return refinement

    def vary(self, parents: list, generation: int) -> list:
        """Offspring of ``parents``; each carries ``variation`` (its parents' keys and the
        operators that made it, see :mod:`evodeap.results.history`)."""
        toolbox = self.toolbox
        offspring = [toolbox.clone(ind) for ind in parents]
        made = [variation_record([parent]) for parent in parents]
        for i in range(1, len(offspring), 2):
            if self.rng.random() < self.config.cxpb:
                toolbox.mate(offspring[i - 1], offspring[i])
                for child in (offspring[i - 1], offspring[i]):
                    del child.fitness.values
                made[i - 1] = variation_record([parents[i - 1], parents[i]], operator_name(self.config.crossover))
                made[i] = variation_record([parents[i], parents[i - 1]], operator_name(self.config.crossover))
        for child, record in zip(offspring, made):
            if self.rng.random() < self.config.mutpb:
                before = child.plain()
                toolbox.mutate(child)
                del child.fitness.values
                record.update(mutation=operator_name(self.config.mutation), mutated=describe_mutation(before, child))
        for child, parent, record in zip(offspring, parents, made):
            child.variation = record
            child.inherit_from = parent.plain()  # whose trained weights it may start from
            if child.fitness.valid and self.contract.confine(child):  # an unvaried copy of a parent
                del child.fitness.values                                # outside a refined space
            if not child.fitness.valid:
                if child == parent:  # variation left it unchanged: keep its known fitness
                    child.fitness.values = parent.fitness.values
                else:
                    child.birth = generation
        return offspring

    def step(self, generation: int, population: list) -> list:
        recorded, stats = getattr(self, "recorded", (None, None))
        if recorded is not population:  # e.g. just restored from a checkpoint
            stats = population_stats(population, self.space)
        self.mu, self.beta = self._rates(generation, stats)
        refinement = self.refine(generation, population)
        self._rebind()
        n = len(population)
        if self.ops.survive is None:
            elite_count = self.config.elitism
            elites = [self.toolbox.clone(ind) for ind in tools.selBest(population, elite_count)] if elite_count else []
            made = self.vary(self.toolbox.select(population, self._candidates(n - elite_count)), generation)
            offspring, new, hits = self.evaluate(made, generation, n - elite_count)
            next_population = elites + offspring
        else:
            made = self.vary(self.toolbox.select(population, self._candidates(n)), generation)
            offspring, new, hits = self.evaluate(made, generation, n)
            next_population = [self.toolbox.clone(ind) for ind in self.toolbox.survive(population + offspring, n)]
        self.record(generation, next_population, new, hits, refinement, made)
        return next_population

    def _candidates(self, survivors: int) -> int:
        """Offspring to produce for ``survivors`` places (``S·η^K`` with multi-fidelity)."""
        return survivors if self.fidelity is None else self.fidelity.candidates(survivors)

    def run(self, resume: ResumeState | None = None) -> EvolutionResult:
        """Evolve (or continue) the run; the caller's global random states are given back."""
        with preserved_global_random():
            return self._run(resume)

    def _run(self, resume: ResumeState | None) -> EvolutionResult:
        first = 1
        population = None
        if resume is not None:
            if resume.checkpoint is not None:
                population = self.load_state(resume.checkpoint)
                first = resume.checkpoint["generation"] + 1
            self.evaluator.restore(resume.evaluations, first - 1 if resume.checkpoint is not None else -1,
                                   retry_failures=resume.retry_failures)
        if self.config.strategy == "fixed":
            return self.run_fixed(first if resume is not None and resume.checkpoint is not None else 0)
        if population is None:
            seed_global_random(self.config.seed, 0)
            n = self.config.population_size
            population, new, hits = self.evaluate(self.toolbox.population(self._candidates(n)), 0, n)
            stats = population_stats(population, self.space)
            self.mu, self.beta = self._rates(0, stats)
            self.record(0, population, new, hits)
        for generation in range(first, self.config.generations + 1):
            if self.budget_spent():
                break
            seed_global_random(self.config.seed, generation)  # plain DEAP tools draw from it
            population = self.step(generation, population)
        return self.result(population)

    def budget_spent(self) -> bool:
        """True once the run's training FLOPs have reached ``config.compute_budget``."""
        budget = self.config.compute_budget
        return budget is not None and len(self.logbook) > 0 and self.logbook[-1]["train_flops_total"] >= budget

    def result(self, population: list) -> EvolutionResult:
        return EvolutionResult(population, self.logbook, self.hof, self.space, self.evaluator.evaluations,
                               self.refinements)

    def run_fixed(self, first: int) -> EvolutionResult:
        """The ``fixed`` strategy: a hand-picked configuration, no selection, no variation.

        ``fixed_schedule="repeat"``: train ``config.fixed_genome`` ``population_size`` times
        per generation, each with its own evaluation seed — the same compute per generation
        as evolution. ``"continue"``: train it once per generation, continuing its training
        (:meth:`evaluate_continued`).
        """
        genome = Genome.from_dict(self.config.fixed_genome)
        continued = self.config.fixed_schedule == "continue"
        population: list = []
        for generation in range(first, self.config.generations + 1):
            count = 1 if continued else self.config.population_size
            population = [self.individual(genome, genome.hyperparameters, family=genome.family, birth=generation)
                          for _ in range(count)]
            if continued:
                new, hits = self.evaluate_continued(population[0], generation), 0
            else:
                population, new, hits = self.evaluate(population, generation, use_cache=False)
            self.mu, self.beta = None, None
            self.record(generation, population, new, hits)
        return self.result(population)

    def evaluate_continued(self, individual, generation: int) -> list[EvaluationRecord]:
        """Generation ``generation`` of the ``continue`` schedule: one training of the fixed
        genome to ``(generation + 1)·E`` epochs in all, from the weights of its last ``ok``
        training of an earlier generation (fresh weights when there is none, or its file is
        gone); the evaluation seed is (run seed, generation, 0) as always.

        A generation has one training, so the failure stop (:mod:`evodeap.evaluation.failures`) counts
        the trainings of the last ``population_size`` generations, out of
        ``population_size``: one failed training never stops the run (the next generation
        starts from the last ``ok`` weights), ``population_size`` failed in a row do (with
        ``max_failure_fraction=1.0``) — as many failures as one failed generation of ``repeat``.
        """
        previous = self.evaluator.last_ok(individual.key(), before=generation)
        new = self.evaluator.evaluate_with_budget(individual, generation, fixed_epochs(self.config, generation),
                                                  previous)
        window = self.config.population_size
        recent = [r for r in self.evaluator.evaluations if generation - window < r.generation <= generation]
        check_generation(recent, window, generation, self.config.max_failure_fraction, display_name(self.fitness))
        return new


def _never_similar(a: Genome, b: Genome) -> bool:
    return False


class _MapExecutor:
    """Adapts a plain ``map`` function (e.g. a user's pool) to the executor interface."""

    def __init__(self, map_fn: Callable) -> None:
        self.map = map_fn

    def imap_queue(self, fn, queue, on_lost=None):
        while queue:  # everything queued so far as one map call, then what was queued meanwhile
            batch = [queue.popleft() for _ in range(len(queue))]
            yield from zip((tag for tag, _ in batch), self.map(fn, [item for _, item in batch]))


def evolve(
    config: ExperimentConfig,
    *,
    fitness: Callable | None = None,
    callback: Callable[[GenerationReport], None] | None = None,
    map_fn: Callable | None = None,
    executor: Any = None,
    on_evaluation: Callable[[EvaluationRecord], None] | None = None,
    on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
    resume: ResumeState | None = None,
    weights_dir: str | None = None,
    resolved: ResolvedRun | None = None,
) -> EvolutionResult:
    """Run the generational loop of ``config`` and return the final state.

    Args:
        config: the experiment (validated here).
        fitness: overrides ``config.fitness``.
        callback: called with a :class:`GenerationReport` after every generation (0 included).
        map_fn: a plain ``map`` to evaluate with (e.g. a custom pool's), instead of an executor.
        executor: an entered executor from :mod:`evodeap.execution.executors` (overrides ``config.executor``).
        on_evaluation: called with each :class:`EvaluationRecord` as soon as it completes.
        on_checkpoint: called with the engine's JSON state after every generation.
        resume: continue from a checkpoint and stored evaluations (see :class:`ResumeState`).
        weights_dir: where trained weights are kept (inheritance, multi-fidelity,
            ``fixed_schedule="continue"``); default:
            a temporary directory removed with the run's state.
        resolved: the run's objects, already resolved from ``config`` (and ``fitness``) by
            :func:`evodeap.config.resolve.resolve_run`; default: resolved here, once.
    """
    config.validate()
    ops = resolve_run(config, fitness) if resolved is None else resolved
    hooks = dict(callback=callback, on_evaluation=on_evaluation, on_checkpoint=on_checkpoint, weights_dir=weights_dir)
    if map_fn is not None:
        executor = _MapExecutor(map_fn)
    if executor is not None:
        check_executor_timeout(executor, config.evaluation_timeout)
        return _Evolution(config, ops, executor, **hooks).run(resume)
    with make_executor(config.executor, config.workers, **config.executor_params) as owned:
        return _Evolution(config, ops, owned, **hooks).run(resume)
