# %% [markdown]
# # How far to trust a PID on real data: information kept, ranges, estimators side by side
#
# A discretized estimate decomposes the *codes*, not the data. If the codes keep 60% of the
# information, the atoms split those 60%, and the split says little about the data. pidkit measures
# this on every estimate (`result.info_check`): held-out classifiers on the raw features give lower
# bounds on I(X1;Y), I(X2;Y) and I(X1,X2;Y), and the estimate reports the share it keeps. The
# informations alone also pin the atoms down — R lies in [max(0, I1 + I2 − I12), min(I1, I2)] and
# S = R − (I1 + I2 − I12) — whatever the estimator. `pid.compare_estimators` puts the applicable
# estimators and codings side by side and says which to believe.
#
# Two of scikit-learn's bundled datasets, as a user would load them: **wine** (178 wines, unscaled
# chemistry; x1 = features 0–6, x2 = features 7–12) and **digits** (1,797 8×8 images; x1 = the top
# half, x2 = the bottom half, 32 integer pixels each).

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits, load_wine

import pidkit as pid

X, y = load_wine(return_X_y=True)
wine = (X[:, :7], X[:, 7:], y)

# %% [markdown]
# ## 1. The default estimate says what it chose, why, and how much it keeps
# The label is categorical; each modality has 7 or 6 unscaled numeric columns. The default codes
# each modality by the cells of its cross-fitted class posterior (or by clusters of its standardized
# columns, whichever keeps more held-out information), with as many states as the 178 samples
# support.

# %%
res = pid.estimate(*wine)
print(res)

# %% [markdown]
# The same wines in other units give the same answer: clusters are made on standardized columns
# and the posterior's classifier standardizes too.

# %%
x1, x2, _ = wine
milli = x1.copy()
milli[:, 4] *= 1000  # magnesium in micrograms instead of milligrams
print("largest change of an atom:", max(abs(getattr(pid.estimate(milli, x2, y), a) - getattr(res, a))
                                        for a in ("R", "U1", "U2", "S")))

# %% [markdown]
# ## 2. Codes that lose information, and what the check says about them
# Two k-means clusters per modality keep only part of the information; the result warns, and its
# redundancy falls outside the range the informations allow.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    coarse = pid.estimate(*wine, discretizer=pid.Discretizer(kind="clustered", n_clusters=2, random_state=0))
print(coarse.info_check.kept)
print(sorted({w.category.__name__ for w in caught}))
ax = coarse.plot()
plt.show()

# %% [markdown]
# In the figure, the grey strip right of each bar is the range the estimate's own informations
# allow; the outlined one the range from the best informations found (here the classifiers'). The
# bar for R sits far below its outlined range: the coarse codes lost redundant information.
#
# ## 3. Estimators and codings side by side: `compare_estimators`
# The exact estimator on the automatic codes, on fewer and more states, on the other family of
# codes, and BATCH where it applies (178 samples are too few for its networks here).

# %%
cmp = pid.compare_estimators(*wine)
print(cmp)

# %% [markdown]
# ## 4. Digits: the halves of an image
# Each half has 32 integer pixels; read from a CSV they are int64, from Parquet float64 — the
# codes depend on the values only, so both give the same answer. BATCH runs here with small
# settings to keep the notebook quick (`batch_options`); its defaults train longer.

# %%
d = load_digits()
digits = (d.data[:, :32], d.data[:, 32:], d.target)
cmp = pid.compare_estimators(*digits, batch_options={"epochs": 10, "classifier_epochs": 30})
print(cmp)
ax = cmp.plot()
plt.show()

# %% [markdown]
# What to read: the codes that keep the information (at least 85% of each of I(X1;Y), I(X2;Y),
# I(X1,X2;Y)) and whose atoms lie in their ranges agree with each other; the ones set aside lost
# information (fewer states, or clusters of pixels instead of class posteriors) or, with more states
# than the samples support, sit on a table too sparse for plug-in estimates.
