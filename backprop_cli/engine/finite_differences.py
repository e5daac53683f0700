"""--check: the reverse-mode gradient of each input against central finite differences.

The step is h = cbrt(machine epsilon) * max(1, |x|), which balances truncation
error (h^2) against rounding error (eps/h). An input passes when
|numeric - gradient| <= atol + rtol * |gradient| + the rounding error the
difference itself can carry (docs/language.md#how-it-computes). When an input's
check fails, the reason is found by looking for a kink (relu, abs, max, min)
that changes branch between x - h and x + h.

Only what the output is computed from is evaluated: the perturbed evaluations
run over that part of the tape alone, so a node that does not feed the output
(`u = (-2)^a` beside `y = 2*w`) is never evaluated off its point, and an input
that does not reach the output has gradient 0 exactly, with no difference to take.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from typing import Callable, NamedTuple

from ..base.errors import MathError, UsageError
from ..base.undefined import Undefined
from .forward import evaluate
from .local import reaches_output
from .ops import OPS
from .tape import Tape

EPS = sys.float_info.epsilon
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9


@dataclass(frozen=True)
class InputCheck:
    name: str
    analytic: float | None  # None when the gradient is undefined (then nothing is checked)
    numeric: float | None  # None when no finite difference could be taken
    abs_error: float | None
    rel_error: float | None
    step: float
    ok: bool | None  # None: not checked, the gradient is undefined
    reason: str | None  # why it failed, or how it was taken when not central, or why it was not checked
    allowed: float | None = None  # the abs error the rule allows here (None when nothing was compared)


@dataclass(frozen=True)
class CheckReport:
    ok: bool
    inputs: dict[str, InputCheck]
    rtol: float
    atol: float


def _kink_crossings(tape: Tape, low: list, high: list, at: list) -> list[str]:
    """The kinks whose branch differs between the evaluations, or that sit on their kink."""
    found = []
    for i, node in enumerate(tape.nodes):
        op = OPS.get(node.op)
        if op is None or op.branch is None:
            continue
        sides = {op.branch(*(vals[a] for a in node.args)) for vals in (low, high, at)}
        if len(sides) > 1 or 0 in sides:
            found.append(f"{node.op} at {tape.label(i)} = {tape.expression(i)}")
    return found


def _at(tape: Tape, inputs: dict, name: str, x: float, base: list) -> list:
    if x == inputs[name]:
        return base
    return evaluate(tape, {**inputs, name: x})


class Probe(NamedTuple):
    """One number to differentiate by: the check of a scalar input, or of one element of a tensor input
    (engine/tensor_finite_differences.py)."""
    x: float  # its value at the point
    at: Callable  # a value of it -> the evaluation there (the base one at x); raises MathError where none exists
    output: Callable  # an evaluation -> the output, a float
    crossings: Callable  # (low, high) evaluations -> the kinks whose branch differs between them or the base
    f0: float  # |the output at the point|


def _difference(probe: Probe, h: float, how: str):
    """(numeric derivative, step taken, the evaluation at the low end, at the high end)."""
    x = probe.x
    lo, hi = {"central": (x - h, x + h), "forward": (x, x + h), "backward": (x - h, x)}[how]
    low, high = probe.at(lo), probe.at(hi)
    step = hi - lo  # the step actually taken, after rounding
    return (probe.output(high) - probe.output(low)) / step, step, low, high


def _steps(x: float):
    """The first step, then smaller ones down to the scale of x itself (near a singularity)."""
    h = EPS ** (1 / 3) * max(1.0, abs(x))
    floor = EPS ** (1 / 3) * abs(x) / 4 if x != 0 else h / 4 ** 8
    while h >= floor and h > 0:
        yield h
        h /= 4


def output_part(tape: Tape) -> tuple[Tape, list[int]]:
    """The nodes the output is computed from, as a tape of their own, and the position each had in `tape`.

    Nodes keep their ids, names and spans, so labels, expressions and error messages read as on the
    whole tape; inputs that do not reach the output are not inputs of the part."""
    reach = reaches_output(tape)
    kept = [i for i, r in enumerate(reach) if r]
    if len(kept) == len(tape.nodes):
        return tape, kept
    at = {old: new for new, old in enumerate(kept)}
    nodes = tuple(replace(tape.nodes[i], args=tuple(at[a] for a in tape.nodes[i].args)) for i in kept)
    inputs = {name: at[i] for name, i in tape.inputs.items() if reach[i]}
    return Tape(nodes, inputs, at[tape.output], tape.output_name, tape.source), kept


def check_tolerances(rtol: float, atol: float) -> None:
    """--rtol and --atol: finite and >= 0 (a usage error, found before anything is computed)."""
    for option, tolerance in (("--rtol", rtol), ("--atol", atol)):
        if not (math.isfinite(tolerance) and tolerance >= 0):  # nan would fail every input, inf pass every one
            raise UsageError(f"{option} must be a finite number >= 0, not {tolerance}")


def finite_difference_check(tape: Tape, inputs: dict, gradient: dict, values: list,
                            rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> CheckReport:
    """Each input's gradient against finite differences; an undefined gradient is skipped, saying why
    (its `ok` is None, and the report's `ok` is about the inputs checked)."""
    check_tolerances(rtol, atol)
    skipped = {name: InputCheck(name, None, None, None, None, 0.0, None,
                                f"not checked: the gradient of {name} is {g.word}")
               for name, g in gradient.items() if name in tape.inputs and type(g) is Undefined}
    if skipped or type(values[tape.output]) is Undefined:
        checked = [name for name in tape.inputs if name not in skipped]
        if not checked:  # (the output has no value, or every gradient crosses an undefined derivative)
            return CheckReport(True, skipped, rtol, atol)
        report = _check(tape, inputs, gradient, values, rtol, atol, checked)
        results = {name: skipped.get(name) or report.inputs[name] for name in tape.inputs}
        return CheckReport(report.ok, results, rtol, atol)
    return _check(tape, inputs, gradient, values, rtol, atol, list(tape.inputs))


def _check(tape: Tape, inputs: dict, gradient: dict, values: list, rtol: float, atol: float,
           names: list) -> CheckReport:
    part, kept = output_part(tape)
    try:
        float_inputs = {name: float(inputs[name]) for name in part.inputs}
        base = [float(values[i]) for i in kept]
        analytics = {name: float(gradient[name]) for name in names}
    except OverflowError:  # --exact values beyond any float: differences in floats cannot be taken
        reason = "finite differences are taken in 64-bit floats, and the exact values here are too large for them"
        results = {name: InputCheck(name, None, None, None, None, 0.0, False, reason) for name in names}
        return CheckReport(False, results, rtol, atol)
    results: dict[str, InputCheck] = {}
    for name in names:
        if name in part.inputs:
            results[name] = _check_input(part, float_inputs, name, analytics[name], base, rtol, atol)
        else:
            results[name] = _unreached(tape, name, analytics[name], rtol, atol)
    return CheckReport(all(r.ok for r in results.values()), results, rtol, atol)


def _unreached(tape: Tape, name: str, analytic: float, rtol: float, atol: float) -> InputCheck:
    """An input with no path to the output: d output / d input is 0 exactly, and nothing is evaluated."""
    output = tape.output_name or tape.label(tape.output)
    abs_error = abs(analytic)
    ok = abs_error <= atol + rtol * abs_error
    reason = (f"{name} does not reach the output {output}, so its gradient is 0 exactly; "
              "no difference is taken")
    return InputCheck(name, analytic, 0.0, abs_error, 1.0 if abs_error else 0.0, 0.0, ok, reason)


def _check_input(tape: Tape, inputs: dict, name: str, analytic: float, base: list,
                 rtol: float, atol: float) -> InputCheck:
    probe = Probe(inputs[name], lambda x: _at(tape, inputs, name, x, base), lambda values: float(values[tape.output]),
                  lambda low, high: _kink_crossings(tape, low, high, base), abs(base[tape.output]))
    return check_number(probe, name, analytic, rtol, atol)


def check_number(probe: Probe, name: str, analytic: float, rtol: float, atol: float) -> InputCheck:
    """The derivative along one number against finite differences: the standard step; if it fails, smaller
    steps (the best agreeing pair wins), then one-sided differences where one side has no value."""
    tried = []  # (numeric, step, low, high, how)
    failure = None
    for how in ("central", "forward", "backward"):
        steps = list(_steps(probe.x)) if how == "central" else [EPS ** 0.5 * max(1.0, abs(probe.x))]
        for h in steps:
            try:
                numeric, step, low, high = _difference(probe, h, how)
            except MathError as err:
                failure = failure or err.message.splitlines()[0]
                continue
            tried.append((numeric, step, low, high, how))
            smaller = h < steps[0]
            verdict = _verdict(probe, name, analytic, numeric, step, low, high, rtol, atol, how, smaller)
            if verdict.ok:
                return verdict
        if tried:
            break
    if not tried:
        return InputCheck(name, analytic, None, None, None, 0.0, False,
                          f"no finite difference can be taken for {name}: {failure}")
    # Nothing agreed: report the standard step, with the reason.
    numeric, step, low, high, how = tried[0]
    return _verdict(probe, name, analytic, numeric, step, low, high, rtol, atol, how, False)


def _verdict(probe: Probe, name, analytic, numeric, step, low, high, rtol, atol, how, smaller) -> InputCheck:
    abs_error = abs(numeric - analytic)
    scale = max(abs(analytic), abs(numeric))
    rel_error = abs_error / scale if scale > 0 else 0.0
    f_extent = max(abs(probe.output(low)), abs(probe.output(high)), probe.f0)
    rounding = 8 * EPS * f_extent / abs(step)
    # a one-sided difference is only first-order accurate: allow for its h * f'' error
    first_order = math.sqrt(EPS) * 10 * max(1.0, scale) if how != "central" else 0.0
    # the documented rule (and the one the tables print): rtol times the gradient being checked
    allowed = atol + rtol * abs(analytic) + rounding + first_order
    ok = abs_error <= allowed
    reason = None
    if how != "central":
        reason = f"{how} difference: the function is not defined on the other side of {name}"
    elif smaller:
        reason = f"took a smaller step (h = {step / 2:.3g}) than the standard one: {name} is near a kink or singularity"
    if not ok:
        kinks = probe.crossings(low, high)
        if kinks:
            reason = (f"a kink lies within the step h = {step / 2:.3g}: {'; '.join(kinks)}; there the gradient "
                      "is a convention and differences do not measure it")
        else:
            reason = (f"the difference over h = {step / 2:.3g} disagrees with the gradient beyond the tolerance; "
                      "the function may change too fast at this scale")
    return InputCheck(name, analytic, numeric, abs_error, rel_error, step / 2 if how == "central" else step, ok, reason,
                      allowed)
