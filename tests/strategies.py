"""Shared hypothesis strategies and helpers for genome, space and operator tests."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from evodeap.kinds.views import FAMILIES
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace

#: Settings for every property test of this suite: modest and deterministic in time.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FAMILY_NAMES = sorted(FAMILIES)
families = st.sampled_from(FAMILY_NAMES)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def spaces(draw, family=None, narrowed: bool = True) -> SearchSpace:
    """A valid search space: any family, random layer bounds, sometimes searching the
    family's optional kinds (``frame_pool``, ``time_pool``: at most once per genome), and
    sometimes a refined (narrowed) space, so that repair into a smaller domain is
    exercised too."""
    fam = draw(families) if family is None else family
    n_required = len(FAMILIES[fam].required)
    low = draw(st.integers(n_required, 5))
    high = draw(st.integers(low, 9))
    space = SearchSpace(family=fam, min_layers=low, max_layers=high)
    optional = FAMILIES[fam].optional
    if optional and draw(st.booleans()):
        space = space.with_kinds(*draw(st.lists(st.sampled_from(optional), min_size=1, unique=True)))
    if narrowed and draw(st.booleans()):
        from evodeap.operators.refinement import refine_space

        rng = np.random.default_rng(draw(seeds))
        elites = [space.sample_genome(rng) for _ in range(draw(st.integers(1, 4)))]
        space = refine_space(space, elites, space, epsilon=0.02, min_width=0.1).space
    return space


def sample(space: SearchSpace, seed: int, cls: type = Genome, n: int = 1) -> list[Genome]:
    """``n`` genomes of class ``cls`` sampled from ``space`` with ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return [space.sample_genome(rng, cls=cls) for _ in range(n)]


def wide_parent(space: SearchSpace, seed: int, cls: type = Genome) -> Genome:
    """A genome from the *default-bounds* space of ``space``'s family: it may lie outside a
    narrowed ``space`` (ranges and length), so operators must repair their output."""
    wide = SearchSpace(family=space.family, min_layers=len(FAMILIES[space.family].required), max_layers=9)
    optional = [k for k in space.kinds if k not in wide.kinds]
    wide = wide.with_kinds(*optional) if optional else wide
    return wide.sample_genome(np.random.default_rng(seed), cls=cls)


def snapshot(genome: Genome) -> str:
    """Content and class of a genome as one comparable string."""
    return f"{type(genome).__name__}:{genome.to_json()}"
