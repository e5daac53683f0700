"""The import budget: a run loads only what its output needs (start-up time is most of a small run).

- `eval --json`: no Rich, no NumPy, no SymPy, no Lark (the parser's tables are generated ahead of
  time), none of the other subcommands, no --check module, not even the json package.
- the tables: Rich, but still no NumPy, SymPy or Lark.
- NumPy only with --batch.
- the Python API (api.py): `import backprop_cli` loads its __init__ alone; evaluate, explain, graph, compile
  and pickling load no NumPy, pandas or Dask (only the array functions do), nor click.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from backprop_cli.commands import eval as eval_module
from backprop_cli.render.json_report import dumps

SEED = ["eval", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3"]

PROBE = """
import sys
from backprop_cli.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""


def modules_loaded(*argv: str, stdin: str | None = None) -> set[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env,
                          input=stdin, timeout=120)
    assert proc.returncode == 0, proc.stderr
    line = proc.stderr.rsplit("MODULES ", 1)[1]
    return set(line.split())


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_json_output_loads_no_rich_numpy_sympy_or_lark():
    loaded = modules_loaded(*SEED, "--json")
    tops = top_level(loaded)
    for heavy in ("rich", "numpy", "sympy", "lark", "json", "hashlib", "pathlib"):
        assert heavy not in tops, f"{heavy} is imported for --json"
    for module in ("backprop_cli.engine.finite_differences", "backprop_cli.commands.check", "backprop_cli.commands.explain",
                   "backprop_cli.render.tables", "backprop_cli.batch.run", "backprop_cli.engine.vectorized",
                   "backprop_cli.language.generate_parser"):
        assert module not in loaded, f"{module} is imported for --json"


def test_tables_load_rich_but_no_numpy_sympy_or_lark():
    tops = top_level(modules_loaded(*SEED))
    assert "rich" in tops
    for heavy in ("numpy", "sympy", "lark"):
        assert heavy not in tops, f"{heavy} is imported for the tables"


def test_numpy_only_with_batch():
    pytest.importorskip("numpy")
    assert "numpy" not in top_level(modules_loaded(*SEED, "--check"))
    loaded = modules_loaded("eval", "x*y", "--batch", "-", stdin="x,y\n1,2\n")
    assert "numpy" in top_level(loaded)
    assert "rich" not in top_level(loaded)


TENSOR_MODULES = ("backprop_cli.engine.tensor.", "backprop_cli.engine.shaping", "backprop_cli.engine.tensor_compute",
                  "backprop_cli.render.tensor_tables", "backprop_cli.render.tensor_json",
                  "backprop_cli.engine.tensor_finite_differences", "backprop_cli.render.tensor_check",
                  "backprop_cli.render.tensor_graph")


@pytest.mark.parametrize("extra", [(), ("--json",), ("--check",), ("--graph", "dot"), ("--graph", "tree")])
def test_a_scalar_program_loads_no_tensor_module(extra):
    loaded = modules_loaded(*SEED, *extra)
    assert [m for m in loaded if m.startswith(TENSOR_MODULES) or m == "backprop_cli.engine.tensor"] == []


@pytest.mark.parametrize("argv", [
    ("step", "x^2*y", "-x", "3", "-y", "2", "--lr", "0.1", "--json"),
    ("optimize", "x^2*y", "-x", "3", "-y", "2", "--steps", "3", "--json"),
    ("hessian", "x^2*y", "-x", "3", "-y", "2", "--json"),
])
def test_scalar_step_optimize_and_hessian_load_no_tensor_module(argv):
    loaded = modules_loaded(*argv)
    assert [m for m in loaded if m.startswith(TENSOR_MODULES) or m == "backprop_cli.engine.tensor"
            or m in ("backprop_cli.engine.element_tape", "backprop_cli.engine.tensor_second")] == []


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_a_scalar_check_loads_no_tensor_module(extra):
    loaded = modules_loaded("check", *SEED[1:], "--expect", "d=4/3", "--expect", "value=4", *extra)
    assert [m for m in loaded if m.startswith(TENSOR_MODULES) or m == "backprop_cli.engine.tensor"
            or m in ("backprop_cli.render.check_tensors", "backprop_cli.engine.tensor_rounding")] == []


def test_a_small_tensor_program_loads_the_tensor_engine_but_no_numpy():
    loaded = modules_loaded("eval", "sum(tanh(x) * w)", "x=[1,2,3]", "w=[0.5,-1,2]", "--json")
    assert "backprop_cli.engine.tensor.sweeps" in loaded and "backprop_cli.render.tensor_json" in loaded
    for heavy in ("numpy", "rich", "sympy", "lark"):
        assert heavy not in top_level(loaded), f"{heavy} is imported for a small tensor program"


def test_a_syntax_error_brings_lark_in_to_explain_itself():
    proc = subprocess.run([sys.executable, "-m", "backprop_cli", "eval", "(a+b"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 3
    assert proc.stderr.startswith("backprop: syntax error: expected ')'")


def test_eval_keeps_the_check_defaults_of_check_py():
    from backprop_cli.engine import finite_differences as check

    assert (eval_module.DEFAULT_RTOL, eval_module.DEFAULT_ATOL) == (check.DEFAULT_RTOL, check.DEFAULT_ATOL)


@pytest.mark.parametrize("doc", [
    {"value": 4.0, "gradient": {"a": 2 / 3, "é": -0.0}, "ok": True, "none": None, "list": [1, 2.5, "x\u2028\"\\"]},
    {"nodes": [{"id": "v1", "args": (1, 2)}], "n": 10 ** 20, "tiny": 5e-324, "big": 1.7976931348623157e308},
    {},
])
def test_one_line_json_is_json_dumps_byte_for_byte(doc):
    assert dumps(doc) == json.dumps(doc, allow_nan=False)
    assert dumps(doc, pretty=True) == json.dumps(doc, allow_nan=False, indent=2)


def test_one_line_json_refuses_nan_and_infinity():
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            dumps({"x": bad})
    with pytest.raises(TypeError):
        dumps({"x": object()})


API_PROBE = """
import sys
import backprop_cli as bp
r = bp.evaluate("(a+b)*c/d", a=5, b=1, c=-2, d=-3)
r.to_json(); r.explain(); r.graph("dot")
f = bp.compile("w*x + b")
f(w=1, x=2, b=3)
import pickle; pickle.loads(pickle.dumps(f))
print(" ".join(sorted(sys.modules)))
"""


def test_the_api_loads_no_numpy_pandas_or_dask_until_an_array_function_runs():
    proc = subprocess.run([sys.executable, "-c", API_PROBE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    tops = {name.split(".")[0] for name in proc.stdout.split()}
    for heavy in ("numpy", "pandas", "dask", "distributed", "sympy", "lark", "click"):
        assert heavy not in tops, f"{heavy} is imported by the API"


def test_import_backprop_cli_loads_only_its_init():
    code = "import sys, backprop_cli; print(' '.join(sorted(m for m in sys.modules if m.startswith('backprop_cli'))))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["backprop_cli"]
