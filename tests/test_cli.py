import json
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
    rec = out[out.index("pid.select_models on the training split"):]
    chosen = rec.split("recommends '")[1].split("'")[0]
    # a synergistic dataset: a model that reaches the synergy, and late fusion is said to miss it
    assert chosen not in ("additive", "agreement", "late", "late-stacked", "x1-only", "x2-only")
    assert "it cannot reach" in rec and "paired" in rec


def test_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "pidkit", "--help"], capture_output=True, text=True, check=True)
    assert "demo" in proc.stdout


@pytest.mark.slow
def test_demo_digits_fall_back_to_batch(capsys):
    pytest.importorskip("torch")
    assert main(["demo", "--seed", "1", "--no-models"]) == 0
    out = capsys.readouterr().out
    digits = out[out.index("3. Real data"):]
    assert "estimator 'batch'" in digits and "'auto' fell back to BATCH" in digits
    rows = {line.split("  ")[1].strip(): line for line in digits.splitlines() if line.startswith("   default")
            or line.startswith("   cvx,")}
    assert len(rows) == 3 and rows["default (batch)"].rstrip().endswith("-")  # the default: no atom out of range
    assert "10 k-means clusters" in digits and "InformationLossWarning" in digits


# ------------------------------------------------------------------------------ file commands
@pytest.fixture()
def and_csv(tmp_path):
    """3,000 AND samples with two noise columns and a text label, as a CSV."""
    import csv

    import numpy as np

    from pidkit.synthetic import sample_gate

    x1, x2, y = sample_gate("and", 3000, random_state=0)
    rng = np.random.default_rng(0)
    path = tmp_path / "and.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "noise_0", "noise_1", "label"])
        for i in range(3000):
            w.writerow([x1[i], x2[i], f"{rng.normal():.3f}", f"{rng.normal():.3f}", ["no", "yes"][y[i]]])
    return path


def run_cli(args, capsys):
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def test_estimate_csv_table_json_and_plot(and_csv, tmp_path, capsys):
    import pidkit as pid

    status, out, _ = run_cli(["estimate", and_csv, "--x1", "a", "--x2", "b", "--y", "label"], capsys)
    assert status == 0 and "table 2x2x2, 3000 samples" in out and "synergy" in out
    png = tmp_path / "pid.png"
    status, out, err = run_cli(["estimate", and_csv, "--x1", "a", "--x2", "b", "--y", "label", "--ci", "0.9",
                                "--json", "--plot", png], capsys)
    assert status == 0 and err == ""
    res = pid.PIDResult.from_json(out)
    assert res.S == pytest.approx(0.491, abs=0.01) and res.uncertainty.level == 0.9 and res.ci("S")[0] < res.S
    assert png.is_file() and png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    out_json = tmp_path / "res.json"
    status, out, _ = run_cli(["estimate", and_csv, "--x1", "0:1", "--x2", "b", "--y", "label", "--json", out_json],
                             capsys)
    saved = pid.PIDResult.from_json(out_json.read_text())
    assert status == 0 and "redundancy" in out and saved.S == pytest.approx(res.S)


def test_estimate_column_selection_and_options(and_csv, capsys):
    status, out, _ = run_cli(["estimate", and_csv, "--x1", "noise_*", "--x2", "a:b", "--y", "label", "--clusters", "3",
                              "--estimator", "cvx", "-o", "solver=native"], capsys)
    assert status == 0 and "table 3x4x2" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--x1", "c", "--x2", "b", "--y", "label"], "--x1: no column 'c' in"),
        (["--x1", "a", "--x2", "b", "--y", "label", "--ci", "2"], "ci must be a confidence level"),
        (["--x1", "a", "--x2", "b", "--y", "noise_*"], "--y selects 2 columns"),
        (["--x1", "a", "--x2", "b", "--y", "noise_0", "--estimator", "cvx"], "y looks continuous"),
        (["--x1", "z*", "--x2", "b", "--y", "label"], "the pattern 'z*' matches no column"),
        (["--x1", "a", "--x2", "b", "--y", "label", "-o", "solver=nope"], "solver must be one of"),
        (["--x1", "a", "--x2", "b", "--y", "label", "-o", "oops"], "--option expects KEY=VALUE"),
    ],
)
def test_bad_invocations_name_the_problem(and_csv, capsys, args, message):
    status, out, err = run_cli(["estimate", and_csv, *args], capsys)
    assert status == 2 and out == "" and message in err and err.startswith("pidkit estimate: error:")


def test_missing_file_and_bad_table(tmp_path, capsys):
    status, _, err = run_cli(["estimate", tmp_path / "nope.csv", "--x1", "a", "--x2", "b", "--y", "c"], capsys)
    assert status == 2 and "no file" in err
    import numpy as np

    np.save(tmp_path / "flat.npy", np.ones(5))
    status, _, err = run_cli(["decompose", tmp_path / "flat.npy"], capsys)
    assert status == 2 and "must be a 3-D table" in err


def test_decompose_npy_counts_with_intervals(tmp_path, capsys):
    import numpy as np

    import pidkit as pid

    np.save(tmp_path / "xor.npy", pid.synthetic.gate_pmf("xor"))
    status, out, _ = run_cli(["decompose", tmp_path / "xor.npy"], capsys)
    assert status == 0 and "S    synergy              1.000000" in out
    counts = np.random.default_rng(0).multinomial(2000, pid.synthetic.gate_pmf("and").ravel()).reshape(2, 2, 2)
    np.save(tmp_path / "and.npy", counts)
    status, out, _ = run_cli(["decompose", tmp_path / "and.npy", "--ci", "0.95", "--n-boot", "200", "--json"], capsys)
    res = pid.PIDResult.from_json(out)
    assert status == 0 and res.n_samples == 2000 and res.uncertainty.n_boot == 200


def test_bounds_and_select_from_npz(tmp_path, capsys):
    import numpy as np

    from pidkit.datasets import load_digits_halves

    x1, x2, y = load_digits_halves()
    a, b, c = np.array_split(np.random.default_rng(0).permutation(len(y)), 3)
    np.savez(tmp_path / "d1.npz", top=x1[a], digit=y[a])
    np.savez(tmp_path / "d2.npz", bottom=x2[b], digit=y[b])
    np.savez(tmp_path / "pairs.npz", top=x1[c], bottom=x2[c])
    status, out, _ = run_cli(["bounds", "--d1", tmp_path / "d1.npz", "--d2", tmp_path / "d2.npz", "--paired",
                              tmp_path / "pairs.npz", "--x1", "top", "--x2", "bottom", "--y", "digit", "--json"],
                             capsys)
    import json

    d = json.loads(out)
    assert status == 0 and d["S_lower"] <= d["S_upper"] and {"R", "U1", "U2", "accuracy"} <= set(d)
    np.savez(tmp_path / "digits.npz", top=x1, bottom=x2, digit=y)
    from pidkit.exceptions import OutsideCatalogWarning

    with pytest.warns(OutsideCatalogWarning, match="beyond twice the references' range"):  # 10 digits: ~2.2 bits
        status, out, err = run_cli(["select", tmp_path / "digits.npz", "--x1", "top", "--x2", "bottom", "--y",
                                    "digit", "-k", "2", "--plot", tmp_path / "sel.png"], capsys)
    assert status == 0 and "recommended:" in out and "highest expected accuracy:" in out
    assert (tmp_path / "sel.png").is_file()
    status, _, err = run_cli(["select", tmp_path / "digits.npz", "--x1", "top", "--x2", "bottom", "--y", "digit",
                              "--tolerance", "2", "--no-verify"], capsys)
    assert status == 2 and "--tolerance must be a fraction" in err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("pidkit ")


def test_parquet(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from pidkit.synthetic import sample_gate

    x1, x2, y = sample_gate("xor", 1000, random_state=0)
    pq.write_table(pa.table({"left": x1, "right": x2, "target": y}), tmp_path / "xor.parquet")
    status, out, _ = run_cli(["estimate", tmp_path / "xor.parquet", "--x1", "left", "--x2", "right", "--y", "target"],
                             capsys)
    assert status == 0 and "S    synergy" in out


# ------------------------------------------------------------------------------ the same data, any file (issue 20)
@pytest.fixture()
def wine_files(tmp_path):
    """sklearn's wine, integer-valued (x 10, rounded), as a CSV (read as int64) and a Parquet file (float64)."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    frame = pd.DataFrame(np.round(X * 10).astype(np.int64), columns=[f"f{i}" for i in range(13)])
    frame["kind"] = np.array(["barolo", "grignolino", "barbera"])[y]
    frame["price"] = np.arange(len(y)) * 3 + 10  # a many-valued integer column: no label
    frame.to_csv(tmp_path / "wine.csv", index=False)
    pytest.importorskip("pyarrow")
    frame.astype({f"f{i}": np.float64 for i in range(13)}).to_parquet(tmp_path / "wine.parquet")
    return tmp_path / "wine.csv", tmp_path / "wine.parquet"


def test_csv_and_parquet_give_the_same_answer(wine_files, capsys):
    import json

    runs = []
    for path in wine_files:
        status, out, _ = run_cli(["estimate", path, "--x1", "f0:f6", "--x2", "f7:f12", "--y", "kind", "--json"], capsys)
        assert status == 0
        runs.append(json.loads(out))
    csv_run, parquet_run = runs
    assert csv_run["estimator"] == parquet_run["estimator"] == "cvx"
    for a in ("R", "U1", "U2", "S", "total"):
        assert csv_run[a] == parquet_run[a]
    assert csv_run["diagnostics"]["discretization"] == parquet_run["diagnostics"]["discretization"]
    assert min(csv_run["info_check"]["kept"].values()) >= 0.85
    assert csv_run["diagnostics"]["notes"][0].startswith("estimator='auto' chose 'cvx'")


def test_label_rules_on_the_command_line(wine_files, capsys):
    csv_path = wine_files[0]
    status, out, err = run_cli(["estimate", csv_path, "--x1", "f0:f6", "--x2", "f7:f12", "--y", "price"], capsys)
    assert status == 2 and out == "" and "178 distinct values (all integers)" in err and "--y-categorical" in err
    status, out, _ = run_cli(["estimate", csv_path, "--x1", "f0", "--x2", "f7", "--y", "price", "--y-bins", "3",
                              "--info-check", "off"], capsys)
    assert status == 0 and "x3," in out.splitlines()[0]
    status, _, err = run_cli(["estimate", csv_path, "--x1", "f0", "--x2", "f7", "--y", "price", "--y-bins", "3",
                              "--y-categorical"], capsys)
    assert status == 2 and "pass one" in err


def test_compare_says_which_to_believe(wine_files, capsys):
    import json

    csv_path = wine_files[0]
    status, out, _ = run_cli(["estimate", csv_path, "--x1", "f0:f6", "--x2", "f7:f12", "--y", "kind", "--compare",
                              "--estimator", "cvx", "--ci", "0.9"], capsys)
    assert status == 0 and "believe: 'cvx (auto)'" in out and "kept I1/I2/I12" in out and "failed" in out
    assert "cvx (fewer" in out and "set aside" in out
    status, out, _ = run_cli(["estimate", csv_path, "--x1", "f0:f6", "--x2", "f7:f12", "--y", "kind", "--compare",
                              "--estimator", "cvx", "--json"], capsys)
    payload = json.loads(out)
    assert payload["best"] == "cvx (auto)" and "cvx (auto)" in payload["results"]
    assert payload["results"]["cvx (auto)"]["uncertainty"]["level"] == 0.95
    status, _, err = run_cli(["estimate", csv_path, "--x1", "f0:f6", "--x2", "f7:f12", "--y", "kind", "--compare",
                              "--clusters", "4"], capsys)
    assert status == 2 and "drop --bins / --clusters" in err


# ------------------------------------------------------------------------------ missing values
@pytest.fixture()
def gappy_csv(tmp_path):
    """2,000 rows: a continuous noise column with gaps of every spelling, a clean feature, a label; Excel's BOM."""
    import numpy as np

    rng = np.random.default_rng(0)
    x1 = rng.normal(size=2000)
    x2 = rng.integers(0, 3, 2000)
    y = (x2 + rng.integers(0, 2, 2000)) % 3
    cells = [f"{v:.6f}" for v in x1]
    for i, marker in zip((5, 40, 700, 1500), ("", "NA", "nan", "NULL"), strict=True):
        cells[i] = marker
    lines = ["noise,feat,label"] + [f"{a},{b},{c}" for a, b, c in zip(cells, x2, y, strict=True)]
    path = tmp_path / "gappy.csv"
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_missing_values_are_refused_with_column_and_row(gappy_csv, capsys):
    status, _, err = run_cli(["estimate", gappy_csv, "--x1", "noise", "--x2", "feat", "--y", "label"], capsys)
    assert status == 2 and "column 'noise'" in err and "4 missing value(s)" in err and "line 7" in err
    assert "--dropna" in err


def test_dropna_drops_and_says_how_many(gappy_csv, capsys):
    import json

    status, out, err = run_cli(["estimate", gappy_csv, "--x1", "noise", "--x2", "feat", "--y", "label", "--dropna",
                                "--json"], capsys)
    assert status == 0 and "dropped 4 of 2000 rows" in err
    d = json.loads(out)
    assert d["n_samples"] == 1996 and d["U1"] < 0.05  # noise stays noise (as text categories it got ~0.5 bits)
    # the BOM does not rename the first column: "noise" was found above; a clean selection needs no --dropna
    status, _, _ = run_cli(["estimate", gappy_csv, "--x1", "feat", "--x2", "feat", "--y", "label", "--json"], capsys)
    assert status == 0


def test_missing_values_in_parquet_and_npz(tmp_path, capsys):
    import numpy as np

    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from pidkit._io import read_table
    from pidkit.exceptions import InputError

    rng = np.random.default_rng(1)
    a = [float(v) for v in rng.normal(size=300)]
    a[10] = None
    label = [str(v) for v in rng.integers(0, 2, 300)]
    label[20] = None  # a null label is not a third class
    pq.write_table(pa.table({"a": a, "b": rng.normal(size=300), "label": label}), tmp_path / "t.parquet")
    table = read_table(tmp_path / "t.parquet")
    with pytest.raises(InputError, match="column 'a' .* 1 missing value\\(s\\) \\(first at row 10\\)"):
        table.array("a", "--x1")
    with pytest.raises(InputError, match="column 'label'"):
        table.array("label", "--y")
    keep = table.complete_rows([("a", "--x1"), ("b", "--x2"), ("label", "--y")])
    assert keep.sum() == 298 and set(table.array("label", "--y", keep)) == {"0", "1"}
    x = rng.normal(size=(50, 2))
    x[3, 1] = np.nan
    np.savez(tmp_path / "d.npz", x=x)
    with pytest.raises(InputError, match="column 'x\\[1\\]' .*first at row 3"):
        read_table(tmp_path / "d.npz").array("x", "--x1")


def test_unwritable_outputs_are_refused_before_the_computation(and_csv, tmp_path, capsys):
    base = ["estimate", and_csv, "--x1", "a", "--x2", "b", "--y", "label"]
    for extra, message in ((["--json", tmp_path], "is a directory"),
                           (["--json", tmp_path / "no" / "such" / "r.json"], "does not exist"),
                           (["--plot", tmp_path / "fig.xyz"], "unknown figure format '.xyz'")):
        status, out, err = run_cli([*base, *extra], capsys)
        assert status == 2 and message in err and out == ""  # nothing was computed or printed


def test_decompose_refuses_a_table_off_one_unless_asked(tmp_path, capsys):
    import numpy as np

    import pidkit as pid

    np.save(tmp_path / "off.npy", pid.synthetic.gate_pmf("and") * 3.7)  # neither probabilities nor counts
    status, _, err = run_cli(["decompose", tmp_path / "off.npy"], capsys)
    assert status == 2 and "sums to 3.7" in err and "--normalize" in err
    status, out, _ = run_cli(["decompose", tmp_path / "off.npy", "--normalize", "--json"], capsys)
    assert status == 0 and pid.PIDResult.from_json(out).R == pytest.approx(pid.decompose(
        pid.synthetic.gate_pmf("and")).R)
    np.save(tmp_path / "counts.npy", np.array([[[3.0, 1.0], [2.0, 2.0]], [[1.0, 4.0], [0.0, 5.0]]]))  # float counts
    status, _, _ = run_cli(["decompose", tmp_path / "counts.npy"], capsys)
    assert status == 0


def test_damaged_and_hostile_files_get_one_line_errors(tmp_path, capsys, monkeypatch):
    import numpy as np

    import pidkit._io as io
    from pidkit.exceptions import InputError

    np.save(tmp_path / "ok.npy", np.arange(10.0))
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "ok.npy").read_bytes()[:-20])
    (tmp_path / "garbage.npy").write_bytes(b"hello world" * 10)
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = (10**12,)  # a crafted 8 TB header
    with open(tmp_path / "huge.npy", "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(b"\0" * 80)
    np.save(tmp_path / "obj.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
    (tmp_path / "latin.csv").write_bytes("a,b\n\xe9,1\n".encode("latin-1"))
    (tmp_path / "long.csv").write_text("a,b\n\"" + "x" * 200_000 + "\",1\n")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1garbagePAR1")
    expected = {"trunc.npy": "truncated or damaged", "garbage.npy": "could not be read", "huge.npy": "GiB",
                "obj.npy": "Python objects", "latin.csv": "not UTF-8", "long.csv": "not a readable CSV",
                "bad.parquet": "could not be read"}
    for name, message in expected.items():
        if name.endswith(".parquet"):
            pytest.importorskip("pyarrow")
        with pytest.raises(InputError, match=message):
            io.read_table(tmp_path / name)
    status, _, err = run_cli(["estimate", tmp_path / "huge.npy", "--x1", "0", "--x2", "0", "--y", "0"], capsys)
    assert status == 2 and err.count("\n") == 1 and "refusing to load it" in err
    # a zip bomb: members are checked against the size limit before they are unpacked
    np.savez_compressed(tmp_path / "bomb.npz", a=np.zeros(2**20))
    monkeypatch.setattr(io, "MAX_ARRAY_BYTES", 2**16)
    with pytest.raises(InputError, match="refusing to load it"):
        io.read_table(tmp_path / "bomb.npz")


def test_nul_bytes_and_list_columns_are_refused(tmp_path, capsys):
    import numpy as np

    from pidkit._io import read_table
    from pidkit.exceptions import InputError

    rows = "\n".join(f"{v:.3f},{v % 2:.0f}" for v in np.arange(20.0))
    (tmp_path / "nul.csv").write_text("a,label\n" + rows.replace("5.000", "5.0\0", 1) + "\n")
    with pytest.raises(InputError, match="line 7 contains a NUL byte"):
        read_table(tmp_path / "nul.csv")
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [[1.0, 2.0], [3.0]], "label": [0, 1]}), tmp_path / "lists.parquet")
    status, _, err = run_cli(["estimate", tmp_path / "lists.parquet", "--x1", "a", "--x2", "a", "--y", "label"], capsys)
    assert status == 2 and "column 'a' of" in err and "holds list<" in err and err.count("\n") == 1
    # a list column that is not selected does not stop the others
    rng = np.random.default_rng(0)
    n = 400
    b, c = rng.integers(0, 2, n), rng.integers(0, 2, n)
    pq.write_table(pa.table({"lists": [[1.0]] * n, "b": b, "c": c, "y": b ^ c}), tmp_path / "mixed.parquet")
    assert read_table(tmp_path / "mixed.parquet").array("b", "--x1").tolist() == b.tolist()


def test_underscored_numbers_are_labels(tmp_path):
    from pidkit._io import read_table

    (tmp_path / "u.csv").write_text("label\n1_0\n10\n1_0\n")  # float("1_0") == 10: two labels would merge
    assert read_table(tmp_path / "u.csv").columns["label"].tolist() == ["1_0", "10", "1_0"]


def test_csv_rows_are_named_by_their_line(tmp_path):
    from pidkit._io import read_table
    from pidkit.exceptions import InputError

    # a quoted field spanning two lines and a blank line: the gap is on line 6 of the file
    (tmp_path / "t.csv").write_text('a,note\n1,"two\nlines"\n2,x\n\n,y\n3,z\n')
    table = read_table(tmp_path / "t.csv")
    assert table.n_rows == 4 and table.columns["note"][0] == "two\nlines"
    with pytest.raises(InputError, match="first at line 6"):
        table.array("a", "--x1")


_READ_PEAK = """
import resource, sys
from pidkit._io import read_table
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
table = read_table(sys.argv[1])
assert table.n_rows == 200_000
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)
"""


def test_reading_a_csv_takes_little_more_memory_than_the_file(tmp_path):
    import subprocess
    import sys

    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200_000, 6))
    lines = [",".join(f"{v:.6f}" for v in row) + f",c{i % 7}" for i, row in enumerate(x)]
    path = tmp_path / "big.csv"
    path.write_text("f0,f1,f2,f3,f4,f5,cat\n" + "\n".join(lines) + "\n")
    size = path.stat().st_size  # ~14 MB
    proc = subprocess.run([sys.executable, "-c", _READ_PEAK, str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    growth = int(proc.stdout)
    assert growth < 3 * size, f"reading a {size / 2**20:.0f} MiB CSV grew the process by {growth / 2**20:.0f} MiB"


def test_replicate_counts_in_scientific_notation(and_csv, capsys):
    base = ["estimate", and_csv, "--x1", "a", "--x2", "b", "--y", "label", "--ci", "0.9"]
    status, _, err = run_cli([*base, "--n-boot", "1e8"], capsys)
    assert status == 2 and "n_boot=100,000,000 is more than 100,000" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as stop:  # argparse's own usage error
        run_cli([*base, "--n-boot", "1.5"], capsys)
    assert stop.value.code == 2 and "expected a whole number, got '1.5'" in capsys.readouterr().err


def test_third_probe_files_and_outputs(and_csv, tmp_path, capsys):
    import os

    import numpy as np

    np.save(tmp_path / "table.npy", np.full((4, 4, 3), 1 / 48))
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "table.npy").read_bytes()[:-40])
    np.save(tmp_path / "obj.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = (4000, 4000, 4000)
    with open(tmp_path / "huge.npy", "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(b"\0" * 64)
    np.savez(tmp_path / "table.npz", p=np.full((4, 4, 3), 1 / 48))
    (tmp_path / "trunc.npz").write_bytes((tmp_path / "table.npz").read_bytes()[:-60])
    for name in ("trunc.npy", "obj.npy", "huge.npy", "trunc.npz"):  # the table reader is as guarded as read_table
        status, _, err = run_cli(["decompose", tmp_path / name], capsys)
        assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, (name, err)
    status, _, err = run_cli(["estimate", tmp_path / "trunc.npz", "--x1", "p", "--x2", "p", "--y", "p"], capsys)
    assert status == 2 and "BadZipFile" in err and err.count("\n") == 1
    base = ["estimate", and_csv, "--x1", "a", "--x2", "b", "--y", "label"]
    os.mkfifo(tmp_path / "fifo.json")  # open() would block on it
    os.symlink(tmp_path / "no" / "x.json", tmp_path / "dangling.json")
    for target, message in ((tmp_path / "fifo.json", "not a regular file"), ("/dev/full", "not a regular file"),
                            (tmp_path / "dangling.json", "does not exist"),
                            (tmp_path / ("x" * 300 + ".json"), "longer than 255 bytes")):
        status, out, err = run_cli([*base, "--json", target], capsys)
        assert status == 2 and message in err and out == "", (target, err)


def test_parquet_with_repeated_column_names(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4]), pa.array([0, 1])], names=["a", "b", "b"])
    pq.write_table(table, tmp_path / "dup.parquet")
    status, _, err = run_cli(["estimate", tmp_path / "dup.parquet", "--x1", "a", "--x2", "b", "--y", "b"], capsys)
    assert status == 2 and "['b'] appear more than once" in err and err.count("\n") == 1


def test_columns_selected_by_position(and_csv, capsys):
    from pidkit._io import read_table
    from pidkit.exceptions import InputError

    table = read_table(and_csv)
    last = table.names[-1]
    assert table.resolve("0", "--x1") == [table.names[0]] and table.resolve("-1", "--y") == [last]
    with pytest.raises(InputError, match="position 99 is outside"):
        table.resolve("99", "--y")
    by_name = run_cli(["estimate", and_csv, "--x1", "a", "--x2", "b", "--y", last, "--json"], capsys)
    by_position = run_cli(["estimate", and_csv, "--x1", "a", "--x2", "b", "--y", str(len(table.names) - 1),
                           "--json"], capsys)
    assert by_name[0] == by_position[0] == 0
    assert json.loads(by_name[1])["R"] == json.loads(by_position[1])["R"]


def test_warnings_are_one_line_each(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "w.npz", a=rng.normal(size=(200, 5)), b=rng.normal(size=(200, 5)), y=rng.integers(0, 3, 200))
    # in a child process: pytest records warnings itself, the command line's printing is what is tested
    proc = subprocess.run([sys.executable, "-m", "pidkit", "estimate", str(tmp_path / "w.npz"), "--x1", "a", "--x2",
                           "b", "--y", "y", "--clusters", "40", "--info-check", "off"],
                          capture_output=True, text=True, timeout=300)
    status, err = proc.returncode, proc.stderr
    lines = err.strip().splitlines()
    assert status == 0 and lines and all(ln.startswith("pidkit estimate: warning: ") for ln in lines), err
    assert any("PlugInBiasWarning" in ln for ln in lines) and ".py:" not in err  # no path, no source line


def test_gaussian_estimator_from_the_command_line(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    z = rng.multivariate_normal(np.zeros(5), np.eye(5) + 0.5, size=3000)
    np.savez(tmp_path / "g.npz", a=z[:, :2], b=z[:, 2:3], y=z[:, 3:])  # a 2-D continuous target
    status, out, _ = run_cli(["estimate", tmp_path / "g.npz", "--x1", "a", "--x2", "b", "--y", "y", "--estimator",
                              "gaussian", "--json"], capsys)
    res = json.loads(out)
    assert status == 0 and res["estimator"] == "gaussian" and res["shape"] == [2, 1, 2]
    status, _, err = run_cli(["estimate", tmp_path / "g.npz", "--x1", "a", "--x2", "b", "--y", "y"], capsys)
    assert status == 2 and "--estimator gaussian" in err
    status, out, _ = run_cli(["estimate", tmp_path / "g.npz", "--x1", "a", "--x2", "b", "--y", "y", "--estimator",
                              "copula", "--json"], capsys)
    assert status == 0 and json.loads(out)["estimator"] == "copula"
