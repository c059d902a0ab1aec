"""Beyond one process: data that do not fit in memory, and thousands of decompositions, on Dask.

* :func:`pidkit.estimate` accepts dask arrays, DataFrames and Series (the exact estimator): the
  Discretizer is fitted on a bounded sample and the joint counts are summed over partitions
  (:mod:`pidkit.scale.counts`); :func:`read_parquet` opens a Parquet dataset's columns lazily.
* :func:`pidkit.decompose_many`, :func:`pidkit.bootstrap` and :func:`pidkit.pairwise` take
  ``client=`` (a ``dask.distributed.Client``) and run their tables as tasks on it
  (:mod:`pidkit.scale.many`); without one they run in this process.

Dask is an optional dependency: ``pip install 'pidkit[dask]'``. Every entry point raises
:class:`~pidkit.exceptions.MissingDependencyError` with that command when it is missing, and a
failed task (after ``retries``) raises :class:`DistributedComputeError` — a partial table or stack
of tables is never returned.

Layers: :mod:`~pidkit.scale._dask`, :mod:`~pidkit.scale.counts`, :mod:`~pidkit.scale.moments` and
:mod:`~pidkit.scale.many` are plumbing that the estimators call (they import no estimator; a
chunk's solver is passed in); :mod:`~pidkit.scale.estimate` is the front end above the
estimators (it builds the ``"cvx"`` estimator through the registry). ``tests/test_architecture.py``
checks that no import cycle joins them.
"""

from ._dask import DistributedComputeError, is_dask_collection, require_dask
from .counts import DEFAULT_SAMPLE_SIZE, dask_joint_counts
from .estimate import estimate_dask, read_parquet

__all__ = [
    "DistributedComputeError",
    "is_dask_collection",
    "require_dask",
    "DEFAULT_SAMPLE_SIZE",
    "dask_joint_counts",
    "estimate_dask",
    "read_parquet",
]
