"""How much memory a computation may plan on: the machine's physical memory, capped by the limits the
process actually runs under.

A budget computed from physical memory alone is wrong in exactly the places where memory is
tight: a process started under ``ulimit -v`` (RLIMIT_AS) or ``ulimit -d`` (RLIMIT_DATA), or inside a
container whose cgroup limits its memory, fails with a bare ``MemoryError`` (or is killed) long
before physical memory runs out. :func:`memory_limit` is the smallest of

* physical memory (``SC_PHYS_PAGES``);
* RLIMIT_AS minus the address space already mapped (``VmSize``), and RLIMIT_DATA minus the data
  segment already in use (``VmData``), when those limits are set;
* the cgroup's limit minus its current usage (v2 ``memory.max`` / ``memory.current``, v1
  ``memory.limit_in_bytes`` / ``memory.usage_in_bytes``), when one is set.

Everything is read at the call (limits can change), each source is optional, and a source that
cannot be read is skipped.
"""

from __future__ import annotations

import os

__all__ = ["memory_limit", "binding_memory_limit", "physical_memory", "MEMORY_CHECK_FLOOR"]

_FALLBACK = 8 * 1024**3  # neither sysconf nor /proc (not POSIX)
#: Allocations up to this size are made without reading the limits first (reading them costs ~80 us, more
#: than a small solve's whole bookkeeping); a failure there is still caught and reported as TableTooLargeError.
MEMORY_CHECK_FLOOR = 64 * 1024**2


def physical_memory() -> int:
    """Physical memory of the machine in bytes."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return _FALLBACK


def _status_kib(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (VmSize, VmData), in bytes."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _rlimit_room() -> list[tuple[int, str]]:
    """Room left under RLIMIT_AS and RLIMIT_DATA (only the limits that are set), with their names."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return []
    room = []
    for name, used, what in (("RLIMIT_AS", "VmSize", "the address-space limit (ulimit -v)"),
                             ("RLIMIT_DATA", "VmData", "the data-segment limit (ulimit -d)")):
        limit = getattr(resource, name, None)
        if limit is None:
            continue
        try:
            soft = resource.getrlimit(limit)[0]
        except (OSError, ValueError):
            continue
        if soft == resource.RLIM_INFINITY or soft < 0:
            continue
        room.append((max(0, int(soft) - (_status_kib(used) or 0)), what))
    return room


def _read_int(path: str) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    if not text or text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _cgroup_room() -> int | None:
    """Room left under this process's cgroup memory limit (v2, then v1); None when there is none."""
    base = _cgroup_dir()
    for limit_file, usage_file in (("memory.max", "memory.current"),
                                   ("memory.limit_in_bytes", "memory.usage_in_bytes")):
        for root in (base, "/sys/fs/cgroup", "/sys/fs/cgroup/memory"):
            if root is None:
                continue
            limit = _read_int(os.path.join(root, limit_file))
            if limit is None or limit >= 2**60:  # v1 writes "no limit" as a huge number
                continue
            usage = _read_int(os.path.join(root, usage_file)) or 0
            return max(0, limit - usage)
    return None


def _cgroup_dir() -> str | None:
    """This process's cgroup v2 directory (from /proc/self/cgroup)."""
    try:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                parts = line.strip().split(":", 2)
                if len(parts) == 3 and parts[0] == "0":
                    return "/sys/fs/cgroup" + parts[2]
    except OSError:
        return None
    return None


def binding_memory_limit() -> tuple[int, str]:
    """(bytes this process can still allocate, which limit binds), the smallest of all sources."""
    candidates = [(physical_memory(), "physical memory"), *_rlimit_room()]
    cgroup = _cgroup_room()
    if cgroup is not None:
        candidates.append((cgroup, "the cgroup memory limit"))
    room, what = min(candidates, key=lambda c: c[0])
    return max(0, room), what


def memory_limit() -> int:
    """Bytes this process can still allocate: the smallest of physical memory, rlimit and cgroup room."""
    return binding_memory_limit()[0]
