"""Out-of-core estimates and decompositions on Dask (pidkit.scale): same numbers as in memory."""

import sys

import numpy as np
import pytest

import pidkit as pid
from pidkit.exceptions import MissingDependencyError, ParameterError

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two worker processes (one thread each), shared by this module's tests."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       memory_limit="1GiB", silence_logs=40)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _data(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    x1 = rng.integers(0, 4, n)
    x2 = rng.normal(size=(n, 3)) + x1[:, None] * 0.5
    y = np.where(rng.random(n) < 0.8, (x1 + (x2[:, 0] > 0.7)) % 3, rng.integers(0, 3, n))
    return x1, x2, np.array(["a", "b", "c"])[y]


def _same(a, b, tol=0.0):
    for k in ("R", "U1", "U2", "S", "total", "I1", "I2"):
        assert getattr(a, k) == pytest.approx(getattr(b, k), abs=tol), k


def test_dask_arrays_equal_in_memory_with_the_same_discretizer():
    x1, x2, y = _data()
    disc = pid.Discretizer(random_state=0).fit(x1, x2, y)
    mem = pid.estimate(x1, x2, y, discretizer=disc, estimator="cvx")
    lazy = pid.estimate(da.from_array(x1, chunks=700), da.from_array(x2, chunks=(1000, 3)),
                        da.from_array(y, chunks=1500), discretizer=disc)
    _same(lazy, mem)
    assert lazy.n_samples == 6000 and lazy.diagnostics.discretization == mem.diagnostics.discretization


def test_dask_dataframe_on_a_local_cluster_equals_in_memory(client):
    x1, x2, y = _data(seed=1)
    frame = pd.DataFrame({"a": x1, "b0": x2[:, 0], "b1": x2[:, 1], "b2": x2[:, 2], "label": y})
    ddf = dd.from_pandas(frame, npartitions=5)
    disc = pid.Discretizer(random_state=0).fit(x1, x2, y)
    mem = pid.estimate(x1, x2, y, discretizer=disc, estimator="cvx")
    lazy = pid.estimate(ddf["a"], ddf[["b0", "b1", "b2"]], ddf["label"], discretizer=disc, client=client)
    _same(lazy, mem)


def test_unfitted_discretizer_is_fitted_on_a_bounded_sample():
    x1, x2, y = _data(n=20_000, seed=2)

    def clusters():  # the same coding asked for: the sample must only move the centres
        return pid.Discretizer(kind={"x2": "clustered"}, n_clusters=12, random_state=0)

    lazy = pid.estimate(da.from_array(x1, chunks=3000), da.from_array(x2, chunks=(3000, 3)),
                        da.from_array(y, chunks=3000), sample_size=4000, discretizer=clusters())
    full = pid.estimate(x1, x2, y, estimator="cvx", discretizer=clusters())
    assert lazy.n_samples == 20_000
    assert lazy.diagnostics.discretization["n_states"] == full.diagnostics.discretization["n_states"]
    # clusters from 4,000 of 20,000 rows: the atoms move by sampling error only
    _same(lazy, full, tol=0.03)
    # the information check ran on the sample the Discretizer was fitted on
    assert lazy.info_check is not None and "sampled rows" in lazy.diagnostics.notes[-1]
    again = pid.estimate(da.from_array(x1, chunks=3000), da.from_array(x2, chunks=(3000, 3)),
                         da.from_array(y, chunks=3000), sample_size=4000, discretizer=clusters())
    _same(again, lazy)
    # the automatic coding on the sample: coded alike (the states follow the sample's held-out scores)
    auto = pid.estimate(da.from_array(x1, chunks=3000), da.from_array(x2, chunks=(3000, 3)),
                        da.from_array(y, chunks=3000), sample_size=4000, random_state=0)
    assert auto.diagnostics.discretization["kinds"]["x2"] in ("clustered", "supervised")


def test_rare_label_outside_the_sample_is_still_coded():
    rng = np.random.default_rng(3)
    n = 10_000
    x1, x2 = rng.integers(0, 2, n), rng.integers(0, 2, n)
    y = (x1 ^ x2).astype(object)
    y[7777] = "rare"  # one row: almost never in a 500-row sample, but the sampler adds first occurrences
    res = pid.estimate(da.from_array(x1, chunks=1000), da.from_array(x2, chunks=1000), da.from_array(y, chunks=1000),
                       sample_size=500, random_state=0)
    assert res.shape == (2, 2, 3) and res.n_samples == n


def test_dask_intervals_resample_the_summed_table(client):
    x1, x2, y = _data(seed=4)
    disc = pid.Discretizer(random_state=0).fit(x1, x2, y)
    mem = pid.estimate(x1, x2, y, discretizer=disc, estimator="cvx", ci=0.9, n_boot=200, random_state=0)
    lazy = pid.estimate(da.from_array(x1, chunks=2000), da.from_array(x2, chunks=(2000, 3)),
                        da.from_array(y, chunks=2000), discretizer=disc, ci=0.9, n_boot=200, random_state=0,
                        client=client)
    assert lazy.ci("S") == pytest.approx(mem.ci("S"), abs=1e-12)
    with pytest.raises(ParameterError, match="n_perm"):
        pid.estimate(da.from_array(x1, chunks=2000), da.from_array(x2, chunks=(2000, 3)),
                     da.from_array(y, chunks=2000), n_perm=100)


def test_failing_task_is_retried_or_raises_never_a_partial_table(client, tmp_path):
    x1, x2, y = _data(n=4000, seed=5)
    disc = pid.Discretizer(random_state=0).fit(x1, x2, y)
    mem = pid.estimate(x1, x2, y, discretizer=disc, estimator="cvx")
    marker = tmp_path / "failed-once"

    def flaky(block, path=str(marker)):
        # the third partition's first attempt dies like a lost worker; its retry succeeds
        import os

        if block.shape[0] and block[0] == "__third__" and not os.path.exists(path):
            open(path, "w").close()
            raise OSError("worker lost")
        return np.where(block == "__third__", y[2000], block)

    yy = y.astype(object).copy()
    yy[2000] = "__third__"
    lazy_y = da.from_array(yy, chunks=1000).map_blocks(flaky, dtype=object)
    res = pid.estimate(da.from_array(x1, chunks=1000), da.from_array(x2, chunks=(1000, 3)), lazy_y,
                       discretizer=disc, client=client)
    assert marker.exists()
    _same(res, mem)

    def broken(block):
        if block.shape[0] and block[0] == "__third__":
            raise OSError("worker lost for good")
        return block

    with pytest.raises(pid.scale.DistributedComputeError, match="after 1 retries per task.*worker lost for good"):
        pid.estimate(da.from_array(x1, chunks=1000), da.from_array(x2, chunks=(1000, 3)),
                     da.from_array(yy, chunks=1000).map_blocks(broken, dtype=object), discretizer=disc,
                     client=client)


def test_decompose_many_on_a_cluster_is_identical(client):
    p = np.random.default_rng(6).dirichlet(np.ones(36), size=3000).reshape(3000, 3, 3, 4)
    local = pid.decompose_many(p)
    remote = pid.decompose_many(p, client=client, chunk_size=400)
    assert local.converged.all()
    for k in ("R", "U1", "U2", "S", "total", "duality_gap", "iterations", "converged"):
        np.testing.assert_array_equal(getattr(remote, k), getattr(local, k))
    assert remote.solver == local.solver


def test_pairwise_local_and_on_a_cluster(client):
    rng = np.random.default_rng(7)
    n = 3000
    X = rng.integers(0, 3, size=(n, 5))
    y = (X[:, 0] + X[:, 1]) % 3
    local = pid.pairwise(X, y)
    assert len(local) == 10 and local.pairs[0] == (0, 1)
    top = local.to_pandas().sort_values("S", ascending=False).iloc[0]
    assert (top["x1"], top["x2"]) == (0, 1) and top["S"] > 0.5
    one = pid.estimate(X[:, 2], X[:, 4], y, estimator="cvx")
    i = local.pairs.index((2, 4))
    assert local.S[i] == pytest.approx(one.S, abs=1e-9) and local.I1[i] == pytest.approx(one.I1, abs=1e-12)
    remote = pid.pairwise(X, y, client=client)
    np.testing.assert_array_equal(remote.S, local.S)
    sub = pid.pairwise(X, y, pairs=[(0, 1), (3, 4)])
    assert sub.pairs == [(0, 1), (3, 4)] and sub.S[0] == local.S[0]


def test_missing_dask_gives_the_install_command(monkeypatch):
    class FakeCollection:
        def __dask_graph__(self):
            return {}

    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'pidkit\[dask\]'"):
        pid.estimate(FakeCollection(), np.zeros(3), np.zeros(3))
    with pytest.raises(MissingDependencyError, match=r"pip install 'pidkit\[dask\]'"):
        pid.decompose_many(np.full((2, 2, 2, 2), 1 / 8), client=object())


def test_bad_client_and_batch_estimator():
    x1, x2, y = _data(n=500)
    with pytest.raises(ParameterError, match="client must be None"):
        pid.decompose_many(np.full((2, 2, 2, 2), 1 / 8), client="localhost:8786")
    with pytest.raises(ParameterError, match="estimator='batch'"):
        pid.estimate(da.from_array(x1), da.from_array(x2), da.from_array(y), estimator="batch")
    with pytest.raises(ParameterError, match="sample_size applies to dask inputs only"):
        pid.estimate(x1, x2, y, sample_size=100)


def test_read_parquet_selects_columns(tmp_path):
    pytest.importorskip("pyarrow")
    x1, x2, y = _data(n=3000, seed=8)
    frame = pd.DataFrame({"a": x1, "emb_0": x2[:, 0], "emb_1": x2[:, 1], "emb_2": x2[:, 2], "label": y})
    for i, part in enumerate(np.array_split(np.arange(3000), 3)):
        frame.iloc[part].to_parquet(tmp_path / f"part{i}.parquet")
    a, b, lab = pid.scale.read_parquet(str(tmp_path / "*.parquet"), x1="a", x2="emb_*", y="label")
    assert list(b.columns) == ["emb_0", "emb_1", "emb_2"]
    disc = pid.Discretizer(random_state=0).fit(x1, x2, y)
    _same(pid.estimate(a, b, lab, discretizer=disc), pid.estimate(x1, x2, y, discretizer=disc, estimator="cvx"))
    with pytest.raises(pid.exceptions.InputError, match="no column matches 'txt_\\*'"):
        pid.scale.read_parquet(str(tmp_path / "*.parquet"), x1="a", x2="txt_*", y="label")


def test_sampler_covers_float_categories_and_skips_binned_labels():
    rng = np.random.default_rng(9)
    n = 8000
    x1 = rng.integers(0, 3, n).astype(float)
    x1[5555] = 7.0  # a float category seen once: must still get a code
    x2 = rng.integers(0, 2, n)
    y = (x1 + x2) % 2
    res = pid.estimate(da.from_array(x1, chunks=1000), da.from_array(x2, chunks=1000), da.from_array(y, chunks=1000),
                       sample_size=200, random_state=0)
    assert res.shape == (4, 2, 2) and res.n_samples == n
    # a continuous label binned by y_bins: no "first row of every value" (that would be every row)
    from pidkit.scale.counts import dask_joint_counts

    yc = rng.normal(size=n)
    disc = pid.Discretizer(y_bins=4, random_state=0)
    counts, total = dask_joint_counts(da.from_array(x1, chunks=1000), da.from_array(x2, chunks=1000),
                                      da.from_array(yc, chunks=1000), disc, sample_size=300)
    assert total == n and counts.sum() == n and disc.n_samples_fit_ < 400


def test_estimator_options_are_checked_before_the_data_are_read():
    x1, x2, y = _data(n=600)
    lazy = [da.from_array(v, chunks=200) for v in (x1, x2, y)]
    with pytest.raises(ParameterError, match="foo"):
        pid.estimate(*lazy, foo=1)
    with pytest.raises(ParameterError, match="solver must be one of"):
        pid.estimate(*lazy, solver="gurobi")
    with pytest.raises(pid.exceptions.TableTooLargeError, match="max_table_bytes=64"):
        pid.estimate(*lazy, max_table_bytes=64)


def test_nan_in_a_later_partition_is_named_by_its_global_row():
    from pidkit.exceptions import NonFiniteInputError

    rng = np.random.default_rng(0)
    x1, x2, y = rng.normal(size=4000), rng.normal(size=4000), rng.integers(0, 2, 4000)
    x1[2500] = np.nan
    fitted = pid.Discretizer(n_bins=3).fit(np.nan_to_num(x1[:500]), x2[:500], y[:500])
    chunks = [da.from_array(a, chunks=1000) for a in (x1, x2, y)]
    for disc in (fitted, None):  # the counting pass, and the sampling pass of an unfitted Discretizer
        with pytest.raises(NonFiniteInputError, match="rows 2,000-2,999 \\(first at row 2,500\\)"):
            pid.estimate(*chunks, discretizer=disc, sample_size=200, info_check=False)
