# %% [markdown]
# # Which fusion model should I try first?
#
# `pid.select_models` compares the dataset's normalized PID with the reference datasets of the
# catalog shipped with pidkit and ranks the fusion zoo by how close to the best model each came on
# the nearest references (thesis §3.3.4). `pidkit.fusion.compare` then checks the recommendation
# on the data itself. Honest caveat (README, "How good is it?"): on pidkit's validation this rule
# ties with always training early fusion — its value is steering away from models that cannot
# represent the data's interactions.

# %%
import matplotlib.pyplot as plt

import pidkit as pid
from pidkit.fusion import compare
from pidkit.synthetic import interaction_data

data = interaction_data(1500, weights={"U1": 1, "S": 2}, information=0.9, noise=0.25, random_state=7)
x1, x2, y = data
print(data)

# %%
sel = pid.select_models(x1, x2, y, random_state=0)
print(sel)
axes = sel.plot()
plt.show()

# %% [markdown]
# Checking the top three and additive fusion (not recommended) by 3-fold cross-validation, with
# the PID of their out-of-fold predictions:

# %%
comparison = compare([*sel.top(3), "additive"], x1, x2, y, cv=3, random_state=0, model_params={"epochs": 60})
print(comparison)
ax = comparison.plot()
plt.show()
