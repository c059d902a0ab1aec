"""The interaction suite: two-modality classification data whose PID is known exactly.

A dataset of the suite is built from discrete latent *factors*, each uniform on ``{0, …, k-1}``
(``k = n_values``) and independent of the others, and one *component* per interaction:

=========  =========================  ======================  ==================================
component  factors                    seen by                 clean component label
=========  =========================  ======================  ==================================
``R``      ``a_R``                    x1 and x2               ``a_R``
``U1``     ``a_U1``                   x1                      ``a_U1``
``U2``     ``a_U2``                   x2                      ``a_U2``
``S``      ``a_S1``, ``a_S2``         x1 (a_S1), x2 (a_S2)    ``(a_S1 + a_S2) mod k`` (XOR at k=2)
=========  =========================  ======================  ==================================

Each active component's label passes through a symmetric noise channel (with probability ε_I it
is replaced by a uniform draw), and the task label is the tuple of the component labels,
``y = Σ_j k^(c-1-j) · y_(I_j)`` over the ``c`` active components in the order R, U1, U2, S. The
components are independent systems, and the BROJA decomposition is additive over independent
systems, so component I contributes exactly ``I(component; y_I)`` bits to atom I and nothing to
the others. ε_I is solved so that this is ``share_I · information``: the ``weights`` set each
interaction's share exactly and ``information`` the total ``I(X1, X2; Y)`` of the latents. Each
modality also sees ``n_nuisance`` factors of its own that the label ignores (structure without
task information, as real modalities have).

**Features.** Every factor of a modality becomes one coordinate, the factor's value
``v - (k-1)/2`` (unit spacing) plus Gaussian noise of standard deviation ``noise``; the
coordinates go through a seeded map ``x = B · tanh(A z + c)`` to ``dim`` features, with ``A``
of full column rank and ``B`` square and invertible, so the map is injective and loses nothing.

**What is exact, and how noise lowers the data's PID.** The stated atoms
(:attr:`InteractionSpec.atoms`) are those of the latent table (:meth:`InteractionSpec.latent_pmf`,
decomposed by :meth:`InteractionSpec.latent_pid`), and :attr:`InteractionSpec.bayes_accuracy` is
the accuracy of the best classifier that sees the latents. The features see the latents through
Gaussian noise, so by data processing ``I(X1,X2;Y)``, ``I(X1;Y)`` and ``I(X2;Y)`` of the
features are at most those of the latents, and their Bayes accuracy is at most the latent one.
By how much is computed, not guessed: the PID is unchanged by the injective map, the noisy
components are still independent systems, and each one's coordinates are one-dimensional, so
:meth:`InteractionSpec.feature_pid` decomposes each noisy component on a fine grid of its
coordinates (cell probabilities are exact normal-CDF differences) and adds the atoms. A grid can
only merge values, so its informations are lower bounds that rise to those of the features as
the grid is refined (the default 128 cells is within 2e-5 bits of 512 at the presets' noise).
With ``noise`` small against the unit spacing (the presets use 0.15: a factor's value is
misread from its coordinate with probability 4e-4) the features' PID is within a few
thousandths of a bit of the latent one; at ``noise=0.5`` a binary factor is misread 16% of the
time and the features keep 75% of the latent information of preset ``R`` but 42% of ``mix2``'s (a
synergistic component needs both of its factors read correctly).

**Presets.** :data:`SUITE_PRESETS` holds the ten synthetic datasets of the thesis (§3.3.1,
Table 3.2): ``R``, ``U1``, ``U2``, ``S`` (one interaction each) and ``mix1``-``mix6``, with
the thesis's ground-truth atoms (in bits) as their exact atoms and a fixed seed each;
:func:`suite_data` draws one. Any other mixture: :func:`interaction_data` or
:class:`InteractionSpec`.

Examples
--------
>>> from pidkit.synthetic import suite_data, interaction_data
>>> data = suite_data("mix4", n=2000)
>>> {a: round(v, 2) for a, v in data.spec.atoms.items()}
{'R': 0.22, 'U1': 0.0, 'U2': 0.0, 'S': 0.22}
>>> x1, x2, y = data                      # features (2000, 32) each, labels in 0..3
>>> round(data.pid.R, 6), round(data.bayes_accuracy, 3)
(0.22, 0.591)
>>> custom = interaction_data(1000, weights={"U1": 1, "S": 3}, information=0.8, random_state=0)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np
from scipy.special import ndtr

from .._validation import check_keys, check_positive_int, check_units, seed_from
from ..estimators.exact import decompose
from ..exceptions import ParameterError, TableTooLargeError
from ..result import ATOMS, Diagnostics, PIDResult

__all__ = [
    "INTERACTIONS",
    "SUITE_PRESETS",
    "InteractionSpec",
    "InteractionData",
    "interaction_data",
    "suite_data",
]

#: The kinds of interaction component, one per PID atom: the keys of ``weights``.
INTERACTIONS = ("R", "U1", "U2", "S")

#: Largest latent table :meth:`InteractionSpec.latent_pmf` builds (float64 cells: 160 MB).
MAX_LATENT_CELLS = 20_000_000

#: Certified gap asked of the grid decompositions of :meth:`InteractionSpec.feature_pid` (bits). Grid
#: tables hold normal-tail cells of ~1e-30 beside ~1e-2, where the native solver needs ~30 iterations
#: for 1e-6 but stalls at 200 for 1e-7 (noise 0.4, grids 128 and 256); a grid's own error, ~3e-4 bits
#: between 128 and 256 cells there, is far larger.
GRID_TOL_BITS = 1e-6

#: Ten datasets of the thesis (Table 3.2): exact atoms in bits (the thesis's ground truth) and seeds.
SUITE_PRESETS: dict[str, dict[str, Any]] = {
    "R": {"atoms": {"R": 0.58}, "seed": 1101, "thesis": "D_R: y from the shared latent"},
    "U1": {"atoms": {"U1": 0.56}, "seed": 1102, "thesis": "D_U1: y from x1's private latent"},
    "U2": {"atoms": {"U2": 0.54}, "seed": 1103, "thesis": "D_U2: y from x2's private latent"},
    "S": {"atoms": {"S": 0.56}, "seed": 1104, "thesis": "D_S: y from both private latents jointly"},
    "mix1": {"atoms": {"R": 0.13, "S": 0.27}, "seed": 1105, "thesis": "y = f(z1*, z2*, zc*)"},
    "mix2": {"atoms": {"U1": 0.25, "S": 0.25}, "seed": 1106, "thesis": "y = f(z1, z2*, zc*)"},
    "mix3": {"atoms": {"R": 0.18, "S": 0.36}, "seed": 1107, "thesis": "y = f(z1, z2, zc*)"},
    "mix4": {"atoms": {"R": 0.22, "S": 0.22}, "seed": 1108, "thesis": "y = f(z1*, z2*, zc)"},
    "mix5": {"atoms": {"R": 0.21, "U2": 0.21}, "seed": 1109, "thesis": "y = f(z2*, zc*)"},
    "mix6": {"atoms": {"R": 0.34, "U2": 0.17}, "seed": 1110, "thesis": "y = f(z2*, zc)"},
}
#: Samples a preset draws unless ``n`` is given.
PRESET_SAMPLES = 30_000


# ------------------------------------------------------------------------------ small helpers
def _entropy_bits(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def _channel(k: int, eps: float) -> np.ndarray:
    """Label channel C[a, y]: keep ``a`` with probability 1 - eps, else a uniform draw."""
    return (1.0 - eps) * np.eye(k) + eps / k


def _component_bits(k: int, eps: float) -> float:
    """Bits a uniform k-ary factor keeps through the channel: log2 k - H(channel row)."""
    return math.log2(k) - _entropy_bits(_channel(k, eps)[0])


def _solve_noise(k: int, bits: float) -> float:
    """The replacement probability eps at which the channel keeps ``bits`` bits (monotone in eps)."""
    from scipy.optimize import brentq

    if bits >= math.log2(k) * (1 - 1e-12):
        return 0.0
    return float(brentq(lambda e: _component_bits(k, e) - bits, 0.0, 1.0, xtol=1e-15, rtol=1e-15, maxiter=200))


def _positions(k: int) -> np.ndarray:
    """Coordinate of each factor value: unit spacing, centred on 0."""
    return np.arange(k, dtype=np.float64) - (k - 1) / 2.0


def _product(tables: Sequence[np.ndarray]) -> np.ndarray:
    """Joint table of independent systems: axis i of the result is the mixed-radix product of axes i."""
    out = tables[0]
    for t in tables[1:]:
        a, b = out.shape, t.shape
        out = np.einsum("abc,def->adbecf", out, t).reshape(a[0] * b[0], a[1] * b[1], a[2] * b[2])
    return out


def _mixed_radix(digits: list[np.ndarray], k: int, n: int) -> np.ndarray:
    """Codes from digits in base k, the first digit most significant (0 when there are none)."""
    code = np.zeros(n, dtype=np.int64)
    for d in digits:
        code = code * k + d
    return code


def _check_weights(weights: Any) -> dict[str, float]:
    if isinstance(weights, Mapping):
        check_keys("weights", weights, INTERACTIONS, hint="E.g. weights={'R': 1, 'S': 2}.")
        raw = {a: weights.get(a, 0.0) for a in INTERACTIONS}
    elif isinstance(weights, Sequence) and not isinstance(weights, str) and len(weights) == 4:
        raw = dict(zip(INTERACTIONS, weights, strict=True))
    else:
        raise ParameterError(
            f"weights must be a dict over {list(INTERACTIONS)} or a sequence of 4 numbers (R, U1, U2, S); "
            f"got {weights!r}."
        )
    vals = {}
    for a, v in raw.items():
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        if not ok or not math.isfinite(v) or v < 0:
            raise ParameterError(f"weights[{a!r}] must be a finite number >= 0; got {v!r}.")
        vals[a] = float(v)
    total = sum(vals.values())
    if total <= 0:
        raise ParameterError(f"weights must have a positive entry (the shares of R, U1, U2, S); got {weights!r}.")
    return {a: v / total for a, v in vals.items()}


# --------------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class InteractionSpec:
    """A population of the interaction suite: everything about it that is exact.

    Parameters
    ----------
    weights : dict or sequence of 4 numbers
        Relative shares of R, U1, U2, S (normalized; zeros drop the component), e.g.
        ``{"R": 1, "S": 2}``.
    information : float, default 0.5
        ``I(X1, X2; Y)`` of the latents in bits; atom I is exactly ``share_I · information``.
        Each component carries at most ``log2(n_values)`` bits.
    n_values : int >= 2, default 2
        Values of every factor; the label has ``n_values ** (active components)`` classes.
    noise : float >= 0, default 0.15
        Standard deviation of the Gaussian noise on each factor's coordinate (unit spacing
        between a factor's values). 0 makes the features a deterministic code of the latents.
    dim : int, default 32
        Features per modality (at least the number of factors the modality sees).
    n_nuisance : int >= 0, default 1
        Factors per modality that the label ignores.

    Attributes
    ----------
    shares : dict
        The normalized weights.
    active : tuple of str
        Components with a positive share, in the order R, U1, U2, S (the digits of the label).
    atoms : dict
        Exact atoms of the latent table in bits.
    label_noise : dict
        ε_I of each active component (probability its label is replaced by a uniform draw).
    bayes_accuracy : float
        Accuracy of the Bayes-optimal classifier given the latents: ``Π_I (1 - ε_I + ε_I / k)``.
    """

    weights: Any = field(compare=False)  # as given; compared through ``shares``
    information: float = 0.5
    n_values: int = 2
    noise: float = 0.15
    dim: int = 32
    n_nuisance: int = 1
    shares: dict = field(init=False, repr=False)
    label_noise: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shares = _check_weights(self.weights)
        k = check_positive_int("n_values", self.n_values, minimum=2)
        info = self.information
        if isinstance(info, bool) or not isinstance(info, (int, float, np.integer, np.floating)) \
                or not math.isfinite(info) or info <= 0:
            raise ParameterError(f"information must be a finite number of bits > 0; got {info!r}.")
        noise = self.noise
        if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) \
                or not math.isfinite(noise) or noise < 0:
            raise ParameterError(f"noise must be a finite number >= 0 (standard deviation); got {noise!r}.")
        check_positive_int("n_nuisance", self.n_nuisance, minimum=0)
        cap = math.log2(k)
        eps = {}
        for a, s in shares.items():
            if s == 0:
                continue
            bits = s * float(info)
            if bits > cap * (1 + 1e-12):
                raise ParameterError(
                    f"information={info} with share {s:.3g} asks component {a} for {bits:.4g} bits, but a factor "
                    f"with n_values={k} carries at most log2({k}) = {cap:.4g} bits. Lower information or raise "
                    "n_values."
                )
            eps[a] = _solve_noise(k, min(bits, cap))
        object.__setattr__(self, "shares", shares)
        object.__setattr__(self, "label_noise", eps)
        object.__setattr__(self, "information", float(info))
        object.__setattr__(self, "noise", float(noise))
        object.__setattr__(self, "n_values", k)
        need = max(len(self.factors("x1")), len(self.factors("x2")))
        check_positive_int("dim", self.dim, minimum=need)

    # ---------------------------------------------------------------------- structure
    @property
    def active(self) -> tuple[str, ...]:
        return tuple(a for a in INTERACTIONS if self.shares[a] > 0)

    @property
    def atoms(self) -> dict[str, float]:
        return {a: self.shares[a] * self.information for a in INTERACTIONS}

    @property
    def n_classes(self) -> int:
        return self.n_values ** len(self.active)

    def factors(self, modality: str) -> list[str]:
        """Names of the factors ``modality`` ("x1" or "x2") sees, in the order of its latent code."""
        own = {"x1": ("R", "U1", "S"), "x2": ("R", "U2", "S")}[modality]
        tag = {"x1": "1", "x2": "2"}[modality]
        names = [f"S{tag}" if a == "S" else a for a in own if a in self.active]
        return names + [f"N{tag}.{j}" for j in range(self.n_nuisance)]

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        k = self.n_values
        return (k ** len(self.factors("x1")), k ** len(self.factors("x2")), self.n_classes)

    @property
    def bayes_accuracy(self) -> float:
        k = self.n_values
        return float(np.prod([1.0 - e + e / k for e in self.label_noise.values()]))

    # ------------------------------------------------------------------------ tables
    def _component_tables(self) -> list[np.ndarray]:
        """Latent tables of the components, then the nuisance factors, in the order of the latent codes."""
        k = self.n_values
        tables = []
        for a in INTERACTIONS:
            if a not in self.active:
                continue
            c = _channel(k, self.label_noise[a])
            if a == "R":
                t = np.zeros((k, k, k))
                t[np.arange(k), np.arange(k)] = c / k
            elif a == "U1":
                t = (c / k)[:, None, :]
            elif a == "U2":
                t = (c / k)[None, :, :]
            else:
                s = (np.arange(k)[:, None] + np.arange(k)[None, :]) % k
                t = c[s] / k**2
            tables.append(t)
        tables += [np.full((k, 1, 1), 1.0 / k)] * self.n_nuisance
        tables += [np.full((1, k, 1), 1.0 / k)] * self.n_nuisance
        return tables

    def latent_pmf(self) -> np.ndarray:
        """The exact joint pmf of (x1's latent state, x2's latent state, y).

        Axes are the latent codes of :class:`InteractionData` (``latent1``, ``latent2``) and the
        label. Refused with :class:`~pidkit.exceptions.TableTooLargeError` above 2e7 cells.
        """
        cells = int(np.prod(self.latent_shape, dtype=np.float64))
        if cells > MAX_LATENT_CELLS:
            raise TableTooLargeError(
                f"the latent table would have {' x '.join(map(str, self.latent_shape))} = {cells:,} cells, above "
                f"{MAX_LATENT_CELLS:,}. Use fewer n_values or n_nuisance; the atoms are exact anyway (spec.atoms)."
            )
        return _product(self._component_tables())

    def latent_pid(self, **options: Any):
        """:func:`pidkit.decompose` of :meth:`latent_pmf` (``options`` are passed on)."""
        return decompose(self.latent_pmf(), **options)

    def _noisy_components(self, grid: int) -> list[np.ndarray]:
        """Each active component's table with its latent coordinates replaced by grid cells."""
        k, sigma = self.n_values, self.noise
        pos = _positions(k)
        if sigma == 0:
            obs = np.eye(k)
        else:
            half = (k - 1) / 2.0 + 6.0 * sigma
            edges = np.linspace(-half, half, grid + 1)
            edges[0], edges[-1] = -np.inf, np.inf
            obs = np.diff(ndtr((edges[None, :] - pos[:, None]) / sigma), axis=1)  # P(cell | value)
        out = []
        tables = self._component_tables()[: len(self.active)]  # nuisance factors carry no information
        for a, t in zip(self.active, tables, strict=True):
            # a component's x-axis is a factor (size k) or absent (size 1)
            o1 = obs if t.shape[0] == k else np.ones((1, 1))
            o2 = obs if t.shape[1] == k else np.ones((1, 1))
            out.append((a, np.einsum("aby,ag,bh->ghy", t, o1, o2)))
        return out

    def feature_pid(self, *, grid: int = 128, units: str = "bits"):
        """PID of the *features* (not the latents), computed on a grid of each noisy coordinate.

        The map to features is injective, so the features' PID is that of the noisy latent
        coordinates; the components stay independent systems, so the atoms are the sums of the
        components' decompositions, each on a ``grid × grid × k`` table of exact cell
        probabilities. Grid informations are lower bounds that increase to the features' values as
        ``grid`` grows. Returns a :class:`~pidkit.PIDResult` whose duality gap is the sum of the
        components' certified gaps (nuisance factors carry no information and are left out).
        """
        grid = check_positive_int("grid", grid, minimum=2)
        tol = GRID_TOL_BITS * math.log(2.0) / check_units(units)
        keys = (*ATOMS, "total", "I1", "I2")
        sums = dict.fromkeys(keys, 0.0)
        gap, iters, viol, time_s = 0.0, 0, 0.0, 0.0
        for _, table in self._noisy_components(grid):
            r = decompose(table, units=units, normalize=True, tol=tol)
            for key in keys:
                sums[key] += getattr(r, key)
            gap += r.diagnostics.duality_gap or 0.0
            iters += r.diagnostics.iterations or 0
            viol = max(viol, r.diagnostics.max_marginal_violation)
            time_s += r.diagnostics.time_s
        diag = Diagnostics(
            solver="sum of component decompositions", status="optimal", iterations=iters,
            max_marginal_violation=viol, duality_gap=gap, time_s=time_s,
            notes=(f"features' PID with noise={self.noise}: each independent component decomposed on a grid of "
                   f"{grid} cells per noisy coordinate (lower bounds on the informations, tight as the grid grows)",),
        )
        shape = (grid ** len(self.factors("x1")), grid ** len(self.factors("x2")), self.n_classes)
        return PIDResult(**sums, units=units, estimator="cvx", n_samples=None, shape=shape, diagnostics=diag)

    def feature_bayes_accuracy(self, *, grid: int = 128) -> float:
        """Accuracy of the Bayes-optimal classifier given the features (grid of :meth:`feature_pid`).

        The label is a tuple of independent component labels, so this is the product of the
        components' Bayes accuracies; a grid can only lower it, so it is a lower bound that
        rises with ``grid`` (and at most :attr:`bayes_accuracy`).
        """
        grid = check_positive_int("grid", grid, minimum=2)
        return float(np.prod([t.max(axis=2).sum() for _, t in self._noisy_components(grid)]))

    # ------------------------------------------------------------------------ samples
    def sample(self, n: int, *, random_state: Any = None) -> InteractionData:
        """Draw ``n`` samples (features, labels and the latents behind them).

        The feature map is drawn from ``random_state`` alone, so the same seed gives the same map
        for every ``n``.
        """
        n = check_positive_int("n", n)
        seed = seed_from(random_state)
        map_ss, data_ss = np.random.SeedSequence(seed).spawn(2)
        map_rng, rng = np.random.default_rng(map_ss), np.random.default_rng(data_ss)
        k = self.n_values
        f1, f2 = self.factors("x1"), self.factors("x2")
        maps = {m: _random_map(len(f), self.dim, k, map_rng) for m, f in (("x1", f1), ("x2", f2))}

        # one draw per factor: the shared factor R is in both lists but drawn once
        values: dict[str, np.ndarray] = {name: rng.integers(0, k, n) for name in dict.fromkeys(f1 + f2)}
        parts = []
        for a in self.active:  # R, U1, U2 are named after their factor
            lab = (values["S1"] + values["S2"]) % k if a == "S" else values[a].copy()
            swap = rng.random(n) < self.label_noise[a]
            lab[swap] = rng.integers(0, k, int(swap.sum()))
            parts.append(lab)
        y = _mixed_radix(parts, k, n)
        pos = _positions(k)
        out: dict[str, np.ndarray] = {}
        for m, names in (("x1", f1), ("x2", f2)):
            vals = np.stack([values[f] for f in names], axis=1)
            z = pos[vals] + self.noise * rng.standard_normal(vals.shape)
            out[m], out["z" + m[1]], out["latent" + m[1]] = maps[m](z), z, _mixed_radix(list(vals.T), k, n)
        return InteractionData(
            x1=out["x1"], x2=out["x2"], y=y, spec=self, seed=seed,
            latent1=out["latent1"], latent2=out["latent2"], z1=out["z1"], z2=out["z2"],
            label_parts=np.stack(parts, axis=1),
        )

    def to_dict(self) -> dict[str, Any]:
        """Generator parameters, shares, atoms and label noise as plain Python types."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        d["weights"] = dict(self.shares)
        d.update(atoms=self.atoms, label_noise=dict(self.label_noise), n_classes=self.n_classes,
                 bayes_accuracy=self.bayes_accuracy)
        return d


def _random_map(f: int, dim: int, k: int, rng: np.random.Generator):
    """Seeded injective map R^f -> R^dim: ``B · tanh(A z + c)``, A of full column rank, B invertible."""
    spread = max((k - 1) / 2.0, 0.5)
    a = rng.standard_normal((f, dim)) * (1.5 / (math.sqrt(f) * spread))
    c = 0.5 * rng.standard_normal(dim)
    b = rng.standard_normal((dim, dim)) / math.sqrt(dim)

    def apply(z: np.ndarray) -> np.ndarray:
        return np.tanh(z @ a + c) @ b

    return apply


# ---------------------------------------------------------------------------------- samples
@dataclass(frozen=True, eq=False)
class InteractionData:
    """Samples of an :class:`InteractionSpec`; unpacks as ``x1, x2, y = data``.

    Attributes
    ----------
    x1, x2 : ndarray of float64, shape (n, dim)
        The two modalities' features.
    y : ndarray of int64, shape (n,)
        Labels ``0 … n_classes-1`` (mixed-radix tuple of the component labels).
    spec : InteractionSpec
        The population (exact atoms, Bayes accuracy, latent table, features' PID).
    seed : int or None
        The seed the samples and the feature map were drawn with.
    latent1, latent2 : ndarray of int64, shape (n,)
        Each sample's latent state per modality: the axes of ``spec.latent_pmf()``.
    z1, z2 : ndarray of float64, shape (n, factors)
        The noisy factor coordinates before the feature map (columns: ``spec.factors("x1")``).
    label_parts : ndarray of int64, shape (n, active components)
        The (noisy) component labels whose tuple is ``y`` (columns: ``spec.active``).
    pid : PIDResult
        ``decompose`` of the latent table (computed on first access).
    """

    x1: np.ndarray
    x2: np.ndarray
    y: np.ndarray
    spec: InteractionSpec
    seed: int | None
    latent1: np.ndarray
    latent2: np.ndarray
    z1: np.ndarray
    z2: np.ndarray
    label_parts: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.x1, self.x2, self.y))

    def __len__(self) -> int:
        return int(self.y.size)

    @cached_property
    def pid(self):
        return self.spec.latent_pid()

    @property
    def atoms(self) -> dict[str, float]:
        return self.spec.atoms

    @property
    def bayes_accuracy(self) -> float:
        return self.spec.bayes_accuracy

    def bayes_proba(self) -> np.ndarray:
        """p(y | x1, x2) of the generating model for every sample: the Bayes-optimal classifier.

        Exact: the posterior of each factor given its noisy coordinate (equal priors, Gaussian
        noise), combined per component through the label channel. Shape (n, n_classes).
        """
        spec, k = self.spec, self.spec.n_values
        pos = _positions(k)

        def posterior(z: np.ndarray) -> np.ndarray:  # p(value | coordinate), (n, k)
            if spec.noise == 0:
                return np.eye(k)[np.abs(z[:, None] - pos[None, :]).argmin(1)]
            ll = -0.5 * ((z[:, None] - pos[None, :]) / spec.noise) ** 2
            ll -= ll.max(1, keepdims=True)
            w = np.exp(ll)
            return w / w.sum(1, keepdims=True)

        col1 = {f: i for i, f in enumerate(spec.factors("x1"))}
        col2 = {f: i for i, f in enumerate(spec.factors("x2"))}
        proba = np.ones((len(self), 1))
        for a in spec.active:
            c = _channel(k, spec.label_noise[a])
            if a == "R":
                w = posterior(self.z1[:, col1["R"]]) * posterior(self.z2[:, col2["R"]])
                pa = w / w.sum(1, keepdims=True)
            elif a == "U1":
                pa = posterior(self.z1[:, col1["U1"]])
            elif a == "U2":
                pa = posterior(self.z2[:, col2["U2"]])
            else:  # distribution of (a1 + a2) mod k: a circular convolution
                p1, p2 = posterior(self.z1[:, col1["S1"]]), posterior(self.z2[:, col2["S2"]])
                pa = np.zeros_like(p1)
                for shift in range(k):
                    pa += p1[:, [shift]] * np.roll(p2, shift, axis=1)
            py = pa @ c
            proba = (proba[:, :, None] * py[:, None, :]).reshape(len(self), -1)
        return proba

    def __repr__(self) -> str:
        s = self.spec
        atoms = ", ".join(f"{a}={v:.3g}" for a, v in s.atoms.items() if v > 0)
        return (
            f"InteractionData(n={len(self)}, dim={s.dim}, classes={s.n_classes}, noise={s.noise}, "
            f"atoms: {atoms} bits, Bayes accuracy {s.bayes_accuracy:.3f}, seed={self.seed})"
        )


def interaction_data(
    n: int,
    *,
    weights: Any,
    information: float = 0.5,
    n_values: int = 2,
    noise: float = 0.15,
    dim: int = 32,
    n_nuisance: int = 1,
    random_state: Any = None,
) -> InteractionData:
    """Draw ``n`` samples of any mixture of the suite (see :class:`InteractionSpec` for the parameters)."""
    spec = InteractionSpec(weights, information=information, n_values=n_values, noise=noise, dim=dim,
                           n_nuisance=n_nuisance)
    return spec.sample(n, random_state=random_state)


def suite_data(name: str, n: int | None = None, *, random_state: Any = None, **spec_options: Any) -> InteractionData:
    """One of the ten thesis datasets (:data:`SUITE_PRESETS`): ``R``, ``U1``, ``U2``, ``S``, ``mix1``-``mix6``.

    Parameters
    ----------
    name : str
    n : int, optional
        Samples (default ``PRESET_SAMPLES`` = 30,000).
    random_state : optional
        Defaults to the preset's fixed seed, so ``suite_data(name)`` is the same data every time.
    **spec_options
        Overrides of ``noise``, ``dim``, ``n_values``, ``n_nuisance`` (the atoms are the preset's).
    """
    if name not in SUITE_PRESETS:
        raise ParameterError(f"name must be one of {list(SUITE_PRESETS)}; got {name!r}.")
    check_keys("suite_data", spec_options, ("noise", "dim", "n_values", "n_nuisance"), noun="option",
               hint="Besides them it takes n and random_state.")
    atoms = SUITE_PRESETS[name]["atoms"]
    spec = InteractionSpec(dict(atoms), information=sum(atoms.values()), **spec_options)
    seed = SUITE_PRESETS[name]["seed"] if random_state is None else random_state
    return spec.sample(PRESET_SAMPLES if n is None else n, random_state=seed)
