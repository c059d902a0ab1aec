"""Model selection: which fusion model to try first, from the dataset's PID and a reference catalog.

:func:`select_models` (also ``pidkit.select_models``) ranks the zoo for a dataset from the
reference datasets whose interaction profile is closest; :func:`load_catalog` reads the catalog
that ships with pidkit (``pidkit/data/catalog.json``), :func:`build_catalog` rebuilds it
(``python benchmarks/build_catalog.py``). Check a recommendation on your own data with
:func:`pidkit.fusion.compare`.
"""

from .catalog import SCHEMA_VERSION, Catalog, build_catalog, default_grid, load_catalog, save_catalog
from .recommend import DISTANCES, ModelSelection, select_models

__all__ = [
    "SCHEMA_VERSION",
    "DISTANCES",
    "Catalog",
    "ModelSelection",
    "build_catalog",
    "default_grid",
    "load_catalog",
    "save_catalog",
    "select_models",
]
