"""`eval --check`: the finite-difference check, against oracles computed here (issue 11).

The step h = cbrt(eps) * max(1, |x|) and the tolerance rule
|numeric - gradient| <= atol + rtol * |gradient| + rounding error are the ones
docs/language.md#how-it-computes states; the central differences below are taken in
this file with Python's floats, never with the tool's own constants.
"""
from __future__ import annotations

import math
import sys

import pytest

from backprop_cli.engine import finite_differences
from backprop_cli.engine.compute import differentiate
from backprop_cli.language.parser import parse
from backprop_cli.engine.tape import lower

EPS = sys.float_info.epsilon
CBRT_EPS = 6.055454452393343e-06  # cbrt(2^-52), as a number: not the tool's EPS ** (1/3)
SQRT_EPS = 2.0 ** -26  # sqrt(2^-52), exactly


def check_doc(cli, *argv):
    run = cli("eval", *argv, "--check", "--json")
    assert run.code in (0, 1), run.err
    doc = run.json()
    assert (run.code == 0) == doc["check"]["ok"]
    return doc


def one_paragraph(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------------------
# What the check evaluates: only what the output is computed from.

UNREACHED = "a does not reach the output y, so its gradient is 0 exactly; no difference is taken"


def test_an_input_that_does_not_reach_the_output_passes_with_gradient_0(cli):
    """Regression: (-2)^a beside y = 2*w failed a, which does not affect y, because a - h was evaluated."""
    doc = check_doc(cli, "u = (-2)^a; y = 2*w", "-a", "0", "-w", "1")
    assert doc["check"]["ok"] is True
    assert doc["check"]["inputs"]["a"] == {"numeric": 0.0, "abs_error": 0.0, "rel_error": 0.0, "step": 0.0,
                                           "ok": True, "reason": UNREACHED}
    assert doc["check"]["inputs"]["w"]["ok"] is True and doc["check"]["inputs"]["w"]["reason"] is None
    run = cli("eval", "u = (-2)^a; y = 2*w", "-a", "0", "-w", "1", "--check")
    assert run.code == 0, run.err
    assert f"check a: {UNREACHED}" in one_paragraph(run.out)
    assert "finite-difference check passed" in one_paragraph(run.out)


def test_an_unreached_input_with_an_exact_value_too_large_for_floats_still_passes(cli):
    doc = check_doc(cli, "u = a; y = 2*w", "-a", "1e400", "-w", "1", "--exact")
    assert doc["check"]["ok"] is True
    assert doc["check"]["inputs"]["a"]["reason"] == UNREACHED


def test_a_node_that_does_not_feed_the_output_is_not_evaluated_off_its_point(cli):
    """u = exp(w) is finite at w but overflows at w + h: it is not the output's business, so w's check is the
    ordinary central one (it was a backward difference, 'not defined on the other side of w')."""
    w = 709.7827
    doc = check_doc(cli, "u = exp(w); y = 2*w", f"w={w!r}")
    entry = doc["check"]["inputs"]["w"]
    assert entry["ok"] is True
    assert entry["reason"] is None
    assert entry["step"] == pytest.approx(CBRT_EPS * w, rel=1e-12)
    assert entry["numeric"] == pytest.approx(2.0, rel=1e-9)


def test_the_perturbed_evaluations_see_only_the_output_part(monkeypatch):
    tape = lower(parse("u = log(a) * w; t = relu(u); y = 2*w + b"))
    inputs = {"a": 3.0, "w": 1.5, "b": -1.0}
    result = differentiate(tape, inputs)
    evaluated: list = []
    real = finite_differences.evaluate

    def recording(part, point, *args, **kwargs):
        evaluated.append(({node.id for node in part.nodes}, dict(point)))
        return real(part, point, *args, **kwargs)

    monkeypatch.setattr(finite_differences, "evaluate", recording)
    report = finite_differences.finite_difference_check(tape, inputs, result.gradient(), result.values)
    assert report.ok
    dead = {tape.nodes[i].id for i in (tape.named["u"], tape.named["t"], tape.inputs["a"])}
    assert evaluated, "no perturbed evaluation was made"
    for ids, point in evaluated:
        assert not ids & dead, (ids, dead)
        assert "a" not in point
    assert report.inputs["a"].reason == UNREACHED
    assert report.inputs["a"].numeric == 0.0 and report.inputs["a"].analytic == 0.0


def test_the_output_part_keeps_ids_labels_and_order():
    tape = lower(parse("u = log(a); e = b*c; y = e + c"))
    part, kept = finite_differences.output_part(tape)
    assert [node.id for node in part.nodes] == [tape.nodes[i].id for i in kept]
    assert list(part.inputs) == ["b", "c"]
    assert part.output_name == "y" and part.nodes[part.output].id == tape.nodes[tape.output].id
    assert [part.expression(i) for i in range(len(part.nodes))] == [tape.expression(i) for i in kept]
    whole, everything = finite_differences.output_part(lower(parse("a*b")))
    assert everything == [0, 1, 2] and whole.nodes == lower(parse("a*b")).nodes


# ------------------------------------------------------------------------------------------
# The JSON of --check: exactly these keys.

def test_check_json_has_exactly_these_keys(cli):
    doc = check_doc(cli, "y = relu(x) * w + z", "-x", "0", "-w", "2", "-z", "1")
    assert set(doc["check"]) == {"ok", "rtol", "atol", "inputs"}
    assert list(doc["check"]["inputs"]) == ["x", "w", "z"]
    for name, entry in doc["check"]["inputs"].items():
        assert set(entry) == {"numeric", "abs_error", "rel_error", "step", "ok", "reason"}, name
    assert (doc["check"]["rtol"], doc["check"]["atol"]) == (1e-6, 1e-9)


# ------------------------------------------------------------------------------------------
# The one-sided fallback at the edge of a domain.

def test_forward_difference_at_the_edge_of_a_domain(cli):
    """x^2.5 is not defined left of 0: the check takes a forward difference with the step sqrt(eps) there.
    Pinned: the verdict, the numeric value, the step and the method."""
    doc = check_doc(cli, "x + x^2.5", "-x", "0")
    entry = doc["check"]["inputs"]["x"]
    h = SQRT_EPS * max(1.0, 0.0)
    numeric = ((h + h ** 2.5) - (0.0 + 0.0 ** 2.5)) / ((0.0 + h) - 0.0)  # (f(x + h) - f(x)) / h
    assert numeric == pytest.approx(1.0000000000018190, rel=1e-15)
    assert entry == {
        "numeric": pytest.approx(numeric, rel=1e-15),
        "abs_error": pytest.approx(numeric - 1.0, rel=1e-9),
        "rel_error": pytest.approx((numeric - 1.0) / numeric, rel=1e-9),
        "step": h,
        "ok": True,
        "reason": "forward difference: the function is not defined on the other side of x",
    }
    assert doc["gradient"]["x"] == 1.0


def test_backward_difference_at_the_other_edge(cli):
    doc = check_doc(cli, "x - (-x)^2.5", "-x", "0")  # not defined right of 0
    entry = doc["check"]["inputs"]["x"]
    h = SQRT_EPS
    numeric = ((0.0 - (-0.0) ** 2.5) - ((0.0 - h) - (-(0.0 - h)) ** 2.5)) / (0.0 - (0.0 - h))  # (f(x) - f(x - h)) / h
    assert entry == {
        "numeric": pytest.approx(numeric, rel=1e-15),
        "abs_error": pytest.approx(abs(numeric - 1.0), rel=1e-9),
        "rel_error": pytest.approx(abs(numeric - 1.0) / numeric, rel=1e-9),
        "step": h,
        "ok": True,
        "reason": "backward difference: the function is not defined on the other side of x",
    }


# ------------------------------------------------------------------------------------------
# Step and numeric value against central differences taken here.

SMOOTH = [
    ("sin(x)", math.sin, 0.7),
    ("exp(x)", math.exp, -1.3),
    ("log(x)", math.log, 5.0),
    ("x*x*x", lambda x: x * x * x, 2.0),
    ("tanh(x)", math.tanh, -0.4),
    ("1/x", lambda x: 1 / x, -3.5),
    ("sqrt(x)", math.sqrt, 1e3),
    ("x*0.5", lambda x: x * 0.5, 0.0),
]


@pytest.mark.parametrize("source,f,x", SMOOTH, ids=[row[0] for row in SMOOTH])
def test_step_and_numeric_are_the_documented_central_difference(cli, source, f, x):
    doc = check_doc(cli, source, f"x={x!r}")
    entry = doc["check"]["inputs"]["x"]
    h = CBRT_EPS * max(1.0, abs(x))
    low, high = x - h, x + h
    numeric = (f(high) - f(low)) / (high - low)
    assert entry["ok"] is True and entry["reason"] is None
    assert entry["step"] == pytest.approx(h, rel=1e-12)
    assert entry["step"] == pytest.approx((high - low) / 2, rel=1e-15)  # the step actually taken, after rounding
    assert entry["numeric"] == pytest.approx(numeric, rel=1e-9)
    assert entry["abs_error"] == pytest.approx(abs(entry["numeric"] - doc["gradient"]["x"]), rel=1e-9, abs=1e-300)


# ------------------------------------------------------------------------------------------
# The tolerance rule: |numeric - gradient| <= atol + rtol * |gradient| (+ rounding), just inside and outside.
# At a relu kink the difference is off by a fixed amount whatever the step, and the gradient is PyTorch's 0:
# relu(x) + k*x at 0 has gradient k and central difference k + 1/2.

def _kinked(k: float, x: float = 0.0) -> tuple[float, float]:
    """(gradient by the kink convention, central difference taken here) of relu(x) + k*x at 0."""
    h = CBRT_EPS
    f = lambda t: max(t, 0.0) + k * t  # noqa: E731
    return k, (f(x + h) - f(x - h)) / ((x + h) - (x - h))


@pytest.mark.parametrize("k,inside", [(500005.0, True), (499995.0, False)])
def test_default_tolerance_just_inside_and_outside(cli, k, inside):
    """With the defaults atol 1e-9 and rtol 1e-6 the error 1/2 is allowed at |gradient| >= 499,999.5."""
    gradient, numeric = _kinked(k)
    assert (abs(numeric - gradient) <= 1e-9 + 1e-6 * abs(gradient)) is inside
    doc = check_doc(cli, f"relu(x) + {k!r}*x", "-x", "0")
    entry = doc["check"]["inputs"]["x"]
    assert doc["gradient"]["x"] == gradient
    assert entry["numeric"] == pytest.approx(numeric, rel=1e-12)
    assert entry["step"] == pytest.approx(CBRT_EPS, rel=1e-12)
    assert entry["ok"] is inside


@pytest.mark.parametrize("c,inside", [(1.998e-9, True), (2.002e-9, False)])
def test_default_absolute_tolerance_just_inside_and_outside(cli, c, inside):
    """relu(x) * c at 0: gradient 0, difference c/2; the default atol 1e-9 alone decides."""
    h = CBRT_EPS
    numeric = (max(h, 0.0) * c - max(-h, 0.0) * c) / (2 * h)
    assert (abs(numeric) <= 1e-9) is inside
    doc = check_doc(cli, f"relu(x) * {c!r}", "-x", "0")
    assert doc["gradient"]["x"] == 0
    assert doc["check"]["inputs"]["x"]["numeric"] == pytest.approx(numeric, rel=1e-12)
    assert doc["check"]["inputs"]["x"]["ok"] is inside


@pytest.mark.parametrize("rtol,inside", [(0.2500005, True), (0.2499995, False)])
def test_rtol_scales_the_gradient_not_the_difference(cli, rtol, inside):
    """relu(x) + 2x at 0: gradient 2, difference 2.5, error 0.5: inside iff rtol * 2 >= 0.5 (docs: rtol * |gradient|;
    scaling by the larger of gradient and difference, 2.5, passed rtol 0.2499995 too)."""
    gradient, numeric = _kinked(2.0)
    assert (abs(numeric - gradient) <= 0 + rtol * abs(gradient)) is inside
    doc = check_doc(cli, "relu(x) + 2*x", "-x", "0", "--atol", "0", "--rtol", repr(rtol))
    entry = doc["check"]["inputs"]["x"]
    assert entry["ok"] is inside
    assert entry["abs_error"] == pytest.approx(0.5, rel=1e-9)
    if not inside:
        assert entry["reason"] == ("a kink lies within the step h = 6.06e-06: relu at v2 = relu(x); there the "
                                   "gradient is a convention and differences do not measure it")


@pytest.mark.parametrize("atol,inside", [(0.5000001, True), (0.4999999, False)])
def test_atol_just_inside_and_outside(cli, atol, inside):
    doc = check_doc(cli, "relu(x)", "-x", "0", "--atol", repr(atol), "--rtol", "0")
    assert doc["check"]["inputs"]["x"]["ok"] is inside
    assert doc["check"]["inputs"]["x"]["numeric"] == pytest.approx(0.5, rel=1e-12)
