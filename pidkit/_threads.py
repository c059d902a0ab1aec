"""How many threads a computation should use: the cores this process may run on, and how many of them
other processes leave idle.

Why this matters: OpenBLAS, OpenMP and torch threads wait for each other at the end of every
parallel region. When other processes keep the cores busy, one of those threads is descheduled and
the whole region waits a scheduler time slice: on 2 cores with other work running, 2 BLAS threads
made a 100 x 100 x 10 exact solve 5-13x slower than 1 thread, and 2 torch threads made BATCH fits
10-15x slower. So small computations use one thread, and large ones at most the cores left idle.

* :func:`usable_cores` — CPU affinity, capped by a cgroup CPU quota (containers).
* :func:`idle_cores` — usable cores minus what other processes used over a short window
  (``/proc/stat``, Linux; elsewhere all usable cores); :func:`idle_cores_now` the same from the run
  queue at this instant (``/proc/loadavg``), for computations too short to wait 50 ms.
* :func:`env_threads` — ``$PIDKIT_NUM_THREADS``, the user's fixed thread count for pidkit's solvers.
* :func:`limit_blas` — the BLAS libraries' thread pools (NumPy's and SciPy's OpenBLAS / MKL) set for
  a scope with threadpoolctl (a scikit-learn dependency), restored after.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from typing import Any

import numpy as np

from .exceptions import ParameterError

__all__ = ["usable_cores", "cpu_times", "idle_cores", "idle_cores_now", "env_threads", "check_threads", "limit_blas",
           "THREADS_ENV"]

THREADS_ENV = "PIDKIT_NUM_THREADS"


def check_threads(value: Any, name: str = "threads", auto: str = "from the work and the idle cores") -> int | str:
    """``"auto"`` or a positive int."""
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"{name} must be 'auto' ({auto}) or a positive int; got {value!r}.")
    return int(value)


def env_threads() -> int | None:
    """``$PIDKIT_NUM_THREADS`` as a positive int, or None when unset."""
    env = os.environ.get(THREADS_ENV, "").strip()
    if not env:
        return None
    try:
        value = int(env)
    except ValueError:
        value = 0
    if value < 1:
        raise ParameterError(f"{THREADS_ENV} must be a positive integer; got {env!r}. Unset it for automatic threads.")
    return value


def _cgroup_cores() -> float | None:
    """The CPU quota of this process's cgroup (v2 ``cpu.max`` or v1 ``cfs_quota_us``), in cores."""
    for quota_file, period_file in (("/sys/fs/cgroup/cpu.max", None),
                                    ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")):
        try:
            with open(quota_file) as fh:
                fields = fh.read().split()
            if period_file is not None:
                with open(period_file) as fh:
                    fields.append(fh.read().strip())
        except OSError:
            continue
        if len(fields) >= 2 and fields[0] not in ("max", "-1"):
            try:
                quota, period = float(fields[0]), float(fields[1])
            except ValueError:
                return None
            return quota / period if quota > 0 and period > 0 else None
        return None
    return None


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_cores()
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, cores)


def cpu_times() -> tuple[float, float] | None:
    """(idle, total) CPU seconds of the whole machine since boot from /proc/stat (None off Linux)."""
    try:
        with open("/proc/stat") as fh:
            fields = fh.readline().split()
        tick = float(os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, AttributeError):
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 5:
        return None
    vals = [float(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal (guest is in user)
    return (vals[3] + vals[4]) / tick, sum(vals) / tick


def free_cores(before: tuple[float, float, float, float], after: tuple[float, float, float, float],
               cores: int) -> float | None:
    """Cores other processes left idle between two stamps (idle, total, wall, own CPU seconds)."""
    d_idle, d_total, d_wall, d_own = (a - b for a, b in zip(after, before, strict=True))
    if d_wall < 0.02 or d_total <= 0:
        return None
    machine = d_total / d_wall  # cores the counters cover (the VM / host view)
    others = max(0.0, machine - d_idle / d_wall - d_own / d_wall)  # cores busy with other processes
    return min(float(cores), machine) - others


def stamp() -> tuple[float, float, float, float] | None:
    """(idle, total) machine CPU seconds, wall time and this process's CPU time, for :func:`free_cores`."""
    times = cpu_times()
    return None if times is None else (*times, time.perf_counter(), time.process_time())


def idle_cores(ceiling: int | None = None, window: float = 0.05) -> int:
    """Usable cores that other processes leave idle, measured over ``window`` seconds; at least 1.

    Without ``/proc/stat`` (macOS, Windows) all usable cores (up to ``ceiling``) count as idle.
    """
    cores = usable_cores()
    top = cores if ceiling is None else max(1, min(cores, int(ceiling)))
    if top <= 1:
        return 1
    before = stamp()
    if before is None:
        return top
    time.sleep(window)
    after = stamp()
    free = None if after is None else free_cores(before, after, cores)
    if free is None:
        return top
    return max(1, min(top, int(math.floor(free + 0.25))))


def _running_others() -> int | None:
    """Threads of other processes running or ready to run right now (/proc/loadavg minus this process's)."""
    try:
        with open("/proc/loadavg") as fh:
            running = int(fh.read().split()[3].split("/")[0])
        own = 0
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/stat") as fh:
                    own += fh.read().rsplit(")", 1)[1].split()[0] == "R"
            except (OSError, IndexError):
                continue
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - own)


def idle_cores_now(ceiling: int | None = None, samples: int = 5) -> int:
    """Like :func:`idle_cores`, from the run queue at this instant (no waiting): the median of ``samples``
    readings of /proc/loadavg 1 ms apart. Cheap enough for solves of a fraction of a second."""
    cores = usable_cores()
    top = cores if ceiling is None else max(1, min(cores, int(ceiling)))
    if top <= 1:
        return 1
    seen = []
    for i in range(samples):
        others = _running_others()
        if others is None:
            return top
        seen.append(others)
        if i + 1 < samples:
            time.sleep(0.001)
    others = sorted(seen)[len(seen) // 2]
    return max(1, min(top, cores - others))


_controller: Any = None


@contextmanager
def limit_blas(threads: int):
    """Within the scope, every loaded BLAS library uses at most ``threads`` threads (threadpoolctl)."""
    global _controller
    try:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        limiter = _controller.limit(limits=int(threads), user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing or a BLAS it cannot drive: leave it as is
        yield
        return
    try:
        yield
    finally:
        limiter.restore_original_limits()
