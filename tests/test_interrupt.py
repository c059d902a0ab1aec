"""Ctrl-C stops the compiled solver: a real SIGINT during a long native call raises KeyboardInterrupt
promptly and leaves the interpreter usable.

Each case runs in a fresh interpreter whose workload would take hours without interruption (an
unreachable ``tol`` with a huge ``max_iter``); a Timer sends the process SIGINT after 0.5 s. The
only time limit is the subprocess timeout: if the kernel ignored the signal, the child would not
finish within it and the test fails.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pidkit.kernels import native_available

pytestmark = pytest.mark.skipif(not native_available(), reason="the compiled kernel is not built")

_CHILD = textwrap.dedent(
    """
    import os, signal, threading, warnings
    import numpy as np
    import pidkit as pid

    warnings.simplefilter("ignore")
    # a parent that ignores SIGINT (a pytest-xdist worker does) passes that on: Python then installs no
    # KeyboardInterrupt handler, so install it, as an interactive session has it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = np.random.default_rng(0)
    work = {
        "decompose": lambda: pid.decompose(rng.random((40, 40, 4)), normalize=True, tol=1e-300, max_iter=10**9),
        "decompose_many": lambda: pid.decompose_many(
            rng.random((64, 6, 6, 3)), normalize=True, tol=1e-300, max_iter=10**9),
    }[CASE]
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        work()
        print("finished")
    except KeyboardInterrupt:
        print("interrupted")
    # the interpreter and the kernel still work
    print("after", abs(round(pid.decompose(np.full((2, 2, 2), 0.125)).S, 6)))
    """
)


@pytest.mark.parametrize("case", ["decompose", "decompose_many"])
def test_ctrl_c_stops_a_native_solve(case):
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD.replace("CASE", repr(case))], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["interrupted", "after", "0.0"], proc.stdout + proc.stderr
