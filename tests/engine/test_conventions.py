"""--convention: the derivative at every kink and jump, under every convention, against evidence.

- pytorch, jax, tensorflow: against what the frameworks returned when they were run
  (tests/data/framework_observations.json, read here; no number is typed from memory).
- left, right: against one-sided finite differences computed here, on each side of the point.
- the table (engine/conventions.py) covers every operation of ops.py that has kink data; its pytorch
  column agrees with ops.py's own rules (which the default keeps untouched); away from kinks every
  convention gives the default's numbers.
"""
from __future__ import annotations

import json
import struct
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import tape_of

from backprop_cli.base.errors import BackpropError, UsageError
from backprop_cli.engine import conventions
from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.conventions import CONVENTIONS, DEFAULT, TABLE
from backprop_cli.engine.ops import OPS
from backprop_cli.engine.second import hessian

DATA = json.loads((Path(__file__).resolve().parents[1] / "data" / "framework_observations.json")
                  .read_text(encoding="utf-8"))
FRAMEWORKS = ("pytorch", "jax", "tensorflow")


def n_ary() -> bool:
    """max and min of three or more arguments (issue 12) are in the language."""
    try:
        tape_of("max(a, b, c)")
    except BackpropError:
        return False
    return True


def gradient(source: str, point: dict, convention: str, arithmetic=None) -> dict:
    tape = tape_of(source)
    if arithmetic is None:
        result = differentiate(tape, {k: float(v) for k, v in point.items()}, convention=convention)
    else:
        result = differentiate(tape, {k: arithmetic.coerce(v) for k, v in point.items()}, arithmetic,
                               convention=convention)
    return result.gradient(), result


# -- the frameworks' observations ---------------------------------------------------------------------------

def _slope(record: dict):
    defaults = record.get("defaults", {})
    return defaults.get("negative_slope", defaults.get("alpha"))


def our_program(framework: str, record: dict):
    """(our program, the input names in the order of record["at"]) for an observation of a function with a kink
    or a jump, or None for one that is not (sqrt, hypot, ...) or that has no counterpart here."""
    expression = record["expression"]
    if "dim=0" in record.get("name", ""):
        return None  # torch.max(t, dim=0).values: the arg-max's value, whose gradient goes to the index it returns
    plain = {"relu(x)", "abs(x)", "sign(x)", "floor(x)", "ceil(x)", "round(x)", "elu(x)", "elu(x, 0.5)",
             "leaky_relu(x, 0.01)", "leaky_relu(x, 0.2)"}
    if expression in plain:
        return expression, ["x"]
    if expression == "heaviside(x, 0)":  # our step(x): 1 for x > 0, else 0
        return "step(x)", ["x"]
    if expression == "leaky_relu(x)":  # the framework's default slope, as its signature gave it
        slope = _slope(record)
        return (f"leaky_relu(x, {slope!r})", ["x"]) if slope is not None else None
    for pairwise, ours in (("maximum", "max"), ("minimum", "min")):
        if expression == f"{pairwise}(x, y)":
            return f"{ours}(x, y)", ["x", "y"]
        if expression == f"{pairwise}(y, x)":  # at is [x, y] (record["arguments"])
            assert record["arguments"] == "x, y"
            return f"{ours}(y, x)", ["x", "y"]
    for reduction in ("max", "min"):
        if expression == f"{reduction}([a, b])":
            # our max(a, b) is the pairwise maximum, which TensorFlow (tf.maximum) does not split at a tie the way
            # its reduction over two elements (tf.reduce_max) does: the pairwise observations stand for it there
            return None if framework == "tensorflow" else (f"{reduction}(a, b)", ["a", "b"])
        if expression == f"{reduction}([a, b, c])":
            return (f"{reduction}(a, b, c)", ["a", "b", "c"]) if n_ary() else None
    return None


def observed(framework: str, record: dict) -> list:
    """The gradient observed, with None (TensorFlow's tape.gradient giving no gradient at all) read as 0: the
    derivative of the pieces on both sides of the jump, the convention's value (conventions.py says why)."""
    return [0.0 if g is None else float(g) for g in record["gradient"]]


def _cases():
    for framework in FRAMEWORKS:
        entry = DATA[framework]
        for kind in ("observations", "signed_zeros", "alternatives"):
            for record in entry[kind]:
                mapped = our_program(framework, record)
                if mapped is not None:
                    yield pytest.param(framework, record, mapped,
                                       id=f"{framework}-{record['name']}-{record['expression']}-{record['at']}".replace(" ", ""))


CASES = list(_cases())


def _float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


@pytest.mark.parametrize("framework, record, mapped", CASES)
def test_each_framework_convention_gives_what_the_framework_returned(framework, record, mapped):
    source, names = mapped
    point = dict(zip(names, record["at"]))
    got, _ = gradient(source, point, framework)
    ours = [got[name] for name in names]
    wanted = observed(framework, record)
    if framework == "tensorflow" and source.startswith("leaky_relu"):
        # tf.nn.leaky_relu keeps its alpha as a float32: it observes 0.20000000298023224 for the slope 0.2. The
        # convention gives the slope as written; rounded to float32 it is what TensorFlow returned.
        ours = [_float32(g) for g in ours]
    assert ours == wanted, (framework, record["name"], record["at"], ours, wanted)


def test_every_operation_with_a_kink_is_checked_against_every_framework():
    covered = {framework: set() for framework in FRAMEWORKS}
    for param in CASES:
        framework, _, (source, _) = param.values
        covered[framework].add(source.split("(")[0])
    for framework in FRAMEWORKS:
        # step under pytorch: torch.heaviside raises instead (test_where_a_framework_returns_no_number)
        expected = {name for name in TABLE if name in OPS} - ({"step"} if framework == "pytorch" else set())
        assert expected <= covered[framework], (framework, expected - covered[framework])


def test_where_a_framework_returns_no_number_the_convention_gives_0():
    # TensorFlow's None for floor/ceil/round/heaviside are read as 0 above; torch.heaviside raises
    raised = [r for r in DATA["pytorch"]["absent"] if r["expression"] == "heaviside(x, 0)"]
    assert raised and all("not implemented" in r["error"] for r in raised)
    for record in raised:
        got, _ = gradient("step(x)", {"x": record["at"][0]}, "pytorch")
        assert got["x"] == 0
    nones = [r for r in DATA["tensorflow"]["observations"] if r["gradient"] == [None]]
    assert {r["expression"] for r in nones} == {"floor(x)", "ceil(x)", "round(x)", "heaviside(x, 0)",
                                                "heaviside(x, 0.5)", "heaviside(x, 1)"}
    for name in ("floor", "ceil", "round", "step"):
        assert "None" in TABLE[name].none.get("tensorflow", ""), name


def test_the_notable_differences_between_frameworks():
    # the ones the documentation names, read back from the observations (a guard on the mapping above)
    def record(framework, expression, at):
        return next(r for r in DATA[framework]["observations"] if r["expression"] == expression and r["at"] == at)

    assert record("jax", "abs(x)", [0.0])["gradient"] == [1.0]
    assert record("pytorch", "abs(x)", [0.0])["gradient"] == [0.0]
    assert record("jax", "leaky_relu(x, 0.01)", [0.0])["gradient"] == [1.0]
    assert record("tensorflow", "maximum(x, y)", [1.0, 1.0])["gradient"] == [1.0, 0.0]
    assert record("pytorch", "maximum(x, y)", [1.0, 1.0])["gradient"] == [0.5, 0.5]
    assert gradient("abs(x)", {"x": 0}, "jax")[0] == {"x": 1.0}
    assert gradient("leaky_relu(x)", {"x": 0}, "jax")[0] == {"x": 1.0}
    assert gradient("leaky_relu(x)", {"x": 0}, "tensorflow")[0] == {"x": 0.01}  # our slope, not TF's default 0.2
    assert gradient("max(x, y)", {"x": 1, "y": 1}, "tensorflow")[0] == {"x": 1.0, "y": 0.0}
    assert gradient("max(y, x)", {"x": 1, "y": 1}, "tensorflow")[0] == {"x": 0.0, "y": 1.0}


# -- left and right: one-sided finite differences ---------------------------------------------------------

H = 2.0 ** -20  # a step that keeps every point of these cases exact in binary

# (program, the point on a kink or jump)
KINKS = [
    ("relu(x)", {"x": 0}),
    ("abs(x)", {"x": 0}),
    ("abs(x)", {"x": -0.0}),
    ("leaky_relu(x)", {"x": 0}),
    ("leaky_relu(x, s)", {"x": 0, "s": 0.2}),
    ("elu(x)", {"x": 0}),
    ("elu(x, a)", {"x": 0, "a": 0.5}),
    ("step(x)", {"x": 0}),
    ("sign(x)", {"x": 0}),
    *[("floor(x)", {"x": v}) for v in (-1, 0, 2)],
    *[("ceil(x)", {"x": v}) for v in (-1, 0, 2)],
    *[("round(x)", {"x": v}) for v in (-1.5, -0.5, 0.5, 1.5, 2.5)],
    ("max(a, b)", {"a": 1, "b": 1}),
    ("min(a, b)", {"a": 1, "b": 1}),
    ("max(0, x)", {"x": 0}),
    ("min(x, 3)*x", {"x": 3}),
    ("relu(x)*y + leaky_relu(z, 0.2)*w", {"x": 0, "y": 2, "z": 0, "w": -3}),
]
N_ARY = [
    ("max(a, b, c)", {"a": 1, "b": 1, "c": 1}),
    ("max(a, b, c)", {"a": 2, "b": 2, "c": 1}),
    ("max(a, b, c)", {"a": 1, "b": 2, "c": 2}),
    ("min(a, b, c)", {"a": 1, "b": 1, "c": 2}),
    ("min(a, b, c)", {"a": 2, "b": 1, "c": 1}),
    ("max(a, b, c, d)", {"a": 0, "b": 5, "c": 5, "d": 5}),
]


def kink_cases():
    cases = KINKS + (N_ARY if n_ary() else [])
    return [pytest.param(source, point, id=f"{source}-{point}") for source, point in cases]


def value(source: str, point: dict) -> float:
    from backprop_cli.engine.forward import sweep_values

    tape = tape_of(source)
    return sweep_values(tape, {k: float(v) for k, v in point.items()})[tape.output]


def one_sided(source: str, point: dict, name: str, side: int) -> float:
    """The derivative in `name` of the piece on one side (-1 below, +1 above): a difference taken wholly on that
    side, [x - 2h, x - h] or [x + h, x + 2h]. For a kink it is the one-sided derivative; for a jump, where a
    quotient across the jump has no limit, the derivative of the piece on that side."""
    near = dict(point, **{name: point[name] + side * H})
    far = dict(point, **{name: point[name] + side * 2 * H})
    return side * (value(source, far) - value(source, near)) / H


@pytest.mark.parametrize("side, convention", [(-1, "left"), (1, "right")])
@pytest.mark.parametrize("source, point", kink_cases())
def test_left_and_right_are_the_one_sided_derivatives(source, point, side, convention):
    got, result = gradient(source, point, convention)
    assert result.kinks, "the point is on a kink or a jump"
    for name in point:
        expected = one_sided(source, point, name, side)
        assert got[name] == pytest.approx(expected, abs=1e-5), (name, got[name], expected)


@pytest.mark.parametrize("exact", [False, True], ids=["floats", "exact"])
@pytest.mark.parametrize("source, point", kink_cases())
def test_the_pytorch_column_of_the_table_is_what_the_rules_of_ops_py_give(source, point, exact):
    # the default does not consult the table (ops.py's rules are PyTorch's): the two must agree
    if exact:
        point = {k: Fraction(v) for k, v in point.items()}
    _, result = gradient(source, point, DEFAULT, EXACT if exact else None)
    assert result.kinks
    for kink in result.kinks:
        picked = TABLE[kink.op].rules["pytorch"].pick(tuple(kink.one_sided))
        for used, number in zip(kink.used, picked):
            if used is not None:
                assert used == (number if exact else float(number)), (kink, picked)


@pytest.mark.parametrize("source, point", kink_cases())
def test_the_default_is_pytorch_and_untouched(source, point):
    tape = tape_of(source)
    inputs = {k: float(v) for k, v in point.items()}
    default = differentiate(tape, inputs)
    named = differentiate(tape, inputs, convention="pytorch")
    assert default.convention == named.convention == "pytorch"
    assert (default.partials, default.grads, default.kinks) == (named.partials, named.grads, named.kinks)
    assert all(k.convention == "pytorch" for k in default.kinks)


# -- the table itself --------------------------------------------------------------------------------------

def test_the_table_holds_every_operation_with_a_kink_under_every_convention():
    with_kinks = {name for name, op in OPS.items() if op.branch is not None}
    assert with_kinks <= set(TABLE), with_kinks - set(TABLE)
    for name, entry in TABLE.items():
        assert set(entry.rules) == set(CONVENTIONS), name
        assert entry.rules["left"] is conventions.LEFT and entry.rules["right"] is conventions.RIGHT


def test_every_convention_agrees_with_the_default_away_from_kinks():
    programs = [("relu(x)*y + abs(z) + leaky_relu(z) + elu(x - 1) + max(x, z) - min(y, z) + floor(y) + sign(z)",
                 {"x": 0.5, "y": 2.3, "z": -1.25}),
                ("step(x - 0.3)*round(y) + ceil(z)*x", {"x": 0.5, "y": 2.3, "z": -1.25})]
    for source, point in programs:
        base, result = gradient(source, point, DEFAULT)
        assert not result.kinks
        for convention in CONVENTIONS:
            got, other = gradient(source, point, convention)
            assert got == base and other.partials == result.partials, convention


def test_exact_arithmetic_keeps_the_conventions_numbers_exact():
    got, _ = gradient("max(a, b)*c", {"a": Fraction(1, 3), "b": Fraction(1, 3), "c": 3}, "jax", EXACT)
    assert got["a"] == got["b"] == Fraction(3, 2) and isinstance(got["a"], Fraction)
    got, _ = gradient("leaky_relu(x, s)", {"x": 0, "s": Fraction(1, 7)}, "left", EXACT)
    assert got["x"] == Fraction(1, 7)
    if n_ary():
        got, _ = gradient("min(a, b, c)", {"a": 1, "b": 1, "c": 1}, "tensorflow", EXACT)
        assert got == {"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 3)}


def test_forward_mode_follows_the_convention_too():
    for convention in CONVENTIONS:
        _, result = gradient("relu(x)*y + abs(x) + max(x, y - 2)", {"x": 0, "y": 2}, convention)
        assert result.forward_gradient == result.gradient(), convention  # the same numbers both ways


def test_an_unknown_convention_is_a_usage_error_naming_the_choices():
    with pytest.raises(UsageError) as caught:
        differentiate(tape_of("relu(x)"), {"x": 0.0}, convention="torch")
    assert all(name in caught.value.message for name in CONVENTIONS)


# -- second derivatives: the piece each convention differentiates ------------------------------------------

def hessian_of(source: str, point: dict, convention: str) -> list:
    tape = tape_of(source)
    return hessian(tape, {k: float(v) for k, v in point.items()}, list(point), convention=convention).matrix


def test_the_hessian_at_a_kink_follows_the_convention():
    point = {"x": 0, "y": 2}
    # relu(x)*y: d2/dx dy is relu'(0): 0 (pytorch, jax, tensorflow, left), 1 (right)
    for convention, mixed in (("pytorch", 0), ("jax", 0), ("tensorflow", 0), ("left", 0), ("right", 1)):
        assert hessian_of("relu(x)*y", point, convention) == [[0, mixed], [mixed, 0]], convention
    # leaky_relu(x, s)*x at x = 0: the piece s*x^2 left of 0 (d2/dx2 = 2s), x^2 right of 0 (2)
    point = {"x": 0, "s": 0.25}
    assert hessian_of("leaky_relu(x, s)*x", point, "tensorflow")[0][0] == 0.5
    assert hessian_of("leaky_relu(x, s)*x", point, "jax")[0][0] == 2
    assert hessian_of("leaky_relu(x, s)*x", point, "right") == [[2, 0], [0, 0]]
    # max(a, b)^2 at a tie: (a+b)^2/4 split evenly, a^2 for tf.maximum, (a + b - 1)^2 right, 1 left
    point = {"a": 1, "b": 1}
    assert hessian_of("max(a, b)^2", point, "pytorch") == [[0.5, 0.5], [0.5, 0.5]]
    assert hessian_of("max(a, b)^2", point, "jax") == [[0.5, 0.5], [0.5, 0.5]]
    assert hessian_of("max(a, b)^2", point, "tensorflow") == [[2, 0], [0, 0]]
    assert hessian_of("max(a, b)^2", point, "right") == [[2, 2], [2, 2]]
    assert hessian_of("max(a, b)^2", point, "left") == [[0, 0], [0, 0]]


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_the_hessian_is_the_gradient_of_the_gradient_under_each_convention(convention):
    # one-sided: the Hessian under left (right) is the derivative of the gradient on that side of the kink
    source = "elu(x, a)*y + relu(x)*x*y + abs(y - 1)*x"
    point = {"x": 0, "a": 0.5, "y": 1}
    matrix = hessian_of(source, point, convention)
    if convention in ("left", "right"):
        side = -1 if convention == "left" else 1
        for j, name in enumerate(point):
            if name == "a":
                continue
            # a column: d/d name of the gradient, from the side the convention takes (x and y both on a kink)
            shifted = {k: v + (side * 1e-7 if k in ("x", "y") else 0) for k, v in point.items()}
            moved = dict(shifted, **{name: shifted[name] + side * 1e-7})
            g0, _ = gradient(source, shifted, convention)
            g1, _ = gradient(source, moved, convention)
            for i, row in enumerate(point):
                assert matrix[i][j] == pytest.approx(side * (g1[row] - g0[row]) / 1e-7, abs=1e-5), (row, name)
    assert all(len(row) == 3 for row in matrix)
