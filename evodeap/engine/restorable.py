"""Whether a checkpoint fits a run: :func:`check_restorable`, a dry restore before anything is written.

A run directory's reader checks the *form* of a checkpoint (:mod:`evodeap.runs.checkpoints`);
what only the run's plan can tell — the population size, the number of objectives, whether
every schedule accepts its saved state — is checked here by restoring the checkpoint into a
throwaway engine of the plan, before a resume writes or trains anything.
"""
from __future__ import annotations

from typing import Any

from evodeap.config.resolve import RunPlan
from evodeap.engine.loop import _Evolution
from evodeap.execution.executors import SerialExecutor
from evodeap.execution.global_random import preserved_global_random

__all__ = ["check_restorable"]


def check_restorable(plan: RunPlan, state: dict[str, Any]) -> None:
    """Refuse (``ValueError`` saying why) a checkpoint ``state`` that does not fit ``plan``: a
    population of another size than the configuration's (1 for ``fixed_schedule="continue"``),
    a fitness with another number of values than the fitness's objectives, a hall of fame
    larger than ``hall_of_fame_size``, or a state that does not restore into a throwaway run
    of ``plan`` (the caller's global random states are kept)."""
    config = plan.config
    size = 1 if config.strategy == "fixed" and config.fixed_schedule == "continue" else config.population_size
    if len(state["population"]) != size:
        raise ValueError(f"its population has {len(state['population'])} members; the configuration's has {size}")
    for key in ("population", "hall_of_fame"):
        for member in state[key]:
            if member.get("fitness") is not None and len(member["fitness"]) != plan.objectives.n:
                raise ValueError(f"a fitness in '{key}' has {len(member['fitness'])} value(s); the fitness has "
                                 f"{plan.objectives.n} objective(s)")
    if plan.objectives.n == 1 and len(state["hall_of_fame"]) > config.hall_of_fame_size:
        raise ValueError(f"its hall of fame has {len(state['hall_of_fame'])} members, more than "
                         f"hall_of_fame_size={config.hall_of_fame_size}")
    with preserved_global_random():
        try:
            _Evolution(plan, SerialExecutor(), None).set_state(state)
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as exc:
            raise ValueError(f"it does not restore ({type(exc).__name__}: {' '.join(str(exc).split())})") from None
