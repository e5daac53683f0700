"""--check for vectors and matrices: every element of every input's gradient against finite differences.

Each element of an input is one number to differentiate by, checked as finite_differences.py checks a
scalar input, with its step h = cbrt(eps) * max(1, |x|), its smaller steps and one-sided differences, and
its rule |numeric - gradient| <= atol + rtol * |gradient| + rounding error (finite_differences.check_number).
Perturbing an element reruns the tensor forward sweep from that input on (sweeps.evaluate_again): the nodes
not computed from it, and those the output does not need, keep their values. So the cost is two sweeps of
the input's part of the program per element checked (more for an element that fails, whose smaller steps
are tried too), in 64-bit floats, on the backend the work of all of them calls for.

Which elements: all of them when the inputs hold at most `limit` numbers in all (DEFAULT_LIMIT); past it,
a sample of that many (the smaller inputs whole, the rest sharing what is left); with `sample` N, N
elements of each input. A sample is drawn by Python's random.Random seeded with the seed and the input's
name, so the same seed checks the same elements on every run and machine. An input used only as an index
(`x[k]`) has no gradient and is not checked.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from ..base.errors import MathError
from .arithmetic import FLOAT, OutOfRange
from .finite_differences import InputCheck, Probe, check_number, check_tolerances
from .functions import DomainError
from .ops import OPS
from .tensor import sweeps
from .tensor.backend import choose
from .tensor.rules import TENSOR_OPS
from .tensor.shapes import ShapeError, element_text, size, unravel
from .tensor_compute import TensorResult, failure, leaves
from .values import nested

DEFAULT_LIMIT = 1000  # numbers checked in all without --sample; a bigger program is sampled, saying so
DEFAULT_SEED = 0
CROSSINGS_LISTED = 3  # elements named per node where a kink lies within the step


@dataclass(frozen=True)
class TensorInputCheck:
    """One input's check: an InputCheck per element checked (its name is the element's, `W[1, 0]`)."""
    name: str
    shape: tuple
    size: int  # the input's elements
    elements: tuple  # ((index, InputCheck), ...) for the elements checked, row-major
    ok: bool | None  # None: not checked (an index)
    reason: str | None  # why it was not checked, or why no difference was taken

    @property
    def checked(self) -> int:
        return len(self.elements)

    @property
    def sampled(self) -> bool:
        return self.ok is not None and 0 < self.checked < self.size

    def worst(self) -> tuple | None:
        """(index, InputCheck) of the failed element with the largest relative error; when none failed, of the
        element whose error takes the most of its tolerance."""
        failed = self.failed()
        if failed:
            return max(failed, key=lambda e: (_relative(e[1]), e[1].abs_error or 0.0))
        return max(self.elements, key=lambda e: _share(e[1]), default=None)

    def failed(self) -> list:
        return [(index, c) for index, c in self.elements if not c.ok]


def _relative(c: InputCheck) -> float:
    return float("inf") if c.rel_error is None else c.rel_error


def _share(c: InputCheck) -> float:
    """How much of its tolerance an element's error takes (above 1 when it failed)."""
    if c.abs_error is None:
        return float("inf")
    if not c.allowed:
        return 0.0 if c.ok else float("inf")
    return c.abs_error / c.allowed


@dataclass(frozen=True)
class TensorCheckReport:
    ok: bool
    inputs: dict  # name -> TensorInputCheck, in the inputs' order
    rtol: float
    atol: float
    seed: int
    sample: int | None  # --sample N, or None
    limit: int

    tensor: ClassVar[bool] = True  # finite_differences.CheckReport has none: the renderers dispatch on it

    @property
    def checked(self) -> int:
        return sum(c.checked for c in self.inputs.values())

    @property
    def sampled(self) -> list[str]:
        """The inputs not checked in full."""
        return [name for name, c in self.inputs.items() if c.sampled]


def counts(sizes: dict, sample: int | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    """How many elements of each input are checked: all of them up to `limit` in all; past it the smallest
    inputs whole and the others sharing what is left equally (at least one each); `sample` of each with it."""
    if sample is not None:
        return {name: min(n, sample) for name, n in sizes.items()}
    if sum(sizes.values()) <= limit:
        return dict(sizes)
    found, left = {}, limit
    order = sorted(sizes, key=sizes.get)
    for k, name in enumerate(order):
        found[name] = min(sizes[name], max(left // (len(order) - k), 1))
        left -= found[name]
    return {name: found[name] for name in sizes}


def positions(name: str, n: int, count: int, seed: int) -> list[int]:
    """The elements (flat, row-major) of input `name` checked: all of them, or `count` drawn with the seed."""
    if count >= n:
        return list(range(n))
    return sorted(random.Random(f"{seed}:{name}").sample(range(n), count))


def tensor_check(result: TensorResult, rtol: float, atol: float, sample: int | None = None,
                 seed: int = DEFAULT_SEED, limit: int = DEFAULT_LIMIT) -> TensorCheckReport:
    """Every element chosen of every input's gradient against finite differences (see the docstring)."""
    check_tolerances(rtol, atol)
    tape = result.tape
    nodes = tape.nodes
    shapes = {name: nodes[at].shape for name, at in tape.inputs.items()}
    checked = [name for name in tape.inputs if name not in result.no_gradient]
    how_many = counts({name: size(shapes[name]) for name in checked}, sample, limit)
    report: dict = {}
    for name in tape.inputs:
        if name in result.no_gradient:
            report[name] = TensorInputCheck(name, shapes[name], size(shapes[name]), (), None,
                                            f"not checked: {name} is used as an index, a whole number with no "
                                            "gradient")
    gradient = result.gradient()
    try:
        xs = {name: [float(x) for x in result.flat(result.inputs[name])] for name in tape.inputs}
        # (an input no gradient reaches has none: d output / d input is 0 there)
        grads = {name: [float(g) for g in result.flat(gradient[name])] if name in gradient
                 else [0.0] * size(shapes[name]) for name in checked}
    except OverflowError:  # --exact values beyond any float
        reason = "finite differences are taken in 64-bit floats, and the exact values here are too large for them"
        return _failed_everywhere(result, report, checked, shapes, reason, rtol, atol, sample, seed, limit)
    given = leaves(tape, {name: nested(shapes[name], xs[name]) if shapes[name] else xs[name][0]
                          for name in tape.inputs}, FLOAT)
    evaluations = 2 * sum(how_many.values()) + 1
    B = choose(FLOAT, sweeps.work(nodes, [node.shape for node in nodes]) * evaluations)
    try:
        base = sweeps.evaluate(nodes, given, B)
    except (sweeps.Failed, OutOfRange) as err:
        reason = ("finite differences are taken in 64-bit floats, and the program has no value in them at the "
                  f"point: {_why(tape, err)}")
        return _failed_everywhere(result, report, checked, shapes, reason, rtol, atol, sample, seed, limit)
    needed = _reaches_output(tape)
    for name in checked:
        at = tape.inputs[name]
        chosen = positions(name, size(shapes[name]), how_many[name], seed)
        if not needed[at]:
            report[name] = _unreached(tape, name, shapes[name], chosen, grads[name], rtol, atol)
            continue
        elements = []
        for j in chosen:
            index = unravel(j, shapes[name])
            probe = _probe(tape, B, base, needed, at, shapes[name], xs[name], j)
            elements.append((index, check_number(probe, name + element_text(index), grads[name][j], rtol, atol)))
        report[name] = TensorInputCheck(name, shapes[name], size(shapes[name]), tuple(elements),
                                        all(c.ok for _, c in elements), None)
    report = {name: report[name] for name in tape.inputs}
    ok = all(c.ok for c in report.values() if c.ok is not None)
    return TensorCheckReport(ok, report, rtol, atol, seed, sample, limit)


def _failed_everywhere(result, report, checked, shapes, reason, rtol, atol, sample, seed, limit):
    for name in checked:
        report[name] = TensorInputCheck(name, shapes[name], size(shapes[name]), (), False, reason)
    report = {name: report[name] for name in result.tape.inputs}
    return TensorCheckReport(not checked, report, rtol, atol, seed, sample, limit)


def _why(tape, err) -> str:
    if isinstance(err, sweeps.Failed):
        return failure(tape, err).message.splitlines()[0]
    return "a value leaves the range of 64-bit floats"


def _reaches_output(tape) -> list[bool]:
    needed = [False] * len(tape.nodes)
    needed[tape.output] = True
    for i in range(tape.output, -1, -1):
        if needed[i]:
            for a in tape.nodes[i].args:
                needed[a] = True
    return needed


def _unreached(tape, name, shape, chosen, grads, rtol, atol) -> TensorInputCheck:
    """An input with no path to the output: d output / d input is 0 exactly, and nothing is evaluated."""
    output = tape.output_name or tape.label(tape.output)
    elements = []
    for j in chosen:
        index = unravel(j, shape)
        error = abs(grads[j])
        ok = error <= atol + rtol * error
        elements.append((index, InputCheck(name + element_text(index), grads[j], 0.0, error, 1.0 if error else 0.0,
                                           0.0, ok, None, atol + rtol * error)))
    reason = f"{name} does not reach the output {output}, so its gradient is 0 exactly; no difference is taken"
    return TensorInputCheck(name, shape, size(shape), tuple(elements), all(c.ok for _, c in elements), reason)


def _probe(tape, B, base: list, needed: list, at: int, shape: tuple, xs: list, j: int) -> Probe:
    """Element j of the input at position `at` as a number to differentiate by."""
    nodes = tape.nodes

    def value_at(x: float) -> list:
        if x == xs[j]:
            return base
        if shape:
            data = list(xs)
            data[j] = x
            value = B.reshape(B.array(data), shape)
        else:
            value = x
        try:
            return sweeps.evaluate_again(nodes, base, {at: value}, B, needed)
        except (sweeps.Failed, OutOfRange) as err:
            raise MathError(_why(tape, err)) from None

    return Probe(xs[j], value_at, lambda values: float(values[tape.output]),
                 lambda low, high: _crossings(tape, B, low, high, base, needed), abs(float(base[tape.output])))


def _crossings(tape, B, low: list, high: list, base: list, needed: list) -> list[str]:
    """The nodes with a kink that one of their elements crosses between the evaluations, or sits on: an
    elementwise operation by ops.py's branch of each element (as for scalars); another (a max, a norm) by its
    own kink rule at each end, or by where its local derivative is zero changing between them."""
    found = []
    for i, node in enumerate(tape.nodes):
        op = TENSOR_OPS.get(node.op)
        if op is None or op.kinks is None or not node.args or not needed[i]:
            continue
        where = f"{node.op} at {tape.label(i)} = {tape.expression(i)}"
        if op.scalar is not None:
            elements = _branch_changes(B, OPS[op.scalar].branch, node, i, (low, high, base))
            if elements:
                listed = ", ".join(element_text(e) for e in elements[:CROSSINGS_LISTED] if e)
                more = f" and {len(elements) - CROSSINGS_LISTED} more" if len(elements) > CROSSINGS_LISTED else ""
                found.append(f"{where}" + (f" (element{'s' * (len(elements) > 1)} {listed}{more})" if listed else ""))
        elif _jumps(B, op, node, i, low, high, base):
            found.append(where)
    return found


def _branch_changes(B, branch, node, i: int, evaluations) -> list[tuple]:
    shape = B.shape(evaluations[-1][i])
    flats = [[B.flat(B.broadcast_to(values[a], shape)) for a in node.args] for values in evaluations]
    changed = []
    for j in range(size(shape)):
        sides = {branch(*(arg[j] for arg in args)) for args in flats}
        if len(sides) > 1 or 0 in sides:
            changed.append(unravel(j, shape))
    return changed


def _jumps(B, op, node, i: int, low: list, high: list, base: list) -> bool:
    """Whether an operation with kinks (not elementwise) sits on one at an end or at the point, or has its local
    derivative zero at other elements at the two ends (a max whose largest element changed)."""
    params = sweeps.params_of(node)
    patterns = []
    for values in (low, high, base):
        args = [values[a] for a in node.args]
        try:
            if op.kinks(B, args, values[i], params):
                return True
            ones = B.full(B.shape(values[i]), 1)
            pattern = []
            for k in range(len(node.args)):
                g = op.vjps[k](B, ones, args, values[i], params)
                pattern.append(None if g is None else tuple(x != 0 for x in B.flat(g)))
        except (ShapeError, DomainError, MathError):  # no derivative at an end: no pattern to compare there
            return False
        patterns.append(pattern)
    return patterns[0] != patterns[1]
