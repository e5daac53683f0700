"""Elementwise tensor operations: each scalar operation of ops.py over the elements, with NumPy's broadcasting.

The value and every partial derivative are ops.py's own rules (through the backend's scalar_rules); nothing
here restates a scalar derivative. A VJP is the upstream gradient times the partial, summed back to the
argument's shape (the adjoint of broadcasting); the JVP is the sum of partial times tangent. Elements on a
kink (relu at 0, a tie of max) are found with ops.py's `branch` and reported with its one-sided derivatives.
"""
from __future__ import annotations

from ..arithmetic import OutOfRange
from ..ops import OPS, PerArgument
from . import shapes as sh
from .op import UPSTREAM, TensorKink, TensorOp, plus


def elementwise_key(name: str) -> str:
    """The table's key for ops.py's operation `name` applied elementwise: the same name, but for the
    operations of any number of arguments (max, sum...), whose names the tensor reductions take."""
    return f"{name}_elementwise" if OPS[name].variadic else name


def _times(d: str) -> str:
    if d == "1":
        return UPSTREAM
    if d == "-1":
        return f"-{UPSTREAM}"
    simple = d.replace("_", "").replace("{", "").replace("}", "").isalnum()
    return f"{UPSTREAM} ⊙ " + (d if simple else f"({d})")


def elementwise(name: str) -> TensorOp:
    """The TensorOp applying ops.py's operation `name` to every element."""
    op = OPS[name]

    def template(count, params):
        return op.template_for(count)

    def shape(shapes, params):
        return sh.broadcast(shapes, template(len(shapes), params))

    def forward(B, args, params):
        value = B.scalar_rules(name, len(args))[0](*args)
        if op.underflows and B.underflowed(value, args):
            raise OutOfRange  # 1e-200 * 1e-200, exp(-800): 0 in floats, not in wide decimals
        return value

    def vjp(k):
        def rule(B, g, args, out, params):
            partial = B.scalar_rules(name, len(args))[1][k](*args, out)
            return B.unbroadcast(B.mul(g, partial), B.shape(args[k]))
        return rule

    def jvp(B, tangents, args, out, params):
        partials = B.scalar_rules(name, len(args))[1]
        total = None
        for k, t in enumerate(tangents):
            if t is not None:
                total = plus(B, total, B.mul(partials[k](*args, out), t))
        # a constant partial (add's 1) times the tangent of a smaller argument: broadcast to the result
        return total if total is None or B.shape(total) == B.shape(out) else B.broadcast_to(total, B.shape(out))

    def texts(shapes, params):
        out = sh.broadcast(shapes)
        return tuple(f"∂L/∂{{{k}}} = {_times(op.derivative_text[k])}"
                     + (f", summed to the shape {sh.shape_text(s)}" if s != out else "")
                     for k, s in enumerate(shapes))

    def kinks(B, args, out, params):
        shapes = [B.shape(a) for a in args]
        target = sh.broadcast(shapes)
        columns = [B.flat(B.broadcast_to(a, target)) for a in args]
        count, found = len(args), []
        for j, operands in enumerate(zip(*columns)):
            if op.branch(*operands) == 0:
                at = sh.unravel(j, target)
                value = op.value(*operands)
                used = tuple(B.arithmetic.coerce(op.partials[k](*operands, value)) for k in range(count))
                sides = op.one_sided(*operands) if callable(op.one_sided) else op.one_sided
                found.append(TensorKink(at, tuple((k, sh.source_index(at, shapes[k])) for k in range(count)),
                                        used, tuple(sides)))
        return tuple(found)

    vjps = PerArgument(vjp) if op.variadic else tuple(vjp(k) for k in range(op.arity))
    return TensorOp(elementwise_key(name), op.arity, shape, forward, vjps, jvp, texts, template,
                    kinks if op.branch is not None else None, scalar=name, variadic=op.variadic)
