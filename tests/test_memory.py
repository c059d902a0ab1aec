"""Memory budgets follow the limits the process runs under (RLIMIT_AS / RLIMIT_DATA, cgroup), not only
physical memory: a table that does not fit is refused with TableTooLargeError before allocating."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pidkit as pid
import pidkit._memory as mem
from pidkit.estimators import native_backend
from pidkit.exceptions import TableTooLargeError


def test_the_smallest_limit_binds(monkeypatch):
    monkeypatch.setattr(mem, "physical_memory", lambda: 64 * 2**30)
    monkeypatch.setattr(mem, "_rlimit_room", lambda: [(3 * 2**30, "the address-space limit (ulimit -v)")])
    monkeypatch.setattr(mem, "_cgroup_room", lambda: None)
    assert mem.binding_memory_limit() == (3 * 2**30, "the address-space limit (ulimit -v)")
    monkeypatch.setattr(mem, "_cgroup_room", lambda: 2**30)
    assert mem.binding_memory_limit() == (2**30, "the cgroup memory limit")
    monkeypatch.setattr(mem, "_rlimit_room", lambda: [])
    monkeypatch.setattr(mem, "_cgroup_room", lambda: None)
    assert mem.memory_limit() == 64 * 2**30
    assert native_backend.default_solver_bytes() == int(0.75 * 64 * 2**30)


def test_cgroup_files_are_read(monkeypatch, tmp_path):
    (tmp_path / "memory.max").write_text("1073741824\n")
    (tmp_path / "memory.current").write_text("73741824\n")
    monkeypatch.setattr(mem, "_cgroup_dir", lambda: str(tmp_path))
    assert mem._cgroup_room() == 1_000_000_000
    (tmp_path / "memory.max").write_text("max\n")
    monkeypatch.setattr(mem.os.path, "join", lambda root, name: str(tmp_path / name))  # no other root either
    assert mem._cgroup_room() is None


def test_the_solver_budget_names_the_binding_limit(monkeypatch):
    monkeypatch.setattr(native_backend, "binding_memory_limit", lambda: (1000, "the cgroup memory limit"))
    monkeypatch.setattr(native_backend, "MEMORY_CHECK_FLOOR", 0)  # small solves skip reading the limits
    rng = np.random.default_rng(0)
    with pytest.raises(TableTooLargeError, match="cgroup memory limit"):
        pid.decompose(rng.dirichlet(np.ones(20 * 20 * 4)).reshape(20, 20, 4))


_CHILD = textwrap.dedent(
    """
    import resource
    import numpy as np
    import pidkit as pid
    from pidkit.exceptions import TableTooLargeError

    p = np.random.default_rng(0).dirichlet(np.ones(1000 * 1000 * 10)).reshape(1000, 1000, 10)
    with open("/proc/self/status") as fh:
        used = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
    limit = used + 700 * 2**20  # room for the validation (~0.45 GiB), not for the solve (~1.4 GiB)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    try:
        pid.decompose(p)
        print("solved")
    except TableTooLargeError as exc:
        print("refused:", exc)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc/self/status are Linux's")
def test_an_address_space_limit_is_planned_for():
    proc = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("refused:"), proc.stdout + proc.stderr[-2000:]
    assert "ulimit -v" in proc.stdout


def test_small_solves_do_not_read_the_limits(monkeypatch):
    def fail():
        raise AssertionError("the limits were read for a small table")

    import pidkit.estimators.exact as exact

    monkeypatch.setattr(native_backend, "binding_memory_limit", fail)
    monkeypatch.setattr(exact, "binding_memory_limit", fail)
    assert pid.decompose(np.full((3, 3, 2), 1 / 18)).diagnostics.status == "optimal"
