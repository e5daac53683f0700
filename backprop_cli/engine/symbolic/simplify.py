"""The simplifications applied as the expression graph is built, so a person can read a derivative.

0 and 1 vanish from sums and products, signs are pulled to the front
(`-c/d^2`, never `c*(-1)/d^2`), products lean left with their constant first
(`2*a*b`), and `x*(1/y)` becomes `x/y`. Each rule takes the graph and the
operands and returns a simpler node, or None to build the node as it is.
RULES maps an operation to its rule; graph.Graph.apply looks them up.
"""
from __future__ import annotations

from fractions import Fraction

from ...base.numbers import decimal_text


def _add(g, x: int, y: int):
    if g.is_value(x, 0):
        return y
    if g.is_value(y, 0):
        return x
    if g.is_op(y, "neg"):
        return g.apply("sub", x, g.args[y][0])
    if g.is_op(x, "neg"):
        return g.apply("sub", y, g.args[x][0])
    cy, cx = g.rational(y), g.rational(x)
    if cy is not None and cy < 0:
        return g.apply("sub", x, g.const(-cy))
    if cx is not None and cx < 0:
        return g.apply("sub", y, g.const(-cx))
    if x == y:
        return g.apply("mul", g.const(2), x)
    if g.is_op(y, "add") or g.is_op(y, "sub"):
        a, b = g.args[y]
        return g.apply(g.op[y], g.apply("add", x, a), b)  # sums lean left: x + a + b
    return None


def _sub(g, x: int, y: int):
    if g.is_value(y, 0):
        return x
    if g.is_value(x, 0):
        return g.apply("neg", y)
    if x == y:
        return g.zero
    if g.is_op(y, "neg"):
        return g.apply("add", x, g.args[y][0])
    cy = g.rational(y)
    if cy is not None and cy < 0:
        return g.apply("add", x, g.const(-cy))
    if g.is_op(x, "neg"):
        return g.apply("neg", g.apply("add", g.args[x][0], y))
    return None


def _neg(g, x: int):
    if g.is_op(x, "neg"):
        return g.args[x][0]
    if g.is_op(x, "sub"):
        a, b = g.args[x]
        return g.apply("sub", b, a)
    return _flip_a_difference(g, x)


_FLIP_DEPTH = 6  # how far down a product's left spine a minus sign is looked for a difference to absorb it


def _flip_a_difference(g, x: int):
    """-x for a product x with a factor a - b (near its start): x with that factor written b - a, or None."""
    spine: list[int] = []
    found = None
    i = x
    for _ in range(_FLIP_DEPTH):
        if g.op[i] not in ("mul", "div"):
            break
        spine.append(i)
        left, right = g.args[i]
        if g.is_op(right, "sub"):
            found = (len(spine) - 1, 1)
        if g.is_op(left, "sub"):
            found = (len(spine) - 1, 0)
        i = left
    if found is None:
        return None
    level, side = found  # the deepest difference: the first a reader meets
    node = spine[level]
    args = list(g.args[node])
    a, b = g.args[args[side]]
    args[side] = g.apply("sub", b, a)
    rebuilt = g.apply(g.op[node], *args)
    for parent in reversed(spine[:level]):
        rebuilt = g.apply(g.op[parent], rebuilt, g.args[parent][1])
    return rebuilt


def _short_decimal(value: Fraction) -> bool:
    """A fraction that reads well as a decimal (0.5, 0.25, 0.125), so it can stay a factor."""
    text = decimal_text(value)
    return text is not None and len(text) <= 6


def _mul(g, x: int, y: int):
    if g.is_value(x, 0) or g.is_value(y, 0):
        return g.zero
    if g.is_value(x, 1):
        return y
    if g.is_value(y, 1):
        return x
    if g.is_value(x, -1):
        return g.apply("neg", y)
    if g.is_value(y, -1):
        return g.apply("neg", x)
    if g.is_op(x, "neg"):
        return g.apply("neg", g.apply("mul", g.args[x][0], y))
    if g.is_op(y, "neg"):
        return g.apply("neg", g.apply("mul", x, g.args[y][0]))
    cx, cy = g.rational(x), g.rational(y)
    if cy is not None and cx is None:
        return g.apply("mul", y, x)  # the constant first: 2*x
    if cx is not None:
        if cx < 0:
            return g.apply("neg", g.apply("mul", g.const(-cx), y))
        if g.is_op(y, "mul") and g.rational(g.args[y][0]) is not None:
            return g.apply("mul", g.const(cx * g.rational(g.args[y][0])), g.args[y][1])
        if g.is_op(y, "div") and g.rational(g.args[y][0]) is not None:
            return g.apply("div", g.const(cx * g.rational(g.args[y][0])), g.args[y][1])
        if cx.denominator != 1 and not _short_decimal(cx):
            return g.apply("div", g.apply("mul", g.const(cx.numerator), y), g.const(cx.denominator))
    if g.is_op(y, "div") and g.is_value(g.args[y][0], 1):
        return g.apply("div", x, g.args[y][1])  # x*(1/y) -> x/y
    if g.is_op(x, "div"):
        a, b = g.args[x]
        return g.apply("div", g.apply("mul", a, y), b)  # a/b*y -> a*y/b
    if g.is_op(y, "div"):
        a, b = g.args[y]
        return g.apply("div", g.apply("mul", x, a), b)  # x*(a/b) -> x*a/b
    if g.is_op(y, "mul"):
        a, b = g.args[y]
        return g.apply("mul", g.apply("mul", x, a), b)  # products lean left: x*a*b
    if x == y:
        return g.apply("pow", x, g.const(2))
    for base, other in ((x, y), (y, x)):
        if g.is_op(other, "pow") and g.args[other][0] == base:
            k = g.rational(g.args[other][1])
            if k is not None and k.denominator == 1:
                return g.apply("pow", base, g.const(k + 1))
    return None


def _div(g, x: int, y: int):
    if g.is_value(y, 1):
        return x
    if g.is_value(x, 0):
        return g.zero
    if g.is_value(y, -1):
        return g.apply("neg", x)
    if g.is_op(x, "neg"):
        return g.apply("neg", g.apply("div", g.args[x][0], y))
    if g.is_op(y, "neg"):
        return g.apply("neg", g.apply("div", x, g.args[y][0]))
    cx, cy = g.rational(x), g.rational(y)
    if cx is not None and cx < 0:
        return g.apply("neg", g.apply("div", g.const(-cx), y))
    if cy is not None and cy < 0:
        return g.apply("neg", g.apply("div", x, g.const(-cy)))
    if cy is not None and cy != 0 and g.is_op(x, "mul"):
        k = g.rational(g.args[x][0])
        if k is not None and (k / cy).denominator == 1:
            return g.apply("mul", g.const(k / cy), g.args[x][1])
    if g.is_op(y, "mul") and g.rational(g.args[y][0]) is not None:
        top, bottom = _leading_constant(g, x), g.rational(g.args[y][0])
        if top is not None:  # 2*x/(2*y) -> x/y: the constants cancel
            rest = g.one if g.rational(x) is not None else g.args[x][1]
            return g.apply("div", g.apply("mul", g.const(top / bottom), rest), g.args[y][1])
    if g.is_op(x, "div"):
        a, b = g.args[x]
        return g.apply("div", a, g.apply("mul", b, y))  # a/b/y -> a/(b*y)
    if g.is_op(y, "div"):
        a, b = g.args[y]
        return g.apply("div", g.apply("mul", x, b), a)  # x/(a/b) -> x*b/a
    return None


def _leading_constant(g, i: int):
    """K for a constant K or a product K*rest; else None."""
    if g.rational(i) is not None:
        return g.rational(i)
    if g.is_op(i, "mul"):
        return g.rational(g.args[i][0])
    return None


def _pow(g, x: int, y: int):
    if g.is_value(y, 1):
        return x
    if g.is_value(y, 0) or g.is_value(x, 1):
        return g.one
    k2 = g.rational(y)
    if k2 is not None and k2 < 0 and k2.denominator == 1:
        return g.apply("div", g.one, g.apply("pow", x, g.const(-k2)))  # x^-2 -> 1/x^2
    if g.is_op(x, "pow") and k2 is not None and k2.denominator == 1:
        k1 = g.rational(g.args[x][1])
        if k1 is not None and k1.denominator == 1:
            return g.apply("pow", g.args[x][0], g.const(k1 * k2))
    return None


RULES = {"add": _add, "sub": _sub, "neg": _neg, "mul": _mul, "div": _div, "pow": _pow}
