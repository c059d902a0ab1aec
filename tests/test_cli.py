import subprocess
import sys

import pytest

from pidkit.cli import main


def test_demo_prints_gates_and_digits(capsys):
    assert main(["demo", "--seed", "1", "--no-batch", "--no-models"]) == 0
    out = capsys.readouterr().out
    for gate in ("xor", "and", "copy", "rdn", "unq", "sum"):
        assert f"   {gate} " in out
    assert "digits" in out and "I(X1,X2;Y)" in out
    assert "redundant" in out or "synergistic" in out or "unique" in out
    # every gate row reports its distance to the known value; all must be tiny
    gates = ("xor", "and", "or", "copy", "rdn", "unq", "sum")
    rows = [line for line in out.splitlines() if line.strip().split(" ")[0] in gates]
    assert len(rows) == 7
    assert all(float(r.split()[-1]) < 1e-6 for r in rows)


def test_demo_model_section(capsys):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    assert main(["demo", "--seed", "0", "--no-batch"]) == 0
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines()]
    rows = {w[0]: w for w in lines if w and w[0] in ("additive", "tensor")}
    assert set(rows) == {"additive", "tensor"}
    acc = {k: float(v[2]) for k, v in rows.items()}
    synergy = {k: float(v[-2]) for k, v in rows.items()}
    assert acc["tensor"] > acc["additive"] + 0.1 and synergy["tensor"] > 0.1 > synergy["additive"]
    rec = next(line for line in out.splitlines() if line.strip().startswith("recommended"))
    assert "additive fusion" in rec and "additive (" not in rec  # a synergistic dataset: not additive fusion


def test_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "pidkit", "--help"], capture_output=True, text=True, check=True)
    assert "demo" in proc.stdout


@pytest.mark.slow
def test_demo_batch_section(capsys):
    pytest.importorskip("torch")
    assert main(["demo", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "BATCH estimator on the raw 32 + 32 pixels" in out and "estimator 'batch'" in out
