"""The tape evaluated over many points at once, on NumPy arrays (`eval --batch` only; imports NumPy).

ops.py stays the one place of calculus. VECTOR_OPS below restates for arrays
only + - * / and the signs, whose rules are IEEE arithmetic, so NumPy computes
the same bits. Each restated rule is compared with ops.py's own on a set of
points when this module loads, and one that disagrees is not used (ops.py's
rule is mapped instead: slower, never a different number); tests/batch holds
them equal on a grid with the domain edges. Every other operation (the
functions, ^, relu, max...) is evaluated by ops.py's own value and derivative
rules, mapped over the elements: NumPy's exp or tanh can differ from Python's
math in the last bit, and a rule may be written for accuracy (ops.py's tanh' is
not 1 - out^2), so mapping is what keeps the numbers those of `backprop eval`.
Mapping costs about 0.1 microseconds per element and rule; the arithmetic is
free by comparison. MATH_OPS below cuts that for the busiest function, tanh: its
value and its derivative restated with the same math library calls as ops.py's
float branch (math.tanh, math.cosh), mapped straight over the elements (no
Python frame per element), the IEEE arithmetic around them in NumPy, and ops.py's
own rule on the elements outside the restated branch. They are checked bit for
bit against ops.py's rules on load too, on a probe across every branch.

So the numbers are the scalar engine's, bit for bit, on every row this module
does not flag. A row is flagged wherever the scalar engine would not simply
compute these floats: where a rule raises (log of a negative, a division by
zero: NaN here), where a value, a local derivative or a gradient is not finite
(an overflow), where a local derivative is subnormal, where an operation that
can underflow (ops.py's `underflows`) gives 0 or a subnormal from nonzero
operands, and where a contribution to a gradient (upstream x local) does. The
scalar engine then computes each flagged row again (batch/run.py): it gives the
row its result, from wider arithmetic where floats lost it, or the math error
message `backprop eval` prints there. Flagging more rows than needed costs time,
never a wrong number.

Numbers stay NumPy's (arrays, or np.float64 for a value that is the same on
every row, such as a constant): NumPy's arithmetic gives inf or NaN under
np.errstate where Python's float arithmetic would raise (1.0 / 0.0).
"""
from __future__ import annotations

import math
import sys

import numpy as np

from .arithmetic import FLOAT
from .local import active_nodes, reaches_output
from .ops import CONSTANTS, OPS
from .tape import CONST, INPUT, Tape

NAN = float("nan")
TINY = sys.float_info.min  # the smallest normal float: nonzero numbers below it have lost digits
HUGE = sys.float_info.max


def _scalar(rule):
    """NaN where the scalar rule raises (anything: a DomainError, an overflow...), as a float otherwise."""
    def safe(*args):
        try:
            return float(rule(*args))
        except Exception:  # the row is flagged; the scalar engine says what went wrong there
            return NAN

    return safe


def mapped(rule):
    """ops.py's own scalar rule applied to each element: Python's math functions, so the same numbers."""
    safe = _scalar(rule)

    def apply(*args):
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        if not shape:
            return np.float64(safe(*(float(a) for a in args)))
        count = shape[0]
        lists = [np.broadcast_to(np.asarray(a, dtype=np.float64), shape).tolist() for a in args]
        try:
            return np.fromiter(map(rule, *lists), np.float64, count)
        except Exception:  # some element raised: NaN there
            return np.fromiter(map(safe, *lists), np.float64, count)

    return apply


def _from_ops(name: str, count: int | None = None):
    """ops.py's scalar value and derivative rules for `name` (with `count` arguments), mapped over the elements."""
    op = OPS[name]
    count = op.arity if count is None else count
    return mapped(op.value), tuple(mapped(op.partials[k]) for k in range(count))


# The operations whose rules are plain IEEE arithmetic, restated for whole arrays. Every other operation is
# ops.py's own rules, mapped; so is any rule here that disagrees with ops.py's (checked below, on load).
VECTOR_OPS = {
    "add": (lambda x, y: x + y, (lambda x, y, o: 1.0, lambda x, y, o: 1.0)),
    "sub": (lambda x, y: x - y, (lambda x, y, o: 1.0, lambda x, y, o: -1.0)),
    "mul": (lambda x, y: x * y, (lambda x, y, o: y, lambda x, y, o: x)),
    "div": (lambda x, y: x / y, (lambda x, y, o: 1.0 / y, lambda x, y, o: -(o / y))),
    "neg": (lambda x: -x, (lambda x, o: -1.0,)),
    "pos": (lambda x: x, (lambda x, o: 1.0,)),
    "copy": (lambda x: x, (lambda x, o: 1.0,)),
}
# Those whose value can underflow: 0 or a subnormal from nonzero operands (a sum that is 0 or subnormal is exact)
UNDERFLOWS = {"mul", "div"}

# Ordinary operands where two ways of writing a rule (-x/y^2 and -(x/y)/y) round differently somewhere
_PROBES = (3.0, -7.25, 0.1, 1e10, 2.5e-5, 13.7, -0.3, 123456.789, 1.1, -2.9e-3)


def _math_map(function, x):
    """function(element) for each element of the array x: a math library function mapped at C speed."""
    return np.fromiter(map(function, _elements(x)), np.float64, x.shape[0])


_LAST: list = [None, None]  # the last array mapped and its elements as Python floats (tanh' uses tanh's)


def _elements(x) -> list:
    if _LAST[0] is not x:
        _LAST[0], _LAST[1] = x, x.tolist()
    return _LAST[1]


def _tanh(x):
    """ops.py's tanh on floats: math.tanh, and 0 (never -0.0) at 0."""
    if np.ndim(x) != 1:
        return _OWN["tanh"][0](x)
    out = _math_map(math.tanh, x)
    out[x == 0] = 0.0
    return out


def _d_tanh(x, out):
    """ops.py's tanh' on floats: 1 / cosh(x)^2 for 0 < |x| < 20; ops.py's rule itself at 0 and beyond 20."""
    if np.ndim(x) != 1:
        return _OWN["tanh"][1][0](x, out)
    size = np.abs(x)
    common = (size < 20) & (x != 0)
    # math.cosh raises beyond 710: those elements (ops.py's rule gives them their number) are not mapped
    c = _math_map(math.cosh, x if size.max(initial=0.0) < 700 else np.where(common, x, 0.0))
    d = 1.0 / (c * c)
    rest = ~common
    if rest.any():
        d[rest] = _OWN["tanh"][1][0](x[rest], np.broadcast_to(out, x.shape)[rest])
    return d


# Functions restated with the math library calls of ops.py's float branch (see the module docstring); each is
# used only if it gives ops.py's bits on _MATH_PROBES, else ops.py's rule is mapped.
MATH_OPS = {
    "tanh": (_tanh, (_d_tanh,)),
}
_OWN = {name: _from_ops(name) for name in MATH_OPS}  # ops.py's rules mapped: outside the restated branch
_MATH_PROBES = np.concatenate([
    [0.0, -0.0, 5e-324, -5e-324, 1e-310, 2.2250738585072014e-308, 1e-200, 1e-20, 1e-8, 0.1, 1.0, 19.999999999999996,
     20.0, 20.000000000000004, 25.0, 354.0, 355.0, 400.0, 709.0, 711.0, 1e10, 1e300, 1.7976931348623157e308,
     float("inf"), float("nan")],
    np.linspace(-30.0, 30.0, 2401), np.random.default_rng(16).normal(0.0, 3.0, 2000)])
_MATH_PROBES = np.concatenate([_MATH_PROBES, -_MATH_PROBES])


def _bits_equal(got, want) -> bool:
    """The same float64 bits everywhere (any NaN matches any NaN)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    both_nan = np.isnan(got) & np.isnan(want)
    return bool(np.all(both_nan | (got.view(np.int64) == want.view(np.int64))))


def _verified_math() -> dict:
    """MATH_OPS, each rule that does not give ops.py's bits on _MATH_PROBES replaced by ops.py's rule, mapped."""
    rules = {}
    x = _MATH_PROBES
    for name, (value_rule, partial_rules) in MATH_OPS.items():
        own_value, own_partials = _OWN[name]
        with np.errstate(all="ignore"):
            try:
                value = own_value(x)
                value_ok = _bits_equal(value_rule(x), value)
                partial_ok = [_bits_equal(rule(x, value), own(x, value))
                              for rule, own in zip(partial_rules, own_partials)]
            except Exception:
                value_ok, partial_ok = False, [False] * len(partial_rules)
        rules[name] = (value_rule if value_ok else own_value,
                       tuple(rule if ok else own for rule, ok, own in zip(partial_rules, partial_ok, own_partials)))
    return rules


def _verified() -> dict:
    """VECTOR_OPS with each rule that disagrees with ops.py's replaced by ops.py's rule, mapped."""
    rules = {}
    for name, (value_rule, partial_rules) in VECTOR_OPS.items():
        op = OPS.get(name)
        if op is None or op.arity != len(partial_rules):
            continue
        points = [(x,) for x in _PROBES] if op.arity == 1 else [(x, y) for x in _PROBES for y in _PROBES]
        value_ok, partial_ok = True, [True] * op.arity
        with np.errstate(all="ignore"):
            for args in points:
                try:
                    out = float(op.value(*args))
                    wanted = [float(rule(*args, out)) for rule in op.partials]
                except Exception:
                    value_ok, partial_ok = False, [False] * op.arity
                    break
                arrays = [np.array([a]) for a in args]
                value_ok = value_ok and _same(value_rule(*arrays), out)
                for k, rule in enumerate(partial_rules):
                    partial_ok[k] = partial_ok[k] and _same(rule(*arrays, np.array([out])), wanted[k])
        mapped_value, mapped_partials = _from_ops(name)
        rules[name] = (value_rule if value_ok else mapped_value,
                       tuple(rule if ok else fallback
                             for rule, ok, fallback in zip(partial_rules, partial_ok, mapped_partials)))
    rules.update(_verified_math())
    return rules


def _same(got, want: float) -> bool:
    got = float(np.broadcast_to(got, (1,))[0])
    return got == want or (got != got and want != want)


_VERIFIED: dict | None = None


def vector_rules(op: str, count: int | None = None):
    """(value rule, partial rules) for arrays: VECTOR_OPS and MATH_OPS (where they agree with ops.py), or
    ops.py's scalar rules mapped over the elements."""
    global _VERIFIED
    if _VERIFIED is None:
        _VERIFIED = _verified()
    if op in _VERIFIED:
        return _VERIFIED[op]
    return _from_ops(op, count)


def _tiny(x):
    """True where x is 0 or subnormal (a bool array, or one bool for a number)."""
    return np.abs(x) < TINY


def _flag_not_finite(bad, x) -> None:
    """Rows where x is inf or NaN. A finite sum has only finite terms: one pass, no temporary arrays, in the
    common case."""
    if not abs(float(np.add.reduce(x, axis=None))) <= HUGE:
        bad |= ~(np.abs(x) <= HUGE)


def _flag_subnormal(bad, x) -> None:
    """Rows where x is nonzero and below the normal range: it has lost digits to gradual underflow."""
    tiny = _tiny(x)
    if tiny.any():
        bad |= tiny & (x != 0)


def _flag_underflow(bad, x, factors) -> None:
    """Rows where x (computed from `factors`) is 0 or subnormal although no factor is 0."""
    tiny = _tiny(x)
    if tiny.any():
        for factor in factors:
            tiny = tiny & (factor != 0)
        bad |= tiny


class Plan:
    """A tape compiled once for evaluation over columns of points: values, local derivatives, gradients."""

    def __init__(self, tape: Tape, convention: str = "pytorch") -> None:
        self.tape = tape
        self.active = active_nodes(tape)
        # ops.py's rules are PyTorch's choices at kinks: under another --convention, a row where a node sits exactly
        # on its kink is flagged, and the scalar engine gives it the convention's derivatives (conventions.py)
        self.kinks = {} if convention == "pytorch" else {
            i: mapped(OPS[node.op].branch) for i, node in enumerate(tape.nodes)
            if node.op in OPS and OPS[node.op].branch is not None}
        reach = reaches_output(tape)
        self.named = [i for i, node in enumerate(tape.nodes) if node.name is not None and self.active[i]]
        self.steps = []  # (node, kind, payload, args, (partial rule, restated) per argument or None, can underflow)
        for i, node in enumerate(tape.nodes):
            if node.op == INPUT:
                self.steps.append((i, INPUT, node.name, (), None, False))
            elif node.op == CONST:
                value = CONSTANTS[node.text] if node.text in CONSTANTS else FLOAT.literal(node.text)
                self.steps.append((i, CONST, np.float64(value), (), None, False))
            else:
                value_rule, partial_rules = vector_rules(node.op, len(node.args))
                differentiate = self.active[i] and reach[i]
                rules = tuple(rule if self.active[a] else None for rule, a in zip(partial_rules, node.args))
                # a value that is 0 or subnormal from nonzero operands has underflowed where the operation can
                # (a product, a quotient; whatever ops.py marks `underflows`): the row is flagged
                underflows = node.op in UNDERFLOWS or bool(getattr(OPS[node.op], "underflows", False))
                # so has a restated derivative that is 0 or subnormal from nonzero operands and value (ops.py's
                # own rules raise there, which mapping turns into NaN: flagged too)
                restated = VECTOR_OPS.get(node.op, (None, ()))[1]
                rules = tuple(None if rule is None else (rule, any(rule is r for r in restated)) for rule in rules)
                self.steps.append((i, node.op, value_rule, node.args, rules if differentiate else None, underflows))

    def run(self, columns: dict, rows: int):
        """(output values, {name: gradient} for every named active node, rows that need the scalar engine).

        `columns` maps each input name to an array of `rows` values or to one number (a constant)."""
        tape = self.tape
        values: list = [None] * len(tape.nodes)
        partials: list = [None] * len(tape.nodes)
        bad = np.zeros(rows, dtype=bool)
        with np.errstate(all="ignore"):
            for i, kind, payload, args, rules, underflows in self.steps:
                if kind == INPUT:
                    column = columns[payload]
                    values[i] = column if np.ndim(column) else np.float64(column)
                    continue
                if kind == CONST:
                    values[i] = payload
                    continue
                operands = [values[a] for a in args]
                value = payload(*operands)
                if np.ndim(value) == 0:
                    value = np.float64(value)  # never a Python float: its 1.0 / 0.0 raises
                _flag_not_finite(bad, value)
                if underflows:
                    _flag_underflow(bad, value, operands)
                values[i] = value
                if rules is not None and i in self.kinks:
                    bad |= self.kinks[i](*operands) == 0  # on the kink: the scalar engine follows the convention
                if rules is not None:
                    row = []
                    for entry in rules:
                        if entry is None:
                            row.append(None)
                            continue
                        rule, restated = entry
                        d = rule(*operands, value)
                        if np.ndim(d) == 0:
                            d = np.float64(d)
                        _flag_not_finite(bad, d)
                        if restated:
                            _flag_underflow(bad, d, (*operands, value))
                        _flag_subnormal(bad, d)
                        row.append(d)
                    partials[i] = row
            grads: list = [np.float64(0.0)] * len(tape.nodes)
            grads[tape.output] = np.float64(1.0)
            for i in range(len(tape.nodes) - 1, -1, -1):
                local = partials[i]
                if local is None:
                    continue
                upstream = grads[i]
                for a, d in zip(tape.nodes[i].args, local):
                    if d is not None:
                        contribution = upstream * d
                        _flag_underflow(bad, contribution, (upstream, d))
                        grads[a] = grads[a] + contribution
            gradient = {}
            for i in self.named:
                g = grads[i]
                if np.ndim(g) == 0:
                    g = np.full(rows, float(g))
                _flag_not_finite(bad, g)
                gradient[tape.nodes[i].name] = g
            out = values[tape.output]
            if np.ndim(out) == 0:
                out = np.full(rows, float(out))
        _LAST[0] = _LAST[1] = None
        return out, gradient, bad
