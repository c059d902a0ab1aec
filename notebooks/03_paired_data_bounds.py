# %% [markdown]
# # Is paired, labeled data worth collecting? Semi-supervised bounds
#
# Often there are labels for each modality on its own (D1 = {(x1, y)}, D2 = {(x2, y)}) and
# unlabeled pairs DM = {(x1, x2)}, but no labeled pairs. R, U1 and U2 are then exact; synergy — what
# only a multimodal model could add — and the best achievable accuracy are bounded
# (thesis chapter 6). Here: scikit-learn's digits, top and bottom image halves, split three ways.

# %%
import matplotlib.pyplot as plt
import numpy as np

import pidkit as pid
from pidkit.bounds import estimate_synergy_bounds
from pidkit.datasets import load_digits_halves

x1, x2, y = load_digits_halves()
d1, d2, dm = np.array_split(np.random.default_rng(0).permutation(len(y)), 3)
bounds = estimate_synergy_bounds(x1[d1], y[d1], x2[d2], y[d2], x1[dm], x2[dm], random_state=0)
print(bounds)

# %%
axes = bounds.plot()
plt.show()

# %% [markdown]
# What labels on every pair would have shown, on the same coding (for comparison only — the
# point of the bounds is not to need them):

# %%
from pidkit.discretize import joint_counts  # noqa: E402

c1, c2, cy = bounds.transform(x1, x2, y)
full = pid.bootstrap(joint_counts(c1, c2, cy, bounds.diagnostics.shape), random_state=0, n_boot=300)
print(f"S with labels on all pairs: {full.S:.3f} bits, 95% interval {tuple(round(v, 3) for v in full.ci('S'))}")
print(f"bounds: S in [{bounds.S_lower:.3f}, {bounds.S_upper:.3f}]")
