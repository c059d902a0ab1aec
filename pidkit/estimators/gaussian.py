r"""Exact BROJA decomposition of jointly Gaussian (X1, X2, Y): :func:`decompose_gaussian`.

For Gaussian pairwise marginals the BROJA program is solved by a Gaussian coupling (Venkatesh et
al., NeurIPS 2023; Zhao et al., NeurIPS 2025), so the only free quantity is the cross-covariance of
X1 and X2. Written in the *broadcast-channel* form:

1. whiten Y and each modality's conditional covariance given Y, so that
   ``X = H Y + N`` with ``Y ~ N(0, I)``, ``H = [H1; H2]`` fixed by the data's (X1, Y) and (X2, Y)
   marginals, and noise ``N ~ N(0, M(K))``, ``M(K) = [[I, K], [K^T, I]]`` — every coupling that keeps
   those marginals is one noise correlation ``K`` (d1 x d2) with spectral norm ``||K|| <= 1``;
2. reduce each modality to its sufficient statistic for Y (the row space of its ``H_i``, at most dy
   dimensions with white noise): R and the U's depend on a modality only through it, so what follows
   is at most dy x dy whatever d1 and d2 are; then minimize
   ``f(K) = I_K(X1, X2; Y) = 1/2 log det(I + H2^T H2 + E^T S^-1 E)`` with ``E = H1 - K H2``,
   ``S = I - K K^T`` (a Schur complement of M). ``f`` is convex
   in ``K`` (mutual information is convex in the channel, and Gaussian noise is the worst noise of
   a given covariance), the feasible set a spectral-norm ball;
3. a barrier method — Newton steps on ``f(K) - mu log det(I - K K^T)`` for mu = 1, 0.1, ...
   (the Hessian of at most dy^2 unknowns by central differences of the exact gradient) — until the
   **Frank–Wolfe gap** ``<grad f(K), K> + ||grad f(K)||_*`` (nuclear norm), a certified upper bound
   on ``f(K) - min f`` for a convex ``f`` on the ball, is at most ``tol``. Singular values that come
   within 1e-4 of 1 are also tried on the boundary, where equal channels put the optimum.

The atoms follow from the optimum ``f* = min_q I_q(X1, X2; Y)``: ``U1 = f* - I(X2;Y)``,
``U2 = f* - I(X1;Y)``, ``R = I(X1;Y) + I(X2;Y) - f*``, ``S = I(X1,X2;Y) - f*``. For a scalar ``Y`` this
is the minimum-mutual-information PID, ``R = min(I(X1;Y), I(X2;Y))`` (Barrett 2015).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import replace
from typing import Any

import numpy as np
from scipy.special import ndtri

from .._training import user_stacklevel
from .._validation import check_positive_float, check_positive_int, check_units
from ..exceptions import ConvergenceWarning, InvalidCovarianceError, ParameterError, ShapeError
from ..result import QUANTITIES, Diagnostics, PIDResult, Uncertainty
from ..uncertainty.intervals import percentile_interval
from ._problem import broja_atoms
from .registry import register_estimator

__all__ = ["decompose_gaussian", "GaussianEstimator", "CopulaEstimator", "DEFAULT_TOL_BITS", "CAP_MARGIN"]

#: Default target of the certified gap (bits), as the exact discrete solver's.
DEFAULT_TOL_BITS = 1e-8
#: Singular values of the noise correlation are kept at most 1 - CAP_MARGIN: at 1 the conditional
#: noise is degenerate and ``S`` singular (an optimum on the boundary is approached to ~this much).
CAP_MARGIN = 1e-10
#: Smallest eigenvalue, relative to the largest, that a covariance block may have before it counts
#: as singular (a variable that is a linear function of others carries infinite information).
SINGULAR_RTOL = 1e-12


def _logdet_pd(a: np.ndarray, what: str) -> float:
    """log det of a symmetric positive definite matrix, or InvalidCovarianceError naming ``what``."""
    return float(np.sum(np.log(_check_pd(np.linalg.eigvalsh(a), what))))


def _check_pd(w: np.ndarray, what: str) -> np.ndarray:
    """The eigenvalues ``w`` of a symmetric matrix, or InvalidCovarianceError when it is not positive definite."""
    top = float(w.max(initial=0.0))
    if not (w.size and w.min() > SINGULAR_RTOL * max(top, 1e-300)):
        raise InvalidCovarianceError(
            f"{what} is singular or not positive definite (smallest eigenvalue {float(w.min(initial=0.0)):.3g}, "
            f"largest {top:.3g}): some combination of the variables is determined exactly by the others, so an "
            "information is infinite. Drop redundant dimensions (e.g. with PCA), or add independent noise."
        )
    return w


def _check_cov(cov: Any, dims: Any) -> tuple[np.ndarray, tuple[int, int, int]]:
    try:
        d = tuple(int(check_positive_int(f"dims[{i}]", k)) for i, k in enumerate(dims))
    except TypeError:
        raise ParameterError(f"dims must be three positive ints (d1, d2, dy); got {dims!r}.") from None
    if len(d) != 3:
        raise ParameterError(f"dims must be three positive ints (d1, d2, dy); got {dims!r}.")
    arr = np.asarray(cov)
    if arr.dtype.kind not in "biuf":
        raise InvalidCovarianceError(f"cov must be a numeric matrix; got dtype {arr.dtype}.")
    arr = arr.astype(np.float64)
    n = sum(d)
    if arr.shape != (n, n):
        raise ShapeError(f"cov must be a square matrix of size d1 + d2 + dy = {n} (dims {d}); got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise InvalidCovarianceError("cov contains NaN or infinite entries; expected a finite covariance matrix.")
    scale = float(np.max(np.abs(arr), initial=0.0))
    if not np.allclose(arr, arr.T, rtol=0.0, atol=1e-9 * max(scale, 1e-300)):
        raise InvalidCovarianceError(
            f"cov is not symmetric (largest |cov - cov.T| = {float(np.max(np.abs(arr - arr.T))):.3g}); expected a "
            "covariance matrix of (X1, X2, Y) in that order."
        )
    return 0.5 * (arr + arr.T), d  # type: ignore[return-value]


class _Problem:
    """f(K), its gradient and the certificate, in the broadcast-channel form (module docstring)."""

    def __init__(self, h1: np.ndarray, h2: np.ndarray):
        self.h1, self.h2 = h1, h2  # d1 x dy (the smaller side), d2 x dy
        self.base = np.eye(h1.shape[1]) + h2.T @ h2

    def value_grad(self, k: np.ndarray, grad: bool = True) -> tuple[float, np.ndarray | None]:
        """f(K) and its gradient (None without ``grad``); +inf outside the ball."""
        return self.evaluate(k, grad)[:2]

    def evaluate(self, k: np.ndarray, grad: bool = True) -> tuple[float, np.ndarray | None, np.ndarray | None]:
        """f(K), its gradient and the Cholesky factor of S = I - K K^T (which the barrier reuses)."""
        s = np.eye(k.shape[0]) - k @ k.T
        try:
            c = np.linalg.cholesky(s)
        except np.linalg.LinAlgError:
            return math.inf, None, None
        e = self.h1 - k @ self.h2
        v = np.linalg.solve(c.T, np.linalg.solve(c, e))  # S^-1 E
        p = self.base + e.T @ v
        sign, logdet = np.linalg.slogdet(p)
        if sign <= 0:
            return math.inf, None, None
        value = 0.5 * logdet
        if not grad:
            return value, None, c
        q = np.linalg.inv(p)
        return value, v @ q @ (v.T @ k - self.h2.T), c


def _sufficient(h: np.ndarray) -> np.ndarray:
    """``X_i = H Y + N`` (white N) reduced to its sufficient statistic for Y: ``diag(s) W^T`` from the SVD
    ``H = U diag(s) W^T`` (``U^T X_i`` has white noise too), rows with s > 0 only."""
    if h.size == 0:
        return h
    _, sv, wt = np.linalg.svd(h, full_matrices=False)
    keep = sv > 1e-12 * max(float(sv.max(initial=0.0)), 1e-300)
    return sv[keep, None] * wt[keep]


def _snap(k: np.ndarray, near: float = 1e-4) -> np.ndarray:
    """K with singular values within ``near`` of 1 set to 1 - CAP_MARGIN: an optimum on the boundary of the
    ball, which the barrier approaches only as fast as mu shrinks."""
    u, sv, vt = np.linalg.svd(k, full_matrices=False)
    return (u * np.where(sv > 1.0 - near, 1.0 - CAP_MARGIN, sv)) @ vt


def _fw_gap(k: np.ndarray, g: np.ndarray) -> float:
    """<g, K> + ||g||_*: f(K) - min over the ball, at most (f convex)."""
    return float(np.sum(g * k) + np.sum(np.linalg.svd(g, compute_uv=False)))


def _barrier(prob: _Problem, k: np.ndarray, mu: float, grad: bool = True) -> tuple[float, np.ndarray | None]:
    """f(K) - mu log det(I - K K^T) and its gradient (+inf outside the ball)."""
    f, g, c = prob.evaluate(k, grad)
    if c is None or not math.isfinite(f):
        return math.inf, None
    value = f - mu * 2.0 * float(np.sum(np.log(np.diag(c))))
    if not grad:
        return value, None
    return value, g + 2.0 * mu * np.linalg.solve(c.T, np.linalg.solve(c, k))


def _hessian(prob: _Problem, k: np.ndarray, mu: float, g0: np.ndarray) -> np.ndarray:
    """Hessian of the barrier objective by central differences of its exact gradient (at most dy^2 unknowns)."""
    n = k.size
    hess = np.empty((n, n))
    eps = 1e-6
    flat = k.ravel()
    for j in range(n):
        step = np.zeros(n)
        step[j] = eps
        gp = _barrier(prob, (flat + step).reshape(k.shape), mu)[1]
        gm = _barrier(prob, (flat - step).reshape(k.shape), mu)[1]
        if gp is None or gm is None:  # at the edge of the ball: one-sided
            gp = g0 if gp is None else gp
            gm = g0 if gm is None else gm
        hess[:, j] = (gp - gm).ravel() / (2 * eps)
    return 0.5 * (hess + hess.T)


def _minimize(prob: _Problem, tol: float, max_iter: int) -> tuple[np.ndarray, float, float, int, str]:
    """Barrier method: Newton steps on f(K) - mu log det(I - K K^T) for mu -> 0 (the barrier's optimum is
    within mu min(d1, d2) of f's), ended by the Frank-Wolfe certificate at the returned K."""
    d1 = prob.h1.shape[0]
    k = np.zeros((d1, prob.h2.shape[0]))
    mu = 1.0
    it = 0
    f0, g0 = prob.value_grad(k)
    best_k, best_f, best_gap = k, f0, _fw_gap(k, g0)
    status = "max_iter"
    while it < max_iter:
        phi, g = _barrier(prob, k, mu)
        for _ in range(60):  # Newton at this mu
            it += 1
            hess = _hessian(prob, k, mu, g)
            try:
                w, v = np.linalg.eigh(hess)
                w = np.maximum(w, 1e-12 * max(float(w.max(initial=1.0)), 1.0))
                direction = -(v @ ((v.T @ g.ravel()) / w)).reshape(k.shape)
            except np.linalg.LinAlgError:
                direction = -g
            decrement = float(-np.sum(g * direction))
            if decrement < max(1e-24, 1e-6 * mu * mu) or it >= max_iter:  # centred well within the barrier bias ~mu
                break
            t = 1.0
            while t > 1e-12:
                cand = k + t * direction
                val, _ = _barrier(prob, cand, mu, grad=False)
                if val <= phi - 0.25 * t * decrement:
                    break
                t *= 0.5
            else:
                break
            k = cand
            phi, g = _barrier(prob, k, mu)
        for point in (k, _snap(k)):  # the barrier's point, and its near-unit correlations moved onto the boundary
            f, gf = prob.value_grad(point)
            if gf is None:
                continue
            gap = _fw_gap(point, gf)
            if gap < best_gap:
                best_k, best_f, best_gap = point, f, gap
        if best_gap <= tol:
            status = "converged"
            break
        if mu < 1e-18:
            status = "barrier_exhausted"
            break
        mu *= 0.1
    return best_k, best_f, best_gap, it, status


def decompose_gaussian(
    cov: Any,
    dims: Any,
    *,
    units: str = "bits",
    tol: float | None = None,
    max_iter: int = 20_000,
) -> PIDResult:
    r"""Exact BROJA PID of jointly Gaussian (X1, X2, Y) from their covariance matrix.

    Parameters
    ----------
    cov : array of shape (d1 + d2 + dy, d1 + d2 + dy)
        Covariance of the concatenation (X1, X2, Y), in that order. Every block the decomposition
        conditions on must be positive definite: Σ_Y, and the covariances of X1, X2 and (X1, X2)
        given Y (otherwise an information is infinite: :class:`InvalidCovarianceError`).
    dims : (d1, d2, dy)
        Dimensions of X1, X2 and Y; vectors on every side.
    units : {"bits", "nats"}
    tol : float, optional
        Target of the certified optimality gap, in ``units`` (default 1e-8 bits). Every atom is
        within the reported ``duality_gap`` of its exact value.
    max_iter : int
        Iteration budget; a solve that stops above ``tol`` warns (:class:`ConvergenceWarning`) with
        the gap it certified.

    Returns
    -------
    PIDResult
        Atoms, ``total`` = I(X1,X2;Y), ``I1``, ``I2``; ``estimator="gaussian"``, ``shape`` the dims;
        diagnostics: solver ``"gaussian/barrier-newton"``, iterations, ``duality_gap`` (the Frank–Wolfe gap at
        the returned coupling), time.

    Examples
    --------
    >>> import numpy as np, pidkit as pid
    >>> cov = np.array([[1.0, 0.0, 0.6], [0.0, 1.0, 0.3], [0.6, 0.3, 1.0]])  # (X1, X2, Y), scalars
    >>> res = pid.decompose_gaussian(cov, dims=(1, 1, 1))
    >>> round(res.R, 6) == round(min(res.I1, res.I2), 6)   # scalar target: the MMI PID
    True
    """
    t0 = time.perf_counter()
    scale = check_units(units)
    tol_units = DEFAULT_TOL_BITS * math.log(2.0) / scale if tol is None else check_positive_float("tol", tol)
    tol_nats = tol_units * scale
    max_iter = check_positive_int("max_iter", max_iter)
    cov, (d1, d2, dy) = _check_cov(cov, dims)
    i1s, i2s, iys = slice(0, d1), slice(d1, d1 + d2), slice(d1 + d2, d1 + d2 + dy)
    s_y = cov[iys, iys]
    s_x = cov[: d1 + d2, : d1 + d2]
    s_xy = cov[: d1 + d2, iys]
    _check_pd(np.linalg.eigvalsh(s_y), "the covariance of Y")
    chol_y = np.linalg.cholesky(s_y)
    g = np.linalg.solve(chol_y, s_xy.T).T  # Σ_XY L^-T: Σ_XY Σ_Y^-1 Σ_YX = G G^T
    cond = s_x - g @ g.T  # Cov(X | Y)
    blocks = {"X1": i1s, "X2": i2s}
    info, whiten = {}, {}
    for name, sl in blocks.items():  # one eigendecomposition of Cov(X_i | Y): its log det and its inverse root
        w, v = np.linalg.eigh(cond[sl, sl])
        _check_pd(w, f"the covariance of {name} given Y")
        info[name] = 0.5 * (_logdet_pd(cov[sl, sl], f"the covariance of {name}") - float(np.sum(np.log(w))))
        whiten[name] = (v / np.sqrt(w)) @ v.T
    total = 0.5 * (_logdet_pd(s_x, "the covariance of (X1, X2)")
                   - _logdet_pd(cond, "the covariance of (X1, X2) given Y"))
    # broadcast form: whiten each modality's conditional covariance, then keep only its sufficient
    # statistic for Y (the directions of H_i's column space, at most dy of them): R and the U's depend on
    # each modality only through it, so the optimization is at most dy x dy whatever d1 and d2 are
    h1 = _sufficient(whiten["X1"] @ g[i1s])
    h2 = _sufficient(whiten["X2"] @ g[i2s])
    r1, r2 = h1.shape[0], h2.shape[0]
    if min(r1, r2) == 0:  # a modality independent of Y: the other one's information is all there is
        f_star, gap, iters, status = max(info["X1"], info["X2"]), 0.0, 0, "converged"
    else:
        prob = _Problem(h2, h1) if r1 > r2 else _Problem(h1, h2)  # side 1 the smaller one
        _, f_star, gap, iters, status = _minimize(prob, tol_nats, max_iter)
    i1, i2 = info["X1"], info["X2"]
    # the atoms where every estimator writes them; entropies relative to H(Y): H(Y|Xi) - H(Y) = -I(Xi;Y)
    atoms = broja_atoms(0.0, -i1, -i2, total, f_star)
    notes = [f"Gaussian coupling optimized in the broadcast-channel form, each modality reduced to its sufficient "
             f"statistic for Y ({r1} and {r2} dimensions; noise correlations capped at 1 - {CAP_MARGIN:g})"]
    if gap > tol_nats:
        warnings.warn(
            f"decompose_gaussian stopped after {iters} iterations ({status}) with a certified gap of "
            f"{gap / scale:.2e} {units}, above tol={tol_units:.1e} {units}; every atom is still within that gap. "
            "Raise max_iter or tol.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    diag = Diagnostics(
        solver="gaussian/barrier-newton",
        status="optimal" if gap <= tol_nats else f"{status}; gap_above_tol",
        iterations=int(iters),
        max_marginal_violation=0.0,
        duality_gap=gap / scale,
        time_s=time.perf_counter() - t0,
        notes=tuple(notes),
    )
    return PIDResult(
        **{k: float(v) / scale for k, v in atoms.items()},
        units=units,
        estimator="gaussian",
        n_samples=None,
        shape=(d1, d2, dy),
        diagnostics=diag,
    )


@register_estimator("gaussian")
class GaussianEstimator:
    """The Gaussian PID of samples (``estimator="gaussian"``): :func:`decompose_gaussian` of their covariance.

    The modalities and the target may be vectors; the target may be continuous (no ``y_bins``, no
    Discretizer). The covariance is the unbiased sample covariance (n - 1). The decomposition is exact
    for that covariance; as an estimate of the population's PID it is biased upward at small n (plug-in
    bias of R and S about +0.01 nats at n = 200 with 3 + 3 dimensions and a 2-D target, under 0.002 at
    n = 1,000). With ``ci=`` the intervals and a bias correction come from a bootstrap over the samples or a
    parametric one (:meth:`uncertainty`). The data are taken to be jointly Gaussian; the result is the PID of the
    Gaussian with their covariance either way.

    Parameters
    ----------
    tol, max_iter
        As in :func:`decompose_gaussian`.
    """

    name = "gaussian"

    def __init__(self, *, tol: float | None = None, max_iter: int = 20_000):
        self.tol = tol
        self.max_iter = max_iter

    def _columns(self, parts: list[np.ndarray]) -> list[np.ndarray]:
        """The columns the covariance is taken of (the copula estimator transforms them first)."""
        return parts

    def estimate(self, x1, x2, y, *, discretizer=None, units: str = "bits", random_state=None) -> PIDResult:
        """:func:`decompose_gaussian` of the samples' covariance (``discretizer`` and ``random_state`` unused)."""
        parts = []
        for a, name in ((x1, "x1"), (x2, "x2"), (y, "y")):
            arr = np.asarray(a)
            if arr.dtype.kind not in "biuf":
                raise ShapeError(f"{name} has dtype {arr.dtype}; estimator={self.name!r} needs numbers. Encode a "
                                 "categorical modality (e.g. one-hot), or use estimator='cvx'.")
            parts.append(arr.astype(np.float64).reshape(arr.shape[0], -1))
        self.samples_ = parts  # for the bootstrap over samples
        parts = self._columns(parts)
        dims = tuple(p.shape[1] for p in parts)
        n = parts[0].shape[0]
        if n <= sum(dims) + 1:
            raise ShapeError(f"{n} samples for {sum(dims)} dimensions: the sample covariance is singular; "
                             f"estimator={self.name!r} needs more samples than dimensions (many more for a good "
                             "estimate).")
        cov = np.cov(np.hstack(parts), rowvar=False).reshape(sum(dims), sum(dims))
        res = decompose_gaussian(cov, dims, units=units, tol=self.tol, max_iter=self.max_iter)
        self.cov_, self.dims_, self.n_ = cov, dims, n
        return replace(res, estimator=self.name, n_samples=n, diagnostics=replace(
            res.diagnostics, notes=(self._note(n), *res.diagnostics.notes)))

    def _note(self, n: int) -> str:
        return (f"estimator='gaussian': the exact Gaussian PID of the sample covariance of {n:,} samples (n - 1 "
                "normalization); plug-in, biased upward at small n (ci= adds a bootstrap bias correction)")

    def _replicate_covariances(self, method: str, n_boot: int, rng: np.random.Generator):
        n, dims = self.n_, self.dims_
        if method == "parametric":
            from scipy.stats import wishart

            draws = wishart.rvs(df=n - 1, scale=self.cov_ / (n - 1), size=n_boot, random_state=rng)
            yield from np.asarray(draws).reshape(n_boot, sum(dims), sum(dims))
            return
        for _ in range(n_boot):  # "resample": rows drawn with replacement, transformed and covaried again
            idx = rng.integers(0, n, n)
            cols = self._columns([p[idx] for p in self.samples_])
            yield np.cov(np.hstack(cols), rowvar=False).reshape(sum(dims), sum(dims))

    def uncertainty(self, res: PIDResult, *, level: float, n_boot: int, bias: bool, random_state=None,
                    method: str = "resample"):
        """Bootstrap intervals: ``"resample"`` (default) draws the samples with replacement and decomposes each
        replicate's covariance (of its normal scores, for the copula); ``"parametric"`` draws the sample
        covariance from its Wishart distribution around the estimate (n - 1 degrees of freedom; exact for
        Gaussian data, no pass over the samples). Percentile intervals, standard errors and the bootstrap bias
        correction (estimate - (mean of the replicates - estimate)) in ``corrected``."""
        n, dims = self.n_, self.dims_
        rng = np.random.default_rng(random_state)
        draws = self._replicate_covariances(method, n_boot, rng)
        reps: dict[str, list[float]] = {q: [] for q in QUANTITIES}
        failed = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for s in draws:
                try:
                    r = decompose_gaussian(s, dims, units=res.units, tol=self.tol, max_iter=self.max_iter)
                except InvalidCovarianceError:
                    failed += 1
                    continue
                for q in QUANTITIES:
                    reps[q].append(getattr(r, q))
        if len(reps["R"]) < 2:
            raise InvalidCovarianceError("the bootstrap replicates' covariances were singular; too few samples for "
                                         "their dimensions.")
        arrays = {q: np.asarray(v) for q, v in reps.items()}
        intervals = {q: percentile_interval(arrays[q], level) for q in QUANTITIES}
        std = {q: float(np.std(arrays[q], ddof=1)) for q in QUANTITIES}
        bias_d = {q: float(np.mean(arrays[q]) - getattr(res, q)) for q in QUANTITIES}
        notes = [f"intervals from {len(arrays['R'])} parametric-bootstrap replicates: sample covariances of {n:,} "
                 "samples drawn from their Wishart distribution around the estimated covariance (the data taken to be "
                 "Gaussian)" if method == "parametric" else
                 f"intervals from {len(arrays['R'])} bootstrap resamples of the {n:,} samples"]
        if failed:
            notes.append(f"{failed} replicate covariance(s) were singular and left out")
        corrected = {"bootstrap": {q: getattr(res, q) - bias_d[q] for q in QUANTITIES}} if bias else {}
        return Uncertainty(level=level, method=method, n_boot=len(arrays["R"]), intervals=intervals, std=std,
                           bias=bias_d, corrected=corrected, notes=tuple(notes))


@register_estimator("copula")
class CopulaEstimator(GaussianEstimator):
    """The Gaussian-copula PID (``estimator="copula"``): every dimension of X1, X2 and Y replaced by its normal
    scores, ``Φ^-1(rank / (n + 1))`` (ties share their mean rank), then :class:`GaussianEstimator`.

    Invariant under any strictly increasing map of each dimension (a log, a power, a saturating sensor)
    and robust to outliers; exact for data whose dependence is a Gaussian copula. The default bootstrap of
    ``ci=`` ranks every resample again; ``ci_method="parametric"`` draws around the normal scores'
    covariance and leaves out the variability of the ranks themselves.
    """

    name = "copula"

    def _columns(self, parts: list[np.ndarray]) -> list[np.ndarray]:
        from scipy.stats import rankdata

        return [ndtri(rankdata(p, axis=0, method="average") / (p.shape[0] + 1.0)) for p in parts]

    def _note(self, n: int) -> str:
        return (f"estimator='copula': every dimension replaced by its normal scores (ranks of {n:,} samples), then the "
                "exact Gaussian PID of their covariance; invariant under increasing maps of each dimension")
