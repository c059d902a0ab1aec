"""Threads of the exact solver: one thread for small factorizations, idle cores for large ones, the BLAS
thread pools limited for the solve and restored after, and ``$PIDKIT_NUM_THREADS`` / ``threads=``."""

from __future__ import annotations

import types

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import pidkit as pid
import pidkit._threads as thr
from pidkit.estimators import native_backend
from pidkit.exceptions import ParameterError


def _blas_threads() -> list[int]:
    return [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]


def _recording_kernel(monkeypatch) -> list[tuple[int, list[int]]]:
    """Replace the kernel's ipm_solve by a wrapper that records (n_threads, BLAS threads during the call)."""
    seen: list[tuple[int, list[int]]] = []
    real = native_backend.get_kernel

    def fake_get_kernel(name):
        mod = real(name)

        def ipm_solve(*args, **kwargs):
            seen.append((int(args[11]), _blas_threads()))
            return mod.ipm_solve(*args, **kwargs)

        return types.SimpleNamespace(ipm_solve=ipm_solve, ipm_plan=getattr(mod, "ipm_plan", None))

    monkeypatch.setattr(native_backend, "get_kernel", fake_get_kernel)
    return seen


def _table(n: int, ny: int = 4) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.dirichlet(np.ones(n * n * ny)).reshape(n, n, ny)


def test_small_solves_use_one_thread_and_restore_the_blas_setting(monkeypatch):
    monkeypatch.delenv(thr.THREADS_ENV, raising=False)
    before = _blas_threads()
    seen = _recording_kernel(monkeypatch)
    pid.decompose(_table(20))
    assert seen and seen[0][0] == 1
    assert all(t == 1 for t in seen[0][1])  # every BLAS pool at one thread during the solve
    assert _blas_threads() == before  # and as it was afterwards


def test_larger_solves_use_the_idle_cores(monkeypatch):
    monkeypatch.delenv(thr.THREADS_ENV, raising=False)
    monkeypatch.setattr(native_backend, "MULTI_THREAD_FLOPS", 0.0)  # every table counts as mid-sized
    monkeypatch.setattr(native_backend, "idle_cores_now", lambda: 2)  # the run queue, for mid-sized solves
    monkeypatch.setattr(native_backend, "idle_cores", lambda: 3)  # 50 ms of CPU counters, for large ones
    seen = _recording_kernel(monkeypatch)
    pid.decompose(_table(20))
    monkeypatch.setattr(native_backend, "MEASURED_LOAD_FLOPS", 0.0)
    pid.decompose(_table(20))
    assert [s[0] for s in seen] == [2, 3]


def test_idle_cores_now_reads_the_run_queue(monkeypatch):
    monkeypatch.setattr(thr, "usable_cores", lambda: 4)
    monkeypatch.setattr(thr.time, "sleep", lambda s: None)
    readings = iter([1, 3, 1, 1, 9])  # a passing spike does not count: the median is taken
    monkeypatch.setattr(thr, "_running_others", lambda: next(readings))
    assert thr.idle_cores_now() == 3
    monkeypatch.setattr(thr, "_running_others", lambda: 7)
    assert thr.idle_cores_now() == 1
    monkeypatch.setattr(thr, "_running_others", lambda: None)  # no /proc: every usable core
    assert thr.idle_cores_now() == 4


def test_threads_argument_and_environment_override_auto(monkeypatch):
    seen = _recording_kernel(monkeypatch)
    monkeypatch.setenv(thr.THREADS_ENV, "2")
    pid.decompose(_table(10))
    pid.decompose(_table(10), threads=1)  # the argument wins over the environment
    assert [s[0] for s in seen] == [2, 1]
    monkeypatch.setenv(thr.THREADS_ENV, "zero")
    with pytest.raises(ParameterError, match="PIDKIT_NUM_THREADS"):
        pid.decompose(_table(10))


@pytest.mark.parametrize("bad", [0, -1, 1.5, "many", True])
def test_bad_thread_counts_are_refused(bad):
    with pytest.raises(ParameterError, match="threads"):
        pid.decompose(_table(3), threads=bad)
    with pytest.raises(ParameterError, match="threads"):
        pid.estimate(np.arange(40) % 3, np.arange(40) % 2, np.arange(40) % 2, threads=bad)


def test_idle_cores_subtract_other_processes(monkeypatch):
    monkeypatch.setattr(thr, "usable_cores", lambda: 4)
    monkeypatch.setattr(thr.time, "sleep", lambda s: None)
    # (idle, total, wall, own): over 1 s of wall time on 4 cores, 1.5 idle, this process used 0.5
    stamps = iter([(0.0, 0.0, 0.0, 0.0), (1.5, 4.0, 1.0, 0.5)])
    monkeypatch.setattr(thr, "stamp", lambda: next(stamps))
    assert thr.idle_cores() == 2  # others keep 2 cores busy
    monkeypatch.setattr(thr, "stamp", lambda: None)  # no /proc/stat: all usable cores
    assert thr.idle_cores() == 4
    assert thr.idle_cores(ceiling=2) == 2


def test_a_cgroup_quota_caps_the_usable_cores(monkeypatch):
    monkeypatch.setattr(thr.os, "sched_getaffinity", lambda pid_: set(range(8)))
    monkeypatch.setattr(thr, "_cgroup_cores", lambda: 1.5)
    assert thr.usable_cores() == 2
    monkeypatch.setattr(thr, "_cgroup_cores", lambda: None)
    assert thr.usable_cores() == 8
