"""Where the mutation rate μ(t) and the selection pressure β(t) come from: one source each.

The engine binds μ(t) into the mutation as ``indpb`` and β(t) into the selection as
``beta`` every generation, and the logbook's ``mu`` and ``beta`` columns are exactly the
values it bound. Each has two possible settings:

=====  ===========================================  ====================================
rate   a schedule                                   a constant parameter
=====  ===========================================  ====================================
μ      ``mutation_rate`` (default: exponential      ``mutation_params["indpb"]``
       decay ``μ0 = 0.05, λ = 0.05``)
β      ``selection_pressure`` (default: none)       ``selection_params["beta"]``
                                                    (default: 5.0, the one
                                                    ``DEFAULT_BETA`` of
                                                    ``sel_boltzmann``)
=====  ===========================================  ====================================

Precedence: a setting the experiment gives (in the file, by ``--set`` or by a study
variant) wins over a default; giving *both* settings of one rate is a
:class:`~evodeap.errors.ConfigError` — it used to be silently decided, so that
``--set selection_params.beta=20`` under a β schedule was a no-op. A schedule set for an
operator that has no such parameter (``selection_pressure`` with ``tournament``, an
explicit ``mutation_rate`` with ``add_layer``) is an error too; with default settings such
an operator simply gets no rate and the logbook shows ``None``. When neither setting of β
is given, β is the selection's own default for ``beta`` — for Boltzmann selection the same
5.0 as the config's default (``evodeap.operators.selection.DEFAULT_BETA``), so
``selection_params={}`` and the default agree.
"""
from __future__ import annotations

import inspect
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from evodeap.errors import ConfigError
from evodeap.operators.registry import MUTATIONS, SELECTIONS
from evodeap.operators.schedules import Constant, make_schedule
from evodeap.registry import display_name

Schedule = Callable[[int, Any], float]


class DefaultSetting(dict):
    """A mapping setting that still holds its default (same contents, same JSON as a dict).

    It tells a default apart from the same value given by an experiment, so that a default
    can yield to a conflicting setting while two given settings are an error (see
    :mod:`evodeap.config.rates`). A key becomes *given* when an override sets it
    (``--set selection_params.beta=20``) or when it is edited in place; assigning a whole
    new mapping gives every key.
    """

    def __init__(self, data: Mapping[str, Any] = (), given: frozenset = frozenset(),
                 defaults: Mapping[str, Any] | None = None) -> None:
        super().__init__(data)
        self.defaults = dict(self) if defaults is None else dict(defaults)
        self.given = frozenset(given)

    def updated(self, data: Mapping[str, Any], key: str) -> "DefaultSetting":
        """``data`` (this setting with ``key`` overridden), remembering that ``key`` was given."""
        return DefaultSetting(data, self.given | {key}, self.defaults)


def given_keys(value: Mapping[str, Any]) -> set[str]:
    """Keys of a mapping setting that the experiment gave: every key of a plain mapping; for a
    :class:`DefaultSetting` those set by overrides, edited, added or removed."""
    if not isinstance(value, DefaultSetting):
        return set(value)
    changed = {k for k in value if k not in value.defaults or value[k] != value.defaults[k]}
    return set(value.given) | changed | (set(value.defaults) - set(value))


def is_given(value: Any) -> bool:
    """False only for a setting still at its default (a :class:`DefaultSetting` nobody changed)."""
    return not isinstance(value, DefaultSetting) or bool(given_keys(value))


@dataclass(frozen=True)
class RateSources:
    """The one source of μ(t) and of β(t), and the operator parameters without them.

    Attributes:
        mutation_rate: μ(t) bound as ``indpb`` (``None``: the mutation takes no ``indpb``).
        selection_pressure: β(t) bound as ``beta`` (``None``: the selection takes no ``beta``).
        mutation_params: ``config.mutation_params`` without ``indpb``.
        selection_params: ``config.selection_params`` without ``beta`` (and without the
            default β for a selection that takes none).
    """

    mutation_rate: Schedule | None
    selection_pressure: Schedule | None
    mutation_params: dict[str, Any]
    selection_params: dict[str, Any]


def takes(fn: Callable, name: str) -> bool:
    """True when ``fn`` declares a parameter called ``name``."""
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _default_of(fn: Callable, name: str) -> Any:
    default = inspect.signature(fn).parameters[name].default
    return None if default is inspect.Parameter.empty else default


def mutation_rate_source(config: Any, mutate: Callable, name: str) -> tuple[Schedule | None, dict]:
    """μ(t) of ``config`` for the mutation ``mutate`` and its remaining parameters."""
    params = dict(config.mutation_params)
    schedule_given = config.mutation_rate is not None and is_given(config.mutation_rate)
    if "indpb" in params and schedule_given:
        raise ConfigError(
            f"the mutation rate is set twice: mutation_params.indpb={params['indpb']!r} and mutation_rate="
            f"{config.mutation_rate!r}; keep one (a number as mutation_rate is a constant rate)")
    if not takes(mutate, "indpb"):
        if schedule_given:
            raise ConfigError(f"mutation_rate is set but mutation {name} takes no indpb, so μ(t) would not be "
                              f"used; fix: --set mutation_rate=null (or use a mutation with a per-gene rate)")
        return None, params
    if "indpb" in params:
        indpb = _real_number(params.pop("indpb"), "mutation_params.indpb")
        if not 0.0 <= indpb <= 1.0:
            raise ConfigError(f"mutation_params.indpb is a probability in [0, 1], got {indpb!r}")
        return Constant(indpb), params
    if config.mutation_rate is None:
        raise ConfigError(f"mutation {name} takes indpb but mutation_rate is null: set mutation_rate (a schedule "
                          f"or a number in [0, 1]) or mutation_params.indpb")
    return make_schedule(config.mutation_rate), params


def selection_pressure_source(config: Any, select: Callable, name: str) -> tuple[Schedule | None, dict]:
    """β(t) of ``config`` for the selection ``select`` and its remaining parameters."""
    params = dict(config.selection_params)
    beta_given = "beta" in given_keys(config.selection_params)
    schedule = config.selection_pressure
    if schedule is not None and beta_given:
        raise ConfigError(
            f"β is set twice: selection_params.beta={params['beta']!r} and selection_pressure={schedule!r}; "
            f"keep one (--set selection_pressure=null for a constant β, or --set 'selection_params={{}}' "
            f"for the schedule)")
    if not takes(select, "beta"):
        if schedule is not None:
            raise ConfigError(f"selection_pressure is set but selection {name} takes no beta, so β(t) would "
                              f"not be used; fix: --set selection_pressure=null")
        if not beta_given:
            params.pop("beta", None)  # the default β belongs to Boltzmann-like selections only
        return None, params
    if schedule is not None:
        params.pop("beta", None)
        return make_schedule(schedule), params
    if "beta" in params:  # given (null too): a real number
        return Constant(_real_number(params.pop("beta"), "selection_params.beta")), params
    beta = _default_of(select, "beta")
    return (None if beta is None else Constant(_real_number(beta, "selection_params.beta"))), params


def _real_number(value: Any, setting: str) -> float:
    """``value`` as a float; a :class:`ConfigError` unless it is a real number (±inf allowed, NaN not)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ConfigError(f"{setting} must be a real number, got {value!r}")
    return float(value)


def rate_sources(config: Any) -> RateSources:
    """Resolve both rates of ``config``, an :class:`~evodeap.config.settings.ExperimentConfig` (see the
    module docstring for the precedence; the config module imports this one, not the reverse).

    Raises:
        UnknownNameError: the mutation or selection is a name no registry holds.
        ConfigError: one is neither a name nor a callable, a rate is set twice or for an
            operator without its parameter, or a rate is not a number.
    """
    mutate = MUTATIONS.resolve(config.mutation, None, "mutation")
    select = SELECTIONS.resolve(config.selection, None, "selection")
    mutation_rate, mutation_params = mutation_rate_source(config, mutate, display_name(config.mutation))
    selection_pressure, selection_params = selection_pressure_source(config, select, display_name(config.selection))
    return RateSources(mutation_rate, selection_pressure, mutation_params, selection_params)


def value_at(schedule: Schedule | None, generation: int, stats: Any) -> float | None:
    """The schedule's value as a float (``None`` without a schedule)."""
    return None if schedule is None else float(schedule(generation, stats))
