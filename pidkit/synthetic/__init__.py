"""Data with known answers.

* Bitwise gates (:mod:`~pidkit.synthetic.gates`): exact pmfs and samples, :data:`GATE_ATOMS`.
* Continuous oracles (:mod:`~pidkit.synthetic.continuous`): the Gaussian mixture of thesis §3.3.1
  with its exactly integrated pmf, and latent high-dimensional modalities.
* The interaction suite (:mod:`~pidkit.synthetic.suite`): two-modality classification data built
  from discrete latents with an exactly known PID and Bayes accuracy, embedded in continuous
  features; the ten datasets of the thesis as presets (:func:`suite_data`).
* Separated clusters (:mod:`~pidkit.synthetic.separated`): binary-label data with one interaction
  (pure R, U1 or S, or two independently noisy views) from Gaussian latents at a chosen class
  separation, in ``dim`` features; exact atoms in closed form (:func:`separated_clusters`).
"""

from .continuous import LATENT_LABELS, gaussian_mixture, gaussian_mixture_pmf, latent_modalities
from .gates import GATE_ATOMS, GATES, gate_pmf, sample_gate, sample_pmf
from .separated import (
    SEPARATED_KINDS,
    SeparatedData,
    binary_latent_information,
    separated_atoms,
    separated_clusters,
    xor_latent_information,
)
from .suite import INTERACTIONS, SUITE_PRESETS, InteractionData, InteractionSpec, interaction_data, suite_data

__all__ = [
    "GATES",
    "GATE_ATOMS",
    "gate_pmf",
    "sample_gate",
    "sample_pmf",
    "gaussian_mixture",
    "gaussian_mixture_pmf",
    "latent_modalities",
    "LATENT_LABELS",
    "INTERACTIONS",
    "SUITE_PRESETS",
    "InteractionSpec",
    "InteractionData",
    "interaction_data",
    "suite_data",
    "SEPARATED_KINDS",
    "SeparatedData",
    "separated_clusters",
    "separated_atoms",
    "binary_latent_information",
    "xor_latent_information",
]
