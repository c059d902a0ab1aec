"""Model selection as a decision: which modalities and which kind of fusion a dataset needs.

:func:`select_models` (also ``pidkit.select_models``) recommends the cheapest candidate model
(one modality, late fusion without paired training, a joint model) expected within a tolerance of
the best, from the dataset's PID (what each candidate can reach) and the reference datasets whose
interaction profile is closest (how well each candidate learned there). :func:`load_catalog`
reads the catalog that ships with pidkit (``pidkit/data/catalog.json``, with measured fit times
in ``costs.json``); ``python benchmarks/build_catalog.py`` rebuilds it.
Check a recommendation on your own data with :func:`pidkit.fusion.compare`.
"""

from .catalog import SCHEMA_VERSION, Catalog, load_catalog, load_costs
from .recommend import DEFAULT_TOLERANCE, DISTANCES, ModelSelection, reach_slopes, select_models

__all__ = [
    "SCHEMA_VERSION",
    "DEFAULT_TOLERANCE",
    "DISTANCES",
    "Catalog",
    "ModelSelection",
    "load_catalog",
    "load_costs",
    "reach_slopes",
    "select_models",
]
