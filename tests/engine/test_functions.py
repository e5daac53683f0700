"""Issue 12: the function library, checked from the command line, against textbooks and other oracles.

- the function reference in docs/language.md is the one the code writes (python -m backprop_cli.engine.reference);
- every function works from the command line with --check passing at an ordinary point;
- textbook computations: Nielsen's cross-entropy, Ng's leaky ReLU, Karpathy's 4-logit softmax loss written with
  logsumexp, a GELU and a SiLU unit, each against an independent oracle (closed forms in mpmath, a published
  answer key, PyTorch's observed values in tests/data/framework_observations.json).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from backprop_cli.engine.ops import OPS
from backprop_cli.engine.reference import markdown

from conftest import strict_json

ROOT = Path(__file__).resolve().parents[2]
mpmath = pytest.importorskip("mpmath")
OBSERVED = json.loads((ROOT / "tests" / "data" / "framework_observations.json").read_text(encoding="utf-8"))


def test_the_docs_function_reference_is_the_generated_one():
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- function reference: [^>]*-->\n(.*?)<!-- end of the function reference -->", text, re.S)
    assert shown is not None and shown.group(1) == markdown(), "run python -m backprop_cli.engine.reference"


# An ordinary point for every function, away from its kinks, jumps and domain edges.
ORDINARY = {
    "exp": "exp(x)", "log": "log(x)", "log_base": "log(x, y)", "sqrt": "sqrt(x)", "sin": "sin(x)",
    "cos": "cos(x)", "tan": "tan(x)", "sinh": "sinh(x)", "cosh": "cosh(x)", "tanh": "tanh(x)",
    "asin": "asin(x/2)", "acos": "acos(x/2)", "atan": "atan(x)", "atan2": "atan2(x, y)", "asinh": "asinh(x)",
    "acosh": "acosh(x + 1)", "atanh": "atanh(x/2)", "log2": "log2(x)", "log10": "log10(x)", "log1p": "log1p(x)",
    "expm1": "expm1(x)", "cbrt": "cbrt(x - 1)", "hypot": "hypot(x, y)", "erf": "erf(x)",
    "softplus": "softplus(x, y)", "leaky_relu": "leaky_relu(x - 1, y)", "elu": "elu(x - 1, y)", "silu": "silu(x)",
    "gelu": "gelu(x)", "floor": "floor(x) + x", "ceil": "ceil(x) + x", "round": "round(x) + x",
    "sigmoid": "sigmoid(x)", "relu": "relu(x)", "abs": "abs(x)", "step": "step(x) + x", "sign": "sign(x) + x",
    "max": "max(x, y, 0.1)", "min": "min(x, y, 3)", "sum": "sum(x, y, x*y)", "mean": "mean(x, y, 2)",
    "logsumexp": "logsumexp(x, y, -1)",
}


def test_every_function_has_an_ordinary_point():
    assert {name for name, op in OPS.items() if op.is_function} == set(ORDINARY)


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_every_function_works_from_the_command_line_with_check(cli, name):
    program = ORDINARY[name]
    bindings = ["-x", "0.7"] + (["-y", "1.3"] if "y" in program else [])
    run = cli("eval", program, *bindings, "--check", "--json")
    assert run.code == 0, run.err
    doc = strict_json(run.out)
    assert doc["check"]["ok"] is True


def test_nielsens_cross_entropy():
    """Nielsen, Neural Networks and Deep Learning, ch. 3, eq. (61)-(62): dC/dw = x(a - y), dC/db = a - y."""
    from backprop_cli.engine.compute import differentiate
    from backprop_cli.engine.tape import lower
    from backprop_cli.language.parser import parse

    tape = lower(parse("z = w*x + b; a = sigmoid(z); C = -(y*ln(a) + (1 - y)*ln(1 - a))"))
    point = {"w": 0.6, "x": 1.5, "b": -0.4, "y": 1.0}
    result = differentiate(tape, point)
    a = 1 / (1 + math.exp(-(0.6 * 1.5 - 0.4)))
    assert result.gradient()["w"] == pytest.approx(1.5 * (a - 1.0), rel=1e-14)
    assert result.gradient()["b"] == pytest.approx(a - 1.0, rel=1e-14)


def test_ngs_leaky_relu_and_the_max_written_by_hand(cli):
    """At z = 0, leaky_relu(z) has PyTorch's slope 0.01 (observed), while max(0.01*z, z), a tie, splits 0.505."""
    seen = next(o for o in OBSERVED["pytorch"]["observations"] if o["expression"] == "leaky_relu(x)" and o["at"] == [0.0])
    doc = strict_json(cli("eval", "leaky_relu(z)", "-z", "0", "--json").out)
    assert doc["gradient"]["z"] == seen["gradient"][0] == 0.01
    doc = strict_json(cli("eval", "max(0.01*z, z)", "-z", "0", "--json").out)
    assert doc["gradient"]["z"] == pytest.approx(0.505, rel=1e-15)
    doc = strict_json(cli("eval", "leaky_relu(z)", "-z", "-2", "--json").out)  # Ng: slope 0.01 for z < 0
    assert doc["gradient"]["z"] == 0.01 and doc["value"] == -0.02


@pytest.mark.parametrize("program", [
    "logsumexp(s0, s1, s2, s3) - s3",
    "m = max(s0, s1, s2, s3); L = m + log(exp(s0 - m) + exp(s1 - m) + exp(s2 - m) + exp(s3 - m)) - s3",
])
def test_karpathys_four_logit_softmax_loss(cli, program):
    """Karpathy's 'Backprop Ninja' answer key: dlogits = [0.04177, 0.83902, 0.00565, -0.88645] for logits
    [0, 3, -2, 1] and correct class 3; and the softmax minus the one-hot vector, computed here."""
    run = cli("eval", program, "s0=0", "s1=3", "s2=-2", "s3=1", "--json")
    gradient = strict_json(run.out)["gradient"]
    got = [gradient[f"s{k}"] for k in range(4)]
    assert [round(g, 5) for g in got] == [0.04177, 0.83902, 0.00565, -0.88645]
    total = sum(math.exp(s) for s in (0, 3, -2, 1))
    want = [math.exp(s) / total - (k == 3) for k, s in enumerate((0, 3, -2, 1))]
    assert got == pytest.approx(want, rel=1e-14)


def test_a_gelu_unit_and_a_silu_unit():
    """y = gelu(w*x + b) and y = silu(w*x + b): the gradients against the closed forms in mpmath (60 digits),
    and PyTorch's observed gelu'(0) = silu'(0) = 0.5."""
    from backprop_cli.engine.compute import differentiate
    from backprop_cli.engine.tape import lower
    from backprop_cli.language.parser import parse

    mp = mpmath.mp
    point = {"w": 0.8, "x": -1.3, "b": 0.25}
    with mp.workdps(60):
        z = mp.mpf(0.8) * mp.mpf(-1.3) + mp.mpf(0.25)
        phi = mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)
        cdf = (1 + mpmath.erf(z / mpmath.sqrt(2))) / 2
        gelu_prime = cdf + z * phi
        s = 1 / (1 + mpmath.exp(-z))
        silu_prime = s * (1 + z * (1 - s))
    for unit, prime in (("gelu", gelu_prime), ("silu", silu_prime)):
        result = differentiate(lower(parse(f"y = {unit}(w*x + b)")), point)
        assert result.gradient()["w"] == pytest.approx(float(prime * mp.mpf(-1.3)), rel=1e-13), unit
        assert result.gradient()["b"] == pytest.approx(float(prime), rel=1e-13), unit
        seen = next(o for o in OBSERVED["pytorch"]["observations"] if o["expression"] == f"{unit}(x)")
        at_zero = differentiate(lower(parse(f"{unit}(x)")), {"x": seen["at"][0]})
        assert at_zero.gradient()["x"] == seen["gradient"][0]


@pytest.mark.parametrize("program, bindings, value", [
    ("atan(x)", ["x=0"], "0"), ("log(x, 2)", ["x=8"], "3"), ("cbrt(x)", ["x=27/8"], "3/2"),
    ("hypot(x, y)", ["x=3", "y=4"], "5"), ("log10(x)", ["x=0.001"], "-3"), ("floor(x)", ["x=2.5"], "2"),
    ("round(x)", ["x=2.5"], "2"), ("mean(x, y, 1)", ["x=1", "y=2"], "4/3"),
])
def test_exact_where_rational(cli, program, bindings, value):
    bindings = [b if "/" not in b else b.split("=")[0] + "=" + str(eval_fraction(b.split("=")[1])) for b in bindings]
    doc = strict_json(cli("eval", program, *bindings, "--exact", "--json").out)
    assert doc["exact"]["value"] == value


def eval_fraction(text: str) -> float:
    top, bottom = text.split("/")
    return int(top) / int(bottom)


@pytest.mark.parametrize("program, x, fragment", [
    ("asin(x)", "1.5", "asin is defined for -1 <= x <= 1 only"),
    ("acosh(x)", "0.5", "acosh is defined for x >= 1 only"),
    ("atanh(x)", "1", "atanh is defined for -1 < x < 1 only"),
    ("log1p(x)", "-1", "log1p is defined for x > -1 only"),
    ("log(x, 1)", "2", "a logarithm's base must be positive and not 1"),
    ("cbrt(x)", "0", "cbrt has an infinite derivative at 0"),
])
def test_domain_errors_name_the_function(cli, program, x, fragment):
    run = cli("eval", program, "-x", x)  # the reason is under the tables (issue 13: undefined is local)
    assert run.code == 4 and fragment in " ".join(run.out.split())
    assert fragment in cli("step", program, "-x", x, "--lr", "0.1").err  # a step needs it: an error


@pytest.mark.parametrize("program, x", [("atanh(x)", "0.999999999"), ("acosh(x)", "1.000000001"),
                                        ("log1p(x)", "-0.999999999"), ("expm1(x)", "1e-12"), ("log1p(x)", "1e-12")])
def test_near_the_edges_of_each_domain(cli, program, x):
    """Against mpmath: the values and derivatives near the edges, where the naive formulas lose every digit."""
    doc = strict_json(cli("eval", program, "-x", x, "--json").out)
    name = program.split("(")[0]
    with mpmath.mp.workdps(60):
        t = mpmath.mpf(float(x))
        f = {"atanh": mpmath.atanh, "acosh": mpmath.acosh, "log1p": lambda v: mpmath.log(1 + v),
             "expm1": lambda v: mpmath.exp(v) - 1}[name]
        want_value = f(t)
        want_derivative = mpmath.diff(f, t)
    assert doc["value"] == pytest.approx(float(want_value), rel=1e-13)
    assert doc["gradient"]["x"] == pytest.approx(float(want_derivative), rel=1e-8)


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_every_mode_agrees_on_every_function(cli, name, tmp_path):
    """Reverse and forward mode, the --symbolic formula read back, the Hessian against differences of the
    gradient, --exact where it runs, and a --batch row: the same numbers for each function."""
    program = ORDINARY[name]
    point = {"x": 0.7, "y": 1.3} if "y" in program else {"x": 0.7}
    bindings = [f"{k}={v}" for k, v in point.items()]
    doc = strict_json(cli("eval", program, *bindings, "--json", "--symbolic").out)
    for var in point:
        assert doc["forward_gradient"][var] == pytest.approx(doc["gradient"][var], rel=1e-12, abs=1e-15)
        back = cli("eval", doc["symbolic"][var], *[b for b in bindings if b.split("=")[0] in doc["symbolic"][var]],
                   "--json")
        value = strict_json(back.out)["value"] if back.code == 0 else None
        assert value == pytest.approx(doc["gradient"][var], rel=1e-12, abs=1e-15), (var, doc["symbolic"][var])
    hessian = strict_json(cli("hessian", program, *bindings, "--json").out)["hessian"]
    for i, var in enumerate(hessian["names"]):
        h = 1e-5
        up = strict_json(cli("eval", program, *[f"{k}={v + h if k == var else v}" for k, v in point.items()],
                             "--json").out)["gradient"]
        down = strict_json(cli("eval", program, *[f"{k}={v - h if k == var else v}" for k, v in point.items()],
                               "--json").out)["gradient"]
        for j, other in enumerate(hessian["names"]):
            assert hessian["matrix"][j][i] == pytest.approx((up[other] - down[other]) / (2 * h), rel=1e-5, abs=1e-6)
    points = tmp_path / "points.csv"
    points.write_text(",".join(point) + "\n" + ",".join(repr(v) for v in point.values()) + "\n")
    batch = cli("eval", program, "--batch", str(points))
    assert batch.code == 0, batch.err
    row = [float(v) for v in batch.out.splitlines()[1].split(",")]
    assert row[0] == doc["value"] and row[1:] == [doc["gradient"][k] for k in doc["gradient"]]
    exact = cli("eval", program, *bindings, "--exact", "--json")
    if exact.code == 0:
        assert strict_json(exact.out)["value"] == pytest.approx(doc["value"], rel=1e-12, abs=1e-15)
