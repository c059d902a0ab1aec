r"""Bounds on synergy from labeled unimodal and unlabeled paired data (thesis ch. 6).

Only :math:`p(x_1, y)`, :math:`p(x_2, y)` and :math:`p(x_1, x_2)` are known. The BROJA atoms
:math:`R, U_1, U_2` depend on the first two only and are computed exactly (by
:func:`pidkit.decompose` on :math:`p(x_1,y)p(x_2,y)/p(y)`, which has those marginals); synergy
is bounded. Write :math:`\Delta = \{ r : r(x_1,x_2) = p(x_1,x_2), r(x_i,y) = p(x_i,y) \}`
(the true :math:`p \in \Delta`). All derivations use the BROJA identities
:math:`S = R - I(X_1;X_2;Y)`, :math:`I(X_1;Y \mid X_2) = U_1 + S`,
:math:`I(X_2;Y \mid X_1) = U_2 + S`, :math:`I(X_1,X_2;Y) = R + U_1 + U_2 + S`.

**S_R (redundancy).** :math:`S = R - I(X_1;X_2) + I_p(X_1;X_2 \mid Y)` and
:math:`p \in \Delta`, so

.. math::

    S \ge S_R = R - I(X_1;X_2) + \min_{r \in \Delta} I_r(X_1;X_2 \mid Y), \qquad
    \min_{r \in \Delta} I_r(X_1;X_2 \mid Y) = H(X_1,Y) + H(X_2,Y) - H(Y) - \max_{r \in \Delta} H_r(X_1,X_2,Y).

The maximum entropy is replaced by the certified IPF upper bound of
:func:`pidkit.bounds.maxent.maxent_pairwise`, so S_R stays a valid bound at any IPF tolerance.
The per-modality form :math:`\min_{r \in \Delta} I_r(X_1;Y \mid X_2) - U_1` is *identical*:
for every :math:`r \in \Delta`, :math:`I_r(X_1;Y|X_2) - U_1 = R - I(X_1;X_2) + I_r(X_1;X_2|Y)`
(expand both with the fixed marginals), and likewise for :math:`X_2`; it adds nothing.

**S_U (disagreement).** With :math:`m = p(y \mid x_1, x_2)`, :math:`a = p(y \mid x_1)`,
:math:`b = p(y \mid x_2)`:
:math:`I(X_1;Y|X_2) + I(X_2;Y|X_1) = E_{p(x_1,x_2)}[KL(m \| b) + KL(m \| a)]`, and for all
distributions :math:`m`

.. math::

    KL(m \| a) + KL(m \| b) = 2 \sum_y m \log \frac{m}{\sqrt{ab}}
    \ge -2 \log \sum_y \sqrt{a(y) b(y)} = 2 D_B(a, b)

(equality at :math:`m \propto \sqrt{ab}`; :math:`D_B` is the Bhattacharyya distance). Hence
:math:`2S + U_1 + U_2 \ge 2\,E_{p(x_1,x_2)} D_B` and

.. math::

    S \ge S_U = \alpha - \tfrac{1}{2}(U_1 + U_2), \qquad
    \alpha = E_{p(x_1,x_2)}\Big[-\log \sum_y \sqrt{p(y|x_1)\, p(y|x_2)}\Big]

in the units of the logarithm (bits: :math:`\log_2`, constant 1). It implies the thesis form
:math:`\alpha - \max(U_1, U_2)`. The Pinsker route (:math:`KL \ge 2\,TV^2` nats
:math:`= 2\,TV^2/\ln 2` bits, and :math:`TV(m,a)^2 + TV(m,b)^2 \ge TV(a,b)^2/2` by the triangle
inequality) gives the weaker
:math:`S \ge \tfrac{1}{2}\big(E[TV(a,b)^2]/\ln 2 - U_1 - U_2\big)` bits, reported as
``diagnostics.S_U_pinsker``; :math:`D_B \ge TV^2/2` nats, so S_U dominates it. (Subtracting a
squared-L2 disagreement with constant 1 from bits is *not* valid.)

*S_U never beats the exact S_R on tables.* The same argument applies to the maximum-entropy
:math:`r^\star` (any :math:`r \in \Delta` has these conditionals :math:`a, b`), and
:math:`S_R = I_{r^\star}(X_1;Y|X_2) - U_1 = I_{r^\star}(X_2;Y|X_1) - U_2`, so
:math:`S_R \ge S_U`. S_U matters when its disagreement comes from classifiers
(:func:`~pidkit.bounds.estimate_synergy_bounds`) or when IPF stopped early.

**S_upper (min-entropy coupling).** :math:`S = H(X_1,X_2) + H(Y) - H(X_1,X_2,Y) - R - U_1 - U_2`,
and the joint of :math:`(X_1,X_2,Y)` is a coupling of :math:`p(x_1,x_2)` with :math:`p(y)`, of
:math:`p(x_1,y)` with :math:`p(x_2)` and of :math:`p(x_2,y)` with :math:`p(x_1)`. Each coupling has
entropy at least that of the majorization meet of its marginals
(:mod:`pidkit.bounds.coupling`), so with :math:`H_{min}` the largest of the three meet entropies

.. math::

    S \le \bar S = H(X_1,X_2) + H(Y) - H_{min} - R - U_1 - U_2.

(A greedy coupling's entropy over-estimates the minimum and would make :math:`\bar S` invalid.)
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from .._validation import check_positive_float, check_positive_int, check_prob_table, check_units
from ..estimators import decompose, decompose_many
from ..estimators.exact import DEFAULT_MAX_TABLE_BYTES, check_table_size
from ..exceptions import ConvergenceWarning, ShapeError
from ..info import entropy_nats, total_variation
from .accuracy import AccuracyBounds, _accuracy_arrays
from .coupling import meet_entropy
from .maxent import DEFAULT_IPF_MAX_ITER, DEFAULT_IPF_TOL, maxent_pairwise
from .result import BoundsDiagnostics, SynergyBounds, SynergyBoundsStack
from .tables import (
    BOUNDS_SUM_TOL,
    CONSISTENCY_TOL,
    DEFAULT_MAX_INCONSISTENCY,
    InconsistentMarginalsError,
    check_tables,
    measure_inconsistency,
    reconcile,
)

__all__ = ["synergy_bounds", "synergy_bounds_many"]

_PAIRINGS = ("(x1,x2)|y", "(x1,y)|x2", "(x2,y)|x1")


def _ent(p: np.ndarray) -> np.ndarray:
    """Entropy (nats) over all but the first (stack) axis."""
    return entropy_nats(p.reshape(p.shape[0], -1), axis=1)


def _conditional(p_xy: np.ndarray) -> np.ndarray:
    """p(y | x) from p(x, y) of shape (B, n, ny); rows of zero mass stay zero."""
    px = p_xy.sum(axis=2, keepdims=True)
    out = np.zeros_like(p_xy)
    np.divide(p_xy, px, out=out, where=px > 0)
    return out


def empirical_disagreement(p1: np.ndarray, p2: np.ndarray, p12: np.ndarray) -> tuple[np.ndarray, ...]:
    """Disagreement of p(y|x1) and p(y|x2) under p(x1,x2), stacked on the first axis.

    Returns
    -------
    alpha : ndarray (B,)
        Mean Bhattacharyya distance :math:`E[-\\log \\sum_y \\sqrt{p(y|x_1) p(y|x_2)}]` in nats
        (infinite where p(x1,x2) > 0 but the conditionals have disjoint supports, which no joint
        distribution allows).
    alpha_tv2 : ndarray (B,)
        Mean squared total variation :math:`E[TV^2]` (unitless).
    alpha_tv : ndarray (B,)
        Mean total variation :math:`E[TV]` (unitless), the usual "disagreement" of the thesis.
    """
    a, b = _conditional(p1), _conditional(p2)
    bc = np.einsum("bik,bjk->bij", np.sqrt(a), np.sqrt(b))
    tv = total_variation(a[:, :, None, :], b[:, None, :, :], axis=3)
    return _disagreement_from(p12, bc, tv)


def _disagreement_from(w: np.ndarray, bc: np.ndarray, tv: np.ndarray) -> tuple[np.ndarray, ...]:
    """Weighted means (weights ``w``, summing to 1 per stack row) of D_B = -log bc, TV^2 and TV."""
    pos = w > 0
    with np.errstate(divide="ignore"):
        db = np.where(pos, -np.log(np.where(pos, bc, 1.0)), 0.0)
    db = np.maximum(db, 0.0)  # BC <= 1 exactly; rounding can give -1e-16
    axes = tuple(range(1, w.ndim))
    wz = np.where(pos, w, 0.0)
    return (wz * db).sum(axis=axes), (wz * tv**2).sum(axis=axes), (wz * tv).sum(axis=axes)


def _core(p1, p2, p12, R, U1, U2, *, ipf_tol, ipf_max_iter, disagreement=None, maxent=None):
    """All bounds in nats for a stack (B, ...) of consistent tables; returns a dict of arrays."""
    py = p1.sum(axis=1)
    px1, px2 = p12.sum(axis=2), p12.sum(axis=1)
    h_y, h_12, h_1y, h_2y = _ent(py), _ent(p12), _ent(p1), _ent(p2)
    i_12 = _ent(px1) + _ent(px2) - h_12
    me = maxent if maxent is not None else maxent_pairwise(p12, p1, p2, tol=ipf_tol, max_iter=ipf_max_iter)
    min_cmi = h_1y + h_2y - h_y - me.entropy_upper
    S_R = R - i_12 + min_cmi
    alpha_db, alpha_tv2, alpha_tv = empirical_disagreement(p1, p2, p12)
    if disagreement is not None:
        alpha_db, alpha_tv2, alpha_tv = disagreement
    S_U = alpha_db - 0.5 * (U1 + U2)
    S_U_pinsker = 0.5 * (alpha_tv2 - U1 - U2)
    meets = np.stack(
        [meet_entropy(p12, py, stacked=True), meet_entropy(p1, px2, stacked=True), meet_entropy(p2, px1, stacked=True)],
        axis=1,
    )
    h_min = meets.max(axis=1)
    S_upper = h_12 + h_y - h_min - R - U1 - U2
    S_lower = np.maximum(np.maximum(S_R, S_U), 0.0)
    base = R + U1 + U2
    acc_lo, acc_hi, chance = _accuracy_arrays(base + S_lower, base + S_upper, py)
    return {
        "S_R": S_R,
        "S_U": S_U,
        "S_lower": S_lower,
        "S_upper": S_upper,
        "disagreement": alpha_db,
        "disagreement_tv": alpha_tv,
        "S_U_pinsker": S_U_pinsker,
        "info_lower": base + S_lower,
        "info_upper": base + S_upper,
        "accuracy_lower": acc_lo,
        "accuracy_upper": acc_hi,
        "chance": chance,
        "min_cmi": min_cmi,
        "i_12": i_12,
        "meets": meets,
        "h_min": h_min,
        "maxent": me,
    }


def _warn_ipf(me, ipf_tol: float, ipf_max_iter: int, stacklevel: int) -> None:
    bad = ~me.converged & ~me.infeasible
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        warnings.warn(
            f"IPF for the maximum-entropy joint stopped after {ipf_max_iter} iterations in {int(bad.sum())} of "
            f"{bad.size} problem(s) (marginal L1 error {me.marginal_error[i]:.2e} > ipf_tol={ipf_tol:g}, e.g. "
            f"problem {i}). S_R is still a valid lower bound (it uses a certified upper bound on the maximum "
            f"entropy; last entropy gap {float(me.entropy_gap[i]):.1e} nats) but may be looser than the exact S_R; "
            "raise ipf_max_iter or ipf_tol.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


def _check_ipf_opts(ipf_tol, ipf_max_iter):
    return check_positive_float("ipf_tol", ipf_tol), check_positive_int("ipf_max_iter", ipf_max_iter)


def synergy_bounds(
    p_x1y: Any,
    p_x2y: Any,
    p_x1x2: Any,
    *,
    units: str = "bits",
    max_inconsistency: float = DEFAULT_MAX_INCONSISTENCY,
    ipf_tol: float = DEFAULT_IPF_TOL,
    ipf_max_iter: int = DEFAULT_IPF_MAX_ITER,
    tol: float | None = None,
    max_table_bytes: int = DEFAULT_MAX_TABLE_BYTES,
) -> SynergyBounds:
    r"""Bounds on synergy (and on the Bayes accuracy) from the three pairwise tables.

    .. math::

        \max(0, S_R, S_U) \le S \le \bar S, \qquad
        S_R = R - I(X_1;X_2) + \min_{r \in \Delta} I_r(X_1;X_2|Y), \quad
        S_U = E_{p(x_1,x_2)} D_B\big(p(y|x_1), p(y|x_2)\big) - \tfrac{1}{2}(U_1 + U_2),

    .. math::

        \bar S = H(X_1,X_2) + H(Y) - H_{min} - R - U_1 - U_2,

    all in ``units``; see the module docstring of :mod:`pidkit.bounds.synergy` for the derivations.

    Parameters
    ----------
    p_x1y : array (|X1|, |Y|)
        :math:`p(x_1, y)` from labeled data of modality 1 (probabilities or integer counts).
    p_x2y : array (|X2|, |Y|)
        :math:`p(x_2, y)` from labeled data of modality 2.
    p_x1x2 : array (|X1|, |X2|)
        :math:`p(x_1, x_2)` from unlabeled paired data.
    units : {"bits", "nats"}
    max_inconsistency : float, default 0.05
        Largest total-variation distance accepted between the duplicated marginals of the inputs
        (p(x1) in p_x1y vs p_x1x2, p(x2) in p_x2y vs p_x1x2, p(y) in p_x1y vs p_x2y) and between
        each input table and its reconciled version. Smaller inconsistencies are reconciled (see
        :func:`pidkit.bounds.tables.reconcile`) and reported; larger ones raise
        :class:`~pidkit.bounds.InconsistentMarginalsError`.
    ipf_tol : float, default 1e-6
        IPF stops when the L1 error of every pairwise marginal is at most this.
    ipf_max_iter : int, default 20000
        IPF iteration budget; stopping early warns (:class:`~pidkit.exceptions.ConvergenceWarning`)
        but S_R stays valid (certified).
    tol : float, optional
        Duality-gap target of the exact solve of R, U1, U2 in ``units`` — :func:`pidkit.decompose`'s
        ``tol``, with its default (1e-8 bits).
    max_table_bytes : int
        Refuse inputs whose joint (|X1|, |X2|, |Y|) float64 table — what IPF and the PID work on —
        would exceed this many bytes (default 2 GiB), before anything is allocated
        (:class:`~pidkit.exceptions.TableTooLargeError`).

    Returns
    -------
    SynergyBounds
        ``R, U1, U2, S_R, S_U, S_lower, S_upper, disagreement, info_lower, info_upper, accuracy,
        units, diagnostics``.

    Raises
    ------
    InvalidPMFError, ShapeError
        A table is not a 2-D non-negative finite pmf/count table, or state counts disagree.
    InconsistentMarginalsError
        The tables disagree by more than ``max_inconsistency``, or admit no joint distribution.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros((2, 2, 2))
    >>> for a in (0, 1):
    ...     for b in (0, 1):
    ...         p[a, b, a ^ b] = 0.25                    # XOR: S = 1
    >>> res = synergy_bounds(p.sum(axis=1), p.sum(axis=0), p.sum(axis=2))
    >>> round(res.S_lower, 6), round(res.S_upper, 6)
    (0.0, 1.0)
    """
    return _bounds_from_tables(
        p_x1y, p_x2y, p_x1x2, units=units, max_inconsistency=max_inconsistency, ipf_tol=ipf_tol,
        ipf_max_iter=ipf_max_iter, tol=tol, stacklevel=4, max_table_bytes=max_table_bytes,
    )


def check_joint_size(p_x1y: Any, p_x2y: Any, max_table_bytes: int, *, stacked: bool = False) -> None:
    """Refuse inputs whose joint (B,) |X1| x |X2| x |Y| float64 table would exceed ``max_table_bytes``."""
    max_table_bytes = check_positive_int("max_table_bytes", max_table_bytes)
    try:
        s1, s2 = np.shape(p_x1y), np.shape(p_x2y)
    except ValueError:  # ragged: the table checks say what is wrong
        return
    if len(s1) == len(s2) == 2 + stacked:
        shape = ((s1[0],) if stacked else ()) + (s1[-2], s2[-2], s1[-1])
        check_table_size(shape, max_table_bytes, what="the joint table of these inputs")


def _bounds_from_tables(
    p_x1y: Any,
    p_x2y: Any,
    p_x1x2: Any,
    *,
    units: str,
    max_inconsistency: float,
    ipf_tol: float,
    ipf_max_iter: int,
    tol: float | None,
    disagreement_in: tuple[float, float, float] | None = None,
    disagreement_source: str = "empirical conditionals",
    stacklevel: int = 3,
    max_table_bytes: int = DEFAULT_MAX_TABLE_BYTES,
) -> SynergyBounds:
    """Implementation of :func:`synergy_bounds`.

    ``disagreement_in`` (nats: mean D_B, mean TV^2, mean TV) replaces the empirical disagreement.
    """
    t0 = time.perf_counter()
    check_joint_size(p_x1y, p_x2y, max_table_bytes)
    scale = check_units(units)
    max_inc = check_positive_float("max_inconsistency", max_inconsistency)
    ipf_tol, ipf_max_iter = _check_ipf_opts(ipf_tol, ipf_max_iter)
    p1, p2, p12, weights = check_tables(p_x1y, p_x2y, p_x1x2)
    inc = measure_inconsistency(p1, p2, p12)
    notes: list[str] = []
    if inc.max > max_inc:
        raise InconsistentMarginalsError(
            f"The three tables disagree more than max_inconsistency={max_inc:g} allows (total variation): "
            f"p(x1) in p_x1y vs p_x1x2 {inc.tv_x1:.4f}, p(x2) in p_x2y vs p_x1x2 {inc.tv_x2:.4f}, p(y) in p_x1y vs "
            f"p_x2y {inc.tv_y:.4f}. Expected tables estimated from the same population. Check that D1, D2 and DM "
            "are coded with the same Discretizers and come from the same distribution; raise max_inconsistency only "
            "if the gap is sampling noise."
        )
    reconciliation = None

    def _reconcile(p1, p2, p12):
        q1, q2, q12, rec = reconcile(p1, p2, p12, weights)
        worst = max(rec["tv_change"].values())
        if worst > max_inc:
            ch = rec["tv_change"]
            raise InconsistentMarginalsError(
                f"No joint distribution is close to all three tables: reconciling them moved p_x1y by "
                f"{ch['p_x1y']:.4f}, p_x2y by {ch['p_x2y']:.4f} and p_x1x2 by {ch['p_x1x2']:.4f} (total variation), "
                f"more than max_inconsistency={max_inc:g}. Expected tables of one population; use coarser "
                "discretizations (fewer clusters) or more samples, or raise max_inconsistency."
            )
        return q1, q2, q12, rec

    if inc.max > CONSISTENCY_TOL:
        p1, p2, p12, reconciliation = _reconcile(p1, p2, p12)
        notes.append(
            f"inputs inconsistent (max TV {inc.max:.2e}); bounds are for the reconciled tables "
            f"(max table change {max(reconciliation['tv_change'].values()):.2e})"
        )
    me = maxent_pairwise(p12[None], p1[None], p2[None], tol=ipf_tol, max_iter=ipf_max_iter)
    if me.infeasible[0] and reconciliation is None:  # pairwise consistent, yet no joint has these marginals
        p1, p2, p12, reconciliation = _reconcile(p1, p2, p12)
        notes.append(
            "inputs pairwise consistent but no joint distribution has all three as marginals; bounds are for the "
            f"reconciled tables (max table change {max(reconciliation['tv_change'].values()):.2e})"
        )
        me = maxent_pairwise(p12[None], p1[None], p2[None], tol=ipf_tol, max_iter=ipf_max_iter)
    py = p1.sum(axis=0)
    q0 = np.zeros((p1.shape[0], p2.shape[0], p1.shape[1]))
    np.divide(p1[:, None, :] * p2[None, :, :], py[None, None, :], out=q0, where=py[None, None, :] > 0)
    pid = decompose(q0, units="nats", tol=None if tol is None else tol * scale,
                    normalize=True)
    dis = None
    if disagreement_in is not None:
        dis = tuple(np.array([float(d)]) for d in disagreement_in)
    out = _core(p1[None], p2[None], p12[None], np.array([pid.R]), np.array([pid.U1]), np.array([pid.U2]),
                ipf_tol=ipf_tol, ipf_max_iter=ipf_max_iter, disagreement=dis, maxent=me)
    if me.infeasible[0]:
        raise InconsistentMarginalsError(
            "No joint distribution has the three (reconciled) tables as marginals (certified by the maximum-entropy "
            "dual bound). This should not happen after reconciliation; please report it with the tables."
        )
    _warn_ipf(me, ipf_tol, ipf_max_iter, stacklevel=stacklevel)
    if not me.converged[0]:
        notes.append("IPF did not converge: S_R is valid but possibly loose (see ipf_entropy_gap)")
    if disagreement_in is not None:
        notes.append("S_U uses classifier probabilities: valid only insofar as they equal the Bayes p(y|x_i)")
    k = int(np.argmax(out["meets"][0]))

    def v(key):
        return float(out[key][0]) / scale

    diag = BoundsDiagnostics(
        inconsistency=inc.to_dict(),
        max_inconsistency=max_inc,
        reconciled=reconciliation is not None,
        reconciliation=reconciliation,
        ipf_iterations=int(me.iterations[0]),
        ipf_marginal_error=float(me.marginal_error[0]),
        ipf_converged=bool(me.converged[0]),
        ipf_tol=ipf_tol,
        ipf_entropy_gap=float(me.entropy_gap[0]) / scale,
        min_cmi=v("min_cmi"),
        mutual_info_x1x2=v("i_12"),
        h_min=v("h_min"),
        h_min_pairing=_PAIRINGS[k],
        meet_entropies={name: float(out["meets"][0, j]) / scale for j, name in enumerate(_PAIRINGS)},
        disagreement_source=disagreement_source,
        disagreement_tv=float(out["disagreement_tv"][0]),
        S_U_pinsker=v("S_U_pinsker"),
        pid_solver=pid.diagnostics.solver,
        pid_duality_gap=None if pid.diagnostics.duality_gap is None else pid.diagnostics.duality_gap / scale,
        shape=(p1.shape[0], p2.shape[0], p1.shape[1]),
        time_s=time.perf_counter() - t0,
        notes=tuple(notes),
    )
    acc = AccuracyBounds(
        lower=float(out["accuracy_lower"][0]),
        upper=float(out["accuracy_upper"][0]),
        chance=float(out["chance"][0]),
        info_lower=v("info_lower"),
        info_upper=v("info_upper"),
        units=units,
    )
    return SynergyBounds(
        R=pid.R / scale,
        U1=pid.U1 / scale,
        U2=pid.U2 / scale,
        S_R=v("S_R"),
        S_U=v("S_U"),
        S_lower=v("S_lower"),
        S_upper=v("S_upper"),
        disagreement=v("disagreement"),
        info_lower=v("info_lower"),
        info_upper=v("info_upper"),
        accuracy=acc,
        units=units,
        diagnostics=diag,
    )


def _check_stack(arr: Any, name: str, axes: str) -> np.ndarray:
    # pmfs only (no counts, no normalize): the stack is meant for marginals of B full pmfs
    pmfs, _, _ = check_prob_table(
        arr,
        name=name,
        ndim=2,
        stacked=True,
        axes=axes,
        ndim_message="For one triple of tables use synergy_bounds.",
        ndim_error=ShapeError,
        empty_error=ShapeError,
        sum_tol=BOUNDS_SUM_TOL,
        counts=False,
        sum_fix="Each table must sum to 1: divide count tables by their sums, or pass them to synergy_bounds one "
        "triple at a time (it takes counts).",
    )
    return pmfs


def synergy_bounds_many(
    p_x1y: Any,
    p_x2y: Any,
    p_x1x2: Any,
    *,
    units: str = "bits",
    ipf_tol: float = DEFAULT_IPF_TOL,
    ipf_max_iter: int = DEFAULT_IPF_MAX_ITER,
    atoms: Any = None,
    max_table_bytes: int = DEFAULT_MAX_TABLE_BYTES,
) -> SynergyBoundsStack:
    """:func:`synergy_bounds` for B consistent triples at once (vectorized; R, U via decompose_many).

    Parameters
    ----------
    p_x1y, p_x2y, p_x1x2 : arrays (B, |X1|, |Y|), (B, |X2|, |Y|), (B, |X1|, |X2|)
        Pmfs whose duplicated marginals agree (within 1e-9 total variation), e.g. the marginals of
        B full joint pmfs. Inconsistent triples are refused; reconcile them one by one with
        :func:`synergy_bounds`.
    units : {"bits", "nats"}
    ipf_tol, ipf_max_iter :
        As in :func:`synergy_bounds`.
    atoms : PIDResultStack, optional
        R, U1, U2 already computed (by :func:`pidkit.decompose_many`) for B pmfs with these
        p(x1, y) and p(x2, y) — e.g. the full pmfs of a simulation, whose R, U1, U2 are the same
        since they depend on those two marginals only. Skips the PID solve.
    max_table_bytes : int
        Refuse a stack whose B joint (|X1|, |X2|, |Y|) float64 tables would exceed this many bytes
        (default 2 GiB), before anything is allocated.

    Returns
    -------
    SynergyBoundsStack
    """
    t0 = time.perf_counter()
    scale = check_units(units)
    ipf_tol, ipf_max_iter = _check_ipf_opts(ipf_tol, ipf_max_iter)
    check_joint_size(p_x1y, p_x2y, max_table_bytes, stacked=True)
    p1 = _check_stack(p_x1y, "p_x1y", "|X1|, |Y|")
    p2 = _check_stack(p_x2y, "p_x2y", "|X2|, |Y|")
    p12 = _check_stack(p_x1x2, "p_x1x2", "|X1|, |X2|")
    if not (p1.shape[0] == p2.shape[0] == p12.shape[0]) or p1.shape[1] != p12.shape[1] \
            or p2.shape[1] != p12.shape[2] or p1.shape[2] != p2.shape[2]:
        raise ShapeError(
            f"Stack shapes disagree: p_x1y {p1.shape}, p_x2y {p2.shape}, p_x1x2 {p12.shape}; expected "
            "(B, n1, ny), (B, n2, ny), (B, n1, n2)."
        )
    tv = np.maximum.reduce([
        total_variation(p1.sum(axis=2), p12.sum(axis=2), axis=1),
        total_variation(p2.sum(axis=2), p12.sum(axis=1), axis=1),
        total_variation(p1.sum(axis=1), p2.sum(axis=1), axis=1),
    ])
    if (tv > CONSISTENCY_TOL).any():
        i = int(np.argmax(tv))
        raise InconsistentMarginalsError(
            f"{int((tv > CONSISTENCY_TOL).sum())} triples have inconsistent duplicated marginals (worst: triple {i}, "
            f"total variation {tv[i]:.2e} > {CONSISTENCY_TOL:g}); synergy_bounds_many expects consistent tables. "
            "Use synergy_bounds on each triple, which reconciles and reports the inconsistency."
        )
    if atoms is None:
        py = p1.sum(axis=1)
        q0 = np.zeros((p1.shape[0], p1.shape[1], p2.shape[1], p1.shape[2]))
        np.divide(p1[:, :, None, :] * p2[:, None, :, :], py[:, None, None, :], out=q0,
                  where=py[:, None, None, :] > 0)
        pid = decompose_many(q0, units="nats", normalize=True)
        R, U1, U2 = pid.R, pid.U1, pid.U2
    else:
        f = check_units(atoms.units)
        R, U1, U2 = (np.asarray(getattr(atoms, k), dtype=np.float64) * f for k in ("R", "U1", "U2"))
        if R.shape != (p1.shape[0],):
            raise ShapeError(f"atoms holds {R.shape} values; expected one per triple ({p1.shape[0]}).")
    out = _core(p1, p2, p12, R, U1, U2, ipf_tol=ipf_tol, ipf_max_iter=ipf_max_iter)
    me = out["maxent"]
    if me.infeasible.any():
        raise InconsistentMarginalsError(
            f"{int(me.infeasible.sum())} triples admit no joint distribution (e.g. triple "
            f"{int(np.flatnonzero(me.infeasible)[0])}); use synergy_bounds on them to reconcile."
        )
    _warn_ipf(me, ipf_tol, ipf_max_iter, stacklevel=2)
    return SynergyBoundsStack(
        R=R / scale,
        U1=U1 / scale,
        U2=U2 / scale,
        S_R=out["S_R"] / scale,
        S_U=out["S_U"] / scale,
        S_lower=out["S_lower"] / scale,
        S_upper=out["S_upper"] / scale,
        disagreement=out["disagreement"] / scale,
        info_lower=out["info_lower"] / scale,
        info_upper=out["info_upper"] / scale,
        accuracy_lower=out["accuracy_lower"],
        accuracy_upper=out["accuracy_upper"],
        ipf_iterations=me.iterations,
        ipf_marginal_error=me.marginal_error,
        ipf_converged=me.converged,
        units=units,
        time_s=time.perf_counter() - t0,
    )
