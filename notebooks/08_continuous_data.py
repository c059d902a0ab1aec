# %% [markdown]
# # Continuous data without discretizing: the Gaussian and Gaussian-copula PIDs
#
# A regression target (a disease score, a price, a firing rate) has no classes to count. pidkit's
# `estimator="gaussian"` takes the data as jointly Gaussian and computes the **exact** BROJA PID of
# their covariance (`pid.decompose_gaussian`: vector modalities and targets, a certified gap);
# `estimator="copula"` first replaces every dimension by its normal scores (ranks), so the answer
# does not change under a log, a power or any other increasing map of a variable, and outliers
# lose their pull.
#
# 1. a system with a known answer, as drawn and after increasing maps of every variable;
# 2. scikit-learn's **diabetes** data (442 patients, a continuous disease-progression score):
#    x1 = age, sex, BMI, blood pressure; x2 = the six blood-serum measurements;
# 3. a two-dimensional target (the score and the blood pressure).

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes

import pidkit as pid

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A known answer
# The covariance of (X1, X2, Y) — two 2-dimensional modalities and a scalar target — fixes the PID;
# `decompose_gaussian` computes it exactly. For a scalar target the Gaussian PID is the
# minimum-mutual-information one: R = min(I(X1;Y), I(X2;Y)).

# %%
a = rng.normal(size=(5, 5)) * 0.7
cov = a @ a.T + np.eye(5)
truth = pid.decompose_gaussian(cov, dims=(2, 2, 1))
print(truth)

# %% [markdown]
# From 5,000 samples, as drawn and after increasing maps (exp, cube, a logistic squash of Y):
# the Gaussian estimate is right on Gaussian data and off on the warped data; the copula's is the
# same on both (the ranks do not change).

# %%
z = rng.multivariate_normal(np.zeros(5), cov, size=5_000)
x1, x2, y = z[:, :2], z[:, 2:4], z[:, 4]
warped = (np.exp(x1 / 2), x2 ** 3, 1 / (1 + np.exp(-2 * y)))
rows = {
    "truth": truth,
    "gaussian": pid.estimate(x1, x2, y, estimator="gaussian"),
    "gaussian, warped": pid.estimate(*warped, estimator="gaussian"),
    "copula, warped": pid.estimate(*warped, estimator="copula"),
}
for name, res in rows.items():
    print(f"{name:<17}" + "  ".join(f"{k} {getattr(res, k):.4f}" for k in ("R", "U1", "U2", "S")))

# %% [markdown]
# ## 2. A regression target: diabetes progression
# The discretized estimator needs the score binned (`y_bins`) and then decomposes the information
# about the bins; the copula estimator keeps the score continuous. Intervals come from a bootstrap
# over the patients (`ci=0.9`).

# %%
X, score = load_diabetes(return_X_y=True)
demo, serum = X[:, :4], X[:, 4:]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the small-sample bias warnings of the binned estimate
    copula = pid.estimate(demo, serum, score, estimator="copula", ci=0.9, n_boot=100, random_state=0)
    binned = pid.estimate(demo, serum, score, discretizer=pid.Discretizer(y_bins=5, random_state=0))
print(copula)

# %%
pid.plot.plot_compare({"copula (continuous score)": copula, "cvx (score in 5 bins)": binned})
plt.show()

# %% [markdown]
# What the two say (printed above; the binned one: R 0.23, U1 0.06, U2 0.04, S 0.10 of 0.44 bits):
# the demographic group and the serum group each carry about 0.3 bits about the score, most of it
# the same information (R is two thirds of the total), and together they carry more than either
# alone — a synergy of 0.10–0.15 bits that neither group shows by itself. The binned estimate sees
# less information in all (five bins keep only part of the score) and spreads some of the shared
# part into the unique atoms; the copula's intervals show what 442 patients can resolve: U1 and U2
# are indistinguishable from 0.
#
# ## 3. A two-dimensional target
# The target may be a vector: here the score and the blood pressure, predicted from age, sex and BMI
# (x1) and the serum (x2). `shape` holds the dimensions (3 + 6 -> 2).

# %%
two = pid.estimate(X[:, :3], serum, np.c_[score, X[:, 3]], estimator="copula")
print(two.shape, {k: round(getattr(two, k), 4) for k in ("R", "U1", "U2", "S")})
