"""Other PID measures (mmi, imin, ccs) and lattices of three and four sources (pidkit.measures)."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pidkit as pid
from pidkit.exceptions import ParameterError
from pidkit.measures import LatticePIDResult, lattice

LN2 = math.log(2.0)


def uniform(events, shape):
    p = np.zeros(shape)
    for e in events:
        p[tuple(int(c) for c in e)] += 1
    return p / p.sum()


# --------------------------------------------------------------------------------------------
# An independent reference: dict-based distributions, loops, the lattice by brute force
# --------------------------------------------------------------------------------------------

def ref_lattice(n):
    """Antichains by brute force over sets of collections, and the order by its definition."""
    colls = [frozenset(c) for k in range(1, n + 1) for c in itertools.combinations(range(1, n + 1), k)]
    nodes = []
    for r in range(1, len(colls) + 1):
        for sub in itertools.combinations(colls, r):
            if all(not (a <= b) for a, b in itertools.permutations(sub, 2)):
                nodes.append(frozenset(sub))
    def leq(a, b):  # a <= b
        return all(any(x <= y for x in a) for y in b)
    return nodes, leq


def ref_name(node):
    return "".join("{" + "".join(map(str, sorted(c))) + "}" for c in sorted(node, key=lambda c: (len(c), sorted(c))))


def marg(p, keep):
    """Marginal dict {(values of keep axes): prob} of a dict distribution {outcome tuple: prob}."""
    out = {}
    for o, v in p.items():
        k = tuple(o[i] for i in keep)
        out[k] = out.get(k, 0.0) + v
    return out


def as_dict(arr):
    return {idx: float(v) for idx, v in np.ndenumerate(arr) if v > 0}


def ref_mi(p, src, ylab):
    pay, pa, py = marg(p, src + (ylab,)), marg(p, src), marg(p, (ylab,))
    return sum(v * math.log(v / (pa[k[:-1]] * py[k[-1:]])) for k, v in pay.items())


def ref_spec(p, src, ylab, y):
    pay, pa, py = marg(p, src + (ylab,)), marg(p, src), marg(p, (ylab,))
    return sum(v / py[(y,)] * math.log(v / (pa[k[:-1]] * py[(y,)])) for k, v in pay.items() if k[-1] == y)


#: Marginal errors the reference's plain IPF ended with: where the maximum-entropy table has zeros the
#: marginals do not show (AND, gband), plain IPF creeps like 1/k and the reference is only ~1e-6 exact.
REF_IPF_ERRORS: list[float] = []


def ref_maxent(p, colls, ylab):
    """Max-entropy dict over the union's cells keeping p(sources joint) and every p(collection, y): plain IPF."""
    union = tuple(sorted(set().union(*colls)))
    pu = marg(p, union + (ylab,))
    psrc = marg(p, union)
    ys = sorted({k[0] for k in marg(p, (ylab,))})
    cells = [s + (y,) for s in psrc for y in ys]
    q = {c: psrc[c[:-1]] / len(ys) for c in cells}
    pos = {a: i for i, a in enumerate(union)}
    keys = [tuple(pos[a] for a in sorted(c)) for c in colls]
    targets = [marg(pu, k + (len(union),)) for k in keys]
    for _ in range(20000):
        for k, t in zip(keys, targets, strict=True):
            m = marg(q, k + (len(union),))
            q = {c: (v * t.get(tuple(c[i] for i in k) + c[-1:], 0.0) / m[tuple(c[i] for i in k) + c[-1:]]
                     if m[tuple(c[i] for i in k) + c[-1:]] > 0 else 0.0) for c, v in q.items()}
        m = marg(q, tuple(range(len(union))))
        q = {c: v * psrc[c[:-1]] / m[c[:-1]] if m[c[:-1]] > 0 else 0.0 for c, v in q.items()}
        err = max(abs(marg(q, k + (len(union),)).get(kk, 0.0) - vv) for k, t in zip(keys, targets, strict=True)
                  for kk, vv in t.items())
        if err < 1e-15:
            break
    REF_IPF_ERRORS.append(err)
    return {c: v for c, v in q.items() if v > 0}, keys, len(union)


def ref_ccs(p, colls, ylab):
    if len(colls) == 1:
        return ref_mi(p, tuple(sorted(colls[0])), ylab)
    q, keys, ny_axis = ref_maxent(p, colls, ylab)
    items = [k for k in keys] + [(ny_axis,)]
    total = 0.0
    for e, v in q.items():
        def lm(axes, e=e):
            axes = tuple(sorted(set(axes)))
            return math.log(marg(q, axes)[tuple(e[a] for a in axes)])
        c = sum((-1) ** len(sub) * lm(sum(sub, ())) for r in range(1, len(items) + 1)
                for sub in itertools.combinations(items, r))
        sgn = lambda x: 0 if abs(x) <= 1e-9 else (1 if x > 0 else -1)  # noqa: E731
        locs = [lm(k + (ny_axis,)) - lm(k) - lm((ny_axis,)) for k in keys]
        src = tuple(range(ny_axis))
        joint = lm(src + (ny_axis,)) - lm(src) - lm((ny_axis,))
        if all(sgn(x) == sgn(c) for x in locs) and sgn(joint) == sgn(c):
            total += v * c
    return total


def ref_pid(arr, measure):
    """Atoms (bits) by name, computed with loops from the definitions."""
    n = arr.ndim - 1
    p = as_dict(arr)
    ylab = n
    ys = sorted({k[0] for k in marg(p, (ylab,))})
    py = marg(p, (ylab,))
    nodes, leq = ref_lattice(n)
    red = {}
    for node in nodes:
        colls = [tuple(sorted(a - 1 for a in c)) for c in node]
        if measure == "mmi":
            red[node] = min(ref_mi(p, c, ylab) for c in colls)
        elif measure == "imin":
            red[node] = sum(py[(y,)] * min(ref_spec(p, c, ylab, y) for c in colls) for y in ys)
        else:
            red[node] = ref_ccs(p, [set(c) for c in colls], ylab)
    atoms = {}
    for node in sorted(nodes, key=lambda a: sum(leq(b, a) for b in nodes)):  # topological
        atoms[node] = red[node] - sum(atoms[b] for b in nodes if b != node and leq(b, node))
    return {ref_name(k): v / LN2 for k, v in atoms.items()}


GATES = {
    "xor": uniform(["000", "011", "101", "110"], (2, 2, 2)),
    "and": uniform(["000", "010", "100", "111"], (2, 2, 2)),
    "rdn": uniform(["000", "111"], (2, 2, 2)),
    "unq1": uniform(["000", "011", "100", "111"], (2, 2, 2)),
    "copy": uniform(["000", "011", "102", "113"], (2, 2, 4)),
    "sum": uniform(["000", "011", "101", "112"], (2, 2, 3)),
    "reduced_or": np.array([[[0.5, 0], [0, 0.25]], [[0, 0.25], [0, 0]]]),
    "prob_1": uniform(["000", "001", "010", "011", "100"], (2, 2, 2)),
    "gband": uniform(["000", "010", "100", "111", "222", "232", "322", "333"], (4, 4, 4)),
}


# --------------------------------------------------------------------------------------------
# The lattice
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n,size", [(1, 1), (2, 4), (3, 18), (4, 166)])
def test_lattice_sizes_names_and_order_match_brute_force(n, size):
    lat = lattice(n)
    assert lat.size == size
    nodes, leq = ref_lattice(n) if n <= 3 else (None, None)
    assert lat.names[0] == "".join(f"{{{i}}}" for i in range(1, n + 1))
    assert lat.names[-1] == "{" + "".join(map(str, range(1, n + 1))) + "}"
    assert len(set(lat.names)) == size
    # topological: the below matrix is lower triangular, reflexive
    assert np.all(np.triu(lat.below, 1) == 0) and np.all(np.diag(lat.below))
    if nodes is not None:
        by_name = {ref_name(a): a for a in nodes}
        assert set(by_name) == set(lat.names)
        for i, a in enumerate(lat.names):
            for j, b in enumerate(lat.names):
                assert lat.below[i, j] == leq(by_name[b], by_name[a])


def test_lattice_of_five_sources_and_mobius_of_four():
    assert lattice(5).size == 7579
    m = lattice(4).mobius
    assert np.array_equal(m, np.rint(m)) and np.allclose(m @ lattice(4).below.astype(float), np.eye(166))


def test_names_follow_the_notation():
    names = set(lattice(3).names)
    assert {"{1}{2}{3}", "{1}{2}", "{12}{13}", "{1}{23}", "{123}", "{3}{12}", "{12}{13}{23}"} <= names
    assert "{23}{1}" not in names and "{13}{12}" not in names
    assert LatticePIDResult.order_of("{1}{23}") == 1 and LatticePIDResult.order_of("{12}{13}") == 2


# --------------------------------------------------------------------------------------------
# Two sources: against the independent computation, and published values
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("measure", ["mmi", "imin", "ccs"])
@pytest.mark.parametrize("gate", sorted(GATES))
def test_two_source_measures_match_independent_values_on_gates(measure, gate):
    res = pid.decompose(GATES[gate], measure=measure)
    REF_IPF_ERRORS.clear()
    ref = ref_pid(GATES[gate], measure)
    # where the reference's IPF could not converge, pidkit's LP-restricted IPF is checked against the
    # published values (test_published_values) and the reference bounds it loosely
    tol = 1e-9 if max(REF_IPF_ERRORS, default=0.0) < 1e-13 else 1e-5
    got = {"{1}{2}": res.R, "{1}": res.U1, "{2}": res.U2, "{12}": res.S}
    for k in got:
        assert abs(got[k] - ref[k]) <= tol, (k, got[k], ref[k])
    assert res.measure == measure and f"measure '{measure}'" in str(res)
    assert res.consistency_error() <= 1e-12


@pytest.mark.parametrize("measure", ["mmi", "imin", "ccs"])
@pytest.mark.parametrize("seed", range(4))
def test_two_source_measures_match_independent_values_on_random_tables(measure, seed):
    rng = np.random.default_rng(seed)
    shape = [(2, 2, 2), (3, 2, 2), (2, 3, 3), (3, 3, 2)][seed]
    p = rng.dirichlet(np.ones(np.prod(shape))).reshape(shape)
    res = pid.decompose(p, measure=measure)
    ref = ref_pid(p, measure)
    assert abs(res.R - ref["{1}{2}"]) <= 1e-9 and abs(res.U1 - ref["{1}"]) <= 1e-9
    assert abs(res.U2 - ref["{2}"]) <= 1e-9 and abs(res.S - ref["{12}"]) <= 1e-9


def test_published_values():
    # Williams-Beer / MMI on dit's 'prob 1'; CCS on 'gband' and the AND gate (Ince 2017)
    for m in ("imin", "mmi"):
        r = pid.decompose(GATES["prob_1"], measure=m)
        assert r.R == pytest.approx(0.019973094021974794, abs=1e-12)
        assert r.U1 == pytest.approx(0.15097750043269376, abs=1e-12)
        assert abs(r.U2) < 1e-12 and abs(r.S) < 1e-12
    r = pid.decompose(GATES["gband"], measure="ccs")
    assert (r.R, r.U1, r.U2) == pytest.approx((0.81127812445913283, 0.5, 0.5), abs=1e-9) and abs(r.S) < 1e-9
    r = pid.decompose(GATES["and"], measure="ccs")
    assert (r.R, r.U1, r.S) == pytest.approx((0.10375937481971, 0.20751874963942, 0.29248125036058), abs=1e-9)
    # I_min credits the copy of two independent bits as fully redundant (its known failure); MMI too
    r = pid.decompose(GATES["copy"], measure="imin")
    assert r.R == pytest.approx(1.0, abs=1e-12) and r.S == pytest.approx(1.0, abs=1e-12)
    assert pid.decompose(GATES["copy"]).R == pytest.approx(0.0, abs=1e-6)  # BROJA: two unique bits


def test_three_source_published_values():
    s = uniform(["0000", "0011", "0101", "0112", "1001", "1012", "1102", "1113"], (2, 2, 2, 4))
    for m in ("imin", "mmi"):
        a = pid.decompose(s, measure=m).atoms
        assert a["{1}{2}{3}"] == pytest.approx(0.31127812445913294, abs=1e-12)
        assert a["{12}{13}{23}"] == pytest.approx(0.5, abs=1e-12)
        assert a["{123}"] == pytest.approx(1.0, abs=1e-12)
        assert sum(abs(v) for k, v in a.items() if k not in ("{1}{2}{3}", "{12}{13}{23}", "{123}")) < 1e-12
    anddup = uniform(["0000", "0100", "1010", "1111"], (2, 2, 2, 2))
    a = pid.decompose(anddup, measure="ccs").atoms
    # dit's values, its sources 0, 1, 2 renamed 1, 2, 3
    expect = {"{1}{2}{3}": 0.10375937481971094, "{1}{3}": 0.20751874963942191, "{2}": 0.20751874963942191}
    expect.update(dict.fromkeys(["{3}{12}", "{1}{23}", "{12}{13}", "{12}{23}", "{13}{23}", "{123}"],
                                0.14624062518028902))
    expect.update(dict.fromkeys(["{3}", "{1}", "{12}{13}{23}", "{13}"], -0.14624062518028902))
    for k, v in a.items():
        assert v == pytest.approx(expect.get(k, 0.0), abs=1e-9), k


@pytest.mark.parametrize("measure", ["mmi", "imin", "ccs"])
def test_three_sources_match_the_independent_computation(measure):
    p = np.random.default_rng(7).dirichlet(np.ones(16)).reshape(2, 2, 2, 2)
    res = pid.decompose(p, measure=measure)
    ref = ref_pid(p, measure)
    assert max(abs(res.atoms[k] - ref[k]) for k in ref) <= 1e-9


# --------------------------------------------------------------------------------------------
# Lattices: identities, parity, copies
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("measure", ["mmi", "imin", "ccs"])
@pytest.mark.parametrize("n", [3, 4])
def test_lattice_identities_on_random_tables(measure, n):
    rng = np.random.default_rng(n)
    shape = (3,) * n + (3,) if n == 3 else (2, 3, 2, 2, 3)
    p = rng.dirichlet(np.ones(np.prod(shape))).reshape(shape)
    res = pid.decompose(p, measure=measure)
    assert isinstance(res, LatticePIDResult) and len(res.atoms) == {3: 18, 4: 166}[n]
    assert sum(res.atoms.values()) == pytest.approx(res.total, abs=1e-12)
    assert res.consistency_error() < 1e-12  # atoms below every node sum to its redundancy
    flat = p.reshape(-1, shape[-1])
    py = flat.sum(axis=0)
    for i in range(n):
        pxy = p.sum(axis=tuple(a for a in range(n) if a != i))
        px = pxy.sum(axis=1, keepdims=True)
        mi = float(np.sum(pxy * np.log2(pxy / (px * py))))
        below = sum(v for k, v in res.atoms.items() if any(c == str(i + 1) for c in k.strip("{}").split("}{")))
        assert below == pytest.approx(mi, abs=1e-12)  # nodes <= {i}: those with the singleton collection {i}
        assert res.informations[f"X{i + 1}"] == pytest.approx(mi, abs=1e-12)
    if measure != "ccs":
        assert min(res.redundancy.values()) >= -1e-12


@pytest.mark.parametrize("measure", ["mmi", "imin", "ccs"])
def test_parity_is_on_top_and_copies_on_the_bottom(measure):
    parity = np.zeros((2, 2, 2, 2))
    for a, b, c in itertools.product((0, 1), repeat=3):
        parity[a, b, c, a ^ b ^ c] = 1 / 8
    atoms = pid.decompose(parity, measure=measure).atoms
    assert atoms["{123}"] == pytest.approx(1.0, abs=1e-9)
    assert sum(abs(v) for k, v in atoms.items() if k != "{123}") < 1e-9
    copies = np.zeros((3, 3, 3, 3, 3))
    for v in range(3):
        copies[v, v, v, v, v] = 1 / 3
    atoms = pid.decompose(copies, measure=measure).atoms
    assert atoms["{1}{2}{3}{4}"] == pytest.approx(math.log2(3), abs=1e-9)
    assert sum(abs(v) for k, v in atoms.items() if k != "{1}{2}{3}{4}") < 1e-9


def test_stacks_of_tables_give_each_table_its_own_decomposition():
    # the redundancies are computed for a stack of tables at once (the bootstrap's path): each row must be
    # the decomposition of its own table (the speed claim lives in benchmarks/bench_measures.py)
    from pidkit.measures import lattice_atoms

    tables = np.random.default_rng(0).dirichlet(np.ones(324), size=3).reshape(3, 3, 3, 3, 3, 4)
    for measure in ("mmi", "imin", "ccs"):
        _, atoms, _ = lattice_atoms(tables, measure, lattice(4))
        for b in range(3):
            one = pid.decompose(tables[b], measure=measure, units="nats")
            assert np.allclose(atoms[b], list(one.atoms.values()), atol=1e-12, rtol=0)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 3), st.integers(2, 3), st.integers(2, 3), st.integers(0, 2**31 - 1),
       st.sampled_from(["mmi", "imin"]))
def test_two_source_lattice_measures_are_non_negative_and_consistent(n1, n2, ny, seed, measure):
    p = np.random.default_rng(seed).dirichlet(np.full(n1 * n2 * ny, 0.3)).reshape(n1, n2, ny)
    r = pid.decompose(p, measure=measure)
    assert min(r.R, r.U1, r.U2, r.S) >= -1e-12
    assert r.consistency_error() <= 1e-12
    assert r.R <= min(r.I1, r.I2) + 1e-12
    if measure == "mmi":
        assert r.R == pytest.approx(min(r.I1, r.I2), abs=1e-12)


# --------------------------------------------------------------------------------------------
# The API around it
# --------------------------------------------------------------------------------------------

def test_bad_measures_and_sizes_are_refused():
    p3 = np.full((2, 2, 2, 2), 1 / 16)
    with pytest.raises(pid.exceptions.InvalidPMFError, match="no agreed BROJA"):
        pid.decompose(p3)
    with pytest.raises(ParameterError, match="measure must be one of"):
        pid.decompose(GATES["xor"], measure="dep")
    with pytest.raises(ParameterError, match="7,579 atoms"):
        pid.decompose(np.full((2,) * 6, 1 / 64), measure="imin")
    res = pid.decompose(np.full((2,) * 6, 1 / 64), measure="mmi", max_atoms=7579)
    assert len(res.atoms) == 7579 and abs(res.total) < 1e-12
    with pytest.raises(ParameterError, match="up to 5 sources"):
        pid.decompose(np.full((2,) * 7, 1 / 128), measure="mmi")
    with pytest.raises(pid.exceptions.InvalidPMFError):
        pid.decompose(np.full((2, 2, 2, 2), 0.1), measure="imin")
    with pytest.raises(ParameterError, match=r"options \['solver', 'tol'\] do not apply"):
        pid.decompose(GATES["xor"], measure="imin", solver="ecos", tol=1e-6)
    # a label of one value, a source of one state: every atom 0, no failure
    for shape in ((2, 2, 1), (1, 3, 2), (2, 2, 2, 1)):
        r = pid.decompose(np.ones(shape), measure="ccs")
        assert abs(r.total) < 1e-12


def test_results_serialize_and_convert():
    r = pid.decompose(GATES["and"], measure="ccs")
    back = pid.PIDResult.from_json(r.to_json())
    assert back == r and back.measure == "ccs"
    assert r.to_pandas()["measure"].iloc[0] == "ccs"
    old = json.loads(pid.decompose(GATES["and"]).to_json())
    del old["measure"]  # results written before measures existed read as BROJA
    assert pid.PIDResult.from_dict(old).measure == "broja"
    lat = pid.decompose(np.full((2, 2, 2, 2), 1 / 16), measure="imin")
    df = lat.table()
    assert list(df.columns) == ["atom", "order", "meaning", "value", "redundancy", "share"] and len(df) == 18
    assert df.set_index("atom").loc["{1}{23}", "meaning"] == "in X1 and in (X2,X3)"
    assert lat.with_units("nats").total == pytest.approx(lat.total * LN2)
    assert "{12}{13}{23}" in str(lat) and lat == pid.decompose(np.full((2, 2, 2, 2), 1 / 16), measure="imin")


def test_estimate_with_a_measure_and_with_a_list_of_sources():
    rng = np.random.default_rng(0)
    x1, x2, x3 = (rng.integers(0, 2, 4000) for _ in range(3))
    res = pid.estimate(x1, x2, x1 & x2, measure="ccs", ci=0.9, n_boot=50)
    counts = pid.discretize.joint_counts(x1, x2, x1 & x2, (2, 2, 2))
    assert res.measure == "ccs" and res.R == pytest.approx(pid.decompose(counts, measure="ccs").R, abs=1e-12)
    lo, hi = res.ci("R")
    assert lo < res.R < hi
    lat = pid.estimate([x1, x2, x3], x1 ^ x2 ^ x3, measure="imin")
    assert isinstance(lat, LatticePIDResult) and lat.atoms["{123}"] == pytest.approx(1.0, abs=0.01)
    assert lat.n_samples == 4000 and lat.diagnostics.discretization["n_states"] == {"x1": 2, "x2": 2, "x3": 2, "y": 2}
    with pytest.raises(ParameterError, match="BROJA only"):
        pid.estimate(x1, x2, x1 & x2, measure="imin", estimator="batch")
    with pytest.raises(ParameterError, match="list of sources"):
        pid.estimate(x1, x2)
    with pytest.raises(ParameterError, match="no agreed BROJA"):
        pid.estimate([x1, x2, x3], x1)
    with pytest.raises(ParameterError, match="tests, bias corrections"):
        pid.estimate([x1, x2, x3], x1, measure="imin", n_perm=10)
    with pytest.raises(ParameterError, match="two sources"):
        pid.estimate([x1, x2], x1, measure="imin")
    lat = pid.estimate([x1, x2, x3], x1 ^ x2 ^ x3, measure="mmi", ci=0.9, n_boot=200, random_state=3)
    lo, hi = lat.ci("{123}")
    assert lo <= lat.atoms["{123}"] <= hi and hi - lo < 0.05 and lat.ci_level == 0.9
    assert lat.ci("total")[0] <= lat.total <= lat.ci("total")[1]
    assert "90% CI" in str(lat) and {"low", "high"} <= set(lat.table().columns)
    again = pid.estimate([x1, x2, x3], x1 ^ x2 ^ x3, measure="mmi", ci=0.9, n_boot=200, random_state=3)
    assert again.intervals == lat.intervals  # deterministic by random_state
    back = LatticePIDResult.from_json(lat.to_json())
    assert back == lat
    damaged = lat.to_dict()
    damaged["atoms"]["{123}"] += 0.5
    with pytest.raises(pid.exceptions.ResultFormatError, match="do not add up"):
        LatticePIDResult.from_dict(damaged)


def test_estimate_sources_codes_continuous_modalities_within_the_budget():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    lat = pid.estimate([X[:, 0], X[:, 1], X[:, 2:]], y, measure="mmi")
    d = lat.diagnostics.discretization
    # each source's share of the budget: (150 / (5 samples per cell x 3 classes)) ** (1/3) -> 2 states
    assert d["n_states"] == {"x1": 2, "x2": 2, "x3": 2, "y": 3}
    assert lat.total > 0.8 and lat.consistency_error() < 1e-12


def test_compare_measures_on_a_table_and_on_samples():
    cmp = pid.compare_measures(GATES["and"])
    assert list(cmp.results) == ["broja", "mmi", "imin", "ccs"]
    assert cmp.results["ccs"].R == pytest.approx(0.10375937481971, abs=1e-9)
    assert cmp.spread()["R"] == pytest.approx(0.31127812445913 - 0.10375937481971, abs=1e-9)
    assert cmp.table().shape == (4, 8) and "spread" in str(cmp)
    rng = np.random.default_rng(1)
    x1, x2 = rng.integers(0, 3, 3000), rng.integers(0, 3, 3000)
    cmp = pid.compare_measures(x1, x2, (x1 + x2) % 3, measures=("broja", "imin"))
    totals = {m: r.total for m, r in cmp.results.items()}
    assert totals["broja"] == pytest.approx(totals["imin"], abs=1e-9)  # the same codes, the same table
    with pytest.raises(ParameterError, match="twice"):
        pid.compare_measures(GATES["and"], measures=("mmi", "mmi"))


def test_lattice_plots(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    r = pid.decompose(np.random.default_rng(2).dirichlet(np.ones(24)).reshape(2, 2, 2, 3), measure="ccs")
    for kind in ("atoms", "order", "lattice"):
        ax = r.plot(kind=kind)
        ax.figure.savefig(tmp_path / f"{kind}.png")
    assert len(ax.texts) == 18  # every node labelled in the Hasse diagram
    r4 = pid.decompose(np.full((2, 2, 2, 2, 2), 1 / 32), measure="mmi")
    with pytest.raises(ParameterError, match="3-source"):
        r4.plot(kind="lattice")
    pid.compare_measures(GATES["xor"]).plot().figure.savefig(tmp_path / "cmp.png")


def test_command_line_measures_and_sources(tmp_path, capsys):
    import pandas as pd

    from pidkit.cli import main

    rng = np.random.default_rng(0)
    a, b, c = (rng.integers(0, 2, 2000) for _ in range(3))
    pd.DataFrame({"a": a, "b": b, "c": c, "y": a ^ b ^ c}).to_csv(tmp_path / "d.csv", index=False)
    parity = np.zeros((2, 2, 2, 2))
    for i, j, k in itertools.product((0, 1), repeat=3):
        parity[i, j, k, i ^ j ^ k] = 1 / 8
    np.save(tmp_path / "t.npy", parity)
    assert main(["estimate", str(tmp_path / "d.csv"), "--x1", "a", "--x2", "b", "--x3", "c", "--y", "y",
                 "--measure", "imin", "--json", str(tmp_path / "r.json")]) == 0
    res = LatticePIDResult.from_json((tmp_path / "r.json").read_text())
    assert res.atoms["{123}"] == pytest.approx(1.0, abs=0.01)
    assert main(["decompose", str(tmp_path / "t.npy"), "--measure", "mmi"]) == 0
    assert "{123}" in capsys.readouterr().out
    assert main(["estimate", str(tmp_path / "d.csv"), "--x1", "a", "--x2", "b", "--x3", "c", "--y", "y"]) == 2
    assert "lattice measure" in capsys.readouterr().err
    assert main(["estimate", str(tmp_path / "d.csv"), "--x1", "a", "--x2", "b", "--y", "y", "--measure", "ccs",
                 "--info-check", "off", "--n-perm", "20"]) == 0
    out = capsys.readouterr().out
    assert "measure 'ccs'" in out and "test x1:" in out and "test synergy" not in out
    np.save(tmp_path / "c.npy", np.array([[[30, 5], [6, 40]], [[8, 20], [25, 9]]]))
    assert main(["decompose", str(tmp_path / "c.npy"), "--measure", "imin", "--ci", "0.9", "--n-boot", "50"]) == 0
    assert "measure 'imin'" in capsys.readouterr().out
    assert main(["decompose", str(tmp_path / "t.npy"), "--measure", "imin", "--ci", "0.9"]) == 2
    assert "two sources" in capsys.readouterr().err


@pytest.mark.parametrize("seed", range(3))
def test_ccs_fits_sparse_tables_to_tolerance(seed):
    # near-zero cells made plain IPF stall (1/k); Newton on the dual reaches the target
    p = np.random.default_rng(seed).dirichlet(np.full(108, 0.05)).reshape(3, 3, 3, 4)
    res = pid.decompose(p, measure="ccs")
    assert res.diagnostics.status == "optimal" and res.diagnostics.max_marginal_violation <= 1e-13
    assert res.consistency_error() < 1e-12


def test_ccs_warns_when_its_fit_stops_early(monkeypatch):
    from pidkit.measures import ccs

    for name in ("QUICK_SWEEPS", "NEWTON_MAX_ITER", "FAST_SWEEPS", "IPF_MAX_ITER"):
        monkeypatch.setattr(ccs, name, 1)
    p = np.random.default_rng(0).dirichlet(np.full(108, 0.05)).reshape(3, 3, 3, 4)
    with pytest.warns(pid.exceptions.ConvergenceWarning, match="maximum-entropy fit .* merge rare states") as rec:
        res = pid.decompose(p, measure="ccs")
    assert res.diagnostics.status == "max_iter" and res.diagnostics.max_marginal_violation > 1e-13
    assert rec[0].filename == __file__  # points at the caller's line


def test_bootstrap_of_a_count_table_by_a_measure():
    x1, x2, y = pid.synthetic.sample_gate("and", 2000, random_state=0)
    counts = pid.discretize.joint_counts(x1, x2, y, (2, 2, 2))
    res = pid.bootstrap(counts, measure="ccs", n_boot=100, random_state=0)
    same = pid.bootstrap(x1, x2, y, measure="ccs", n_boot=100, random_state=0, info_check=False)
    assert res.measure == "ccs" and res.ci("R") == same.ci("R")  # the table and its samples: one answer
    lo, hi = res.ci("R")
    assert lo < 0.1038 < hi
    with pytest.raises(ParameterError, match="BROJA optimum"):
        pid.bootstrap(counts, measure="imin", n_perm=20)
    assert set(pid.bootstrap(counts, measure="imin", n_perm=20, tests=("x1",), random_state=0).p_values) == {"x1"}


def test_compare_measures_on_a_lattice(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    p = np.random.default_rng(0).dirichlet(np.ones(16)).reshape(2, 2, 2, 2)
    cmp = pid.compare_measures(p, measures=("mmi", "imin", "ccs"))
    assert cmp.lattice and list(cmp.table().columns) == ["order", "mmi", "imin", "ccs"]
    assert len(cmp.table()) == 18 and cmp.spread()["{123}"] >= 0 and "{12}{13}{23}" in str(cmp)
    for r in cmp.results.values():
        assert sum(r.atoms.values()) == pytest.approx(cmp.results["mmi"].total, abs=1e-12)
    cmp.plot().figure.savefig(tmp_path / "lattice_measures.png")
    with pytest.raises(pid.exceptions.InvalidPMFError, match="no agreed BROJA"):
        pid.compare_measures(p)  # the default list includes BROJA
