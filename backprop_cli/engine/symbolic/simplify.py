"""The simplifications applied as the expression graph is built, so a person can read a derivative.

0 and 1 vanish from sums and products, signs are pulled to the front
(`-c/d^2`, never `c*(-1)/d^2`), products lean left with their constant first
(`2*a*b`), and `x*(1/y)` becomes `x/y`. Each rule takes the graph and the
operands and returns None (build the node as it is), an existing node, or a
term: a tuple (op, operand, ...) whose operands are nodes or terms again, which
graph.Graph.apply builds, through these same rules, with an explicit stack. A
rule never calls apply itself, so no chain of rewrites can recurse in Python.
RULES maps an operation to its rule.

Two bounds keep the work per node small whatever the size of the program:
- Sums and products lean left (`x*(a*b)` -> `x*a*b`) only when the chain being
  re-associated is at most LEAN_LIMIT operations long (graph.Graph.spine); a longer
  one stays in parentheses, where the printer can name it once. Re-associating it
  would copy the whole chain for every use (quadratic in the program's length) and
  lose the sharing that keeps a formula as short as the graph.
- A constant is folded only into one the language can read back (graph.readable):
  `1e200*(2e200*x)` stays so rather than becoming `2e400*x`, which no float holds.
"""
from __future__ import annotations

from fractions import Fraction

from ...base.numbers import decimal_text

# The longest chain of sums (or of products and quotients) that a rule re-associates to lean left.
LEAN_LIMIT = 8


def _add(g, x: int, y: int):
    if g.is_value(x, 0):
        return y
    if g.is_value(y, 0):
        return x
    if g.is_op(y, "neg"):
        return ("sub", x, g.args[y][0])
    if g.is_op(x, "neg"):
        return ("sub", y, g.args[x][0])
    cy, cx = g.rational(y), g.rational(x)
    if cy is not None and cy < 0:
        return ("sub", x, g.const(-cy))
    if cx is not None and cx < 0:
        return ("sub", y, g.const(-cx))
    if x == y:
        return ("mul", g.const(2), x)
    if (g.is_op(y, "add") or g.is_op(y, "sub")) and g.spine[y] <= LEAN_LIMIT:
        a, b = g.args[y]
        return (g.op[y], ("add", x, a), b)  # sums lean left: x + a + b
    return None


def _sub(g, x: int, y: int):
    if g.is_value(y, 0):
        return x
    if g.is_value(x, 0):
        return ("neg", y)
    if x == y:
        return g.zero
    if g.is_op(y, "neg"):
        return ("add", x, g.args[y][0])
    cy = g.rational(y)
    if cy is not None and cy < 0:
        return ("add", x, g.const(-cy))
    if g.is_op(x, "neg"):
        return ("neg", ("add", g.args[x][0], y))
    return None


def _neg(g, x: int):
    if g.is_op(x, "neg"):
        return g.args[x][0]
    if g.is_op(x, "sub"):
        a, b = g.args[x]
        return ("sub", b, a)
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
    args[side] = ("sub", b, a)
    rebuilt = (g.op[node], *args)
    for parent in reversed(spine[:level]):
        rebuilt = (g.op[parent], rebuilt, g.args[parent][1])
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
        return ("neg", y)
    if g.is_value(y, -1):
        return ("neg", x)
    if g.is_op(x, "neg"):
        return ("neg", ("mul", g.args[x][0], y))
    if g.is_op(y, "neg"):
        return ("neg", ("mul", x, g.args[y][0]))
    cx, cy = g.rational(x), g.rational(y)
    if cy is not None and cx is None:
        return ("mul", y, x)  # the constant first: 2*x
    if cx is not None:
        if cx < 0:
            return ("neg", ("mul", g.const(-cx), y))
        k = g.rational(g.args[y][0]) if g.is_op(y, "mul") or g.is_op(y, "div") else None
        if k is not None:
            if not g.readable(cx * k):
                return None  # 1e200*(2e200*x): one constant would be beyond a float
            return (g.op[y], g.const(cx * k), g.args[y][1])  # 2*(3*x) -> 6*x, 2*(3/x) -> 6/x
        if cx.denominator != 1 and not _short_decimal(cx) and g.readable(Fraction(cx.numerator)) \
                and g.readable(Fraction(cx.denominator)):
            return ("div", ("mul", g.const(cx.numerator), y), g.const(cx.denominator))
    if g.is_op(y, "div") and g.is_value(g.args[y][0], 1):
        return ("div", x, g.args[y][1])  # x*(1/y) -> x/y
    if g.is_op(x, "div"):
        a, b = g.args[x]
        return ("div", ("mul", a, y), b)  # a/b*y -> a*y/b
    if g.spine[y] <= LEAN_LIMIT:
        if g.is_op(y, "div"):
            a, b = g.args[y]
            return ("div", ("mul", x, a), b)  # x*(a/b) -> x*a/b
        if g.is_op(y, "mul"):
            a, b = g.args[y]
            return ("mul", ("mul", x, a), b)  # products lean left: x*a*b
    if x == y:
        return ("pow", x, g.const(2))
    for base, other in ((x, y), (y, x)):
        if g.is_op(other, "pow") and g.args[other][0] == base:
            k = g.rational(g.args[other][1])
            if k is not None and k.denominator == 1 and g.readable(k + 1):
                return ("pow", base, g.const(k + 1))
    return None


def _div(g, x: int, y: int):
    if g.is_value(y, 1):
        return x
    if g.is_value(x, 0):
        return g.zero
    if g.is_value(y, -1):
        return ("neg", x)
    if g.is_op(x, "neg"):
        return ("neg", ("div", g.args[x][0], y))
    if g.is_op(y, "neg"):
        return ("neg", ("div", x, g.args[y][0]))
    cx, cy = g.rational(x), g.rational(y)
    if cx is not None and cx < 0:
        return ("neg", ("div", g.const(-cx), y))
    if cy is not None and cy < 0:
        return ("neg", ("div", x, g.const(-cy)))
    if cy is not None and cy != 0 and g.is_op(x, "mul"):
        k = g.rational(g.args[x][0])
        if k is not None and (k / cy).denominator == 1 and g.readable(k / cy):
            return ("mul", g.const(k / cy), g.args[x][1])
    if g.is_op(y, "mul") and g.rational(g.args[y][0]) is not None:
        top, bottom = _leading_constant(g, x), g.rational(g.args[y][0])
        if top is not None and g.readable(top / bottom):  # 2*x/(2*y) -> x/y: the constants cancel
            rest = g.one if g.rational(x) is not None else g.args[x][1]
            return ("div", ("mul", g.const(top / bottom), rest), g.args[y][1])
    if g.is_op(x, "div"):
        a, b = g.args[x]
        return ("div", a, ("mul", b, y))  # a/b/y -> a/(b*y)
    if g.is_op(y, "div"):
        a, b = g.args[y]
        return ("div", ("mul", x, b), a)  # x/(a/b) -> x*b/a
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
        return ("div", g.one, ("pow", x, g.const(-k2)))  # x^-2 -> 1/x^2
    if g.is_op(x, "pow") and k2 is not None and k2.denominator == 1:
        k1 = g.rational(g.args[x][1])
        if k1 is not None and k1.denominator == 1 and g.readable(k1 * k2):
            return ("pow", g.args[x][0], g.const(k1 * k2))
    return None


RULES = {"add": _add, "sub": _sub, "neg": _neg, "mul": _mul, "div": _div, "pow": _pow}
