"""`eval --batch` at the speed of the disk (issue 16): chunks, pyarrow's reader and writer, Parquet,
--with-inputs, the column order, the note without the extra, the progress bar.

The oracle for every path is the plain one: the same file read whole, without pyarrow (NumPy alone) and
without NumPy (the scalar engine, which tests/batch/test_batch.py holds equal to `eval --json` at each
point); every path must write the same bytes.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import math
import os
import random
import struct
import subprocess
import sys

import pytest

np = pytest.importorskip("numpy")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pc = pytest.importorskip("pyarrow.csv")

from backprop_cli.batch import chunks, columnar, run as batch_run  # noqa: E402
from backprop_cli.render import progress  # noqa: E402
from backprop_cli.batch.shortest import csv_rows, shortest  # noqa: E402

from clirun import on_a_terminal  # noqa: E402
from conftest import assert_one_paragraph_error  # noqa: E402

NEURON = "tanh(w0*x0 + w1*x1 + b) * (a + b) / c"
COLUMNS = ["c", "x1", "a", "w0", "b", "x0", "w1"]  # not the program's order


def neuron_csv(count: int, seed: int = 1, bad: dict | None = None) -> str:
    """`count` rows of the neuron's inputs; `bad` maps a row index to a line put in its place."""
    rnd = random.Random(seed)
    lines = [",".join(COLUMNS)]
    for k in range(count):
        if bad and k in bad:
            lines.append(bad[k])
            continue
        row = [rnd.uniform(0.5, 3)] + [round(rnd.uniform(-2, 2), rnd.randint(0, 17)) for _ in COLUMNS[1:]]
        lines.append(",".join(map(repr, row)))
    return "\n".join(lines) + "\n"


@pytest.fixture
def hide(monkeypatch):
    """`with hide("pyarrow"):` importing it (or numpy, ...) fails, as on a machine without it."""
    real_import = builtins.__import__

    @contextlib.contextmanager
    def hidden(*names: str):
        def blocked(name, *args, **kwargs):
            if name.split(".")[0] in names:
                raise ImportError(f"no {name} here")
            return real_import(name, *args, **kwargs)

        with monkeypatch.context() as patch:
            patch.setattr(builtins, "__import__", blocked)
            yield

    return hidden


@pytest.fixture
def points(tmp_path):
    def write(text: str, name: str = "points.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8", newline="")
        return path

    return write


# ---------------------------------------------------------------------------------------------
# Numbers: the shortest text that reads back as the same float, laid out as Arrow lays it out

def random_doubles(count: int, seed: int = 7) -> list[float]:
    rnd = random.Random(seed)
    bits = [struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0] for _ in range(count)]
    edges = [5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, 1e308,
             -1e308, 0.0, 1.0, 0.1, 1e-6, 1e-7, 999999999.0, 1e10, 2.0 ** 53, 2.0 ** 53 + 2, 1e16, 1e21, 1 / 3]
    decades = [m * 10.0 ** e for e in range(-323, 308) for m in (1, 1.5, 9.875)]
    return [x for x in bits + edges + decades if math.isfinite(x)]


def test_every_number_reads_back_as_the_same_float():
    numbers = random_doubles(20_000)
    texts = csv_rows(np.array(numbers).reshape(-1, 1) + 0.0, 1, np).splitlines()
    assert [float(t) for t in texts] == numbers
    assert all(float(t).hex() == x.hex() for t, x in zip(texts, numbers))  # bit for bit, the sign of 0 too
    assert [shortest(x) for x in numbers] == texts  # the per-number function: the same text


@pytest.mark.parametrize("number,text", [
    (1.0, "1"), (-2.5, "-2.5"), (0.1, "0.1"), (1e-6, "0.000001"), (1.5e-7, "1.5e-7"), (123456789.0, "123456789"),
    (1e10, "1e+10"), (2.0 ** 53, "9.007199254740992e+15"), (5e-324, "5e-324"), (1e308, "1e+308"),
    (1.7976931348623157e308, "1.7976931348623157e+308"), (-0.0, "0"), (0.0, "0"), (1 / 3, "0.3333333333333333"),
])
def test_the_layout(number, text):
    assert shortest(number) == text
    assert float(text) == number


def test_pyarrow_writes_the_same_bytes_as_python():
    """Whoever writes the rows, the bytes are the same: pyarrow's CSV writer and shortest.csv_rows."""
    numbers = np.array(random_doubles(20_000, seed=8)) + 0.0
    table = numbers[: len(numbers) // 2 * 2].reshape(-1, 2)
    arrow = columnar.load(np)
    assert arrow.writes_csv
    ours = csv_rows(table, 2, np)
    assert arrow.csv_bytes([table[:, 0], table[:, 1]], [np.zeros(len(table), dtype=bool)] * 2).decode() == ours
    assert csv_rows(table.tolist(), 2, None) == ours  # without NumPy too


def test_the_widest_numbers_fit_the_writers_buffer_and_a_tight_one_falls_back(monkeypatch):
    """csv_buffer writes into memory sized for the widest numbers; were it too small, the rows are the same."""
    arrow = columnar.load(np)
    widest = np.array([-2.2250738585072014e-308, -1.2345678901234567e-100, -1.7976931348623157e308, -1 / 3])
    columns, masks = [widest] * 5, [np.zeros(len(widest), dtype=bool)] * 5
    assert max(len(shortest(x)) for x in widest.tolist()) == columnar.WIDEST - 1
    text = bytes(arrow.csv_buffer(columns, masks))
    assert text == csv_rows(np.column_stack(columns), 5, np).encode()
    monkeypatch.setattr(columnar, "WIDEST", 1)
    assert bytes(arrow.csv_buffer(columns, masks)) == text


def test_a_pyarrow_that_writes_otherwise_is_not_used_for_csv(monkeypatch):
    monkeypatch.setattr(columnar, "_PROBE", [*columnar._PROBE, 7.0])
    monkeypatch.setattr(columnar.Arrow, "csv_bytes", lambda self, columns, masks: b"7.0\n" * len(columns[0]))
    assert not columnar.load(np).writes_csv


# ---------------------------------------------------------------------------------------------
# Chunks: the same bytes, whatever the size of a piece and whichever path

BAD_ROWS = {3: "1,2,3", 700: "0.5,oops,1,1,1,1,1", 1500: "0,1,1,1,1,1,1", 2222: "1,1e-400,1,1,1,1,1",
            2990: '"2",1,1,1,1,1,1'}


@pytest.mark.parametrize("args", [(), ("--with-inputs",), ("--json",)])
def test_chunked_output_equals_one_chunk_on_every_path(cli, points, hide, monkeypatch, args):
    path = points(neuron_csv(3000, bad=BAD_ROWS))
    whole = cli("eval", NEURON, "--batch", str(path), *args)
    assert whole.code == 2 and whole.out.count("\n") == 3001 - ("--json" in args), whole.err
    assert "line 5: malformed row: 3 fields, but the header names 7" in whole.err
    assert "line 702: malformed row: x1 is 'oops', not a finite decimal number" in whole.err
    assert "line 1502: math error: division by zero" in whole.err
    for size in ("4096", "100", "1"):  # 4 KiB: about 40 pieces; 1 byte: a piece per line
        monkeypatch.setenv(chunks.CHUNK_VARIABLE, size)
        pieces = cli("eval", NEURON, "--batch", str(path), *args)
        assert (pieces.code, pieces.out, pieces.err) == (whole.code, whole.out, whole.err), size
    monkeypatch.setenv(chunks.CHUNK_VARIABLE, "4096")
    with hide("pyarrow"):  # NumPy reads and Python writes
        numpy_only = cli("eval", NEURON, "--batch", str(path), *args)
    with hide("pyarrow", "numpy"):  # the scalar engine, the file read whole
        scalar = cli("eval", NEURON, "--batch", str(path), *args)
    assert (numpy_only.code, numpy_only.out, numpy_only.err) == (whole.code, whole.out, whole.err)
    assert (scalar.code, scalar.out, scalar.err) == (whole.code, whole.out, whole.err)


@pytest.mark.parametrize("body", ["1,2\n\n3,4\n5,6\n", "1,2\r\n\r\n3,4\r\n", "1,2\r3,4\n\n5,6\n7,8,9\n",
                                  "1,2\n3,4\r5,6\n", "1,2\n\n\n3,4\r\n1e-400,1\n", "1,2\r\n3,0\r\n"])
def test_blank_lines_and_lone_carriage_returns_are_read_as_without_numpy(cli, points, hide, monkeypatch, body):
    """pyarrow's reader refuses a blank line and ends a line at a lone CR: such pieces go line by line."""
    path = points("x,y\n" + body * 3)
    with hide("pyarrow", "numpy"):
        scalar = cli("eval", "x/y", "--batch", str(path))
    for size in ("", "7"):
        monkeypatch.setenv(chunks.CHUNK_VARIABLE, size)
        for hidden in ((), ("pyarrow",)):
            with hide(*hidden):
                fast = cli("eval", "x/y", "--batch", str(path))
            assert (fast.code, fast.out, fast.err) == (scalar.code, scalar.out, scalar.err), (size, hidden)


def test_the_pieces_end_at_line_ends_and_count_lines():
    text = b"a,b\n" + b"".join(b"%d,%d\n" % (k, k) for k in range(1000))
    lines = chunks.Lines(io.BytesIO(text), "x", 50)
    assert lines.line() == b"a,b"
    pieces = list(lines.pieces())
    assert len(pieces) > 50 and b"".join(pieces) == text[4:]
    assert all(piece.endswith(b"\n") for piece in pieces)
    assert lines.done == len(text)


def test_a_line_longer_than_the_limit_is_refused(cli, points, monkeypatch):
    monkeypatch.setenv("BACKPROP_MAX_BATCH_BYTES", "1000")
    monkeypatch.setenv(chunks.CHUNK_VARIABLE, "100")
    run = cli("eval", "x", "--batch", str(points("x\n1\n" + "1" * 5000 + "\n")))
    assert run.code == 3 and "limit exceeded" in run.err and "BACKPROP_MAX_BATCH_BYTES" in run.err
    many = cli("eval", "x", "--batch", str(points("x\n" + "1\n" * 3000)))  # the whole file may be larger
    assert many.code == 0 and many.out.count("\n") == 3001


def test_points_from_standard_input_in_pieces(cli, monkeypatch):
    text = neuron_csv(500)
    monkeypatch.setenv(chunks.CHUNK_VARIABLE, "1000")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8"))
    piped = cli("eval", NEURON, "--batch", "-")
    monkeypatch.delenv(chunks.CHUNK_VARIABLE)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8"))
    assert (piped.code, piped.out) == (0, cli("eval", NEURON, "--batch", "-").out)


# ---------------------------------------------------------------------------------------------
# Columns: the value, the gradients in the file's column order; --with-inputs copies the inputs first

def test_the_columns_follow_the_file(cli, points):
    run = cli("eval", NEURON, "--batch", str(points(neuron_csv(3))))
    assert run.out.splitlines()[0] == "value," + ",".join(f"grad_{n}" for n in COLUMNS)


def test_with_inputs_copies_the_inputs_exactly(cli, points):
    text = "b,a\n5e-324,1e308\n0.1,-0\n1,2\n3,oops\n"
    run = cli("eval", "a*b", "--batch", str(points(text)), "--with-inputs")
    assert run.code == 2
    assert run.out.splitlines() == ["b,a,value,grad_b,grad_a", f"5e-324,1e+308,{5e-324 * 1e308!r},1e+308,5e-324",
                                    "0.1,0,0,0,0.1", "1,2,2,2,1", ",,,,"]
    failed = cli("eval", "log(a)*b", "--batch", str(points("b,a\n1,-1\n")), "--with-inputs")
    assert failed.code == 4 and failed.out.splitlines()[1] == "1,-1,,,"  # a math error: the inputs are known


def test_with_inputs_needs_batch_and_columns(cli, points):
    alone = cli("eval", "x", "-x", "1", "--with-inputs")
    assert alone.code == 2 and "--with-inputs" in alone.err
    json_rows = cli("eval", "x", "--batch", str(points("x\n1\n")), "--with-inputs", "--json")
    assert json_rows.code == 2 and "JSON Lines rows have no columns" in json_rows.err


# ---------------------------------------------------------------------------------------------
# Parquet in and out

def test_parquet_round_trips(cli, points, tmp_path):
    csv_path = points(neuron_csv(2000, bad={10: "1,2,3"}))
    as_csv = cli("eval", NEURON, "--batch", str(csv_path), "--with-inputs")
    out = tmp_path / "grads.parquet"
    written = cli("eval", NEURON, "--batch", str(csv_path), "--with-inputs", "--out", str(out))
    assert (written.code, written.out, written.err) == (as_csv.code, "", as_csv.err)
    table = pq.read_table(out)
    header, *rows = as_csv.out.splitlines()
    assert table.column_names == header.split(",")
    assert table.schema.types == [pa.float64()] * len(header.split(","))
    for name, column in zip(table.column_names, zip(*[r.split(",") for r in rows])):
        assert table.column(name).to_pylist() == [float(x) if x else None for x in column]  # bit for bit
    # Parquet in: the inputs that CSV read, written as Parquet, give the same rows (the malformed one gone)
    inputs = pq.read_table(out, columns=COLUMNS).filter(pa.compute.is_valid(table.column("c")))
    pq.write_table(inputs, tmp_path / "points.parquet")
    again = cli("eval", NEURON, "--batch", str(tmp_path / "points.parquet"), "--with-inputs")
    assert again.code == 0, again.err
    assert again.out.splitlines() == [header, *(r for r in rows if r != "," * (len(header.split(",")) - 1))]
    both = cli("eval", NEURON, "--batch", str(tmp_path / "points.parquet"), "--out", str(tmp_path / "g2.parquet"))
    assert both.code == 0
    assert pq.read_table(tmp_path / "g2.parquet").column("value").equals(
        pq.read_table(out).filter(pa.compute.is_valid(table.column("c"))).column("value"))


def test_parquet_rows_that_are_not_numbers_are_malformed(cli, tmp_path):
    table = pa.table({"y": pa.array([1.0, None, float("nan"), 2.0, float("inf")]),
                      "x": pa.array([1, 2, 3, 2 ** 60 + 1, 5], pa.int64())})
    pq.write_table(table, tmp_path / "p.parquet")
    run = cli("eval", "x*y", "--batch", str(tmp_path / "p.parquet"))
    assert run.code == 2
    assert run.err.splitlines() == [
        "backprop: row 2: malformed row: y is empty",
        "backprop: row 3: malformed row: y is nan, not a finite number",
        f"backprop: row 4: malformed row: x is {2 ** 60 + 1}, which a 64-bit float would round",
        "backprop: row 5: malformed row: y is inf, not a finite number",
        "backprop: 4 of 5 rows failed (4 malformed); the others were computed",
    ]
    assert run.out.splitlines() == ["value,grad_y,grad_x", "1,1,1", ",,", ",,", ",,", ",,"]


@pytest.mark.parametrize("make,message", [
    (lambda p: p.write_bytes(b"not parquet at all"), "as Parquet: "),
    (lambda p: pq.write_table(pa.table({"x": [1.0], "z": [2.0]}), p), "z (a column of"),
    (lambda p: pq.write_table(pa.table({"x": [1.0]}), p), "y has no values"),
    (lambda p: pq.write_table(pa.table({"x": [1.0], "y": ["a"]}), p), "column y of"),
    (lambda p: None, "cannot read the --batch file"),
])
def test_a_bad_parquet_file_is_a_usage_error(cli, tmp_path, make, message):
    path = tmp_path / "p.parquet"
    make(path)
    run = cli("eval", "x*y", "--batch", str(path))
    assert run.code == 2 and message in run.err, run.err
    assert_one_paragraph_error(run.err, "usage error")
    assert run.out == ""


def test_parquet_needs_pyarrow(cli, tmp_path, hide):
    pq.write_table(pa.table({"x": [1.0]}), tmp_path / "p.parquet")
    with hide("pyarrow"):
        run = cli("eval", "x", "--batch", str(tmp_path / "p.parquet"))
        out = cli("eval", "x", "--batch", str(tmp_path / "p.parquet"), "--out", str(tmp_path / "o.parquet"))
    for r in (run, out):
        assert r.code == 2 and "pip install 'backprop-cli[batch]'" in r.err, r.err
        assert_one_paragraph_error(r.err, "usage error")


@pytest.mark.parametrize("out,args,message", [
    ("grads.xlsx", (), "chosen by the file's extension"),
    ("grads.parquet", ("--json",), "--json writes JSON Lines"),
    ("grads.csv", ("--json",), "--json writes JSON Lines"),
    ("nowhere/grads.csv", (), "cannot write --out"),
])
def test_a_wrong_out_is_a_usage_error(cli, points, tmp_path, out, args, message):
    run = cli("eval", "x", "--batch", str(points("x\n1\n")), "--out", str(tmp_path / out), *args)
    assert run.code == 2 and message in run.err, run.err
    assert_one_paragraph_error(run.err, "usage error")


def test_out_writes_csv_and_json_lines_to_files(cli, points, tmp_path):
    path = points("x\n1\n2\n")
    assert cli("eval", "x*x", "--batch", str(path), "--out", str(tmp_path / "g.csv")).out == ""
    assert (tmp_path / "g.csv").read_text() == cli("eval", "x*x", "--batch", str(path)).out == "value,grad_x\n1,2\n4,4\n"
    cli("eval", "x*x", "--batch", str(path), "--out", str(tmp_path / "g.jsonl"))
    assert (tmp_path / "g.jsonl").read_text() == cli("eval", "x*x", "--batch", str(path), "--json").out


# ---------------------------------------------------------------------------------------------
# Without the extra: one line on a large input, saying how much faster the extra makes it

@pytest.mark.parametrize("hidden,why", [(("numpy", "pyarrow"), "NumPy is not installed"),
                                        (("pyarrow",), "pyarrow is not installed")])
def test_the_note_without_the_extra(cli, points, hide, hidden, why):
    small = points("x\n" + "1\n" * batch_run.LARGE, "small.csv")
    large = points("x\n" + "1\n" * (batch_run.LARGE + 1), "large.csv")
    with hide(*hidden):
        quiet = cli("eval", "x*2", "--batch", str(small))
        noted = cli("eval", "x*2", "--batch", str(large))
    assert (quiet.code, quiet.err) == (0, "")
    assert noted.code == 0 and noted.out == cli("eval", "x*2", "--batch", str(large)).out
    (line,) = noted.err.splitlines()
    assert line.startswith(f"backprop: note: {why}") and "pip install 'backprop-cli[batch]' makes it about " in line
    assert line.endswith(" times as fast")


def test_no_note_with_the_extra(cli, points):
    run = cli("eval", "x*2", "--batch", str(points("x\n" + "1\n" * 20_000)))
    assert (run.code, run.err) == (0, "")


# ---------------------------------------------------------------------------------------------
# Progress: on a terminal only, never in a pipe or with JSON

def test_the_bar_is_wanted_on_a_terminal_only(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not progress.wanted(False)  # a pipe or a file
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert progress.wanted(False)
    assert not progress.wanted(True)  # --json
    monkeypatch.setenv("TERM", "dumb")
    assert not progress.wanted(False)


def run_on_a_terminal(argv: list[str], env: dict, tmp_path) -> tuple[bytes, bytes]:
    """Run backprop with standard error on a pseudo-terminal (clirun.on_a_terminal): (stdout, stderr)."""
    return on_a_terminal(argv, env, tmp_path)[:2]


@pytest.mark.parametrize("extra_env", [{}, {"NO_COLOR": "1"}])
def test_a_bar_on_a_terminal_and_nothing_in_the_rows(tmp_path, extra_env):
    path = tmp_path / "points.csv"
    path.write_text(neuron_csv(3000))
    env = {**os.environ, progress.DELAY_VARIABLE: "0", chunks.CHUNK_VARIABLE: "4096", "TERM": "xterm",
           "PYTHONPATH": os.pathsep.join(sys.path), **extra_env}
    out, err = run_on_a_terminal(["eval", NEURON, "--batch", str(path)], env, tmp_path)
    assert b"backprop --batch" in err and b"rows" in err  # the bar was drawn on standard error
    assert out.startswith(b"value,grad_c,") and out.count(b"\n") == 3001 and b"\x1b" not in out
    json_out, json_err = run_on_a_terminal(["eval", NEURON, "--batch", str(path), "--json"], env, tmp_path)
    assert json_err == b"" and json_out.count(b"\n") == 3000 and b"\x1b" not in json_out
    dumb_out, dumb_err = run_on_a_terminal(["eval", NEURON, "--batch", str(path)], {**env, "TERM": "dumb"}, tmp_path)
    assert dumb_err == b"" and dumb_out == out


def test_no_bar_reaches_a_pipe(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text(neuron_csv(3000))
    env = {**os.environ, progress.DELAY_VARIABLE: "0", chunks.CHUNK_VARIABLE: "4096",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    for extra in ((), ("--json",)):
        proc = subprocess.run([sys.executable, "-m", "backprop_cli", "eval", NEURON, "--batch", str(path), *extra],
                              capture_output=True, env=env, timeout=120)
        assert proc.returncode == 0 and proc.stderr == b"" and b"\x1b" not in proc.stdout


# ---------------------------------------------------------------------------------------------
# The import budget: pyarrow only where a batch uses it

PROBE = """
import sys
from backprop_cli.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("\\nMODULES " + " ".join(sorted({m.split(".")[0] for m in sys.modules})) + "\\n")
sys.exit(code)
"""


def loaded(*argv: str, stdin: str | None = None, code: int = 0) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, input=stdin,
                          timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == code, proc.stderr
    return set(proc.stderr.rsplit("MODULES ", 1)[1].split())


def test_pyarrow_only_for_a_batch_that_uses_it():
    assert not {"pyarrow", "numpy"} & loaded("eval", "x*y", "-x", "1", "-y", "2", "--json")
    assert not {"pyarrow", "numpy"} & loaded("eval", "x*y", "-x", "1", "-y", "2")
    assert "pyarrow" in loaded("eval", "x*y", "--batch", "-", stdin="x,y\n1,2\n")
    assert "pyarrow" not in loaded("eval", "x*y", "--batch", "-", stdin='{"x": 1, "y": 2}\n')


def test_a_batch_does_not_import_pandas(tmp_path):
    """pyarrow's to_numpy and pa.array import pandas when it is installed (a quarter of a second): the batch
    builds its arrays from buffers instead."""
    assert "pandas" not in loaded("eval", "x*y", "--batch", "-", stdin="x,y\n1,2\n3,4\n")
    pq.write_table(pa.table({"x": [1.0, None, 3.0], "y": [2.0, 2.0, 2.0]}), tmp_path / "in.parquet")
    assert "pandas" not in loaded("eval", "x*y", "--batch", str(tmp_path / "in.parquet"), "--out",
                                  str(tmp_path / "out.parquet"), code=2)


def test_the_docs_show_the_note_the_tool_prints():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "batch.md").read_text()
    assert f"pip install 'backprop-cli[batch]' makes it {batch_run.FASTER_WITHOUT_NUMPY} as fast" in page
