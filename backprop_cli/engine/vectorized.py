"""The tape evaluated over many points at once, on NumPy arrays (`eval --batch` only; imports NumPy).

ops.py stays the one place of calculus. VECTOR_OPS below restates for arrays
only + - * / and the signs (their rules are IEEE arithmetic, so NumPy computes
the same bits, and tests/test_batch.py holds them equal to ops.py's on a grid
with the domain edges). Every other operation (the functions, ^, relu, max...)
is evaluated by ops.py's own value and derivative rules, mapped over the
elements: NumPy's exp or tanh can differ from Python's math in the last bit,
and a rule may be written for accuracy (ops.py's tanh' is not 1 - out^2), so
mapping is what keeps the numbers those of `backprop eval`. Mapping costs about
0.1 microseconds per element and rule; the arithmetic is free by comparison.

So the numbers are the scalar engine's, bit for bit. A point where ops.py
would raise (log of a negative, a division by zero, an overflow) shows up here
as a non-finite number in some value or local derivative: such rows are
flagged, and batch.py computes each again with the scalar engine, which gives
the row its result or the math error message `backprop eval` prints there.
"""
from __future__ import annotations

import numpy as np

from .arithmetic import FLOAT
from .local import active_nodes, reaches_output
from .ops import CONSTANTS, OPS
from .tape import CONST, INPUT, Tape

NAN = float("nan")


def _where(condition, then, otherwise):
    return np.where(condition, then, otherwise)


def _scalar(rule):
    """NaN where the scalar rule raises (a DomainError, an overflow), as a float otherwise."""
    def safe(*args):
        try:
            return float(rule(*args))
        except (ArithmeticError, ValueError):
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
        except (ArithmeticError, ValueError, TypeError):  # some element raised: NaN there
            return np.fromiter(map(safe, *lists), np.float64, count)

    return apply


def _from_ops(name: str):
    """ops.py's scalar value and derivative rules for `name`, mapped over the elements."""
    op = OPS[name]
    return mapped(op.value), tuple(mapped(rule) for rule in op.partials)


# The operations whose rules are plain IEEE arithmetic, restated for whole arrays (tests/test_batch.py
# holds them equal to ops.py's, bit for bit). Every other operation is ops.py's own rules, mapped.
VECTOR_OPS = {
    "add": (lambda x, y: x + y, (lambda x, y, o: 1.0, lambda x, y, o: 1.0)),
    "sub": (lambda x, y: x - y, (lambda x, y, o: 1.0, lambda x, y, o: -1.0)),
    "mul": (lambda x, y: x * y, (lambda x, y, o: y, lambda x, y, o: x)),
    "div": (lambda x, y: _where(y == 0, NAN, x / y), (lambda x, y, o: 1 / y, lambda x, y, o: -x / (y * y))),
    "neg": (lambda x: -x, (lambda x, o: -1.0,)),
    "pos": (lambda x: x, (lambda x, o: 1.0,)),
    "copy": (lambda x: x, (lambda x, o: 1.0,)),
}


def vector_rules(op: str):
    """(value rule, partial rules) for arrays: VECTOR_OPS, or ops.py's scalar rules mapped over the elements."""
    if op in VECTOR_OPS:
        return VECTOR_OPS[op]
    return _from_ops(op)


class Plan:
    """A tape compiled once for evaluation over columns of points: values, local derivatives, gradients."""

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        self.active = active_nodes(tape)
        reach = reaches_output(tape)
        self.named = [i for i, node in enumerate(tape.nodes) if node.name is not None and self.active[i]]
        self.steps = []  # (node, kind, payload, args, partial rules or None)
        for i, node in enumerate(tape.nodes):
            if node.op == INPUT:
                self.steps.append((i, INPUT, node.name, (), None))
            elif node.op == CONST:
                value = CONSTANTS[node.text] if node.text in CONSTANTS else FLOAT.literal(node.text)
                self.steps.append((i, CONST, np.float64(value), (), None))  # NumPy semantics: 1/0 is inf, flagged
            else:
                value_rule, partial_rules = vector_rules(node.op)
                differentiate = self.active[i] and reach[i]
                rules = tuple(rule if self.active[a] else None for rule, a in zip(partial_rules, node.args))
                self.steps.append((i, node.op, value_rule, node.args, rules if differentiate else None))

    def run(self, columns: dict, rows: int):
        """(output values, {name: gradient} for every named active node, rows that need the scalar engine).

        `columns` maps each input name to an array of `rows` values or to one number (a constant)."""
        tape = self.tape
        values: list = [None] * len(tape.nodes)
        partials: list = [None] * len(tape.nodes)
        bad = np.zeros(rows, dtype=bool)
        with np.errstate(all="ignore"):
            for i, kind, payload, args, rules in self.steps:
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
                    value = float(value)
                    if not np.isfinite(value):
                        bad[:] = True
                else:
                    bad |= ~np.isfinite(value)
                values[i] = value
                if rules is not None:
                    row = []
                    for rule in rules:
                        if rule is None:
                            row.append(None)
                            continue
                        d = rule(*operands, value)
                        if np.ndim(d) == 0:
                            d = float(d)
                            if not np.isfinite(d):
                                bad[:] = True
                        else:
                            bad |= ~np.isfinite(d)
                        row.append(d)
                    partials[i] = row
            grads: list = [0.0] * len(tape.nodes)
            grads[tape.output] = 1.0
            for i in range(len(tape.nodes) - 1, -1, -1):
                local = partials[i]
                if local is None:
                    continue
                upstream = grads[i]
                for a, d in zip(tape.nodes[i].args, local):
                    if d is not None:
                        grads[a] = grads[a] + upstream * d
            gradient = {}
            for i in self.named:
                g = grads[i]
                if np.ndim(g) == 0:
                    g = np.full(rows, float(g))
                bad |= ~np.isfinite(g)
                gradient[tape.nodes[i].name] = g
        out = values[tape.output]
        if np.ndim(out) == 0:
            out = np.full(rows, float(out))
        return out, gradient, bad
