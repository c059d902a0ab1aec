"""The package as users get it: a wheel built by the package's build backend, installed into a fresh
virtual environment, runs `pidkit demo` — the compiled kernels and the package data (the model-selection
catalog and its costs) ship inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("cmake") is None, reason="building the wheel needs CMake")
def test_wheel_installs_and_runs_the_demo(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(dist), str(ROOT)], capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(dist.glob("pidkit-*.whl"))
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=300)
    py = env_dir / "bin" / "python"
    # the dependencies come from this environment's site-packages (a path entry only: its own pidkit,
    # an editable install, is not activated), pidkit itself only from the wheel
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIDKIT_KERNEL")}
    where = subprocess.run([str(py), "-c", "import pidkit, pidkit.kernels as k; print(pidkit.__file__); "
                            "print(k.kernel_name()); from pidkit.selection import load_catalog; print(load_catalog())"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert where.returncode == 0, where.stderr[-3000:]
    lines = where.stdout.splitlines()
    assert lines[0].startswith(site) and lines[1] == "native" and "Catalog(" in lines[2], where.stdout
    demo = subprocess.run([str(env_dir / "bin" / "pidkit"), "demo", "--no-batch", "--no-models"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "xor" in demo.stdout
