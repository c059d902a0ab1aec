# %% [markdown]
# # Three modalities: the redundancy lattice, other measures, and what each atom means
#
# BROJA splits what **two** modalities carry about a label into R, U1, U2 and S. With three
# modalities the pieces multiply: information can sit in one modality only, in any one of two, in
# any one of three, in two modalities only together, in "X1 alone *or* X2 and X3 together", …
# Williams and Beer's **redundancy lattice** names all 18 pieces for three sources (166 for four):
# a redundancy function gives every node a value, and the atoms follow by Möbius inversion.
# There is no agreed BROJA for three sources, so pidkit offers the lattice measures
# `"mmi"`, `"imin"` and `"ccs"` for them, and the pairwise BROJA PIDs beside.
#
# 1. how to read the atoms, on systems with known answers;
# 2. the measures side by side on two sources, where they disagree and why;
# 3. scikit-learn's **breast cancer** data as three modalities: the mean, the standard error and
#    the worst value of ten measurements of the cell nuclei;
# 4. four sources.

# %%
import itertools
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer

import pidkit as pid

# %% [markdown]
# ## 1. Reading the atoms
# Atoms are named by antichains: `{1}{2}{3}` is what each of X1, X2, X3 carries alone (redundant
# in all three), `{1}` what only X1 has, `{12}` what X1 and X2 give only together, `{1}{23}` what
# X1 carries and (X2, X3) together carry too, `{123}` what needs all three. The *order* of an atom is
# the fewest sources that must be seen together to get it.
#
# Three systems with known answers: the parity of three bits (everything needs all three), three
# copies of one variable (everything is in each), and Y = (X1, X2 XOR X3) with independent bits
# (one bit unique to X1, one bit synergistic between X2 and X3).

# %%
parity = np.zeros((2, 2, 2, 2))
copies = np.zeros((2, 2, 2, 2))
mixed = np.zeros((2, 2, 2, 4))
for a, b, c in itertools.product((0, 1), repeat=3):
    parity[a, b, c, a ^ b ^ c] += 1 / 8
    mixed[a, b, c, 2 * a + (b ^ c)] += 1 / 8
for v in (0, 1):
    copies[v, v, v, v] = 1 / 2


def nonzero(res):
    return {k: round(v, 4) for k, v in res.atoms.items() if abs(v) > 1e-9}


for name, p in (("parity", parity), ("copies", copies), ("(X1, X2 xor X3)", mixed)):
    print(f"{name:>16}:", nonzero(pid.decompose(p, measure="imin")))

# %% [markdown]
# The full table of one of them, with each atom's order and meaning:

# %%
res = pid.decompose(mixed, measure="ccs")
print(res)

# %% [markdown]
# ## 2. Measures disagree, and that is information
# On two sources every measure gives the same I(X1;Y), I(X2;Y) and I(X1,X2;Y): they differ in how
# they split it. On the AND gate BROJA, MMI and I_min call 0.311 bits redundant; CCS, which counts
# only the events where both inputs change the surprise about Y in the same direction, calls 0.104
# bits redundant. On "two independent bits copied into Y" I_min and MMI report 1 bit of redundancy
# although the two inputs carry different bits — the known flaw of "same amount" redundancy; BROJA
# and CCS report two unique bits.

# %%
and_gate = np.zeros((2, 2, 2))
copy = np.zeros((2, 2, 4))
for a, b in itertools.product((0, 1), repeat=2):
    and_gate[a, b, a & b] = 1 / 4
    copy[a, b, 2 * a + b] = 1 / 4
print(pid.compare_measures(and_gate))
print()
cmp = pid.compare_measures(copy)
print(cmp)
cmp.plot()
plt.show()

# %% [markdown]
# ## 3. Breast cancer as three modalities
# The 30 features are ten properties of the cell nuclei (radius, texture, …), each as its mean
# (X1), its standard error (X2) and its worst value (X3) over the nuclei of the image. Each
# modality is coded by its own copy of the shared Discretizer, with its share of the joint-table
# budget (569 samples, 2 classes: 3 states per modality).

# %%
X, y = load_breast_cancer(return_X_y=True)
views = [X[:, :10], X[:, 10:20], X[:, 20:]]
t0 = time.perf_counter()
lat = pid.estimate(views, y, measure="imin", random_state=0)
print(f"{time.perf_counter() - t0:.2f} s")
print(lat)

# %% [markdown]
# Most of what the three views say about the diagnosis is order 1 — available from single
# modalities: a third of it from each of the three (`{1}{2}{3}`), more from the mean and the worst
# value alike (`{1}{3}`), and the worst values add some of their own (`{3}`). Little needs two or
# three views together. Grouped by order:

# %%
print({k: round(v, 3) for k, v in lat.by_order().items()})
lat.plot(kind="lattice")
plt.show()

# %% [markdown]
# The table as a DataFrame, largest atoms first:

# %%
df = lat.table()
print(df.reindex(df["value"].abs().sort_values(ascending=False).index).head(6).to_string(index=False))

# %% [markdown]
# MMI (a node's redundancy is the least information any of its collections has, whatever it is
# about) gives the same atoms here: with two classes the view with the least specific information
# is the same for both. The pairwise BROJA PIDs — on finer codes, since a pair's table has a budget
# of its own — say how each pair of views shares what it carries:

# %%
lat_mmi = pid.estimate(views, y, measure="mmi", random_state=0)
side = df.set_index("atom")[["order", "value"]].rename(columns={"value": "imin"})
side["mmi"] = lat_mmi.table().set_index("atom")["value"]
print(side[(side["imin"].abs() > 1e-6) | (side["mmi"].abs() > 1e-6)].round(4).to_string())
pairs = pid.pairwise({"mean": views[0], "se": views[1], "worst": views[2]}, y, random_state=0)
print(pairs.to_pandas().round(4).to_string(index=False) if hasattr(pairs, "to_pandas") else pairs)

# %% [markdown]
# ## 4. Four sources
# 166 atoms. The first four-source call builds the lattice (its order and Möbius matrix, cached);
# after that, I_min on a 3×3×3×3×4 table is a few array operations (the redundancies of all nodes at
# once) — `benchmarks/bench_measures.py` times it against dit.

# %%
p4 = np.random.default_rng(0).dirichlet(np.ones(324)).reshape(3, 3, 3, 3, 4)
for call in ("first call (builds the lattice)", "second call"):
    t0 = time.perf_counter()
    r4 = pid.decompose(p4, measure="imin")
    print(f"{call}: {1e3 * (time.perf_counter() - t0):.1f} ms")
print(f"{len(r4.atoms)} atoms; sum = {sum(r4.atoms.values()):.6f} = I(X1..X4;Y) = {r4.total:.6f}")
print({k: round(v, 4) for k, v in r4.by_order().items()})
r4.plot(kind="order")
plt.show()
