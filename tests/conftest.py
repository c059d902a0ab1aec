"""Shared test helpers: random pmfs (dense and sparse) and the gate table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from pidkit.synthetic import GATE_ATOMS

GATE_NAMES = sorted(GATE_ATOMS)


def random_pmf(rng: np.random.Generator, shape, *, sparsity: float = 0.0, alpha: float = 1.0) -> np.ndarray:
    """Dirichlet(alpha) pmf of ``shape`` with a fraction ``sparsity`` of cells zeroed (never all)."""
    p = rng.dirichlet(np.full(int(np.prod(shape)), alpha)).reshape(shape)
    if sparsity > 0:
        mask = rng.random(shape) < sparsity
        if mask.all():
            mask.flat[rng.integers(mask.size)] = False
        p = np.where(mask, 0.0, p)
        p /= p.sum()
    return p


@st.composite
def pmfs(draw, max_n1=6, max_n2=6, max_ny=4):
    """Hypothesis strategy: random joint pmfs up to max_n1 x max_n2 x max_ny, sparse ones included."""
    shape = (draw(st.integers(1, max_n1)), draw(st.integers(1, max_n2)), draw(st.integers(1, max_ny)))
    seed = draw(st.integers(0, 2**32 - 1))
    sparsity = draw(st.sampled_from([0.0, 0.0, 0.3, 0.6, 0.85]))
    alpha = draw(st.sampled_from([0.2, 1.0, 5.0]))
    return random_pmf(np.random.default_rng(seed), shape, sparsity=sparsity, alpha=alpha)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
