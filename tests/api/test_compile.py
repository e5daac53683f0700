"""compile(): a Function over one point, over NumPy arrays and over pandas frames, the numbers of eval row by
row; pickling. (The API's import budget is in tests/whole/test_imports.py.)"""
from __future__ import annotations

import math
import pickle
import random

import pytest

import backprop_cli as bp

np = pytest.importorskip("numpy")

# program, how to draw a row (kinks and domain edges included), convention
PROGRAMS = [
    ("tanh(w*x + b) * relu(x - 1)", {"w": (-2, 2), "x": (-1, 3), "b": (-1, 1)}),
    ("e = a*b; d = e + c; L = d*f", {"a": (-5, 5), "b": (-5, 5), "c": (-5, 5), "f": (-5, 5)}),
    ("log(x) + sqrt(y) / x", {"x": (-1, 4), "y": (-1, 4)}),  # rows with no number: NaN
    ("max(x, y) + abs(x - 1) + floor(y)", {"x": (0, 2), "y": (0, 2)}),
    ("exp(x)^2 * y", {"x": (300, 400), "y": (-1e-300, 1e-300)}),  # overflow and underflow rows
]
CONVENTIONS = ("pytorch", "jax", "right")


def draw(ranges: dict, rows: int, seed: int) -> dict:
    rng = random.Random(seed)
    columns = {}
    for name, (low, high) in ranges.items():
        column = [rng.uniform(low, high) for _ in range(rows)]
        for k in range(0, rows, 7):  # points on kinks and at the edges: whole numbers
            column[k] = float(round(column[k]))
        columns[name] = np.array(column)
    return columns


def row_of(f, columns: dict, r: int) -> list[float]:
    """The value and gradients of row r by the scalar engine (evaluate), NaN where there is no number."""
    try:
        result = f(**{name: float(column[r]) for name, column in columns.items()})
    except bp.MathError:
        return [math.nan] * (1 + len(f.gradient_names))
    numbers = [result.value, *(result.gradient[name] for name in f.gradient_names)]
    return [math.nan if n is None or not math.isfinite(n) else n + 0.0 for n in numbers]


def same(a: float, b: float) -> bool:
    return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)


@pytest.mark.parametrize("program, ranges", PROGRAMS)
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_value_and_grad_is_evaluate_on_every_row(program, ranges, convention):
    f = bp.compile(program, convention=convention)
    columns = draw(ranges, 300, seed=len(program))
    value, gradient = f.value_and_grad(**columns)
    assert list(gradient) == f.gradient_names
    for r in range(300):
        got = [float(value[r]), *(float(gradient[name][r]) for name in f.gradient_names)]
        want = row_of(f, columns, r)
        assert all(same(a, b) for a, b in zip(got, want)), (r, got, want)


def test_scalars_broadcast_and_lists_work():
    f = bp.compile("w*x + b")
    value, gradient = f.value_and_grad(x=[1, 2, 3], w=2, b=0.5)
    assert value.tolist() == [2.5, 4.5, 6.5]
    assert gradient["w"].tolist() == [1.0, 2.0, 3.0] and gradient["b"].tolist() == [1.0, 1.0, 1.0]
    assert gradient["x"].tolist() == [2.0, 2.0, 2.0]
    one, grads = f.value_and_grad(x=1, w=2, b=3)  # all scalars: one row
    assert one.tolist() == [5.0] and grads["x"].tolist() == [2.0]


def test_a_function_at_one_point_is_evaluate():
    f = bp.compile("(a+b)*c/d")
    assert f(a=5, b=1, c=-2, d=-3).to_json() == bp.evaluate("(a+b)*c/d", a=5, b=1, c=-2, d=-3).to_json()
    assert f({"a": 5, "b": 1, "c": -2, "d": -3}, exact=True).gradient["d"] == bp.evaluate(
        "(a+b)*c/d", a=5, b=1, c=-2, d=-3, exact=True).gradient["d"]
    assert f.inputs == ["a", "b", "c", "d"]


def test_a_function_pickles_as_its_text_and_computes_the_same():
    f = bp.compile("t = tanh(w*x + b); L = (t - y)^2", convention="jax")
    data = pickle.dumps(f)
    assert len(data) < 400  # the program text, not the tape
    g = pickle.loads(data)
    assert (g.program, g.convention, g.gradient_names) == (f.program, f.convention, f.gradient_names)
    columns = draw({"w": (-1, 1), "x": (-2, 2), "b": (-1, 1), "y": (0, 1)}, 100, seed=3)
    for a, b in zip(f.value_and_grad(**columns)[1].values(), g.value_and_grad(**columns)[1].values()):
        assert np.array_equal(a, b)
    f.value_and_grad(**columns)  # with its compiled plan, still pickles as text
    assert pickle.loads(pickle.dumps(f)).program == f.program


def test_frame_gives_a_data_frame_with_the_value_and_every_gradient():
    pd = pytest.importorskip("pandas")
    f = bp.compile("t = tanh(w*x + b); L = (t - y)^2")
    df = pd.DataFrame(draw({"w": (-1, 1), "x": (-2, 2), "b": (-1, 1), "y": (0, 1)}, 50, seed=5),
                      index=range(100, 150))
    df["other"] = "ignored"
    out = f.frame(df)
    assert list(out.columns) == ["value", "grad_w", "grad_x", "grad_b", "grad_t", "grad_y", "grad_L"]
    assert list(out.index) == list(df.index)
    value, gradient = f.value_and_grad(w=df["w"], x=df["x"], b=df["b"], y=df["y"])  # Series are columns too
    assert np.array_equal(out["value"].to_numpy(), value)
    assert np.array_equal(out["grad_w"].to_numpy(), gradient["w"])
    assert list(f.frame(df, with_inputs=True).columns)[:4] == ["w", "x", "b", "y"]
    r = 7
    one = f(w=df["w"].iloc[r], x=df["x"].iloc[r], b=df["b"].iloc[r], y=df["y"].iloc[r])
    assert out["grad_x"].iloc[r] == one.gradient["x"]
